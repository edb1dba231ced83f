"""Our span processor: context attributes at start, bounded background export at end.

It wraps OpenTelemetry's own processors (``BatchSpanProcessor`` in production) and can
be added to an application's existing ``TracerProvider``; after ``shutdown()`` it goes
inert, since a provider offers no way to remove a processor.

The export queue is bounded in spans (the batch processor's queue) and in bytes
(``QueueBudget``): a span that would overflow either is dropped and counted, never
blocks the app. ``shutdown`` and ``force_flush`` return within their timeout whatever
the collector does; what is still queued at shutdown is counted as dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ._context import SCOPE
from ._errors import count, log_internal_error, log_once

__all__ = ["CountingExporter", "LlmpulseSpanProcessor", "QueueBudget", "span_bytes"]

_SPAN_OVERHEAD = 512  # bytes of a queued span besides its text attributes (estimate)


def span_bytes(span: ReadableSpan) -> int:
    """Estimated memory of a queued span: its text attributes plus a fixed overhead."""
    size = _SPAN_OVERHEAD
    attributes = span.attributes
    if attributes:
        for value in attributes.values():
            if isinstance(value, str):
                size += len(value)
    return size


class QueueBudget:
    """Bytes of spans between ``on_end`` and export, bounded by ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def reserve(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def release(self, spans: Sequence[ReadableSpan]) -> None:
        size = sum(span_bytes(s) for s in spans)
        with self._lock:
            self.used = max(self.used - size, 0)


class CountingExporter(SpanExporter):
    """Delegates to an exporter, counting exported and failed spans instead of raising."""

    def __init__(self, inner: SpanExporter, budget: QueueBudget | None = None) -> None:
        self.inner = inner
        self.budget = budget
        self._lock = threading.Lock()
        self._in_flight = 0
        self._abandoned = False

    def abandon(self) -> int:
        """Give up on the exports still running (shutdown timed out): returns how many
        spans they carry, which are then counted by the caller, not here."""
        with self._lock:
            self._abandoned = True
            return self._in_flight

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.budget is not None:
            self.budget.release(spans)  # out of the queue: success or not, they go
        with self._lock:
            self._in_flight += len(spans)
        try:
            result = self.inner.export(spans)
        except Exception as exc:
            result = SpanExportResult.FAILURE
            log_once("export-raised", "llmpulse: span exporter raised %r", exc)
        with self._lock:
            self._in_flight -= len(spans)
            if self._abandoned:
                return result
        if result is SpanExportResult.SUCCESS:
            count("spans_exported", len(spans))
        else:
            count("spans_export_failed", len(spans))
            log_once("export-failed", "llmpulse: failed to export %d spans", len(spans))
        return result

    def shutdown(self) -> None:
        try:
            self.inner.shutdown()
        except Exception:
            log_internal_error("exporter.shutdown")

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        try:
            return bool(self.inner.force_flush(timeout_millis))
        except Exception:
            log_internal_error("exporter.force_flush")
            return False


class LlmpulseSpanProcessor(SpanProcessor):
    """Adds ``llmpulse.context()`` attributes to spans and hands ended spans to ``inner``."""

    def __init__(
        self,
        inner: SpanProcessor,
        *,
        budget: QueueBudget | None = None,
        shutdown_timeout: float = 3.0,
        export_filter: Callable[[ReadableSpan], bool] | None = None,
    ) -> None:
        self.inner = inner
        self.closed = False
        self.shutdown_timeout = shutdown_timeout
        self.export_filter = export_filter  # None: export every span
        # The batch processor's bounded queue, to count what it drops (None if unknown).
        self._batch: Any = getattr(inner, "_batch_processor", None)
        self._queue: Any = getattr(self._batch, "_queue", None)
        self._max_queue = getattr(self._queue, "maxlen", None)
        self._budget = budget if self._queue is not None else None

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if self.closed:
            return
        try:
            scope = SCOPE.get()
            if scope is not None and scope.attributes:
                span.set_attributes(scope.attributes)
        except Exception:
            log_internal_error("processor.on_start")

    def on_end(self, span: ReadableSpan) -> None:
        if self.closed:
            return
        try:
            if self.export_filter is not None and not self.export_filter(span):
                return
            queue = self._queue
            if queue is not None:
                budget = self._budget
                if (self._max_queue and len(queue) >= self._max_queue) or (
                    budget is not None and not budget.reserve(span_bytes(span))
                ):
                    self._drop()
                    return
            self.inner.on_end(span)
        except Exception:
            log_internal_error("processor.on_end")

    def _drop(self) -> None:
        count("spans_dropped")
        log_once(
            "queue-full",
            "llmpulse: export queue full (%d spans or %d bytes); dropping spans",
            self._max_queue or 0,
            self._budget.limit if self._budget is not None else 0,
        )

    def shutdown(self, timeout_millis: int | None = None) -> None:
        """Send what is queued for up to ``timeout_millis`` (default: the
        ``shutdown_timeout`` setting), then stop; what is left is counted as dropped."""
        if self.closed:
            return
        self.closed = True
        millis = int(self.shutdown_timeout * 1000) if timeout_millis is None else timeout_millis
        try:
            if self._batch is not None:
                # The batch processor's own shutdown() waits 30 s whatever it is asked.
                self._batch.shutdown(timeout_millis=millis)
                left = len(self._queue) if self._queue is not None else 0
                exporter = getattr(self._batch, "_exporter", None)
                if isinstance(exporter, CountingExporter):
                    left += exporter.abandon()
                if left:
                    count("spans_dropped", left)
                    log_once(
                        "shutdown-dropped",
                        "llmpulse: %d spans not sent within the %.1f s shutdown timeout",
                        left,
                        millis / 1000,
                    )
            else:
                self.inner.shutdown()
        except Exception:
            log_internal_error("processor.shutdown")

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export what is queued; False when that did not finish within the timeout (the
        batch processor's own flush ignores it and waits for every retry)."""
        if self.closed:
            return True
        done = threading.Event()
        result: list[bool] = [False]

        def run() -> None:
            try:
                result[0] = bool(self.inner.force_flush(timeout_millis))
            except Exception:
                log_internal_error("processor.force_flush")
            finally:
                done.set()

        threading.Thread(target=run, name="llmpulse-flush", daemon=True).start()
        return done.wait(timeout_millis / 1000) and result[0]
