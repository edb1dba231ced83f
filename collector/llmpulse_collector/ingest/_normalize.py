"""OTLP spans to canonical ``SpanRow`` / ``EvaluationRow`` rows.

One pass over each span's attributes: every attribute goes into the bounded string
map, and the ones named in ``_conventions.KEYS`` also feed a canonical field when no
better-ranked source has. Then content, span type, tokens and cost are settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llmpulse_collector.ingest._content import IndexedMessages, dumps, with_system_instructions
from llmpulse_collector.ingest._conventions import INDEXED_PREFIXES, KEYS, MESSAGES_RANK, TAG_KEYS
from llmpulse_collector.ingest._events import SpanEvents, read_events
from llmpulse_collector.ingest._pricing import compute_cost
from llmpulse_collector.ingest._values import as_str_list, bounded, to_text, value_of
from llmpulse_collector.model import EvaluationRow, SpanRow

__all__ = ["Limits", "NormalizedBatch", "normalize"]

_KINDS: Final = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
_STATUSES: Final = ("UNSET", "OK", "ERROR")
_ZERO_TRACE: Final = bytes(16)
_ZERO_SPAN: Final = bytes(8)
_NO_RANK: Final = 99
_MAX_ERRORS: Final = 20
_EMPTY_EVENTS: Final = SpanEvents()


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one span may store."""

    max_attribute_chars: int = 8_192  # per attribute value (and event attribute value)
    max_content_chars: int = 32_768  # per input / output text
    max_attributes: int = 128  # attributes kept in the map; the rest are counted
    max_events: int = 128  # events kept in the events JSON


@dataclass(slots=True)
class NormalizedBatch:
    spans: list[SpanRow] = field(default_factory=list)
    evaluations: list[EvaluationRow] = field(default_factory=list)
    rejected: int = 0  # spans dropped for invalid ids (answer with partial_success)
    errors: list[str] = field(default_factory=list)  # why, for the first few
    unpriced: int = 0  # spans with a model and tokens but no known price


class _Scope:
    """What every span of one (resource, instrumentation scope) pair shares."""

    __slots__ = ("environment", "resource_attributes", "scope_name", "service_name")

    def __init__(self, resource: Any, scope_name: str, max_chars: int) -> None:
        attributes: dict[str, str] = {}
        for kv in resource.attributes:
            attributes[kv.key] = bounded(to_text(value_of(kv.value)), max_chars)
        # Shared by every row of the resource: nobody may mutate it.
        self.resource_attributes = attributes
        self.service_name = attributes.get("service.name", "")
        self.environment = attributes.get("deployment.environment.name") or attributes.get(
            "deployment.environment", ""
        )
        self.scope_name = scope_name


class _Run:
    """One ``normalize`` call: its settings and its results."""

    __slots__ = ("batch", "limits", "now_ns", "project_id")

    def __init__(self, project_id: str, now_ns: int, limits: Limits) -> None:
        self.project_id = project_id
        self.now_ns = now_ns
        self.limits = limits
        self.batch = NormalizedBatch()

    def reject(self, span: Any, problem: str) -> None:
        self.batch.rejected += 1
        if len(self.batch.errors) < _MAX_ERRORS:
            self.batch.errors.append(f"span {span.name[:100]!r}: {problem}")


def normalize(
    request: ExportTraceServiceRequest,
    *,
    project_id: str,
    now_ns: int,
    limits: Limits = Limits(),
) -> NormalizedBatch:
    """Normalize every span of an OTLP trace export into canonical rows."""
    run = _Run(project_id, now_ns, limits)
    append = run.batch.spans.append
    for resource_spans in request.resource_spans:
        resource = resource_spans.resource
        for scope_spans in resource_spans.scope_spans:
            scope = _Scope(resource, scope_spans.scope.name, limits.max_attribute_chars)
            for span in scope_spans.spans:
                trace_id: bytes = span.trace_id
                span_id: bytes = span.span_id
                parent: bytes = span.parent_span_id
                if len(trace_id) != 16 or trace_id == _ZERO_TRACE:
                    got = len(trace_id)
                    run.reject(span, f"trace_id must be 16 bytes, not all zero (got {got})")
                elif len(span_id) != 8 or span_id == _ZERO_SPAN:
                    run.reject(span, f"span_id must be 8 bytes, not all zero (got {len(span_id)})")
                elif parent and len(parent) != 8:
                    run.reject(span, f"parent_span_id must be empty or 8 bytes (got {len(parent)})")
                else:
                    parent_hex = parent.hex() if parent and parent != _ZERO_SPAN else ""
                    append(_span_row(span, trace_id.hex(), span_id.hex(), parent_hex, scope, run))
    return run.batch


def _span_row(
    span: Any, trace_id: str, span_id: str, parent_span_id: str, scope: _Scope, run: _Run
) -> SpanRow:
    limits = run.limits
    max_chars = limits.max_attribute_chars
    attributes: dict[str, str] = {}
    found: dict[str, Any] = {}
    ranks: dict[str, int] = {}
    tags: list[str] = []
    indexed: IndexedMessages | None = None
    room = limits.max_attributes
    keys_get = KEYS.get
    ranks_get = ranks.get

    for kv in span.attributes:
        key: str = kv.key
        any_value = kv.value
        value: object = any_value.string_value
        if value:  # most values are non-empty strings: skip the oneof dispatch
            text: str = value  # type: ignore[assignment]
        else:
            value = value_of(any_value)
            text = to_text(value)
        if room > 0:
            room -= 1
            attributes[key] = text if len(text) <= max_chars else bounded(text, max_chars)
        spec = keys_get(key)
        if spec is not None:
            name, rank, convert = spec
            if rank < ranks_get(name, _NO_RANK):
                converted = convert(value)
                if converted is not None:
                    found[name] = converted
                    ranks[name] = rank
        elif key in TAG_KEYS:
            tags.extend(tag for tag in as_str_list(value) if tag not in tags)
        elif key.startswith(INDEXED_PREFIXES):
            if indexed is None:
                indexed = IndexedMessages()
            indexed.add(key, value)
    if not room and len(span.attributes) > limits.max_attributes:
        dropped = len(span.attributes) - limits.max_attributes
        attributes["llmpulse.dropped_attributes"] = str(dropped)

    if span.events:
        events = read_events(
            span.events,
            project_id=run.project_id,
            trace_id=trace_id,
            span_id=span_id,
            max_events=limits.max_events,
            max_chars=max_chars,
        )
        if events.evaluations:
            run.batch.evaluations.extend(events.evaluations)
    else:
        events = _EMPTY_EVENTS

    if "input" in found and "output" in found and indexed is None and events is _EMPTY_EVENTS:
        input_text: str = found["input"]
        output_text: str = found["output"]
        finish_reason = ""
        if "system_instructions" in found and ranks["input"] == 1:
            input_text = with_system_instructions(input_text, found["system_instructions"])
    else:
        input_text, output_text, finish_reason = _content(found, ranks, indexed, events)

    model: str = found.get("model", "")
    input_tokens: int = found.get("input_tokens", 0)
    output_tokens: int = found.get("output_tokens", 0)
    cache_read: int = found.get("cache_read_tokens", 0)
    cache_write: int = found.get("cache_write_tokens", 0)
    if not input_tokens and "total_tokens" in found and found["total_tokens"] > output_tokens:
        input_tokens = found["total_tokens"] - output_tokens
    if cache_read + cache_write > input_tokens:
        # The producer counted input without the cached part (Anthropic's API does);
        # the GenAI conventions count it in.
        input_tokens += cache_read + cache_write

    span_type: str | None = found.get("span_type")
    if span_type is None:
        llm_like = model and (input_tokens or output_tokens or input_text or output_text)
        span_type = "llm" if llm_like else "other"

    start: int = span.start_time_unix_nano
    end: int = span.end_time_unix_nano
    cost: float | None = found.get("cost_usd")
    if cost is None and model and (input_tokens or output_tokens):
        cost = compute_cost(
            found.get("provider", ""),
            model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            at_ns=start,
        )
        if cost is None:
            run.batch.unpriced += 1

    tool_name: str = found.get("tool_name", "")
    if not tool_name and span_type == "tool":
        tool_name = found.get("entity_name", "")

    status = span.status
    status_code: int = status.code
    status_message: str = status.message
    if status_code == 2 and not status_message:
        status_message = events.exception
    kind: int = span.kind
    max_content = limits.max_content_chars

    # Positional: a 35-keyword call costs 2 µs more per span. Order = SpanRow's fields.
    return SpanRow(
        run.project_id,  # project_id
        trace_id,
        span_id,
        parent_span_id,
        span.name,  # name
        _KINDS[kind] if 0 <= kind < len(_KINDS) else "UNSPECIFIED",  # kind
        scope.service_name,
        scope.scope_name,
        scope.environment,
        start,  # start_time
        end,  # end_time
        (end - start) / 1e6 if end > start else 0.0,  # duration_ms
        _STATUSES[status_code] if 0 <= status_code < 3 else "UNSET",  # status_code
        status_message,
        span_type,
        model,
        found.get("provider", ""),  # provider
        input_tokens,
        output_tokens,
        cache_read,  # cache_read_tokens
        cache_write,  # cache_write_tokens
        found.get("reasoning_tokens", 0),  # reasoning_tokens
        cost,  # cost_usd
        found.get("time_to_first_token_ms"),  # time_to_first_token_ms
        found.get("finish_reason", "") or finish_reason,  # finish_reason
        tool_name,
        found.get("session_id", ""),  # session_id
        found.get("user_id", ""),  # user_id
        tags,
        input_text if len(input_text) <= max_content else bounded(input_text, max_content),
        output_text if len(output_text) <= max_content else bounded(output_text, max_content),
        attributes,
        scope.resource_attributes,
        events.json,  # events
        run.now_ns,  # ingested_at
    )


def _content(
    found: dict[str, Any],
    ranks: dict[str, int],
    indexed: IndexedMessages | None,
    events: SpanEvents,
) -> tuple[str, str, str]:
    """Input text, output text and a finish reason from messages, if attributes lacked them."""
    input_text: str = found.get("input", "")
    output_text: str = found.get("output", "")
    finish_reason = ""
    instructions: str | None = found.get("system_instructions")
    input_rank = ranks.get("input", _NO_RANK)
    output_rank = ranks.get("output", _NO_RANK)
    if input_rank == 1 and instructions:  # gen_ai.input.messages
        input_text = with_system_instructions(input_text, instructions)
    if input_rank <= MESSAGES_RANK and output_rank <= MESSAGES_RANK:
        return input_text, output_text, finish_reason

    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    if indexed is not None:
        inputs, outputs = indexed.build()
        if outputs:
            finish_reason = to_text(outputs[0].get("finish_reason", ""))
    content = events.content
    details = content.details
    if input_rank > MESSAGES_RANK:
        detail = details.get("gen_ai.input.messages")
        messages = ""
        if detail is not None:
            messages = to_text(detail)
        elif inputs or content.inputs:
            messages = dumps(inputs or content.inputs)
        instructions = instructions or _text_or_none(details.get("gen_ai.system_instructions"))
        if instructions and (messages or not input_text):
            messages = with_system_instructions(messages, instructions)
        input_text = messages or content.input_text or input_text
    if output_rank > MESSAGES_RANK:
        detail = details.get("gen_ai.output.messages")
        if detail is not None:
            output_text = to_text(detail)
        elif outputs or content.outputs:
            output_text = dumps(outputs or content.outputs)
        else:
            output_text = content.output_text or output_text
    return input_text, output_text, finish_reason or content.finish_reason


def _text_or_none(value: object) -> str | None:
    return to_text(value) if value is not None else None
