"""The batch writer: group commit of concurrent ingest requests into large inserts.

Every ``write()`` queues its rows and waits. A background thread takes everything
queued (up to ``max_batch_spans``) and encodes it (Arrow, CPU only); a second thread
inserts the spans and then the evaluations and wakes every waiter of that batch: with
success only after the insert returned (inserts are synchronous, so the rows are then
visible to queries), or with an error (nothing of that request is acknowledged).

When to take a batch: once it is full, or once its oldest rows have waited
``max_delay_s`` *and* no earlier batch is still being inserted. Every insert has a
fixed cost (tens of ms, and one more part for the database to merge), so while one
runs the queue keeps filling instead of being cut into small batches: under load,
batches grow to whatever arrived during the previous insert. Full batches are taken
at once, so then the next batch is encoded while the database (which releases the
GIL) stores the previous one.

Backpressure, answered rather than timed out:

- Memory: when the queued and in-flight rows would exceed ``max_pending_spans``,
  ``write()`` raises ``WriterOverloaded`` at once, with a suggested ``retry_after``
  (the backlog divided by the recent insert rate). Evaluation rows count as spans.
- Time: a ``write()`` has a deadline (``max_wait_s`` after it is queued, or the
  caller's). A request still queued at its deadline is taken out of the queue and
  answered ``WriterOverloaded``: it is never stored later, so the client's retry
  cannot store it twice. A request already taken into a batch waits for its insert.
  ``admit()`` tells callers before they spend CPU on a request that it would be late.

Failures stay with the request that caused them:

- A batch that fails to encode (a value Arrow cannot hold) or that the database
  rejects (it answered with an error: bad data, not "unreachable") is split in two,
  and each half is stored on its own, down to single requests. A request that cannot
  be encoded on its own gets ``SpansRejected``; one the database rejects on its own
  gets ``SpansRejected`` when other requests of the batch were stored (its data is the
  problem), else ``StorageUnavailable`` (the database may be refusing everything).
- A failed insert for any other reason (the database unreachable, an answer lost on
  the way back) is retried (``_RETRY_WAITS``) with the batch's deduplication token, so
  rows that were stored although the insert reported an error are not stored twice,
  then the batch fails with ``StorageUnavailable``. When the spans were stored and
  the evaluations insert keeps failing, the client's retry finds its spans stored and
  drops them with their evaluations (below): those evaluations are lost.

Span identity is idempotent: before each insert, spans whose (project, trace id,
span id) is already stored, or comes earlier in the same insert, are dropped
(``span_identity``), and so are the evaluations that came with a dropped span. A
client's retry after a lost answer is acknowledged without storing anything twice.
Two collectors storing the same span at the same moment can still both store it.
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

import pyarrow as pa
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from llmpulse_collector.model import EvaluationRow, SpanBatch, SpanRow
from llmpulse_collector.store._arrow import EncodedBatch
from llmpulse_collector.store.errors import SpansRejected, StorageUnavailable, WriterOverloaded
from llmpulse_collector.store.span_identity import (
    SpanKey,
    evaluation_keys,
    identity_table,
    keep_mask,
    span_keys,
)

__all__ = ["BatchReport", "BatchWriter", "RowSink", "WriterStats"]

log = logging.getLogger("llmpulse.collector.writer")

_MIN_RETRY_S, _MAX_RETRY_S = 1.0, 30.0
# Waits before each new attempt at a failed insert (same token: nothing stored twice).
_RETRY_WAITS = (0.1, 0.5, 2.0)

_Done = Callable[[BaseException | None], None]
_Outcome = BaseException | None


class RowSink(Protocol):
    """Where batches go: a ``Store`` (or a wrapper of one, in tests)."""

    def encode(
        self, spans: Sequence[SpanRow], evaluations: Sequence[EvaluationRow]
    ) -> EncodedBatch: ...

    def insert_encoded(self, batch: EncodedBatch) -> None: ...

    def stored_span_keys(self, spans: pa.Table) -> set[SpanKey]: ...


@dataclass(frozen=True, slots=True)
class BatchReport:
    """One insert, as passed to ``on_batch`` (e.g. to feed Prometheus histograms).
    ``error`` is the first error of the batch's requests (``None``: all stored)."""

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
    spans_written: int  # acknowledged, duplicates included
    evaluations_written: int
    insert_failures: int  # batches with at least one request failed
    last_batch_spans: int
    last_insert_seconds: float
    duplicate_spans: int = 0  # dropped because their identity was already stored
    expired_requests: int = 0  # refused at their deadline, never stored


@dataclass(slots=True, eq=False)
class _Request:
    spans: Sequence[SpanRow]
    evaluations: Sequence[EvaluationRow]
    size: int
    enqueued: float
    deadline: float | None
    done: _Done
    state: str = "queued"  # -> taken | expired


@dataclass(slots=True)
class _Batch:
    """Requests taken together, their rows joined, and the rows encoded (``None``:
    encoding failed)."""

    requests: list[_Request]
    spans: Sequence[SpanRow]
    evaluations: list[EvaluationRow]
    encoded: EncodedBatch | None


class _Rejected(Exception):
    """Internal: the database answered an insert with an error. Becomes
    ``SpansRejected`` when other requests of the batch were stored, else
    ``StorageUnavailable``."""


class BatchWriter:
    """Group-commits rows into ``store``; see the module docstring. Thread-safe."""

    def __init__(
        self,
        store: RowSink,
        *,
        max_batch_spans: int = 65_536,
        max_delay_s: float = 0.02,
        max_pending_spans: int = 200_000,
        max_wait_s: float | None = None,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        if max_batch_spans < 1 or max_pending_spans < 1 or max_delay_s < 0:
            raise ValueError("max_batch_spans and max_pending_spans must be >= 1, delay >= 0")
        if max_wait_s is not None and max_wait_s <= 0:
            raise ValueError("max_wait_s must be > 0 (or None: no deadline)")
        self._store = store
        self._max_batch = max_batch_spans
        self._max_delay = max_delay_s
        self._max_pending = max_pending_spans
        self._max_wait = max_wait_s
        self._on_batch = on_batch
        self._cond = threading.Condition()
        self._queue: deque[_Request] = deque()
        self._pending = 0  # queued + in flight
        self._queued = 0
        self._in_flight = 0  # batches taken and not yet inserted
        self._state = "new"  # new -> running -> stopping -> stopped
        self._threads: list[threading.Thread] = []
        # batches on their way to the inserting thread; None ends it
        self._handoff: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
        self._rate = 0.0  # recent insert throughput, rows/s (EWMA)
        self._batches = self._spans_written = self._evals_written = self._failures = 0
        self._duplicates = self._expired = 0
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

    def admit(self) -> None:
        """Raise ``WriterOverloaded`` when a request arriving now would be refused or
        late: the pending rows are at the limit, or the oldest queued request has
        already waited half of ``max_wait_s``. Callers check this before decoding a
        request, so that overload costs no CPU."""
        with self._cond:
            if self._pending >= self._max_pending:
                raise WriterOverloaded(
                    f"{self._pending} spans are waiting to be written (limit {self._max_pending})",
                    retry_after=self._retry_after(),
                )
            if self._max_wait is not None and self._queue:
                waited = time.monotonic() - self._queue[0].enqueued
                if waited >= self._max_wait / 2:
                    raise WriterOverloaded(
                        f"requests are waiting {waited:.1f}s to be written "
                        f"(deadline {self._max_wait:g}s)",
                        retry_after=self._retry_after(),
                    )

    async def write(
        self,
        spans: Sequence[SpanRow],
        evaluations: Sequence[EvaluationRow],
        *,
        deadline: float | None = None,
    ) -> None:
        """Return once the batch holding these rows is inserted.

        ``deadline`` (``time.monotonic()``; default ``max_wait_s`` from now) is when the
        request, if not yet taken into a batch, is dropped from the queue.

        Raises ``WriterOverloaded`` (queue full, or the deadline passed: nothing stored),
        ``SpansRejected`` (these rows cannot be stored; the others of the batch were)
        or ``StorageUnavailable`` (the insert failed or the writer is not running).
        """
        if not spans and not evaluations:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def done(error: BaseException | None) -> None:
            # A closed loop means nobody is waiting anymore.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, error)

        if deadline is None and self._max_wait is not None:
            deadline = time.monotonic() + self._max_wait
        request = self._enqueue(spans, evaluations, done, deadline)
        if deadline is None:
            await future
            return
        try:
            await asyncio.wait_for(asyncio.shield(future), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            if self._withdraw(request):
                raise self._expired_error() from None
            await future  # already being inserted: its outcome is the answer

    def write_sync(
        self,
        spans: Sequence[SpanRow],
        evaluations: Sequence[EvaluationRow] = (),
        timeout: float | None = None,
    ) -> None:
        """Blocking ``write()`` for threads without an event loop (CLI, demo, tests).
        No deadline: the rows wait in the queue for as long as it takes."""
        if not spans and not evaluations:
            return
        finished = threading.Event()
        outcome: list[BaseException | None] = []

        def done(error: BaseException | None) -> None:
            outcome.append(error)
            finished.set()

        self._enqueue(spans, evaluations, done, None)
        if not finished.wait(timeout):
            raise StorageUnavailable(f"the insert did not finish within {timeout}s")
        if outcome[0] is not None:
            raise outcome[0]

    @property
    def pending_spans(self) -> int:
        """Rows queued or being inserted (the queue depth)."""
        return self._pending

    def retry_after(self) -> float:
        """Seconds a refused client should wait: the backlog at the recent insert rate."""
        with self._cond:
            return self._retry_after()

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
                duplicate_spans=self._duplicates,
                expired_requests=self._expired,
            )

    # ---- queueing ----------------------------------------------------------------

    def _enqueue(
        self,
        spans: Sequence[SpanRow],
        evaluations: Sequence[EvaluationRow],
        done: _Done,
        deadline: float | None,
    ) -> _Request:
        size = len(spans) + len(evaluations)
        now = time.monotonic()
        with self._cond:
            if self._state != "running":
                raise StorageUnavailable(f"the batch writer is not running ({self._state})")
            # A request larger than the whole budget is still taken when nothing waits.
            if self._pending and self._pending + size > self._max_pending:
                raise WriterOverloaded(
                    f"{self._pending} spans are waiting to be written (limit {self._max_pending})",
                    retry_after=self._retry_after(),
                )
            if deadline is not None and deadline <= now:
                self._expired += 1
                raise self._expired_error()
            request = _Request(spans, evaluations, size, now, deadline, done)
            self._queue.append(request)
            self._pending += size
            self._queued += size
            if self._queued >= self._max_batch or len(self._queue) == 1:
                self._cond.notify_all()
            return request

    def _withdraw(self, request: _Request) -> bool:
        """Take a request that reached its deadline out of the queue; False when it was
        already taken into a batch (it will be stored)."""
        with self._cond:
            if request.state != "queued":
                return False
            self._queue.remove(request)
            self._drop(request)
            return True

    def _drop(self, request: _Request) -> None:
        """Forget a queued request that expired (the lock is held)."""
        request.state = "expired"
        self._queued -= request.size
        self._pending -= request.size
        self._expired += 1

    def _expired_error(self) -> WriterOverloaded:
        return WriterOverloaded(
            "the collector could not store the request in time; nothing of it was stored",
            retry_after=self._retry_after(),
        )

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
                fill_until = self._queue[0].enqueued + self._max_delay
                while self._state == "running" and self._queued < self._max_batch:
                    remaining = fill_until - time.monotonic()
                    if remaining <= 0 and not self._in_flight:
                        break
                    # past the fill time: woken when the insert in flight is done
                    self._cond.wait(remaining if remaining > 0 else None)
                taken, expired = self._take()
                if taken:
                    self._in_flight += 1
            for request in expired:
                request.done(self._expired_error())
            if not taken:
                continue
            spans = _spans_of(taken)
            evaluations = _evaluations_of(taken)
            try:
                encoded: EncodedBatch | None = self._store.encode(spans, evaluations)
            except Exception:
                log.warning("encoding a batch of %d spans failed; isolating", len(spans))
                encoded = None
            self._handoff.put(_Batch(taken, spans, evaluations, encoded))
        self._handoff.put(None)

    def _take(self) -> tuple[list[_Request], list[_Request]]:
        """The next batch, and the requests dropped at their deadline (lock held)."""
        taken: list[_Request] = []
        expired: list[_Request] = []
        total = 0
        now = time.monotonic()
        while self._queue:
            head = self._queue[0]
            if head.deadline is not None and head.deadline <= now:
                self._queue.popleft()
                self._drop(head)
                expired.append(head)
                continue
            if taken and total + head.size > self._max_batch:
                break
            self._queue.popleft()
            head.state = "taken"
            taken.append(head)
            total += head.size
        self._queued -= total
        return taken, expired

    # ---- storing -----------------------------------------------------------------

    def _insert(self) -> None:
        """Stage 2: insert encoded batches, then answer their waiters."""
        while (batch := self._handoff.get()) is not None:
            started = time.perf_counter()
            outcomes = self._store_batch(batch)
            seconds = time.perf_counter() - started
            self._record(batch.requests, outcomes, seconds)
            for request, error in zip(batch.requests, outcomes, strict=True):
                request.done(None if error is None else _fresh(error))
            if self._on_batch is not None:
                report = BatchReport(
                    len(batch.requests),
                    len(batch.spans),
                    len(batch.evaluations),
                    seconds,
                    next((error for error in outcomes if error is not None), None),
                )
                try:
                    self._on_batch(report)
                except Exception:
                    log.exception("on_batch callback failed")
        with self._cond:
            self._state = "stopped"

    def _store_batch(self, batch: _Batch) -> list[_Outcome]:
        """Store a batch; one outcome per request (``None``: stored)."""
        outcomes = self._store_part(batch.requests, batch.spans, batch.evaluations, batch.encoded)
        isolated = any(outcome is None for outcome in outcomes)
        return [_final(outcome, isolated) for outcome in outcomes]

    def _store_part(
        self,
        requests: list[_Request],
        spans: Sequence[SpanRow],
        evaluations: Sequence[EvaluationRow],
        encoded: EncodedBatch | None,
    ) -> list[_Outcome]:
        """Store some requests together; split them when their data is refused."""
        if encoded is None:
            try:
                encoded = self._store.encode(spans, evaluations)
            except Exception as exc:
                if len(requests) > 1:
                    return self._split(requests)
                log.warning("a request's spans could not be encoded: %s", exc)
                return [_rejected("the spans cannot be encoded for storage", exc)]
        try:
            part = self._without_duplicates(requests, encoded)
        except Exception as exc:
            log.exception("looking up already stored spans failed")
            return [_unavailable("looking up already stored spans failed", exc)] * len(requests)
        failure = None if part is None else self._insert_batch(part)
        if isinstance(failure, _Rejected) and len(requests) > 1:
            return self._split(requests)
        return [failure] * len(requests)

    def _split(self, requests: list[_Request]) -> list[_Outcome]:
        middle = len(requests) // 2
        outcomes: list[_Outcome] = []
        for half in (requests[:middle], requests[middle:]):
            outcomes += self._store_part(half, _spans_of(half), _evaluations_of(half), None)
        return outcomes

    def _without_duplicates(
        self, requests: list[_Request], encoded: EncodedBatch
    ) -> EncodedBatch | None:
        """``encoded`` without the spans already stored or repeated, and without the
        evaluations that came with a dropped span; ``None`` when nothing is left."""
        if encoded.spans is None:
            return encoded
        identities = identity_table(encoded.spans)
        keep = keep_mask(identities, self._store.stored_span_keys(identities))
        dropped = 0 if keep is None else keep.count(False)
        if keep is None or not dropped:
            return encoded
        with self._cond:
            self._duplicates += dropped
        keys = span_keys(identities)
        return encoded.filtered(keep, _evaluations_kept(requests, keys, keep))

    def _insert_batch(self, encoded: EncodedBatch) -> BaseException | None:
        """Insert the spans, then the evaluations, each retried on failure."""
        if encoded.spans is not None:
            failure = self._insert_retried(replace(encoded, evaluations=None))
            if failure is not None:
                log.error("batch insert of %d spans failed", encoded.span_count, exc_info=failure)
                if _is_rejection(failure):
                    rejected = _Rejected(f"{type(failure).__name__}: {failure}")
                    rejected.__cause__ = failure
                    return rejected
                return _unavailable("insert failed", failure)
        if encoded.evaluations is None:
            return None
        failure = self._insert_retried(replace(encoded, spans=None))
        if failure is not None:
            log.error(
                "insert of %d evaluations failed; their %d spans are stored",
                encoded.evaluation_count,
                encoded.span_count,
                exc_info=failure,
            )
            return _unavailable("evaluations insert failed", failure)
        return None

    def _insert_retried(self, part: EncodedBatch) -> Exception | None:
        """Insert ``part``, retrying after each ``_RETRY_WAITS``; the last error, if all
        fail. A rejection of the data is not retried."""
        waits = iter(_RETRY_WAITS)
        while True:
            try:
                self._store.insert_encoded(part)
                return None
            except Exception as exc:
                wait = None if _is_rejection(exc) else next(waits, None)
                if wait is None:
                    return exc
                log.warning("insert failed (%s); retrying in %.1fs", exc, wait)
                time.sleep(wait)

    def _record(self, requests: list[_Request], outcomes: list[_Outcome], seconds: float) -> None:
        stored = [r for r, outcome in zip(requests, outcomes, strict=True) if outcome is None]
        spans = sum(len(r.spans) for r in stored)
        evaluations = sum(len(r.evaluations) for r in stored)
        with self._cond:
            self._pending -= sum(request.size for request in requests)
            self._in_flight -= 1
            self._cond.notify_all()
            self._last_seconds = seconds
            if len(stored) < len(requests):
                self._failures += 1
            if not stored:
                return
            self._batches += 1
            self._spans_written += spans
            self._evals_written += evaluations
            self._last_spans = spans
            if seconds > 0:
                rate = (spans + evaluations) / seconds
                self._rate = rate if self._rate == 0 else 0.8 * self._rate + 0.2 * rate


def _spans_of(batch: list[_Request]) -> Sequence[SpanRow]:
    """The spans of the requests of a batch in one sequence: a ``SpanBatch`` (columns
    joined list by list) when the requests hold ``SpanBatch`` es, else a list of rows."""
    if all(isinstance(request.spans, SpanBatch) for request in batch):
        return SpanBatch.concat(request.spans for request in batch)  # type: ignore[misc]
    return list(itertools.chain.from_iterable(request.spans for request in batch))


def _evaluations_of(batch: list[_Request]) -> list[EvaluationRow]:
    return list(itertools.chain.from_iterable(request.evaluations for request in batch))


def _evaluations_kept(
    requests: list[_Request], keys: list[SpanKey], keep: list[bool]
) -> list[bool]:
    """Per evaluation of ``requests`` (in order): False when its request's span with
    that identity was dropped as a duplicate (sent again: its evaluations were too)."""
    kept: list[bool] = []
    start = 0
    for request in requests:
        own = range(start, start + len(request.spans))
        start = own.stop
        stays = {keys[i] for i in own if keep[i]}
        dropped = {keys[i] for i in own if not keep[i]} - stays
        if dropped:
            kept.extend(key not in dropped for key in evaluation_keys(request.evaluations))
        else:
            kept.extend(True for _ in request.evaluations)
    return kept


def _is_rejection(exc: BaseException) -> bool:
    """The database answered with an error (it is up and refused the data), as opposed
    to not answering (unreachable, timed out, the answer lost)."""
    return isinstance(exc, DatabaseError) and not isinstance(exc, OperationalError)


def _final(outcome: _Outcome, others_stored: bool) -> _Outcome:
    """A rejection is the request's own fault only when other requests were stored."""
    if not isinstance(outcome, _Rejected):
        return outcome
    if others_stored:
        error: BaseException = SpansRejected(f"the database rejected these spans: {outcome}")
    else:
        error = StorageUnavailable(f"insert failed: {outcome}")
    error.__cause__ = outcome.__cause__
    return error


def _rejected(what: str, exc: Exception) -> SpansRejected:
    error = SpansRejected(f"{what}: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _unavailable(what: str, exc: Exception) -> StorageUnavailable:
    error = StorageUnavailable(f"{what}: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _fresh(error: BaseException) -> BaseException:
    """One exception object per waiter: tracebacks must not be shared between tasks."""
    copy = type(error)(str(error))
    copy.__cause__ = error.__cause__
    return copy


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the waiting request was cancelled
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
