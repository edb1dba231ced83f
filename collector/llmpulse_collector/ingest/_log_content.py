"""GenAI log events onto their spans: a trace's logs give its spans' content.

The OTel GenAI conventions (``opentelemetry-instrumentation-openai-v2`` on default
settings, OpenLIT) send prompts and completions as log records tied to the LLM span:
``gen_ai.system.message`` / ``gen_ai.user.message`` / ``gen_ai.assistant.message`` /
``gen_ai.tool.message`` (body ``{"content", "tool_calls", ...}``), ``gen_ai.choice``
(body ``{"index", "finish_reason", "message": {...}}``) and
``gen_ai.client.inference.operation.details``. They are read exactly as the same events
on a span are (``_events`` / ``_normalize.assemble_content``), and fill a span's input, output
and finish reason where its own attributes left them empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from llmpulse_collector.ingest._events import SpanEvents
from llmpulse_collector.ingest._normalize import assemble_content

__all__ = ["attach_log_events"]


def _fields(log: Mapping[str, Any]) -> dict[str, object]:
    """The event's attributes, with the fields of a structured body on top."""
    fields: dict[str, object] = dict(log.get("attributes") or {})
    body = log.get("body") or ""
    if body[:1] in ("{", "["):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            fields.update(parsed)
            return fields
    if body and "content" not in fields:
        fields["content"] = body
    return fields


def attach_log_events(spans: Iterable[dict[str, Any]], logs: Iterable[Mapping[str, Any]]) -> None:
    """Fill ``input`` / ``output`` / ``finish_reason`` of ``spans`` (trace-detail span
    dicts) that lack them from their GenAI log events (``logs``: oldest first)."""
    events: dict[str, SpanEvents] = {}
    for log in logs:
        span_id = log.get("span_id") or ""
        name = log.get("event_name") or ""
        if not span_id or not name:
            continue
        found = events.get(span_id)
        if found is None:
            found = events[span_id] = SpanEvents()
        found.content.add(name, _fields(log))
    for span in spans:
        span_events = events.get(span["span_id"])
        if span_events is None:
            continue
        content = span_events.content
        if not (content.inputs or content.outputs or content.details):
            continue
        input_text, output_text, finish_reason = assemble_content({}, {}, None, span_events)
        if not span.get("input") and input_text:
            span["input"] = input_text
        if not span.get("output") and output_text:
            span["output"] = output_text
        if not span.get("finish_reason") and finish_reason:
            span["finish_reason"] = finish_reason
