"""Assert on llmpulse spans in your own tests.

    from llmpulse.testing import capture_spans

    def test_answer():
        with capture_spans() as capture:
            answer("hi")
        assert capture.spans[0].name == "answer"

or, with ``pytest_plugins = ["llmpulse.testing"]`` in your top-level conftest.py,
the ``llmpulse_spans`` fixture::

    def test_answer(llmpulse_spans):
        answer("hi")
        assert llmpulse_spans.as_dicts()[0]["attributes"]["output.value"] == "hello"

While capturing, llmpulse records to memory, synchronously, every trace kept; the
previous configuration (if any) is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ._config import close, install, sampler_for
from ._settings import resolve
from ._state import HOLDER

__all__ = ["CapturedSpans", "capture_spans", "llmpulse_spans"]

_NOISY_EVENT_ATTRIBUTES = ("exception.stacktrace",)


class CapturedSpans:
    """Finished spans, in the order they ended."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.exporter = exporter

    @property
    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def clear(self) -> None:
        self.exporter.clear()

    def by_name(self, name: str) -> ReadableSpan:
        """The one finished span called ``name``."""
        found = [s for s in self.spans if s.name == name]
        if len(found) != 1:
            raise AssertionError(f"expected one span named {name!r}, found {len(found)}")
        return found[0]

    def as_dicts(self) -> list[dict[str, Any]]:
        """Spans as plain dicts, stable across runs: ids are numbered in order of
        appearance (trace 1, 2…; span 1, 2…), times and stack traces are left out.
        """
        trace_ids: dict[int, int] = {}
        span_ids: dict[int, int] = {}

        def number(ids: dict[int, int], value: int) -> int:
            return ids.setdefault(value, len(ids) + 1)

        spans = self.spans
        for s in sorted(spans, key=lambda s: s.start_time or 0):
            assert s.context is not None
            number(trace_ids, s.context.trace_id)
            number(span_ids, s.context.span_id)
        out = []
        for s in spans:
            assert s.context is not None
            out.append(
                {
                    "name": s.name,
                    "trace": number(trace_ids, s.context.trace_id),
                    "span": number(span_ids, s.context.span_id),
                    "parent": number(span_ids, s.parent.span_id) if s.parent else None,
                    "status": s.status.status_code.name,
                    "attributes": dict(s.attributes or {}),
                    "events": [
                        {
                            "name": e.name,
                            "attributes": {
                                k: v
                                for k, v in (e.attributes or {}).items()
                                if k not in _NOISY_EVENT_ATTRIBUTES
                            },
                        }
                        for e in s.events
                    ],
                }
            )
        return out


@contextmanager
def capture_spans(
    *,
    capture_content: bool = True,
    max_content_chars: int | None = None,
    redact: Callable[[str], str] | None = None,
    redact_builtin: bool = True,
    sample_rate: float = 1.0,
) -> Iterator[CapturedSpans]:
    """Record llmpulse spans in memory for the duration of the ``with`` block."""
    exporter = InMemorySpanExporter()
    settings = resolve(
        {
            "capture_content": capture_content,
            "max_content_chars": max_content_chars,
            "redact": redact,
            "redact_builtin": redact_builtin,
            "sample_rate": sample_rate,
        },
        environ={},
    )
    provider = TracerProvider(sampler=sampler_for(settings.sample_rate), shutdown_on_exit=False)
    previous = install(
        settings,
        tracer_provider=provider,
        processor=SimpleSpanProcessor(exporter),
        feedback=False,
        key=("capture", id(exporter)),
    )
    try:
        yield CapturedSpans(exporter)
    finally:
        mine, HOLDER.runtime = HOLDER.runtime, previous
        if mine is not None:
            close(mine)
        provider.shutdown()


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed for the fixture
    pass
else:

    @pytest.fixture
    def llmpulse_spans() -> Iterator[CapturedSpans]:
        """Spans recorded by llmpulse during the test (see ``capture_spans``)."""
        with capture_spans() as captured:
            yield captured
