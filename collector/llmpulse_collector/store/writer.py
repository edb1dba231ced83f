"""The batch writer: group commit of concurrent ingest requests into large inserts.

Every ``write()`` queues its rows and waits. A background thread takes everything
queued (up to ``max_batch_spans``) and encodes it (Arrow, CPU only); a second thread
inserts the spans and then the evaluations and wakes every waiter of that batch: with
success only after the insert returned (inserts are synchronous, so the rows are then
visible to queries), or with ``StorageUnavailable`` when it failed (nothing of the
batch is acknowledged). A failed insert is retried (``_RETRY_WAITS``) before the batch
is failed, with the batch's deduplication token, so rows that were stored although the
insert reported an error (an answer lost on the way back, one of two partitions
written) are not stored twice. Only when the spans are stored and the evaluations
insert keeps failing can a client's retry of the batch store its spans a second time.

When to take a batch: once it is full, or once its oldest rows have waited
``max_delay_s`` *and* no earlier batch is still being inserted. Every insert has a
fixed cost (tens of ms, and one more part for the database to merge), so while one
runs the queue keeps filling instead of being cut into small batches: under load,
batches grow to whatever arrived during the previous insert. Full batches are taken
at once, so then the next batch is encoded while the database (which releases the
GIL) stores the previous one.

Memory is bounded: when the queued and in-flight rows would exceed
``max_pending_spans``, ``write()`` raises ``WriterOverloaded`` at once, with a
suggested ``retry_after`` (the backlog divided by the recent insert rate).
Evaluation rows count as spans for these limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from llmpulse_collector.model import EvaluationRow, SpanBatch, SpanRow
from llmpulse_collector.store._arrow import EncodedBatch
from llmpulse_collector.store.errors import StorageUnavailable, WriterOverloaded

__all__ = ["BatchReport", "BatchWriter", "RowSink", "WriterStats"]

log = logging.getLogger("llmpulse.collector.writer")

_MIN_RETRY_S, _MAX_RETRY_S = 1.0, 30.0
# Waits before each new attempt at a failed insert (same token: nothing stored twice).
_RETRY_WAITS = (0.1, 0.5, 2.0)

_Done = Callable[[BaseException | None], None]


class RowSink(Protocol):
    """Where batches go: a ``Store`` (or a wrapper of one, in tests)."""

    def encode(
        self, spans: Sequence[SpanRow], evaluations: Sequence[EvaluationRow]
    ) -> EncodedBatch: ...

    def insert_encoded(self, batch: EncodedBatch) -> None: ...


@dataclass(frozen=True, slots=True)
class BatchReport:
    """One insert, as passed to ``on_batch`` (e.g. to feed Prometheus histograms)."""

    requests: int
    spans: int
    evaluations: int
    seconds: float
    error: BaseException | None


@dataclass(frozen=True, slots=True)
class WriterStats:
    """A snapshot of the writer's counters. Distributions of batch sizes and insert
    times are the collector's Prometheus histograms, fed by ``on_batch``."""

    pending_spans: int
    batches_written: int
    spans_written: int
    evaluations_written: int
    insert_failures: int
    last_batch_spans: int
    last_insert_seconds: float


@dataclass(slots=True)
class _Request:
    spans: Sequence[SpanRow]
    evaluations: Sequence[EvaluationRow]
    size: int
    enqueued: float
    done: _Done


class BatchWriter:
    """Group-commits rows into ``store``; see the module docstring. Thread-safe."""

    def __init__(
        self,
        store: RowSink,
        *,
        max_batch_spans: int = 20_000,
        max_delay_s: float = 0.02,
        max_pending_spans: int = 200_000,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        if max_batch_spans < 1 or max_pending_spans < 1 or max_delay_s < 0:
            raise ValueError("max_batch_spans and max_pending_spans must be >= 1, delay >= 0")
        self._store = store
        self._max_batch = max_batch_spans
        self._max_delay = max_delay_s
        self._max_pending = max_pending_spans
        self._on_batch = on_batch
        self._cond = threading.Condition()
        self._queue: deque[_Request] = deque()
        self._pending = 0  # queued + in flight
        self._queued = 0
        self._in_flight = 0  # batches taken and not yet inserted
        self._state = "new"  # new -> running -> stopping -> stopped
        self._threads: list[threading.Thread] = []
        # encoded batches on their way to the inserting thread; None ends it
        self._handoff: queue.Queue[
            tuple[list[_Request], EncodedBatch | None, BaseException | None] | None
        ]
        self._handoff = queue.Queue(maxsize=1)
        self._rate = 0.0  # recent insert throughput, rows/s (EWMA)
        self._batches = self._spans_written = self._evals_written = self._failures = 0
        self._last_spans = 0
        self._last_seconds = 0.0

    # ---- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        with self._cond:
            if self._state == "running":
                return
            if self._state != "new":
                raise RuntimeError("a stopped BatchWriter cannot be restarted")
            self._state = "running"
            self._threads = [
                threading.Thread(target=self._collect, name="llmpulse-writer-encode", daemon=True),
                threading.Thread(target=self._insert, name="llmpulse-writer-insert", daemon=True),
            ]
            for thread in self._threads:
                thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Refuse new writes, insert everything pending, then end the threads."""
        with self._cond:
            if self._state in ("new", "stopped"):
                self._state = "stopped"
                return
            self._state = "stopping"
            self._cond.notify_all()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    # ---- writing -----------------------------------------------------------------

    async def write(self, spans: Sequence[SpanRow], evaluations: Sequence[EvaluationRow]) -> None:
        """Return once the batch holding these rows is inserted.

        Raises ``WriterOverloaded`` (queue full, nothing queued) or
        ``StorageUnavailable`` (the insert failed or the writer is not running).
        """
        if not spans and not evaluations:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def done(error: BaseException | None) -> None:
            # A closed loop means nobody is waiting anymore.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, error)

        self._enqueue(spans, evaluations, done)
        await future

    def write_sync(
        self,
        spans: Sequence[SpanRow],
        evaluations: Sequence[EvaluationRow] = (),
        timeout: float | None = None,
    ) -> None:
        """Blocking ``write()`` for threads without an event loop (CLI, demo, tests)."""
        if not spans and not evaluations:
            return
        finished = threading.Event()
        outcome: list[BaseException | None] = []

        def done(error: BaseException | None) -> None:
            outcome.append(error)
            finished.set()

        self._enqueue(spans, evaluations, done)
        if not finished.wait(timeout):
            raise StorageUnavailable(f"the insert did not finish within {timeout}s")
        if outcome[0] is not None:
            raise outcome[0]

    @property
    def pending_spans(self) -> int:
        """Rows queued or being inserted (the queue depth)."""
        return self._pending

    def stats(self) -> WriterStats:
        with self._cond:
            return WriterStats(
                pending_spans=self._pending,
                batches_written=self._batches,
                spans_written=self._spans_written,
                evaluations_written=self._evals_written,
                insert_failures=self._failures,
                last_batch_spans=self._last_spans,
                last_insert_seconds=self._last_seconds,
            )

    # ---- internals ---------------------------------------------------------------

    def _enqueue(
        self, spans: Sequence[SpanRow], evaluations: Sequence[EvaluationRow], done: _Done
    ) -> None:
        size = len(spans) + len(evaluations)
        with self._cond:
            if self._state != "running":
                raise StorageUnavailable(f"the batch writer is not running ({self._state})")
            # A request larger than the whole budget is still taken when nothing waits.
            if self._pending and self._pending + size > self._max_pending:
                raise WriterOverloaded(
                    f"{self._pending} spans are waiting to be written (limit {self._max_pending})",
                    retry_after=self._retry_after(),
                )
            self._queue.append(_Request(spans, evaluations, size, time.monotonic(), done))
            self._pending += size
            self._queued += size
            if self._queued >= self._max_batch or len(self._queue) == 1:
                self._cond.notify_all()

    def _retry_after(self) -> float:
        if self._rate <= 0:
            return _MIN_RETRY_S
        return min(_MAX_RETRY_S, max(_MIN_RETRY_S, self._pending / self._rate))

    def _collect(self) -> None:
        """Stage 1: wait for a full or old-enough batch, take it, encode it."""
        while True:
            with self._cond:
                while not self._queue and self._state == "running":
                    self._cond.wait()
                if not self._queue:
                    break  # stopping, and everything is taken
                deadline = self._queue[0].enqueued + self._max_delay
                while self._state == "running" and self._queued < self._max_batch:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 and not self._in_flight:
                        break
                    # past the deadline: woken when the insert in flight is done
                    self._cond.wait(remaining if remaining > 0 else None)
                batch = self._take()
                self._in_flight += 1
            spans = _spans_of(batch)
            evaluations = list(itertools.chain.from_iterable(r.evaluations for r in batch))
            try:
                self._handoff.put((batch, self._store.encode(spans, evaluations), None))
            except Exception as exc:
                log.exception("encoding a batch of %d spans failed", len(spans))
                self._handoff.put((batch, None, _unavailable("encoding failed", exc)))
        self._handoff.put(None)

    def _insert(self) -> None:
        """Stage 2: insert encoded batches, then answer their waiters."""
        while (item := self._handoff.get()) is not None:
            batch, encoded, error = item
            started = time.perf_counter()
            if encoded is not None:
                error = self._insert_batch(encoded)
            seconds = time.perf_counter() - started
            spans = sum(len(r.spans) for r in batch)
            evaluations = sum(len(r.evaluations) for r in batch)
            self._record(batch, spans, evaluations, seconds, error)
            for request in batch:
                request.done(None if error is None else _fresh(error))
            if self._on_batch is not None:
                report = BatchReport(len(batch), spans, evaluations, seconds, error)
                try:
                    self._on_batch(report)
                except Exception:
                    log.exception("on_batch callback failed")
        with self._cond:
            self._state = "stopped"

    def _insert_batch(self, encoded: EncodedBatch) -> StorageUnavailable | None:
        """Insert the spans, then the evaluations, each retried on failure."""
        failure = self._insert_retried(replace(encoded, evaluations=None))
        if failure is not None:
            log.error("batch insert of %d spans failed", encoded.span_count, exc_info=failure)
            return _unavailable("insert failed", failure)
        if encoded.evaluations is None:
            return None
        failure = self._insert_retried(replace(encoded, spans=None))
        if failure is not None:
            log.error(
                "insert of %d evaluations failed; their %d spans are stored and will be "
                "stored again if the client retries",
                encoded.evaluation_count,
                encoded.span_count,
                exc_info=failure,
            )
            return _unavailable("evaluations insert failed", failure)
        return None

    def _insert_retried(self, part: EncodedBatch) -> Exception | None:
        """Insert ``part``, retrying after each ``_RETRY_WAITS``; the last error, if all fail."""
        waits = iter(_RETRY_WAITS)
        while True:
            try:
                self._store.insert_encoded(part)
                return None
            except Exception as exc:
                wait = next(waits, None)
                if wait is None:
                    return exc
                log.warning("insert failed (%s); retrying in %.1fs", exc, wait)
                time.sleep(wait)

    def _take(self) -> list[_Request]:
        batch = [self._queue.popleft()]
        total = batch[0].size
        while self._queue and total + self._queue[0].size <= self._max_batch:
            request = self._queue.popleft()
            batch.append(request)
            total += request.size
        self._queued -= total
        return batch

    def _record(
        self,
        batch: list[_Request],
        spans: int,
        evaluations: int,
        seconds: float,
        error: BaseException | None,
    ) -> None:
        rows = spans + evaluations
        with self._cond:
            self._pending -= sum(request.size for request in batch)
            self._in_flight -= 1
            self._cond.notify_all()
            self._last_seconds = seconds
            if error is not None:
                self._failures += 1
                return
            self._batches += 1
            self._spans_written += spans
            self._evals_written += evaluations
            self._last_spans = spans
            if seconds > 0:
                rate = rows / seconds
                self._rate = rate if self._rate == 0 else 0.8 * self._rate + 0.2 * rate


def _spans_of(batch: list[_Request]) -> Sequence[SpanRow]:
    """The spans of the requests of a batch in one sequence: a ``SpanBatch`` (columns
    joined list by list) when the requests hold ``SpanBatch`` es, else a list of rows."""
    if all(isinstance(request.spans, SpanBatch) for request in batch):
        return SpanBatch.concat(request.spans for request in batch)  # type: ignore[misc]
    return list(itertools.chain.from_iterable(request.spans for request in batch))


def _unavailable(what: str, exc: Exception) -> StorageUnavailable:
    error = StorageUnavailable(f"{what}: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _fresh(error: BaseException) -> BaseException:
    """One exception object per waiter: tracebacks must not be shared between tasks."""
    copy = StorageUnavailable(str(error))
    copy.__cause__ = error.__cause__
    return copy


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the waiting request was cancelled
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
