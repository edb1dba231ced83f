"""BatchWriter: acknowledged means stored, concurrent requests share inserts,
a full queue answers "retry later", a failed insert acknowledges nothing."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pyarrow as pa
import pytest

from llmpulse_collector.model import EvaluationRow, SpanBatch, SpanRow
from llmpulse_collector.store import (
    BatchWriter,
    SpansRejected,
    StorageUnavailable,
    Store,
    WriterOverloaded,
)
from llmpulse_collector.store import writer as writer_module
from llmpulse_collector.store.client import EncodedBatch
from llmpulse_collector.store.span_identity import SpanKey
from llmpulse_collector.store.writer import BatchReport


class ControlledStore:
    """The real store, with a gate to hold inserts and a switch to make them fail."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.failing = False
        self.evaluation_failures = 0  # how many of the next evaluation inserts fail
        self.lost_answers = 0  # how many of the next inserts store their rows, then fail
        self.span_batches: list[int] = []

    def encode(
        self, spans: Sequence[SpanRow], evaluations: Sequence[EvaluationRow]
    ) -> EncodedBatch:
        return self.store.encode(spans, evaluations)

    def stored_span_keys(self, spans: pa.Table) -> set[SpanKey]:
        return self.store.stored_span_keys(spans)

    def insert_encoded(self, batch: EncodedBatch) -> None:
        self.entered.set()
        assert self.gate.wait(30)
        if self.failing:
            raise ConnectionError("clickhouse went away")
        if batch.evaluations is not None and self.evaluation_failures:
            self.evaluation_failures -= 1
            raise ConnectionError("clickhouse went away after the spans")
        self.store.insert_encoded(batch)
        if self.lost_answers:
            self.lost_answers -= 1
            raise TimeoutError("the answer was lost on the way back")
        self.span_batches.append(batch.span_count)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed inserts are retried as in production, without the waits between tries."""
    monkeypatch.setattr(writer_module, "_RETRY_WAITS", (0.0, 0.0, 0.0))


@pytest.fixture
def sink(store: Store) -> ControlledStore:
    return ControlledStore(store)


@pytest.fixture
def make_writer(sink: ControlledStore) -> Iterator[Callable[..., BatchWriter]]:
    writers: list[BatchWriter] = []

    def _make(**options: float) -> BatchWriter:
        writer = BatchWriter(sink, **options)  # type: ignore[arg-type]
        writer.start()
        writers.append(writer)
        return writer

    yield _make
    sink.gate.set()
    for writer in writers:
        writer.stop()


def count(store: Store, table: str = "spans") -> int:
    [row] = store.query(f"SELECT count() AS n FROM {store.table(table)}")
    return int(row["n"])


async def test_write_returns_when_rows_are_queryable(
    store: Store,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
    make_evaluation: Callable[..., EvaluationRow],
) -> None:
    writer = make_writer()
    await writer.write([make_span(), make_span()], [make_evaluation()])
    assert count(store) == 2
    assert count(store, "evaluations") == 1


async def test_concurrent_writes_share_batches(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
) -> None:
    writer = make_writer(max_delay_s=0.05)

    async def request(i: int) -> None:
        spans = [make_span() for _ in range(10)]
        await writer.write(spans, [])
        ids = store.query(
            f"SELECT count() AS n FROM {store.table('spans')} "
            "WHERE span_id IN {ids:Array(String)}",
            {"ids": [s.span_id for s in spans]},
        )
        assert ids == [{"n": 10}], f"request {i} was acknowledged before its rows were stored"

    await asyncio.gather(*(request(i) for i in range(50)))

    assert count(store) == 500
    assert sum(sink.span_batches) == 500
    assert len(sink.span_batches) < 10, sink.span_batches
    stats = writer.stats()
    assert stats.batches_written == len(sink.span_batches)
    assert stats.spans_written == 500
    assert stats.pending_spans == 0


async def test_a_full_batch_is_written_without_waiting_for_the_delay(
    store: Store, make_writer: Callable[..., BatchWriter], make_span: Callable[..., SpanRow]
) -> None:
    writer = make_writer(max_batch_spans=5, max_delay_s=30)
    started = time.monotonic()
    await writer.write([make_span() for _ in range(5)], [])
    assert time.monotonic() - started < 10
    assert count(store) == 5


async def test_overload_is_refused_with_a_retry_hint(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
) -> None:
    writer = make_writer(max_pending_spans=10, max_delay_s=0)
    sink.gate.clear()  # the database stalls
    tasks = [asyncio.create_task(writer.write([make_span() for _ in range(8)], []))]
    await asyncio.to_thread(sink.entered.wait, 10)

    with pytest.raises(WriterOverloaded) as refused:
        await writer.write([make_span() for _ in range(3)], [])
    assert 1 <= refused.value.retry_after <= 30
    assert writer.pending_spans == 8

    tasks.append(asyncio.create_task(writer.write([make_span() for _ in range(2)], [])))
    await asyncio.sleep(0.01)
    assert writer.pending_spans == 10  # still fits: queued ...
    sink.gate.set()  # ... and written once the database recovers
    await asyncio.gather(*tasks)
    assert count(store) == 10


async def test_a_request_larger_than_the_limit_is_taken_when_idle(
    store: Store, make_writer: Callable[..., BatchWriter], make_span: Callable[..., SpanRow]
) -> None:
    writer = make_writer(max_pending_spans=3)
    await writer.write([make_span() for _ in range(5)], [])
    assert count(store) == 5


async def test_rows_arriving_during_an_insert_wait_for_it_as_one_batch(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
) -> None:
    writer = make_writer(max_delay_s=0.001)
    sink.gate.clear()  # the first insert hangs
    first = asyncio.create_task(writer.write([make_span()], []))
    assert await asyncio.to_thread(sink.entered.wait, 10)
    later = [asyncio.create_task(writer.write([make_span()], [])) for _ in range(10)]
    await asyncio.sleep(0.1)  # 100x the delay: still not cut into small batches
    sink.gate.set()
    await asyncio.gather(first, *later)
    assert sink.span_batches == [1, 10]
    assert count(store) == 11


async def test_columnar_batches_are_joined_into_one_insert(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
) -> None:
    writer = make_writer(max_delay_s=0.05)
    batches = [SpanBatch.from_rows([make_span(), make_span()]) for _ in range(3)]
    await asyncio.gather(*(writer.write(batch, []) for batch in batches))
    assert sink.span_batches == [6]
    assert count(store) == 6


async def test_failed_insert_acknowledges_nothing(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
    make_evaluation: Callable[..., EvaluationRow],
) -> None:
    reports: list[BatchReport] = []
    writer = make_writer(max_delay_s=0.05, on_batch=reports.append)
    sink.failing = True

    results = await asyncio.gather(
        writer.write([make_span()], [make_evaluation()]),
        writer.write([make_span()], []),
        return_exceptions=True,
    )
    assert all(isinstance(r, StorageUnavailable) for r in results), results
    assert "clickhouse went away" in str(results[0])
    assert count(store) == 0
    assert count(store, "evaluations") == 0
    assert writer.stats().insert_failures >= 1
    assert writer.pending_spans == 0
    assert reports and all(r.error is not None for r in reports)

    sink.failing = False  # the database is back: the client's retry succeeds
    await writer.write([make_span()], [])
    assert count(store) == 1


@pytest.mark.parametrize(
    "fault",
    ["lost_answers", "evaluation_failures"],
    ids=["rows-stored-but-the-answer-lost", "evaluations-failing-after-the-spans"],
)
async def test_a_failed_insert_is_retried_and_nothing_is_stored_twice(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
    make_evaluation: Callable[..., EvaluationRow],
    fault: str,
) -> None:
    """Rows may be stored although an insert failed (its answer was lost, or the spans
    went in and the evaluations did not). Failing the batch would make the client send
    the same spans again; the writer retries instead, with the batch's deduplication
    token, and acknowledges once everything is stored, each row once."""
    writer = make_writer()
    setattr(sink, fault, 2)  # the first try and the first retry fail
    await writer.write([make_span(), make_span()], [make_evaluation()])
    assert getattr(sink, fault) == 0
    assert count(store) == 2
    assert count(store, "evaluations") == 1
    [summary] = store.query(f"SELECT sum(span_count) AS n FROM {store.table('traces')}")
    assert summary["n"] == 2
    assert writer.stats().insert_failures == 0


async def test_evaluations_that_keep_failing_fail_the_batch(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
    make_evaluation: Callable[..., EvaluationRow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(writer_module, "_RETRY_WAITS", (0.0, 0.0))
    writer = make_writer()
    sink.evaluation_failures = 3
    with pytest.raises(StorageUnavailable, match="evaluations insert failed"):
        await writer.write([make_span()], [make_evaluation()])
    assert count(store) == 1  # stored; the client's retry would store it again
    assert count(store, "evaluations") == 0
    assert sink.evaluation_failures == 0  # tried three times


async def test_stop_flushes_everything_pending(
    store: Store, sink: ControlledStore, make_span: Callable[..., SpanRow]
) -> None:
    writer = BatchWriter(sink, max_delay_s=60)  # type: ignore[arg-type]
    writer.start()
    writes = [asyncio.create_task(writer.write([make_span()], [])) for _ in range(20)]
    await asyncio.sleep(0.05)
    assert count(store) == 0  # still waiting for the 60 s delay

    await asyncio.to_thread(writer.stop)
    await asyncio.gather(*writes)
    assert count(store) == 20

    with pytest.raises(StorageUnavailable, match="not running"):
        await writer.write([make_span()], [])


def test_write_sync(
    store: Store, make_writer: Callable[..., BatchWriter], make_span: Callable[..., SpanRow]
) -> None:
    writer = make_writer()
    writer.write_sync([make_span(), make_span()])
    assert count(store) == 2


def test_write_sync_surfaces_failures(
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
) -> None:
    writer = make_writer()
    sink.failing = True
    with pytest.raises(StorageUnavailable):
        writer.write_sync([make_span()])


def test_stats_describe_the_last_batch(
    make_writer: Callable[..., BatchWriter], make_span: Callable[..., SpanRow]
) -> None:
    writer = make_writer()
    writer.write_sync([make_span() for _ in range(3)])
    stats = writer.stats()
    assert stats.last_batch_spans == 3
    assert stats.last_insert_seconds > 0
    assert (stats.batches_written, stats.spans_written, stats.pending_spans) == (1, 3, 0)


def test_writes_need_a_started_writer(store: Store, make_span: Callable[..., SpanRow]) -> None:
    writer = BatchWriter(store)
    with pytest.raises(StorageUnavailable, match="not running"):
        writer.write_sync([make_span()])
    writer.stop()
    with pytest.raises(RuntimeError, match="restarted"):
        writer.start()


async def test_empty_write_returns_at_once(make_writer: Callable[..., BatchWriter]) -> None:
    await make_writer().write([], [])


# ---- one request's bad data fails only that request ---------------------------------

_DAY_NS = 86_400_000_000_000


def _on_days(make_span: Callable[..., SpanRow], project: str, days: range) -> list[SpanRow]:
    """One span per day, from tomorrow on: that many daily partitions in one insert."""
    start = time.time_ns() + _DAY_NS
    return [
        make_span(project_id=project, start_time=start + day * _DAY_NS, end_time=start + 1)
        for day in days
    ]


def _stored_by_project(store: Store) -> dict[str, int]:
    rows = store.query(
        f"SELECT project_id, count() AS n FROM {store.table('spans')} GROUP BY project_id"
    )
    return {row["project_id"]: int(row["n"]) for row in rows}


async def _write_together(
    writer: BatchWriter, sink: ControlledStore, make_span: Callable[..., SpanRow], requests: dict
) -> dict[str, BaseException | None]:
    """Queue ``requests`` while an insert holds the writer, so they share one batch."""
    sink.gate.clear()
    held = asyncio.create_task(writer.write([make_span(project_id="held")], []))
    assert await asyncio.to_thread(sink.entered.wait, 10)
    tasks = {name: asyncio.create_task(writer.write(*rows)) for name, rows in requests.items()}
    await asyncio.sleep(0.05)
    sink.gate.set()
    await held
    results = await asyncio.gather(*tasks.values(), return_exceptions=True)
    outcomes = zip(tasks, results, strict=True)
    return {name: (r if isinstance(r, BaseException) else None) for name, r in outcomes}


async def test_a_span_the_encoder_rejects_fails_only_its_own_request(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
    make_evaluation: Callable[..., EvaluationRow],
) -> None:
    """A start time of 2^63 ns does not fit Arrow's timestamp: before, the whole batch
    failed and every request in it got 503."""
    writer = make_writer(max_delay_s=0.05)
    too_late = make_span(project_id="bad", start_time=2**63, end_time=2**63 + 1)
    requests = {
        f"p{i}": ([make_span(project_id=f"p{i}") for _ in range(3)], [make_evaluation()])
        for i in range(6)
    }
    requests["bad"] = ([make_span(project_id="bad"), too_late], [])
    outcomes = await _write_together(writer, sink, make_span, requests)

    assert isinstance(outcomes.pop("bad"), SpansRejected)
    assert outcomes == dict.fromkeys(outcomes)  # every innocent request acknowledged
    assert _stored_by_project(store) == {"held": 1, **{f"p{i}": 3 for i in range(6)}}
    assert count(store, "evaluations") == 6
    assert writer.pending_spans == 0


@pytest.mark.parametrize(
    ("days", "rejected"),
    [
        ({"a": range(40), "bad": range(101), "b": range(40)}, {"bad"}),
        ({"a": range(60), "b": range(50, 110), "c": range(3)}, set()),
    ],
    ids=["one-request-over-the-database-limit", "over-the-limit-only-together"],
)
async def test_a_batch_the_database_rejects_is_split_to_the_request_at_fault(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
    days: dict[str, range],
    rejected: set[str],
) -> None:
    """ClickHouse refuses an insert that spans more than 100 daily partitions: the
    batch is split until the failure is one request's own, and the others are stored."""
    writer = make_writer(max_delay_s=0.05)
    requests = {name: (_on_days(make_span, name, span), []) for name, span in days.items()}
    outcomes = await _write_together(writer, sink, make_span, requests)

    assert {name for name, error in outcomes.items() if error is not None} == rejected
    for name in rejected:
        assert isinstance(outcomes[name], SpansRejected)
        assert "Too many partitions" in str(outcomes[name])
    stored = {name: len(span) for name, span in days.items() if name not in rejected}
    assert _stored_by_project(store) == {"held": 1, **stored}
    [summary] = store.query(f"SELECT sum(span_count) AS n FROM {store.table('traces')}")
    assert summary["n"] == 1 + sum(stored.values())


async def test_a_rejection_with_nothing_stored_is_storage_unavailable(
    store: Store, make_writer: Callable[..., BatchWriter], make_span: Callable[..., SpanRow]
) -> None:
    """Alone in its batch, a request the database refuses cannot be told from a database
    refusing everything: it gets 503 (retry), not 400 (drop)."""
    writer = make_writer()
    with pytest.raises(StorageUnavailable, match="Too many partitions"):
        await writer.write(_on_days(make_span, "bad", range(101)), [])
    assert count(store) == 0


# ---- a request's deadline --------------------------------------------------------------


async def test_a_request_still_queued_at_its_deadline_is_refused_and_never_stored(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
) -> None:
    writer = make_writer(max_wait_s=0.3, max_delay_s=0)
    sink.gate.clear()  # the database stalls with the first request's insert
    first = asyncio.create_task(writer.write([make_span(project_id="first")], []))
    assert await asyncio.to_thread(sink.entered.wait, 10)

    started = time.monotonic()
    with pytest.raises(WriterOverloaded, match="in time") as refused:
        await writer.write([make_span(project_id="late"), make_span(project_id="late")], [])
    assert time.monotonic() - started < 10  # answered at its deadline, not when stored
    assert refused.value.retry_after >= 1
    assert writer.pending_spans == 1  # the refused request left the queue

    patient = time.monotonic() + 30  # a deadline of its own
    queued = asyncio.create_task(
        writer.write([make_span(project_id="queued")], [], deadline=patient)
    )
    await asyncio.sleep(0.2)
    with pytest.raises(WriterOverloaded, match="waiting"):
        writer.admit()  # the queue is behind: refuse before decoding anything

    sink.gate.set()  # the database recovers: the first request is stored ...
    await first
    await queued
    assert _stored_by_project(store) == {"first": 1, "queued": 1}  # ... the late one never
    assert writer.stats().expired_requests == 1
    assert writer.pending_spans == 0
    writer.admit()


# ---- span identity ----------------------------------------------------------------------


async def test_spans_sent_again_are_stored_once(
    store: Store,
    sink: ControlledStore,
    make_writer: Callable[..., BatchWriter],
    make_span: Callable[..., SpanRow],
    make_evaluation: Callable[..., EvaluationRow],
) -> None:
    """A client retrying after a lost answer, or sending a span twice in one request or
    in two requests of one batch: each identity is stored once, with its evaluations."""
    writer = make_writer(max_delay_s=0.05)
    spans = [make_span(), make_span(), make_span()]
    check = make_evaluation(trace_id=spans[0].trace_id, span_id=spans[0].span_id)
    await writer.write(spans, [check])

    again = SpanBatch.from_rows([spans[0], make_span(), spans[0]])  # one new span
    outcomes = await _write_together(
        writer,
        sink,
        make_span,
        {"retry": (spans, [check]), "again": (again, []), "twice": (again, [])},
    )
    assert outcomes == dict.fromkeys(outcomes)  # all acknowledged
    assert count(store) == 3 + 1 + 1  # the first three, the held one, the new one
    assert count(store, "evaluations") == 1
    [summary] = store.query(f"SELECT sum(span_count) AS n FROM {store.table('traces')}")
    assert summary["n"] == 5
    assert writer.stats().duplicate_spans == 3 + 2 + 3
