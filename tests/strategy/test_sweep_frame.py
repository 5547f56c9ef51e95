"""``SweepFrame``: pandas' values, dtypes and axes on every operation, by its short path where it takes one."""

from __future__ import annotations

import operator
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from research_env.strategy._sweep_frame import SweepFrame
from research_env.strategy.vectorized import bollinger_bands, indicator_cache, rsi, sma

ROWS = 60
INDEX = pd.date_range("2022-01-03 14:35", periods=ROWS, freq="5min", tz="UTC", name="timestamp")
COLUMNS = pd.Index(["AAA", "BBB", "CCC"])


def arrays() -> dict[str, np.ndarray]:
    """Floats with NaN, inf, zeros and ties; integers with zeros; booleans (Fortran-ordered, as a sweep's)."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(ROWS, 3)), rng.normal(size=(ROWS, 3))
    a[rng.random((ROWS, 3)) < 0.2] = np.nan
    b[rng.random((ROWS, 3)) < 0.2] = np.nan
    a[3], b[3] = 0.0, 0.0
    a[4, 0], b[5, 1], a[6, 2] = np.inf, -np.inf, b[6, 2]
    return {"f": a, "g": b, "i": rng.integers(-3, 3, (ROWS, 3)), "b": rng.random((ROWS, 3)) < 0.5,
            "c": rng.random((ROWS, 3)) < 0.5}


VALUES = {name: np.asfortranarray(values) for name, values in arrays().items()}


def both(*names: str) -> tuple[list[SweepFrame], list[pd.DataFrame]]:
    """The same data as SweepFrames and as plain DataFrames."""
    def frames(kind):
        return [kind(VALUES[n].copy(order="F"), index=INDEX, columns=COLUMNS, copy=False) for n in names]
    return frames(SweepFrame), frames(pd.DataFrame)


def silent(call):
    """``call()``, failing on any warning: pandas silences numpy's floating-point warnings (0/0, x/0 and
    comparisons with NaN or inf among the test data), so the short path must not raise one either."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


def same(fast, reference) -> None:
    """Pandas' answer to the last bit, as a SweepFrame on the same axes objects."""
    assert type(fast) is SweepFrame
    assert_frame_equal(pd.DataFrame(fast), reference, check_exact=True, check_freq=False)


@pytest.fixture
def pandas_forbidden(monkeypatch):
    """Fails a test whose operation reaches pandas' own elementwise machinery (the short path was not taken)."""
    def refuse(*args, **kwargs):
        raise AssertionError("pandas' own operation ran")

    for name in ("_cmp_method", "_arith_method", "_logical_method", "__invert__", "shift", "fillna"):
        monkeypatch.setattr(pd.DataFrame, name, refuse)


COMPARISONS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]
ARITHMETIC = [operator.add, operator.sub, operator.mul, operator.truediv]
NUMBERS = [0, 1, -2.5, 1.5, np.float32(0.1), np.int64(3), np.nan, np.inf, 2**40]


@pytest.mark.parametrize("op", COMPARISONS + ARITHMETIC, ids=lambda op: op.__name__)
@pytest.mark.parametrize("pair", ["fg", "fi", "ii", "if"])
def test_elementwise_between_frames_equals_pandas(op, pair, pandas_forbidden):
    (left, right), (plain_left, plain_right) = both(*pair)
    result = silent(lambda: op(left, right))
    same(result, _pandas(lambda: op(plain_left, plain_right)))
    assert result.index is left.index and result.columns is left.columns


@pytest.mark.parametrize("op", COMPARISONS + ARITHMETIC, ids=lambda op: op.__name__)
@pytest.mark.parametrize("number", NUMBERS, ids=repr)
@pytest.mark.parametrize("name", ["f", "i"])
def test_elementwise_with_a_number_either_side_equals_pandas(op, number, name, pandas_forbidden):
    (frame,), (plain,) = both(name)
    expected_right, expected_left = _pandas(lambda: op(plain, number)), _pandas(lambda: op(number, plain))
    same(silent(lambda: op(frame, number)), expected_right)
    same(silent(lambda: op(number, frame)), expected_left)


@pytest.mark.parametrize("op", COMPARISONS, ids=lambda op: op.__name__)
def test_comparisons_between_boolean_frames_equal_pandas(op, pandas_forbidden):
    (left, right), (plain_left, plain_right) = both("b", "c")
    same(silent(lambda: op(left, right)), _pandas(lambda: op(plain_left, plain_right)))


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor], ids=lambda op: op.__name__)
def test_logical_operators_and_invert_equal_pandas(op, pandas_forbidden):
    (left, right), (plain_left, plain_right) = both("b", "c")
    same(silent(lambda: op(left, right)), _pandas(lambda: op(plain_left, plain_right)))
    same(silent(lambda: ~left), _pandas(lambda: ~plain_left))


@pytest.mark.parametrize("periods", [0, 1, 2, -1, -3, ROWS - 1, ROWS, ROWS + 5, -ROWS, -ROWS - 5, np.int64(2)],
                         ids=repr)
def test_shift_along_the_rows_equals_pandas(periods, pandas_forbidden):
    (floats, flags), (plain_floats, plain_flags) = both("f", "b")
    for frame, plain, fills in ((floats, plain_floats, [{}, {"fill_value": 0}, {"fill_value": 1.5},
                                                         {"fill_value": np.float32(-2)}]),
                                (flags, plain_flags, [{"fill_value": False}, {"fill_value": np.True_}])):
        for fill in fills:
            same(frame.shift(periods, **fill), _pandas(lambda p=plain, f=fill: p.shift(periods, **f)))


@pytest.mark.parametrize("value", [0, -3, 1.5, np.float32(2.5), np.int64(4)], ids=repr)
def test_fillna_with_a_number_equals_pandas(value, pandas_forbidden):
    (floats, flags), (plain_floats, plain_flags) = both("f", "b")
    same(floats.fillna(value), _pandas(lambda: plain_floats.fillna(value)))
    same(flags.fillna(value), _pandas(lambda: plain_flags.fillna(value)))
    result = flags.fillna(False)
    assert not np.shares_memory(result.to_numpy(), flags.to_numpy())  # a copy, as pandas gives


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
@pytest.mark.parametrize("case", [
    lambda f, g, b, i: f > g["AAA"],  # a Series: pandas refuses
    lambda f, g, b, i: f + g["AAA"],  # a Series aligns on the columns
    lambda f, g, b, i: f > g.rename(index=lambda t: t + pd.Timedelta("5min")),  # another index: aligned
    lambda f, g, b, i: f > g.reset_index(drop=True).set_axis(f.index, axis=0),  # equal index, another object
    lambda f, g, b, i: f.astype("Float64") > 0,  # an extension dtype
    lambda f, g, b, i: f.assign(DDD="x") == "x",  # mixed dtypes
    lambda f, g, b, i: b & i,  # booleans with integers
    lambda f, g, b, i: b & True,  # logical with a scalar
    lambda f, g, b, i: b + b,  # arithmetic on booleans
    lambda f, g, b, i: f > True,  # a boolean as a number
    lambda f, g, b, i: f // g,  # floor division: pandas fills zeros its own way
    lambda f, g, b, i: f ** 2,
    lambda f, g, b, i: ~i,
    lambda f, g, b, i: b.shift(1),  # booleans without a fill become objects
    lambda f, g, b, i: i.shift(1),
    lambda f, g, b, i: b.shift(1, fill_value=0),
    lambda f, g, b, i: f.shift(1, axis=1),
    lambda f, g, b, i: f.shift(1, freq="5min"),
    lambda f, g, b, i: f.shift([1, 2]),
    lambda f, g, b, i: f.fillna(False),
    lambda f, g, b, i: f.fillna({"AAA": 1.0}),
    lambda f, g, b, i: f.fillna(0, limit=2),
    lambda f, g, b, i: f.fillna(f.mean()),
], ids=lambda case: None)
def test_anything_else_is_pandas_own_answer(case):
    fast, plain = both("f", "g", "b", "i")
    try:
        expected = case(*plain)
    except (TypeError, ValueError) as error:
        with pytest.raises(type(error), match=re.escape(str(error))):
            case(*fast)
        return
    result = case(*fast)
    assert isinstance(result, SweepFrame)
    assert_frame_equal(pd.DataFrame(result), expected, check_exact=True)


def test_attrs_follow_as_in_pandas_and_in_place_operators_work():
    (frame, other), (plain, plain_other) = both("f", "g")
    frame.attrs["note"] = plain.attrs["note"] = "kept"
    for fast, reference in ((frame > other, plain > plain_other), (other > frame, plain_other > plain),
                            (~(frame > 0), ~(plain > 0)), (frame.shift(1), plain.shift(1)), (frame + 1, plain + 1)):
        assert fast.attrs == reference.attrs
    assert (~(frame > 0)).attrs == {"note": "kept"}
    frame.attrs.clear()
    plain.attrs.clear()
    frame.flags.allows_duplicate_labels = plain.flags.allows_duplicate_labels = False
    for fast, reference in ((frame > other, plain > plain_other), (frame.shift(1), plain.shift(1)),
                            (frame + 1, plain + 1)):
        assert fast.flags.allows_duplicate_labels is reference.flags.allows_duplicate_labels is False
        assert fast.attrs == reference.attrs == {}
    before = frame.copy()
    frame *= -1.0
    assert_frame_equal(pd.DataFrame(frame), pd.DataFrame(before) * -1.0, check_exact=True)


def test_indicator_helpers_keep_the_sweep_frame_and_their_values():
    (prices,), (plain,) = both("f")
    prices, plain = prices.abs() + 10.0, plain.abs() + 10.0
    with indicator_cache():
        for fast_call, plain_call in ((lambda: sma(prices, 5), lambda: sma(plain, 5)),
                                      (lambda: rsi(prices, 4), lambda: rsi(plain, 4))):
            same(fast_call(), plain_call())
        for fast_band, plain_band in zip(bollinger_bands(prices, 5), bollinger_bands(plain, 5), strict=True):
            same(fast_band, plain_band)
    assert type(sma(plain, 5)) is pd.DataFrame and type(sma(prices["AAA"], 5)) is pd.Series


def test_a_read_only_input_stays_read_only_and_results_are_new_arrays():
    values = VALUES["f"].copy(order="F")
    values.flags.writeable = False
    frame = SweepFrame(values, index=INDEX, columns=COLUMNS, copy=False)
    shifted, compared = frame.shift(1), frame > 0
    assert not np.shares_memory(shifted.to_numpy(), values) and not np.shares_memory(compared.to_numpy(), values)
    with pytest.raises(ValueError, match="read-only"):
        frame.to_numpy()[0, 0] = 1.0


def _pandas(compute):
    """``compute()`` with pandas' own methods back in place (``pandas_forbidden`` patched them)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, method in _ORIGINAL.items():
            patch.setattr(pd.DataFrame, name, method)
        return compute()


_ORIGINAL = {name: pd.DataFrame.__dict__.get(name, getattr(pd.DataFrame, name))
             for name in ("_cmp_method", "_arith_method", "_logical_method", "__invert__", "shift", "fillna")}


def test_frames_built_from_pandas_blocks_equal_the_constructors_and_the_constructor_stands_in(monkeypatch):
    from pandas.core.internals import blocks

    from research_env.strategy import _sweep_frame

    values = VALUES["f"].copy(order="F")
    built = _sweep_frame.sweep_frame(values, INDEX, COLUMNS)
    assert _sweep_frame._block_builder() is not None  # this pandas has the parts: the short path runs
    same(built, pd.DataFrame(values, index=INDEX, columns=COLUMNS))
    assert np.shares_memory(built.to_numpy(), values) and built.index is INDEX and built.columns is COLUMNS

    def broken(*args, **kwargs):
        raise TypeError("a pandas whose blocks are built another way")

    monkeypatch.setattr(blocks, "get_block_type", broken)
    _sweep_frame._block_builder.cache_clear()
    try:
        assert _sweep_frame._block_builder() is None
        monkeypatch.undo()  # pandas itself works again; the builder stays off
        same(_sweep_frame.sweep_frame(values, INDEX, COLUMNS) > 0, pd.DataFrame(values, index=INDEX,
                                                                                  columns=COLUMNS) > 0)
    finally:
        _sweep_frame._block_builder.cache_clear()


def test_what_a_frame_remembers_of_its_values_follows_in_place_changes():
    """A SweepFrame keeps where its values are between operations; an in-place change of its columns, dtypes
    or data (copy-on-write) must not leave it reading the old array."""
    (f, g), (plain_f, plain_g) = both("f", "g")
    flags, plain_flags = f > g, plain_f > plain_g
    same(flags & flags, plain_flags & plain_flags)
    flags["AAA"], plain_flags["AAA"] = 1.5, 1.5  # a float column among booleans: another block
    assert_frame_equal(pd.DataFrame(flags > 1.0), plain_flags > 1.0, check_exact=True)

    total, plain_total = f + 1.0, plain_f + 1.0
    same(total > g, plain_total > plain_g)
    shared = total[:]  # shares the block: the next write copies it first
    total.iloc[0, 0] = plain_total.iloc[0, 0] = 99.0
    same(total > g, plain_total > plain_g)
    assert shared.iloc[0, 0] != 99.0

    total.columns = plain_total.columns = ["X", "Y", "Z"]  # the axes changed in place: pandas' own answer
    with pytest.raises(ValueError, match="identically-labeled"):
        operator.gt(total, g)
    same(total > 0.5, plain_total > 0.5)
