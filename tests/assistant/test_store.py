"""The AI-strategy store on SQLite and a real PostgreSQL server: migration 0002's tables, files under the data
folder, a re-created strategy keeps its id, the ten newest results, changed files refused."""

from __future__ import annotations

import pytest

from research_env.assistant import MAX_RESULTS, AssistantError
from research_env.assistant._store import StrategyStore, source_digest
from research_env.db import database_url, get_engine, upgrade
from research_env.settings import Settings

SOURCE = "# strategy v1\n"
VALIDATION = {"ok": True, "layers": []}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> StrategyStore:
    """A store of a fresh data folder on an empty database: the folder's SQLite file, or a new PostgreSQL one."""
    folder = tmp_path / "data"
    url = (database_url(Settings(), data_folder=folder) if request.param == "sqlite"
           else request.getfixturevalue("postgres_dsn"))
    return StrategyStore(folder, url=url)


def test_the_migration_creates_both_tables_with_their_keys_and_status_check(store):
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import IntegrityError

    upgrade(store.url)
    schema = inspect(get_engine(store.url))
    assert [c["name"] for c in schema.get_columns("ai_strategies")] == [
        "id", "user_id", "name", "path", "status", "created_at", "updated_at", "validation", "source_digest",
        "promoted_path"]
    assert [c["name"] for c in schema.get_columns("ai_strategy_results")] == [
        "id", "strategy_id", "created_at", "result"]
    assert [u["column_names"] for u in schema.get_unique_constraints("ai_strategies")] == [["user_id", "name"]]
    (key,) = schema.get_foreign_keys("ai_strategy_results")
    assert (key["referred_table"], key["constrained_columns"], key["options"].get("ondelete")) == (
        "ai_strategies", ["strategy_id"], "CASCADE")
    with pytest.raises(IntegrityError, match="ai_strategies_status_check|CHECK constraint failed"), \
            get_engine(store.url).begin() as connection:
        connection.execute(text(
            "INSERT INTO ai_strategies (user_id, name, path, status, created_at, updated_at, validation, "
            "source_digest) VALUES ('ann', 'x', '/x.py', 'live', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}', '')"))


def test_save_writes_the_file_under_the_user_and_a_second_save_keeps_the_id_and_goes_back_to_draft(store):
    first = store.save("ann", "sma_cross", SOURCE, VALIDATION)
    assert first.path == store.folder / "ai_strategies" / "ann" / "sma_cross.py"
    assert first.path.read_text() == SOURCE
    assert (first.status, first.source_digest, first.validation) == ("draft", source_digest(SOURCE), VALIDATION)
    other = store.save("bob", "sma_cross", SOURCE, VALIDATION)
    store.record_result(first.id, {"n": 0}, first.source_digest)
    assert store.get(first.id).status == "tested"

    again = store.save("ann", "sma_cross", "# strategy v2\n", VALIDATION)

    assert (again.id, again.status, again.created_at) == (first.id, "draft", first.created_at)
    assert again.path.read_text() == "# strategy v2\n" and again.updated_at >= first.updated_at
    assert [s.id for s in store.strategies()] == [first.id, other.id]
    assert [s.name for s in store.strategies("bob")] == ["sma_cross"]


def test_a_new_result_drops_the_oldest_beyond_ten_and_turns_a_draft_of_the_same_code_tested(store):
    record = store.save("ann", "sma_cross", SOURCE, VALIDATION)
    store.record_result(record.id, {"n": -1}, source_digest("# older code\n"))
    assert store.get(record.id).status == "draft"  # a run of code that was since replaced proves nothing

    ids = [store.record_result(record.id, {"n": n}, record.source_digest) for n in range(MAX_RESULTS + 1)]

    kept = store.results(record.id)
    assert [r.id for r in kept] == ids[::-1][:MAX_RESULTS] and len(kept) == 10
    assert [r.result["n"] for r in kept] == list(range(MAX_RESULTS, 0, -1))
    assert store.get(record.id).status == "tested"


def test_a_changed_or_missing_file_and_an_unknown_id_are_refused_with_the_fix(store):
    record = store.save("ann", "sma_cross", SOURCE, VALIDATION)
    assert store.read_source(record) == SOURCE
    record.path.write_text(SOURCE + "import os\n")
    with pytest.raises(AssistantError, match=r"sma_cross\.py changed since strategy \d+ \(`sma_cross`\) was "
                                             "validated: create_strategy it again"):
        store.read_source(record)
    record.path.unlink()
    with pytest.raises(AssistantError, match="cannot be read at .*: create_strategy it again"):
        store.read_source(record)
    with pytest.raises(AssistantError, match="no AI strategy has `strategy_id` 999"):
        store.get(999)
    with pytest.raises(AssistantError, match="`strategy_id` must be a whole number"):
        store.get("1")


@pytest.mark.parametrize(("user_id", "name", "argument"), [
    ("ann", "../evil", "`name`"), ("ann", "x/y", "`name`"), ("ann", "sma.py", "`name`"), ("ann", "_x", "`name`"),
    ("..", "sma", "`user_id`"), ("../ann", "sma", "`user_id`"), ("ann/../bob", "sma", "`user_id`"),
    ("", "sma", "`user_id`"), ("ann\n", "sma", "`user_id`"),
])
def test_a_user_id_or_name_that_is_not_a_plain_word_is_refused_and_nothing_is_written(tmp_path, user_id, name,
                                                                                       argument):
    store = StrategyStore(tmp_path / "data", url=database_url(Settings(), data_folder=tmp_path / "data"))
    with pytest.raises(AssistantError, match=f"^{argument} .* is not a"):
        store.save(user_id, name, SOURCE, VALIDATION)
    assert not (tmp_path / "data").exists()
