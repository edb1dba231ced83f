"""Small builders for OTLP trace messages, so tests read as attribute tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from llmpulse_collector.ingest import normalize
from llmpulse_collector.model import SpanRow
from tests.otlp import attributes

TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN_ID = bytes.fromhex("eee19b7ec3c1b174")
PARENT_ID = bytes.fromhex("eee19b7ec3c1b173")
START = 1_750_000_000_000_000_000
END = START + 1_250_000_000  # 1250 ms
NOW = START + 5_000_000_000

Event = tuple[str, int, Mapping[str, object]]


def make_span(
    attrs: Mapping[str, object] | None = None,
    *,
    name: str = "span",
    trace_id: bytes = TRACE_ID,
    span_id: bytes = SPAN_ID,
    parent_span_id: bytes = b"",
    kind: int = Span.SPAN_KIND_INTERNAL,
    status: int = Status.STATUS_CODE_UNSET,
    status_message: str = "",
    events: Sequence[Event] = (),
) -> Span:
    span = Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        start_time_unix_nano=START,
        end_time_unix_nano=END,
        attributes=attributes(attrs or {}),
        status=Status(code=status, message=status_message),  # type: ignore[arg-type]
    )
    for event_name, time_ns, event_attrs in events:
        span.events.add(name=event_name, time_unix_nano=time_ns, attributes=attributes(event_attrs))
    return span


def make_request(
    *spans: Span,
    resource: Mapping[str, object] | None = None,
    scope: str = "test-scope",
) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(
        attributes(resource if resource is not None else {"service.name": "svc"})
    )
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope
    scope_spans.spans.extend(spans)
    return request


def normalize_one(attrs: Mapping[str, object] | None = None, **span_options: object) -> SpanRow:
    """Normalize a request holding one span with ``attrs``; return its row."""
    batch = normalize(make_request(make_span(attrs, **span_options)), project_id="p", now_ns=NOW)  # type: ignore[arg-type]
    assert batch.rejected == 0, batch.errors
    (row,) = batch.spans
    return row
