"""Store: spans and evaluations round-trip exactly; queries bind values server-side."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from llmpulse_collector.model import SPAN_COLUMNS, EvaluationRow, SpanRow
from llmpulse_collector.store import Store

# Reads every column in its inserted form: timestamps as exact nanoseconds.
_NS_COLUMNS = {"start_time", "end_time", "ingested_at", "created_at"}


def _select_all(
    store: Store, table: str, columns: list[str], order_by: str
) -> list[dict[str, Any]]:
    select = ", ".join(
        f"toUnixTimestamp64Nano({c}) AS {c}" if c in _NS_COLUMNS else c for c in columns
    )
    return store.query(f"SELECT {select} FROM {store.table(table)} ORDER BY {order_by}")


def test_span_round_trip_preserves_every_column(
    store: Store, make_span: Callable[..., SpanRow]
) -> None:
    first = make_span(
        tags=["prod", "checkout", "a/b"],
        attributes={"gen_ai.usage.input_tokens": "120", "llm.json": '{"a": [1, 2]}'},
        resource_attributes={"service.name": "support-bot", "host.name": "web-1"},
        events='[{"name": "gen_ai.content.prompt", "time_ns": 1700000000000000005}]',
        input="Hello 👋 — ünïcode\nand a newline",
    )
    spans = [
        dataclasses.replace(  # odd nanoseconds everywhere
            first, end_time=first.start_time + 1_234_567_891, ingested_at=first.start_time + 3
        ),
        make_span(
            cost_usd=None, time_to_first_token_ms=None, tags=[], attributes={}, ingested_at=7
        ),
    ]
    store.insert_spans(spans)

    names = [name for name, _ in SPAN_COLUMNS]
    rows = _select_all(store, "spans", names, "span_id")
    assert rows == sorted((dataclasses.asdict(s) for s in spans), key=lambda row: row["span_id"])


def test_nullable_cost_stays_null(store: Store, make_span: Callable[..., SpanRow]) -> None:
    store.insert_spans([make_span(cost_usd=None), make_span(cost_usd=0.0)])
    rows = store.query(f"SELECT cost_usd FROM {store.table('spans')} ORDER BY span_id")
    assert rows == [{"cost_usd": None}, {"cost_usd": 0.0}]


def test_ingested_at_is_filled_when_zero(store: Store, make_span: Callable[..., SpanRow]) -> None:
    before = datetime.now(UTC)
    store.insert_spans([make_span(ingested_at=0)])
    [row] = store.query(f"SELECT ingested_at FROM {store.table('spans')}")
    assert before <= row["ingested_at"] <= datetime.now(UTC)


def test_evaluation_round_trip(store: Store, make_evaluation: Callable[..., EvaluationRow]) -> None:
    given = [
        make_evaluation(evaluation_id="0b6e3f3c-3c4f-4d7a-9a39-2b1f2f0b8a11"),
        make_evaluation(
            name="user_feedback",
            source="feedback",
            passed=None,
            score=None,
            label="",
            comment="wrong order number",
            value='{"thumbs": "down"}',
            span_id="00000000000000aa",
            evaluation_id="0b6e3f3c-3c4f-4d7a-9a39-2b1f2f0b8a12",
        ),
    ]
    store.insert_evaluations(given)
    names = [f.name for f in dataclasses.fields(EvaluationRow)]
    rows = _select_all(store, "evaluations", names, "evaluation_id")
    for row in rows:
        row["evaluation_id"] = str(row["evaluation_id"])
    assert rows == [dataclasses.asdict(e) for e in given]


def test_evaluation_ids_are_generated_when_empty(
    store: Store, make_evaluation: Callable[..., EvaluationRow]
) -> None:
    store.insert_evaluations([make_evaluation(), make_evaluation()])
    [row] = store.query(
        f"SELECT uniqExact(evaluation_id) AS ids, countIf(evaluation_id = toUUID('00000000-0000-0000-0000-000000000000')) AS nil FROM {store.table('evaluations')}"  # noqa: E501
    )
    assert row == {"ids": 2, "nil": 0}


def test_empty_inserts_are_no_ops(store: Store) -> None:
    store.insert_spans([])
    store.insert_evaluations([])


def test_inserting_the_same_encoded_batch_again_stores_nothing_twice(
    store: Store,
    make_span: Callable[..., SpanRow],
    make_evaluation: Callable[..., EvaluationRow],
) -> None:
    """A retry (the same batch, so the same deduplication token) adds nothing to spans,
    the trace summary or evaluations, even for spans in two daily partitions; a new
    batch of equal rows is stored, as deduplication goes by batch, not by content."""
    first = make_span()
    next_day = make_span(start_time=first.start_time + 86_400 * 10**9)
    evaluation = make_evaluation(trace_id=first.trace_id, span_id=first.span_id)

    def counts() -> tuple[int, int, int]:
        [spans] = store.query(f"SELECT count() AS n FROM {store.table('spans')}")
        [summary] = store.query(f"SELECT sum(span_count) AS n FROM {store.table('traces')}")
        [evaluations] = store.query(f"SELECT count() AS n FROM {store.table('evaluations')}")
        return int(spans["n"]), int(summary["n"]), int(evaluations["n"])

    batch = store.encode([first, next_day], [evaluation])
    store.insert_encoded(batch)
    store.insert_encoded(batch)
    assert counts() == (2, 2, 1)

    store.insert_encoded(store.encode([first, next_day], [evaluation]))
    assert counts() == (4, 4, 2)


def test_query_binds_values_server_side(store: Store, make_span: Callable[..., SpanRow]) -> None:
    store.insert_spans([make_span(user_id="o'brien"), make_span(user_id="x")])
    rows = store.query(
        f"SELECT user_id FROM {store.table('spans')} WHERE user_id = {{user:String}}",
        {"user": "o'brien"},
    )
    assert rows == [{"user_id": "o'brien"}]


def test_client_side_interpolation_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="server-side binding"):
        store.query("SELECT %(x)s AS x", {"x": 1})
    with pytest.raises(ValueError, match="server-side binding"):
        store.command("SELECT 1", {"x": 1})


def test_table_names(store: Store) -> None:
    assert store.table("spans") == f"{store.database}.spans"
    assert store.local_table("spans") == f"{store.database}.spans"
    with pytest.raises(ValueError, match="invalid table"):
        store.table("spans; DROP TABLE x")


def test_ping_and_close(store: Store) -> None:
    assert store.ping()
    store.close()
    assert not store.ping()


def test_close_then_reopen_keeps_data(
    store: Store, store_url: str, make_span: Callable[..., SpanRow]
) -> None:
    store.insert_spans([make_span()])
    store.close()
    with Store.open(store_url, database=store.database) as reopened:
        assert reopened.query(f"SELECT count() AS n FROM {reopened.table('spans')}") == [{"n": 1}]


def test_databases_are_isolated(
    open_store: Callable[..., Store], make_span: Callable[..., SpanRow]
) -> None:
    one, two = open_store(), open_store()
    one.insert_spans([make_span()])
    assert two.query(f"SELECT count() AS n FROM {two.table('spans')}") == [{"n": 0}]


def test_queries_run_while_another_thread_inserts(
    store: Store, make_span: Callable[..., SpanRow]
) -> None:
    """The writer thread inserts while API requests query: each call gets its own
    connection, so neither blocks nor corrupts the other."""
    errors: list[BaseException] = []
    done = threading.Event()

    def insert() -> None:
        try:
            for _ in range(20):
                store.insert_spans([make_span() for _ in range(200)])
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def read() -> None:
        try:
            while not done.is_set():
                [row] = store.query(f"SELECT count() AS n FROM {store.table('spans')}")
                assert row["n"] % 200 == 0
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=insert)] + [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert store.query(f"SELECT count() AS n FROM {store.table('spans')}") == [{"n": 4000}]


def test_embedded_inserts_go_through_chdbs_own_api(
    store: Store, make_span: Callable[..., SpanRow], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In embedded mode an Arrow insert is chDB's ``INSERT ... SELECT ... FROM
    Python(table)`` (no temp file, no clickhouse-connect), with the deduplication token;
    a server URL keeps clickhouse-connect."""
    if not store.is_embedded:
        pytest.skip("the raw insert is the embedded (chDB) path")
    import chdb.state.sqlitelike as chdb_connection
    from clickhouse_connect.driver.client import Client

    statements: list[str] = []
    query = chdb_connection.Connection.query

    def spy(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(sql)
        return query(self, sql, *args, **kwargs)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("embedded inserts must not go through clickhouse-connect")

    monkeypatch.setattr(chdb_connection.Connection, "query", spy)
    monkeypatch.setattr(Client, "insert_arrow", refuse)
    batch = store.encode([make_span(), make_span()])
    store.insert_encoded(batch)
    store.insert_encoded(batch)  # a retry: the same token, nothing stored twice
    [row] = store.query(f"SELECT count() AS n FROM {store.table('spans')}")
    assert row["n"] == 2
    inserts = [sql for sql in statements if sql.startswith("INSERT")]
    assert len(inserts) == 2
    assert inserts[0].startswith(f"INSERT INTO {store.table('spans')} (`project_id`, ")
    assert f"insert_deduplication_token = '{batch.token}'" in inserts[0]
    assert inserts[0].endswith("FROM Python(llmpulse_arrow_batch)")


def test_an_embedded_insert_the_table_refuses_is_an_error_and_stores_nothing(
    store: Store, make_span: Callable[..., SpanRow]
) -> None:
    """A block over 100 daily partitions is refused by the table at write time; the
    insert says so (chDB's streaming ``send_insert`` would report success and store
    nothing: "acknowledged means stored" needs the error)."""
    from clickhouse_connect.driver.exceptions import DatabaseError

    if not store.is_embedded:
        pytest.skip("the raw insert is the embedded (chDB) path")
    first = make_span()
    day = 86_400 * 10**9
    spans = [make_span(start_time=first.start_time - i * day) for i in range(101)]
    with pytest.raises(DatabaseError, match="Too many partitions"):
        store.insert_spans(spans)
    [row] = store.query(f"SELECT count() AS n FROM {store.table('spans')}")
    assert row["n"] == 0


def test_a_refused_embedded_insert_raises_a_database_error(store: Store) -> None:
    """chDB refusing the data is a ``DatabaseError``, as from clickhouse-connect: the
    batch writer tells a rejection from an outage by it."""
    import pyarrow as pa
    from clickhouse_connect.driver.exceptions import DatabaseError

    if not store.is_embedded:
        pytest.skip("the raw insert is the embedded (chDB) path")
    wrong = pa.table({"no_such_column": pa.array([1, 2], pa.int64())})
    with pytest.raises(DatabaseError, match="chDB insert into"):
        store._insert_arrow("spans", wrong, {"insert_deduplication_token": "x"})
    [row] = store.query(f"SELECT count() AS n FROM {store.table('spans')}")
    assert row["n"] == 0
