"""Grids: names, sizes, expansion order and the CLI's value syntax."""

from __future__ import annotations

import pytest

from research_env.sweeps import GridError, check_grid, expand_grid, parse_values


def test_values_parse_as_lists_and_inclusive_ranges():
    assert parse_values("10,15,20") == [10, 15, 20]
    assert parse_values("1.5:3.0:0.5") == [1.5, 2.0, 2.5, 3.0]
    assert parse_values("5:53:2")[-1] == 53 and len(parse_values("5:53:2")) == 25
    assert parse_values("true,false") == [True, False]
    assert parse_values("0.1:0.3:0.1") == [0.1, 0.2, 0.3]


@pytest.mark.parametrize("text", ["", "1:2", "3:1:1", "1:5:0", "a:b:c"])
def test_bad_values_name_the_option(text):
    with pytest.raises(GridError, match="--grid"):
        parse_values(text)


def test_expansion_varies_the_last_parameter_fastest():
    assert expand_grid({"a": [1, 2], "b": [3, 4]}) == [{"a": 1, "b": 3}, {"a": 1, "b": 4}, {"a": 2, "b": 3},
                                                       {"a": 2, "b": 4}]


def test_unknown_parameter_is_named_with_a_suggestion():
    with pytest.raises(GridError, match="has no parameter `bb_perod`; did you mean `bb_period`"):
        check_grid({"bb_perod": [10]}, ["bb_period", "bb_std"], "bollinger")


@pytest.mark.parametrize("grid", [None, {}, {"bb_period": []}])
def test_empty_grid_is_refused(grid):
    with pytest.raises(GridError, match="no values|is empty"):
        check_grid(grid, ["bb_period"], "bollinger")


def test_grid_over_the_limit_says_how_to_raise_it():
    grid = {"a": list(range(30)), "b": list(range(20))}
    with pytest.raises(GridError, match="600 combinations .* over the limit of 500; .*max_combinations=600"):
        check_grid(grid, None, "s")
    assert len(check_grid(grid, None, "s", max_combinations=600)["a"]) == 30
