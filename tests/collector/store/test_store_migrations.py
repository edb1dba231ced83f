"""Migrations: numbered SQL files, applied once, rendered for one node or a cluster."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from llmpulse_collector.model import EVALUATION_COLUMNS, SPAN_COLUMNS, SpanRow
from llmpulse_collector.store import Store, render_migrations
from llmpulse_collector.store.migrations import bootstrap_statements, load
from llmpulse_collector.store.queries._where import SEARCH_TEXT


def test_migration_numbers_are_unique_and_contiguous() -> None:
    numbers = [m.number for m in load()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_every_migration_file_is_loaded() -> None:
    from importlib import resources

    sql_files = [
        p.name
        for p in resources.files("llmpulse_collector.store.migrations").iterdir()
        if p.name.endswith(".sql")
    ]
    assert len(sql_files) == len(load()), "a .sql file does not match NNNN_name.sql"


def test_migrate_applies_everything_once(open_store: Callable[..., Store]) -> None:
    store = open_store(migrate=False)
    everything = [m.number for m in load()]

    assert store.migrate() == everything
    assert store.migrate() == []

    recorded = store.query(
        f"SELECT version, name FROM {store.table('schema_migrations')} ORDER BY version"
    )
    assert [(r["version"], r["name"]) for r in recorded] == [(m.number, m.name) for m in load()]


def test_migrate_again_after_reopening(store: Store, store_url: str) -> None:
    store.close()
    with Store.open(store_url, database=store.database) as reopened:
        assert reopened.migrate() == []
        assert reopened.query(f"SELECT count() AS n FROM {reopened.table('spans')}") == [{"n": 0}]


def _columns(store: Store, table: str) -> list[tuple[str, str]]:
    """The columns an insert writes (MATERIALIZED ones are computed by ClickHouse)."""
    rows = store.query(
        "SELECT name, type FROM system.columns "
        "WHERE database = {db:String} AND table = {table:String} "
        "AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position",
        {"db": store.database, "table": table},
    )
    return [(r["name"], r["type"]) for r in rows]


def test_spans_table_inserts_exactly_the_model_columns(store: Store) -> None:
    assert _columns(store, "spans") == list(SPAN_COLUMNS)


def test_evaluations_table_inserts_exactly_the_model_columns(store: Store) -> None:
    assert _columns(store, "evaluations") == list(EVALUATION_COLUMNS)


def test_spans_table_layout(store: Store) -> None:
    [table] = store.query(
        "SELECT sorting_key, partition_key, engine_full FROM system.tables "
        "WHERE database = {db:String} AND name = 'spans'",
        {"db": store.database},
    )
    assert table["sorting_key"].startswith("project_id, toStartOfHour(start_time)")
    assert table["partition_key"] == "toDate(start_time)"
    assert "TTL toDateTime(start_time) + toIntervalDay(30)" in table["engine_full"]
    assert "ttl_only_drop_parts = 1" in table["engine_full"]
    indexes = store.query(
        "SELECT name, type FROM system.data_skipping_indices "
        "WHERE database = {db:String} AND table = 'spans' ORDER BY name",
        {"db": store.database},
    )
    assert {"idx_trace_id", "idx_session_id", "idx_user_id"} <= {i["name"] for i in indexes}


def test_single_node_ddl_has_no_cluster_parts() -> None:
    ddl = "\n".join(
        s for _, statements in render_migrations("llmpulse", None, 30) for s in statements
    )
    assert "ON CLUSTER" not in ddl
    assert "Distributed" not in ddl
    assert "Replicated" not in ddl
    assert "_local" not in ddl
    assert "{{" not in ddl
    assert "CREATE TABLE IF NOT EXISTS llmpulse.spans\n(" in ddl


def test_retention_is_rendered_into_the_data_ttls() -> None:
    ddl = "\n".join(s for _, statements in render_migrations("db", None, 7) for s in statements)
    ttls = re.findall(r"TTL toDateTime\((?:start_time|created_at)\).*", ddl)
    assert len(ttls) == 4  # spans, traces, evaluations, llm_wrapper_keys
    assert all(t.endswith("+ INTERVAL 7 DAY") for t in ttls)


class TestClusterDDL:
    """With a cluster name the same files build replicated, sharded tables."""

    @pytest.fixture
    def ddl(self) -> dict[int, list[str]]:
        return dict(render_migrations("lp", "prod", 30))

    def test_every_statement_runs_on_the_cluster(self, ddl: dict[int, list[str]]) -> None:
        for statements in ddl.values():
            for statement in statements:
                if statement.startswith("INSERT"):
                    continue  # data, not DDL: see the next test
                assert "ON CLUSTER prod" in statement, statement

    def test_backfills_read_and_write_every_shard(self, ddl: dict[int, list[str]]) -> None:
        """An INSERT runs on the node that applies the migration: through the
        Distributed tables it reads every shard's rows and writes to every shard."""
        inserts = [s for statements in ddl.values() for s in statements if s.startswith("INSERT")]
        assert inserts
        for statement in inserts:
            assert "_local" not in statement, statement

    def test_wrapper_keys_are_on_their_traces_shard(self, ddl: dict[int, list[str]]) -> None:
        """Sharded like the spans: a read on each shard finds its traces' keys there."""
        table, distributed, view, _ = ddl[17]
        assert "ReplicatedMergeTree(" in table
        assert distributed.endswith(
            "ENGINE = Distributed(prod, lp, llm_wrapper_keys_local, cityHash64(trace_id))"
        )
        assert "TO lp.llm_wrapper_keys_local" in view
        assert "FROM lp.spans_local" in view

    def test_spans_local_is_replicated_and_distributed_in_front(
        self, ddl: dict[int, list[str]]
    ) -> None:
        local, distributed = ddl[1]
        assert local.startswith("CREATE TABLE IF NOT EXISTS lp.spans_local ON CLUSTER prod\n(")
        assert (
            "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', "
            "'{replica}')" in local
        )
        assert distributed == (
            "CREATE TABLE IF NOT EXISTS lp.spans ON CLUSTER prod AS lp.spans_local\n"
            "ENGINE = Distributed(prod, lp, spans_local, cityHash64(trace_id))"
        )

    def test_trace_summary_view_reads_and_writes_local_tables(
        self, ddl: dict[int, list[str]]
    ) -> None:
        table, view, distributed = ddl[2]
        assert "ENGINE = ReplicatedAggregatingMergeTree(" in table
        assert view.startswith(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS lp.traces_mv ON CLUSTER prod"
        )
        assert "TO lp.traces_local" in view
        assert "FROM lp.spans_local" in view
        assert "Distributed(prod, lp, traces_local, cityHash64(trace_id))" in distributed

    def test_keys_are_replicated_to_every_node(self, ddl: dict[int, list[str]]) -> None:
        projects, api_keys = ddl[4]
        for statement in (projects, api_keys):
            assert (
                "ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/{table}', "
                "'{replica}', updated_at)" in statement
            )
            assert "Distributed" not in statement

    def test_bootstrap_creates_database_and_ledger_on_cluster(self) -> None:
        database, ledger = bootstrap_statements("lp", "prod")
        assert database == "CREATE DATABASE IF NOT EXISTS lp ON CLUSTER prod"
        assert "lp.schema_migrations ON CLUSTER prod" in ledger


@pytest.mark.parametrize("bad", ["", "1db", "db-name", "db; DROP TABLE x", "db.x", "d b"])
def test_identifiers_are_validated(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        render_migrations(bad, None, 30)
    with pytest.raises(ValueError, match="invalid"):
        render_migrations("ok", bad or "-", 30)
    with pytest.raises(ValueError, match="invalid"):
        Store.open("chdb://memory", database=bad)


def test_retention_must_be_positive() -> None:
    with pytest.raises(ValueError, match="retention_days"):
        render_migrations("db", None, 0)


def test_a_changed_retention_setting_is_applied_at_the_next_start(open_store) -> None:
    store = open_store(migrate=False)
    store.migrate(retention_days=30)
    assert store.migrate(retention_days=7) == []  # no migration, but the TTL moves

    for table in ("spans", "traces", "evaluations"):
        (row,) = store.query(
            "SELECT engine_full FROM system.tables "
            "WHERE database = {db:String} AND name = {t:String}",
            {"db": store.database, "t": table},
        )
        assert "toIntervalDay(7)" in row["engine_full"], table


def _migrate_through(store: Store, last: int) -> None:
    """Apply the migrations up to ``last`` only: the store as an older release left it."""
    for statement in bootstrap_statements(store.database, store.cluster):
        store.command(statement)
    names = {m.number: m.name for m in load()}
    for number, statements in render_migrations(store.database, None, 30):
        if number > last:
            break
        for statement in statements:
            store.command(statement)
        store.insert_rows(
            "schema_migrations",
            [("version", "UInt32"), ("name", "String"), ("applied_at", "DateTime64(3, 'UTC')")],
            [[number], [names[number]], [0]],
        )


def test_upgrading_a_store_with_data_to_fewer_span_merges(
    open_store: Callable[..., Store], make_span: Callable[..., SpanRow]
) -> None:
    merges = next(m.number for m in load() if m.name == "span_merges")
    store = open_store(migrate=False)
    _migrate_through(store, merges - 1)
    spans = store.table("spans")
    before = [make_span(output="Привет! The refund form is on page 2.") for _ in range(3)]
    store.insert_spans(before)

    assert merges in store.migrate()

    after = [make_span(output='{"refund": "form"}') for _ in range(2)]
    store.insert_spans(after)
    [table] = store.query(
        "SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'spans'",
        {"db": store.database},
    )
    assert "merge_selector_base = 20" in table["engine_full"]
    # search still finds old and new rows through the text index (the query fails if
    # the index could not be used), and the output descriptors are there for both
    found = store.query(
        f"SELECT span_id, output_script, output_is_json, output_chars FROM {spans} "
        f"WHERE {SEARCH_TEXT} LIKE {{q:String}} ORDER BY span_id "
        "SETTINGS force_data_skipping_indices = 'idx_text'",
        {"q": "%refund%form%"},
    )
    assert [r["span_id"] for r in found] == sorted(s.span_id for s in before + after)
    assert [(r["output_script"], r["output_is_json"]) for r in found] == [
        ("cyrillic", 0),
        ("cyrillic", 0),
        ("cyrillic", 0),
        ("latin", 1),
        ("latin", 1),
    ]
    assert found[0]["output_chars"] == len(before[0].output)
    store.command(f"OPTIMIZE TABLE {spans} FINAL")  # merges keep working on the new setting
    assert store.query(f"SELECT count() AS n FROM {spans}") == [{"n": 5}]
