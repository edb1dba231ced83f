"""OTLP spans to canonical span columns (a ``SpanBatch``) and ``EvaluationRow`` rows.

One pass over each span's attributes: every attribute goes into the bounded string
map, and the ones named in ``_conventions.KEYS`` also feed a canonical field when no
better-ranked source has. Then content, span type, tokens and cost are settled, and
every field is appended to its column (no per-span row object: the Arrow encoder
takes the columns as they are). The attribute whose text became the input or output
column as it is (``input.value``, ``gen_ai.output.messages``, ...) is not repeated in
the attributes map.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llmpulse_collector.ingest._content import IndexedMessages, dumps, with_system_instructions
from llmpulse_collector.ingest._conventions import (
    CONTENT_KEYS,
    INDEXED_PREFIXES,
    KEYS,
    MESSAGES_RANK,
    TAG_KEYS,
    Convert,
)
from llmpulse_collector.ingest._errors import PayloadTooLarge
from llmpulse_collector.ingest._events import SpanEvents, read_events
from llmpulse_collector.ingest._limits import Limits
from llmpulse_collector.ingest._pricing import compute_cost
from llmpulse_collector.ingest._values import as_str_list, bounded, to_text, value_of
from llmpulse_collector.model import EvaluationRow, SpanBatch

__all__ = ["NormalizedBatch", "assemble_content", "normalize"]

_KINDS: Final = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
_STATUSES: Final = ("UNSET", "OK", "ERROR")
_ZERO_TRACE: Final = bytes(16)
_ZERO_SPAN: Final = bytes(8)
_NO_RANK: Final = 99
_MAX_ERRORS: Final = 20
_EMPTY_EVENTS: Final = SpanEvents()
_INPUT_KEYS: Final = CONTENT_KEYS["input"]
# What an attribute key feeds: a canonical field (its KEYS spec), the tags, the
# indexed messages, or nothing but the map. One dict lookup per attribute.
# The three roles that are not a field are sentinels shaped like a spec (compared by
# identity, never unpacked).
_Role = tuple[str, int, Convert]
_PLAIN: Final[_Role] = ("plain", _NO_RANK, id)
_TAG: Final[_Role] = ("tag", _NO_RANK, id)
_INDEXED: Final[_Role] = ("indexed", _NO_RANK, id)
_ROLES: dict[str, _Role] = {**dict.fromkeys(TAG_KEYS, _TAG), **KEYS}
_MAX_ROLES: Final = 65_536
_OUTPUT_KEYS: Final = CONTENT_KEYS["output"]
# Numeric fields whose invalid or absurd values are dropped and named on the span.
_TOKEN_FIELDS: Final = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
)
_CHECKED_FIELDS: Final = frozenset((*_TOKEN_FIELDS, "cost_usd", "time_to_first_token_ms"))
INVALID_VALUES_KEY: Final = "llmpulse.invalid_values"
DROPPED_ATTRIBUTES_KEY: Final = "llmpulse.dropped_attributes"
DROPPED_TAGS_KEY: Final = "llmpulse.dropped_tags"
_DEFAULT_LIMITS: Final = Limits()


@dataclass(slots=True)
class NormalizedBatch:
    # columns; also a sequence of SpanRow (batch.spans[0].model)
    spans: SpanBatch = field(default_factory=SpanBatch)
    evaluations: list[EvaluationRow] = field(default_factory=list)
    rejected: int = 0  # spans dropped for invalid ids or times (answer with partial_success)
    errors: list[str] = field(default_factory=list)  # why, for the first few
    unpriced: int = 0  # spans with a model and tokens but no known price
    invalid_values: int = 0  # token counts / costs dropped as invalid or absurd


class _Run:
    """One ``normalize`` call: its settings and its results."""

    __slots__ = ("batch", "earliest_ns", "expanded", "latest_ns", "limits", "now_ns", "project_id")

    def __init__(self, project_id: str, now_ns: int, limits: Limits) -> None:
        self.project_id = project_id
        self.now_ns = now_ns
        self.limits = limits
        self.batch = NormalizedBatch()
        self.earliest_ns, self.latest_ns = limits.time_window(now_ns)
        self.expanded = 0  # characters of text the spans so far expand to

    def spend(self, chars: int, resource: _Resource) -> None:
        """Count a span's text against the request's budget; 413 past it."""
        self.expanded += chars
        limit = self.limits.max_expanded_chars
        if self.expanded > limit:
            raise PayloadTooLarge(
                f"the request's spans expand to more than {limit} characters (attributes, "
                f"content, events, and each span's copy of the {resource.chars}-character "
                "resource attributes): send fewer or smaller resource attributes, or fewer "
                "spans a request"
            )

    def reject(self, span: Any, problem: str) -> None:
        self.batch.rejected += 1
        if len(self.batch.errors) < _MAX_ERRORS:
            self.batch.errors.append(f"span {span.name[:100]!r}: {problem}")


class _Resource:
    """What every span of one resource shares: its attributes, service and environment."""

    __slots__ = ("chars", "environment", "keys", "service_name", "values")

    def __init__(self, resource: Any, limits: Limits) -> None:
        attributes: dict[str, str] = {}
        max_chars = limits.max_attribute_chars
        max_key = limits.max_key_chars
        items = resource.attributes
        for kv in items:
            key: str = kv.key
            if len(key) > max_key:
                key = bounded(key, max_key)
            attributes[key] = bounded(to_text(value_of(kv.value)), max_chars)
        if len(attributes) > limits.max_resource_attributes:
            attributes = _first(attributes, limits.max_resource_attributes, len(items))
        self.keys = tuple(attributes)
        self.values = tuple(attributes.values())
        self.chars = sum(map(len, self.keys)) + sum(map(len, self.values))
        max_label = limits.max_label_chars
        self.service_name = bounded(attributes.get("service.name", ""), max_label)
        environment = attributes.get("deployment.environment.name") or attributes.get(
            "deployment.environment", ""
        )
        self.environment = bounded(environment, max_label)


def normalize(
    request: ExportTraceServiceRequest,
    *,
    project_id: str,
    now_ns: int,
    limits: Limits = _DEFAULT_LIMITS,
) -> NormalizedBatch:
    """Normalize every span of an OTLP trace export into canonical columns and rows."""
    run = _Run(project_id, now_ns, limits)
    for resource_spans in request.resource_spans:
        resource = _Resource(resource_spans.resource, limits)
        for scope_spans in resource_spans.scope_spans:
            scope_name = bounded(scope_spans.scope.name, limits.max_name_chars)
            _append_spans(scope_spans.spans, scope_name, resource, run)
    return run.batch


def _append_spans(spans: Any, scope_name: str, resource: _Resource, run: _Run) -> None:
    """Append the spans of one (resource, scope) to ``run.batch``: one tight loop with
    every column's ``append`` bound once, as this is the collector's hottest code.
    ``_wire.pyx`` has its compiled twin: a change here goes there too (the parity test,
    ``tests/collector/ingest/test_fastpath_parity.py``, fails until it does)."""
    out = run.batch.spans
    limits = run.limits
    project_id = run.project_id
    now_ns = run.now_ns
    max_chars = limits.max_attribute_chars
    max_content = limits.max_content_chars
    max_attributes = limits.max_attributes
    max_events = limits.max_events
    max_event_attributes = limits.max_event_attributes
    max_key = limits.max_key_chars
    max_tags = limits.max_tags
    max_label = limits.max_label_chars
    max_name = limits.max_name_chars
    max_status = limits.max_status_message_chars
    earliest_ns = run.earliest_ns
    latest_ns = run.latest_ns
    resource_chars = resource.chars
    service_name = resource.service_name
    environment = resource.environment
    resource_keys = resource.keys
    resource_values = resource.values
    resource_count = len(resource_keys)
    roles_get = _ROLES.get
    n_kinds = len(_KINDS)

    project_ids = out.project_id.append
    trace_ids = out.trace_id.append
    span_ids = out.span_id.append
    parent_ids = out.parent_span_id.append
    names = out.name.append
    kinds = out.kind.append
    services = out.service_name.append
    scopes = out.scope_name.append
    environments = out.environment.append
    starts = out.start_time.append
    ends = out.end_time.append
    durations = out.duration_ms.append
    status_codes = out.status_code.append
    status_messages = out.status_message.append
    span_types = out.span_type.append
    models = out.model.append
    providers = out.provider.append
    input_tokens_ = out.input_tokens.append
    output_tokens_ = out.output_tokens.append
    cache_reads = out.cache_read_tokens.append
    cache_writes = out.cache_write_tokens.append
    reasoning = out.reasoning_tokens.append
    costs = out.cost_usd.append
    ttfts = out.time_to_first_token_ms.append
    finish_reasons = out.finish_reason.append
    tool_names = out.tool_name.append
    session_ids = out.session_id.append
    user_ids = out.user_id.append
    inputs = out.input.append
    outputs = out.output.append
    events_ = out.events.append
    ingested = out.ingested_at.append
    tag_values = out.tags.extend
    tag_counts = out.tag_counts.append
    attribute_keys = out.attribute_keys.extend
    attribute_values = out.attribute_values.extend
    attribute_counts = out.attribute_counts.append
    res_keys = out.resource_keys.extend
    res_values = out.resource_values.extend
    res_counts = out.resource_counts.append

    for span in spans:
        trace_id: bytes = span.trace_id
        span_id: bytes = span.span_id
        parent: bytes = span.parent_span_id
        if len(trace_id) != 16 or trace_id == _ZERO_TRACE:
            run.reject(span, f"trace_id must be 16 bytes, not all zero (got {len(trace_id)})")
            continue
        if len(span_id) != 8 or span_id == _ZERO_SPAN:
            run.reject(span, f"span_id must be 8 bytes, not all zero (got {len(span_id)})")
            continue
        if parent and len(parent) != 8:
            run.reject(span, f"parent_span_id must be empty or 8 bytes (got {len(parent)})")
            continue
        start: int = span.start_time_unix_nano
        end: int = span.end_time_unix_nano
        if not earliest_ns <= start <= latest_ns or end > latest_ns:
            run.reject(span, _time_problem(start, end, run))
            continue
        trace_hex = trace_id.hex()
        span_hex = span_id.hex()

        # ---- attributes: the map, and the canonical fields they feed ----
        attributes: dict[str, str] = {}
        found: dict[str, Any] = {}
        ranks: dict[str, int] = {}
        tags: dict[str, None] = {}  # insertion-ordered set
        extra_tags: set[str] | None = None  # distinct tags past max_tags
        invalid: dict[str, None] = {}  # canonical fields whose value was dropped
        indexed: IndexedMessages | None = None
        span_attributes = span.attributes
        for kv in span_attributes:
            key: str = kv.key
            any_value = kv.value
            value: object = any_value.string_value
            if value:  # most values are non-empty strings: skip the oneof dispatch
                text: str = value  # type: ignore[assignment]
            else:
                which = any_value.WhichOneof("value")
                if which == "int_value":
                    value = any_value.int_value
                    text = str(value)
                elif which == "double_value":
                    value = any_value.double_value
                    text = to_text(value)
                elif which == "array_value":
                    value = [
                        item.string_value or value_of(item) for item in any_value.array_value.values
                    ]
                    text = to_text(value)
                else:
                    value = value_of(any_value)
                    text = to_text(value)
            if len(key) > max_key:  # no convention's key is this long: the map only
                attributes[bounded(key, max_key)] = bounded(text, max_chars)
                continue
            attributes[key] = text if len(text) <= max_chars else bounded(text, max_chars)
            role = roles_get(key)
            if role is None:
                role = _classify(key)
            if role is _PLAIN:
                continue
            if role is _TAG:
                for tag in as_str_list(value):
                    if len(tags) < max_tags:
                        tags[tag if len(tag) <= max_label else bounded(tag, max_label)] = None
                    elif tag not in tags:
                        if extra_tags is None:
                            extra_tags = set()
                        extra_tags.add(tag)
            elif role is _INDEXED:
                if indexed is None:
                    indexed = IndexedMessages()
                indexed.add(key, value)
            else:
                name, rank, convert = role
                if rank < ranks.get(name, _NO_RANK):
                    converted = convert(value)
                    if converted is not None:
                        found[name] = converted
                        ranks[name] = rank
                    elif name in _CHECKED_FIELDS:
                        invalid[name] = None
        if len(attributes) > max_attributes:
            attributes = _first(attributes, max_attributes, len(span_attributes))
        if extra_tags:
            attributes[DROPPED_TAGS_KEY] = str(len(extra_tags))
        if found:
            _drop_absurd(found, ranks, limits, invalid)
        if invalid:
            attributes[INVALID_VALUES_KEY] = ",".join(invalid)

        # ---- events: evaluations, exception, event-borne content ----
        if span.events:
            events = read_events(
                span.events,
                project_id=project_id,
                trace_id=trace_hex,
                span_id=span_hex,
                max_events=max_events,
                max_attributes=max_event_attributes,
                max_chars=max_chars,
            )
            if events.evaluations:
                late = max(row.created_at for row in events.evaluations)
                if late > latest_ns:
                    run.reject(span, f"an evaluation event's time ({late} ns) is in the future")
                    continue
                run.batch.evaluations.extend(events.evaluations)
        else:
            events = _EMPTY_EVENTS

        # ---- content ----
        if "input" in found and "output" in found and indexed is None and events is _EMPTY_EVENTS:
            input_text: str = found["input"]
            output_text: str = found["output"]
            finish_reason = ""
            if "system_instructions" in found and ranks["input"] == 1:
                input_text = with_system_instructions(input_text, found["system_instructions"])
        else:
            input_text, output_text, finish_reason = assemble_content(found, ranks, indexed, events)
        if input_text:
            _drop_copy(
                attributes, _INPUT_KEYS.get(ranks.get("input", _NO_RANK)), input_text, max_chars
            )
        if output_text:
            _drop_copy(
                attributes, _OUTPUT_KEYS.get(ranks.get("output", _NO_RANK)), output_text, max_chars
            )

        # ---- tokens, span type, cost ----
        model: str = found.get("model", "")
        if len(model) > max_label:  # before pricing looks it up
            model = bounded(model, max_label)
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

        provider: str = found.get("provider", "")
        if len(provider) > max_label:
            provider = bounded(provider, max_label)
        status = span.status
        status_code: int = status.code
        cost: float | None = found.get("cost_usd")
        if cost == 0 and (input_tokens or output_tokens):
            cost = None  # a reported 0 for a call with tokens: no price was known
        if cost is None and model and (input_tokens or output_tokens):
            cost = compute_cost(
                provider,
                model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cache_read,
                cache_write_tokens=cache_write,
                at_ns=start,
            )
            if cost is None and status_code != 2:  # failed calls are not "unpriced"
                run.batch.unpriced += 1

        tool_name: str = found.get("tool_name", "")
        if not tool_name and span_type == "tool":
            tool_name = found.get("entity_name", "")

        status_message: str = status.message
        if status_code == 2 and not status_message:
            status_message = events.exception
        kind: int = span.kind
        span_name: str = span.name
        session_id: str = found.get("session_id", "")
        user_id: str = found.get("user_id", "")
        finish_reason = found.get("finish_reason", "") or finish_reason
        if input_text and len(input_text) > max_content:
            input_text = bounded(input_text, max_content)
        if output_text and len(output_text) > max_content:
            output_text = bounded(output_text, max_content)
        if (
            len(span_name) > max_name
            or len(status_message) > max_status
            or len(session_id) > max_label
            or len(user_id) > max_label
            or len(tool_name) > max_label
            or len(finish_reason) > max_label
        ):
            span_name = bounded(span_name, max_name)
            status_message = bounded(status_message, max_status)
            session_id = bounded(session_id, max_label)
            user_id = bounded(user_id, max_label)
            tool_name = bounded(tool_name, max_label)
            finish_reason = bounded(finish_reason, max_label)
        if invalid:
            run.batch.invalid_values += len(invalid)
        run.spend(
            resource_chars
            + sum(map(len, attributes))
            + sum(map(len, attributes.values()))
            + len(input_text)
            + len(output_text)
            + len(events.json)
            + len(status_message),
            resource,
        )

        # ---- append: one value per column ----
        project_ids(project_id)
        trace_ids(trace_hex)
        span_ids(span_hex)
        parent_ids(parent.hex() if parent and parent != _ZERO_SPAN else "")
        names(span_name)
        kinds(_KINDS[kind] if 0 <= kind < n_kinds else "UNSPECIFIED")
        services(service_name)
        scopes(scope_name)
        environments(environment)
        starts(start)
        ends(end)
        durations((end - start) / 1e6 if end > start else 0.0)
        status_codes(_STATUSES[status_code] if 0 <= status_code < 3 else "UNSET")
        status_messages(status_message)
        span_types(span_type)
        models(model)
        providers(provider)
        input_tokens_(input_tokens)
        output_tokens_(output_tokens)
        cache_reads(cache_read)
        cache_writes(cache_write)
        reasoning(found.get("reasoning_tokens", 0))
        costs(cost)
        ttft: float | None = found.get("time_to_first_token_ms")
        if ttft is None and events.first_token_ns > start:
            ttft = (events.first_token_ns - start) / 1e6
        ttfts(ttft)
        finish_reasons(finish_reason)
        tool_names(tool_name)
        session_ids(session_id)
        user_ids(user_id)
        inputs(input_text)
        outputs(output_text)
        events_(events.json)
        ingested(now_ns)
        tag_values(tags)
        tag_counts(len(tags))
        attribute_keys(attributes)
        attribute_values(attributes.values())
        attribute_counts(len(attributes))
        res_keys(resource_keys)
        res_values(resource_values)
        res_counts(resource_count)


def _first(attributes: dict[str, str], limit: int, total: int) -> dict[str, str]:
    """The first ``limit`` attributes, and how many more the span had."""
    kept = dict(itertools.islice(attributes.items(), limit))
    kept[DROPPED_ATTRIBUTES_KEY] = str(total - limit)
    return kept


def _drop_absurd(
    found: dict[str, Any], ranks: dict[str, int], limits: Limits, invalid: dict[str, None]
) -> None:
    """Drop token counts over ``max_tokens``, costs outside ``[0, max_cost_usd]`` and
    negative times to first token (treated as missing; named in ``invalid``)."""
    for name in _TOKEN_FIELDS:
        count = found.get(name)
        if count is not None and count > limits.max_tokens:
            _drop(found, ranks, name, invalid)
    cost = found.get("cost_usd")
    if cost is not None and not 0.0 <= cost <= limits.max_cost_usd:
        _drop(found, ranks, "cost_usd", invalid)
    ttft = found.get("time_to_first_token_ms")
    if ttft is not None and ttft < 0:
        _drop(found, ranks, "time_to_first_token_ms", invalid)


def _drop(
    found: dict[str, Any], ranks: dict[str, int], name: str, invalid: dict[str, None]
) -> None:
    del found[name]
    del ranks[name]
    invalid[name] = None


def _time_problem(start: int, end: int, run: _Run) -> str:
    """Why a span's times are outside the accepted window."""
    if start > run.latest_ns or end > run.latest_ns:
        late = max(start, end)
        return (
            f"start/end time {late} ns is more than {run.limits.max_future_ns // 10**9} s "
            "in the future: check the clock of the sending host"
        )
    return (
        f"start time {start} ns is older than the {run.limits.retention_days}-day "
        "retention: it would be deleted at once"
    )


def _classify(key: str) -> _Role:
    """The role of an attribute key that is not in ``_ROLES`` yet (remembered, up to a
    bound: keys with indexes in them, like ``llm.input_messages.3.message.role``, vary)."""
    role = _INDEXED if key.startswith(INDEXED_PREFIXES) else _PLAIN
    if len(_ROLES) < _MAX_ROLES:
        _ROLES[key] = role
    return role


def _drop_copy(attributes: dict[str, str], key: str | None, text: str, max_chars: int) -> None:
    """Remove ``key`` from the map when its value is ``text`` (or ``text`` bounded): the
    input / output column holds it already, in full."""
    if key is None:
        return
    stored = attributes.get(key)
    if stored is text or (
        stored is not None and len(text) > max_chars and stored == bounded(text, max_chars)
    ):
        del attributes[key]


def assemble_content(
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
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    if indexed is not None:
        inputs, outputs = indexed.build()
        if outputs:
            finish_reason = to_text(outputs[0].get("finish_reason", ""))
        # Structured messages (llm.input_messages.*) say more than input.value, which
        # OpenInference's LangChain spans fill with a LangChain serialization.
        if inputs and input_rank == 0:
            input_rank = _NO_RANK
        if outputs and output_rank == 0:
            output_rank = _NO_RANK
    if input_rank <= MESSAGES_RANK and output_rank <= MESSAGES_RANK:
        return input_text, output_text, finish_reason

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
