"""Our span processor: context attributes at start, bounded background export at end.

It wraps OpenTelemetry's own processors (``BatchSpanProcessor`` in production) and can
be added to an application's existing ``TracerProvider``; after ``shutdown()`` it goes
inert, since a provider offers no way to remove a processor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ._context import SCOPE
from ._errors import count, log_internal_error, log_once

__all__ = ["CountingExporter", "LlmpulseSpanProcessor"]


class CountingExporter(SpanExporter):
    """Delegates to an exporter, counting exported and failed spans instead of raising."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.inner.export(spans)
        except Exception as exc:
            result = SpanExportResult.FAILURE
            log_once("export-raised", "llmpulse: span exporter raised %r", exc)
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
        self, inner: SpanProcessor, export_filter: Callable[[ReadableSpan], bool] | None = None
    ) -> None:
        self.inner = inner
        self.closed = False
        self.export_filter = export_filter  # None: export every span
        # The batch processor's bounded queue, to count what it drops (None if unknown).
        batch = getattr(inner, "_batch_processor", None)
        self._queue: Any = getattr(batch, "_queue", None)
        self._max_queue = getattr(self._queue, "maxlen", None)

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
            if queue is not None and self._max_queue and len(queue) >= self._max_queue:
                count("spans_dropped")
                log_once(
                    "queue-full",
                    "llmpulse: export queue full (%d spans); dropping spans",
                    self._max_queue,
                )
            self.inner.on_end(span)
        except Exception:
            log_internal_error("processor.on_end")

    def shutdown(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.inner.shutdown()
        except Exception:
            log_internal_error("processor.shutdown")

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        if self.closed:
            return True
        try:
            return bool(self.inner.force_flush(timeout_millis))
        except Exception:
            log_internal_error("processor.force_flush")
            return False
