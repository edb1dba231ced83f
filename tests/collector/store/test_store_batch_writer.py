"""BatchWriter: acknowledged means stored, concurrent requests share inserts,
a full queue answers "retry later", a failed insert acknowledges nothing."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest

from llmpulse_collector.model import EvaluationRow, SpanBatch, SpanRow
from llmpulse_collector.store import (
    BatchWriter,
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

    def stored_span_keys(self, spans: Sequence[SpanRow]) -> set[SpanKey]:
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
