"""``llmpulse.current_span()``: a handle on the span that is current where it is called.

Update what the span says from inside the code it traces: its output (it wins over the
return value ``@observe`` would record), input, metadata, attributes, events, and an
LLM call's details. Every method is safe to call when nothing is configured, outside
any span, or in a span not sampled: it then does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from ._errors import log_internal_error
from ._llm import llm_attributes
from ._state import HOLDER, Runtime
from .semconv import (
    ATTR_INPUT_MIME_TYPE,
    ATTR_INPUT_VALUE,
    ATTR_METADATA_PREFIX,
    ATTR_OUTPUT_MIME_TYPE,
    ATTR_OUTPUT_VALUE,
)

__all__ = ["CurrentSpan", "current_span"]

_UNSET: Final[Any] = object()


class CurrentSpan:
    """A span to update: ``llmpulse.current_span().update(output=..., metadata={...})``."""

    __slots__ = ("_runtime", "_span")

    def __init__(self, runtime: Runtime | None, span: trace.Span) -> None:
        self._runtime = runtime
        self._span = span

    def _live(self) -> Runtime | None:
        return self._runtime if self._runtime is not None and self._span.is_recording() else None

    def update(
        self,
        *,
        input: Any = _UNSET,
        output: Any = _UNSET,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Set the input, the output (wins over a function's return value) and metadata
        (``llmpulse.metadata.<key>``, strings; other values as JSON)."""
        runtime = self._live()
        if runtime is None:
            return
        try:
            policy = runtime.policy
            attributes: dict[str, AttributeValue] = {}
            if policy.capture:
                for value, key, mime in (
                    (input, ATTR_INPUT_VALUE, ATTR_INPUT_MIME_TYPE),
                    (output, ATTR_OUTPUT_VALUE, ATTR_OUTPUT_MIME_TYPE),
                ):
                    if value is not _UNSET:
                        attributes[key], attributes[mime] = policy.value(value)
            for name, value in (metadata or {}).items():
                text = value if isinstance(value, str) else policy.json(value)
                attributes[f"{ATTR_METADATA_PREFIX}{name}"] = text
            self._span.set_attributes(attributes)
        except Exception:
            log_internal_error("current_span.update")

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        """Set one attribute (a str, bool, int, float or a sequence of one of those)."""
        self.set_attributes({key: value})

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Set several attributes at once."""
        if self._live() is None:
            return
        try:
            self._span.set_attributes(attributes)
        except Exception:
            log_internal_error("current_span.set_attributes")

    def add_event(self, name: str, attributes: Mapping[str, AttributeValue] | None = None) -> None:
        """Add a timestamped event (a span event, exported with the span)."""
        if self._live() is None:
            return
        try:
            self._span.add_event(name, attributes)
        except Exception:
            log_internal_error("current_span.add_event")

    def record_llm(self, *, model: str, **fields: Any) -> None:
        """Like ``llmpulse.record_llm`` (model, usage, messages…) on this span."""
        runtime = self._live()
        if runtime is None:
            return
        try:
            self._span.set_attributes(llm_attributes(runtime.policy, model=model, **fields))
        except Exception:
            log_internal_error("current_span.record_llm")

    @property
    def trace_id(self) -> str | None:
        """The trace id (32 hex digits), or None when not recorded."""
        if self._live() is None:
            return None
        return format(self._span.get_span_context().trace_id, "032x")

    @property
    def span_id(self) -> str | None:
        """The span id (16 hex digits), or None when not recorded."""
        if self._live() is None:
            return None
        return format(self._span.get_span_context().span_id, "016x")


def current_span() -> CurrentSpan:
    """The span current here (an ``@observe`` function's, a ``with llmpulse.span()``
    block's, or any OpenTelemetry span), as a handle to update."""
    return CurrentSpan(HOLDER.runtime, trace.get_current_span())
