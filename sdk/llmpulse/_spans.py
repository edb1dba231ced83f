"""The one place where an llmpulse span opens, records and closes.

``observe`` and ``span()`` both go through ``open_span`` and ``LiveSpan``; they differ
only in who calls what when.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from ._content import JSON_MIME, TEXT_MIME
from ._errors import log_internal_error, log_once
from ._evals import Check, run_checks
from ._llm import arguments_fields, llm_attributes, response_fields
from ._state import HOLDER, Runtime
from .semconv import (
    ATTR_GEN_AI_OPERATION_NAME,
    ATTR_GEN_AI_REQUEST_MODEL,
    ATTR_GEN_AI_TOOL_NAME,
    ATTR_INPUT_MIME_TYPE,
    ATTR_INPUT_VALUE,
    ATTR_OUTPUT_MIME_TYPE,
    ATTR_OUTPUT_VALUE,
    ATTR_SPAN_TYPE,
    ATTR_TIME_TO_FIRST_TOKEN_MS,
    SPAN_TYPES,
    SpanType,
)

__all__ = ["LiveSpan", "SpanHandle", "open_span", "span", "static_attributes"]

_NOTHING: Final = object()
_OPERATION: Final = {"llm": "chat", "embedding": "embeddings", "agent": "invoke_agent"}


def static_attributes(name: str, span_type: str) -> dict[str, AttributeValue]:
    """Attributes known before the call: the span type and, for GenAI types, the operation."""
    if span_type not in SPAN_TYPES:
        log_once(
            f"span-type:{span_type}", "llmpulse: unknown span_type %r, using 'other'", span_type
        )
        span_type = "other"
    attributes: dict[str, AttributeValue] = {ATTR_SPAN_TYPE: span_type}
    if span_type in _OPERATION:
        attributes[ATTR_GEN_AI_OPERATION_NAME] = _OPERATION[span_type]
    elif span_type == "tool":
        attributes[ATTR_GEN_AI_OPERATION_NAME] = "execute_tool"
        attributes[ATTR_GEN_AI_TOOL_NAME] = name
    return attributes


class LiveSpan:
    """An open, recording span plus the runtime that made it.

    Our own attributes are collected in ``pending`` and set in one call when the span
    ends (nothing is exported before that), which halves the per-span locking and
    validation work in the OpenTelemetry SDK.
    """

    __slots__ = (
        "context",
        "first_item_ns",
        "llm",
        "pending",
        "recording",
        "runtime",
        "span",
        "start_ns",
    )

    def __init__(self, runtime: Runtime, span: trace.Span, llm: bool) -> None:
        self.runtime = runtime
        self.span = span
        self.llm = llm
        # A sampled-out span records nothing, but is still made current so that the
        # spans started inside inherit the decision: a trace is kept or dropped whole.
        self.recording = span.is_recording()
        self.context = trace.set_span_in_context(span)
        self.start_ns = 0  # set by the generator wrappers, for time to first item
        self.first_item_ns = 0
        self.pending: dict[str, AttributeValue] = {}

    def set_input(self, value: Any) -> None:
        policy = self.runtime.policy
        if policy.capture:
            self.pending[ATTR_INPUT_VALUE] = policy.json(value)
            self.pending[ATTR_INPUT_MIME_TYPE] = JSON_MIME

    def set_llm_arguments(self, arguments: Mapping[str, Any]) -> None:
        """``model=`` / ``messages=`` arguments of an llm function as GenAI attributes."""
        fields = arguments_fields(arguments)
        if fields:
            self.pending.update(llm_attributes(self.runtime.policy, **fields))

    def set_output(self, value: Any, capture: bool = True) -> None:
        policy = self.runtime.policy
        pending = self.pending
        if capture and policy.capture:
            if isinstance(value, str):
                pending[ATTR_OUTPUT_VALUE] = policy.text(value)
                pending[ATTR_OUTPUT_MIME_TYPE] = TEXT_MIME
            else:
                pending[ATTR_OUTPUT_VALUE] = policy.json(value)
                pending[ATTR_OUTPUT_MIME_TYPE] = JSON_MIME
        if self.llm:
            fields = response_fields(value)
            if fields:
                if ATTR_GEN_AI_REQUEST_MODEL not in pending:
                    fields.setdefault("model", fields.get("response_model"))
                # What the code recorded itself (llmpulse.record_llm) wins.
                recorded = getattr(self.span, "attributes", None) or {}
                for key, attr in llm_attributes(policy, **fields).items():
                    if key not in recorded:
                        pending[key] = attr

    def record_llm(self, fields: Mapping[str, Any]) -> None:
        self.pending.update(llm_attributes(self.runtime.policy, **fields))

    def first_item(self) -> None:
        self.first_item_ns = now = time.perf_counter_ns()
        self.pending[ATTR_TIME_TO_FIRST_TOKEN_MS] = (now - self.start_ns) / 1e6

    def end(self) -> None:
        if not self.recording:
            return
        try:
            pending = self.pending
            if pending:
                # What the code set on the span itself (current_span().update(output=...),
                # record_llm) wins over what was collected along the way.
                existing = getattr(self.span, "attributes", None)
                if existing:
                    pending = {k: v for k, v in pending.items() if k not in existing}
                self.span.set_attributes(pending)
        finally:
            self.span.end()

    def finish(self, output: Any, capture_output: bool, checks: Sequence[Check]) -> None:
        """Record the output and run the checks, then end the span."""
        if not self.recording:
            return
        try:
            self.set_output(output, capture_output)
            if checks:
                run_checks(self.span, self.runtime.policy, checks, output)
        except Exception:
            log_internal_error("span.finish")
        finally:
            self.end()

    def fail(self, exc: BaseException, partial: Any = _NOTHING, capture: bool = True) -> None:
        """Record an exception (status ERROR + exception event), then end the span.

        ``partial``: what a generator yielded before failing, recorded as the output.
        """
        if not self.recording:
            return
        try:
            if partial is not _NOTHING:
                self.set_output(partial, capture)
            self.span.record_exception(exc, escaped=True)
            self.span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        except Exception:
            log_internal_error("span.fail")
        finally:
            self.end()


def open_span(
    runtime: Runtime,
    name: str,
    attributes: dict[str, AttributeValue],
    llm: bool,
    new_trace: bool = False,
) -> LiveSpan:
    """Start a span under the current context (check ``.recording`` before recording);
    with ``new_trace``, as the root of a new trace linked to the current span."""
    if new_trace:
        current = trace.get_current_span().get_span_context()
        links = [trace.Link(current)] if current.is_valid else None
        started = runtime.tracer.start_span(name, context=otel_context.Context(), links=links)
    else:
        started = runtime.tracer.start_span(name)
    live = LiveSpan(runtime, started, llm)
    if live.recording:
        live.pending.update(attributes)  # set with the rest when the span ends
    return live


class SpanHandle:
    """``llmpulse.span(...)``: a span as a ``with`` / ``async with`` block.

    Methods are safe to call whether or not llmpulse is configured or the span sampled.
    """

    __slots__ = ("_attributes", "_live", "_name", "_new_trace", "_token")

    def __init__(
        self,
        name: str,
        span_type: SpanType = "chain",
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        new_trace: bool = False,
    ) -> None:
        self._name = name
        self._new_trace = new_trace
        self._attributes = static_attributes(name, span_type)
        if attributes:
            self._attributes.update(attributes)
        self._live: LiveSpan | None = None
        self._token: object = None

    # --- recording ------------------------------------------------------------------
    def set_input(self, value: Any) -> None:
        """Record ``value`` as the span's input (JSON, redacted, truncated)."""
        if self._live is not None and self._live.recording:
            try:
                self._live.set_input(value)
            except Exception:
                log_internal_error("span.set_input")

    def set_output(self, value: Any) -> None:
        """Record ``value`` as the output; for ``llm`` spans, read usage from a response."""
        if self._live is not None and self._live.recording:
            try:
                self._live.set_output(value)
            except Exception:
                log_internal_error("span.set_output")

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        """Set one span attribute (a str, bool, int, float or a sequence of one of those)."""
        if self._live is not None and self._live.recording:
            try:
                self._live.span.set_attribute(key, value)
            except Exception:
                log_internal_error("span.set_attribute")

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Set several span attributes at once."""
        if self._live is not None and self._live.recording:
            try:
                self._live.span.set_attributes(attributes)
            except Exception:
                log_internal_error("span.set_attributes")

    def add_event(self, name: str, attributes: Mapping[str, AttributeValue] | None = None) -> None:
        """Add a timestamped event to this span."""
        if self._live is not None and self._live.recording:
            try:
                self._live.span.add_event(name, attributes)
            except Exception:
                log_internal_error("span.add_event")

    def record_llm(self, *, model: str, **fields: Any) -> None:
        """Like ``llmpulse.record_llm`` but on this span."""
        if self._live is not None and self._live.recording:
            try:
                self._live.record_llm({"model": model, **fields})
            except Exception:
                log_internal_error("span.record_llm")

    @property
    def trace_id(self) -> str | None:
        """This span's trace id (32 hex digits), or None when not recorded."""
        if self._live is None or not self._live.recording:
            return None
        return format(self._live.span.get_span_context().trace_id, "032x")

    @property
    def span_id(self) -> str | None:
        """This span's id (16 hex digits), or None when not recorded."""
        if self._live is None or not self._live.recording:
            return None
        return format(self._live.span.get_span_context().span_id, "016x")

    # --- context manager ------------------------------------------------------------
    def __enter__(self) -> SpanHandle:
        runtime = HOLDER.runtime
        if runtime is None:
            return self
        try:
            llm = self._attributes.get(ATTR_SPAN_TYPE) == "llm"
            self._live = open_span(runtime, self._name, self._attributes, llm, self._new_trace)
            self._token = otel_context.attach(self._live.context)
        except Exception:
            log_internal_error("span.enter")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        live, self._live = self._live, None
        if live is None:
            return
        token, self._token = self._token, None
        if token is not None:
            otel_context.detach(token)  # type: ignore[arg-type]
        if exc is not None:
            live.fail(exc)
        else:
            try:
                live.end()
            except Exception:
                log_internal_error("span.exit")

    async def __aenter__(self) -> SpanHandle:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def span(
    name: str,
    span_type: SpanType = "chain",
    *,
    attributes: Mapping[str, AttributeValue] | None = None,
    new_trace: bool = False,
) -> SpanHandle:
    """Open a span for a block: ``with llmpulse.span("retrieve", "retrieval") as s: ...``.

    ``new_trace=True``: the block starts a trace of its own, linked to the current span
    (a background job started from a request, one trace per item of a batch...).
    """
    return SpanHandle(name, span_type, attributes=attributes, new_trace=new_trace)
