"""OTLP/HTTP log exports (``POST /v1/logs``) to rows of the ``logs`` table.

The body is read like a trace export (protobuf or JSON, identity or gzip, the same
size bound). Every record is kept: its trace and span ids (hex, '' when unset), time,
event name (``event_name``, or the older ``event.name`` attribute), severity, body
(text as it is, anything else as JSON) and bounded attributes. GenAI events
(``gen_ai.user.message``, ``gen_ai.choice``, ...) are attached to their spans when a
trace is read (``_log_content``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from google.protobuf import json_format
from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from llmpulse_collector.ingest._errors import DecodeError, PayloadTooLarge
from llmpulse_collector.ingest._otlp_body import (
    PROTOBUF,
    convert_hex_ids,
    decompress,
    encode_message,
    json_items,
    media_type,
)
from llmpulse_collector.ingest._values import bounded, to_text, value_of

__all__ = ["LOG_COLUMNS", "LogBatch", "decode_logs", "encode_logs_response", "normalize_logs"]

#: (column, ClickHouse type) of the ``logs`` table, in insert order.
LOG_COLUMNS: Final = (
    ("project_id", "LowCardinality(String)"),
    ("trace_id", "String"),
    ("span_id", "String"),
    ("time", "DateTime64(9, 'UTC')"),
    ("event_name", "LowCardinality(String)"),
    ("severity_number", "UInt8"),
    ("severity_text", "LowCardinality(String)"),
    ("body", "String"),
    ("attributes", "Map(LowCardinality(String), String)"),
    ("service_name", "LowCardinality(String)"),
    ("scope_name", "LowCardinality(String)"),
    ("ingested_at", "DateTime64(9, 'UTC')"),
)
_ID_FIELDS: Final = ("traceId", "trace_id", "spanId", "span_id")
_MAX_ERRORS: Final = 20


@dataclass(slots=True)
class LogBatch:
    """Columns of ``LOG_COLUMNS`` (``columns[i]`` is column ``i``) and what was refused."""

    columns: list[list[Any]] = field(default_factory=lambda: [[] for _ in LOG_COLUMNS])
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.columns[0])


def decode_logs(
    body: bytes, content_type: str, content_encoding: str | None, *, max_body_bytes: int
) -> ExportLogsServiceRequest:
    """Parse an OTLP/HTTP log export body; raise an ``IngestError`` that says what to fix."""
    kind = media_type(content_type)
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(
            f"request body of {len(body)} bytes is over the {max_body_bytes}-byte limit: "
            "export smaller batches (e.g. lower OTEL_BLRP_MAX_EXPORT_BATCH_SIZE)"
        )
    body = decompress(body, content_encoding, max_body_bytes)
    request = ExportLogsServiceRequest()
    if kind == PROTOBUF:
        try:
            request.ParseFromString(body)
        except ProtobufDecodeError as exc:
            raise DecodeError(
                f"body is not a protobuf ExportLogsServiceRequest ({exc}); "
                f"check that Content-Type {PROTOBUF!r} matches the body"
            ) from None
        return request
    try:
        document: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"body is not valid UTF-8 JSON ({exc})") from None
    if not isinstance(document, dict):
        raise DecodeError("OTLP/JSON body must be an object like {'resourceLogs': [...]}")
    for r, resource_logs in enumerate(json_items(document, "resourceLogs", "resource_logs")):
        for s, scope_logs in enumerate(json_items(resource_logs, "scopeLogs", "scope_logs")):
            for i, record in enumerate(json_items(scope_logs, "logRecords", "log_records")):
                where = f"resourceLogs[{r}].scopeLogs[{s}].logRecords[{i}]"
                convert_hex_ids(record, _ID_FIELDS, where)
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError) as exc:
        raise DecodeError(f"body is not an OTLP/JSON ExportLogsServiceRequest: {exc}") from None
    return request


def encode_logs_response(rejected: int, error_message: str, content_type: str) -> bytes:
    response = ExportLogsServiceResponse()
    if rejected or error_message:
        response.partial_success.rejected_log_records = rejected
        response.partial_success.error_message = error_message
    return encode_message(response, content_type)


def normalize_logs(
    request: ExportLogsServiceRequest,
    *,
    project_id: str,
    now_ns: int,
    max_attribute_chars: int = 8_192,
    max_body_chars: int = 32_768,
    max_attributes: int = 128,
) -> LogBatch:
    """The rows of every log record in ``request``; records with malformed ids are
    refused (counted, with a reason for the first few), the others kept."""
    batch = LogBatch()
    add = [column.append for column in batch.columns]
    for resource_logs in request.resource_logs:
        service = ""
        for kv in resource_logs.resource.attributes:
            if kv.key == "service.name":
                service = to_text(value_of(kv.value))
        for scope_logs in resource_logs.scope_logs:
            scope = scope_logs.scope.name
            for record in scope_logs.log_records:
                trace_id: bytes = record.trace_id
                span_id: bytes = record.span_id
                problem = _id_problem(trace_id, span_id)
                if problem:
                    batch.rejected += 1
                    if len(batch.errors) < _MAX_ERRORS:
                        batch.errors.append(f"log record: {problem}")
                    continue
                attributes: dict[str, str] = {}
                for kv in record.attributes:
                    if len(attributes) >= max_attributes:
                        break
                    attributes[kv.key] = bounded(to_text(value_of(kv.value)), max_attribute_chars)
                event_name = record.event_name or attributes.get("event.name", "")
                body = value_of(record.body) if record.HasField("body") else ""
                time_ns = record.time_unix_nano or record.observed_time_unix_nano or now_ns
                row = (
                    project_id,
                    trace_id.hex() if any(trace_id) else "",
                    span_id.hex() if any(span_id) else "",
                    time_ns,
                    event_name,
                    min(max(record.severity_number, 0), 255),
                    record.severity_text,
                    bounded(to_text(body), max_body_chars) if body is not None else "",
                    attributes,
                    service,
                    scope,
                    now_ns,
                )
                for append, value in zip(add, row, strict=True):
                    append(value)
    return batch


def _id_problem(trace_id: bytes, span_id: bytes) -> str:
    if trace_id and len(trace_id) != 16:
        return f"trace_id must be empty or 16 bytes (got {len(trace_id)})"
    if span_id and len(span_id) != 8:
        return f"span_id must be empty or 8 bytes (got {len(span_id)})"
    return ""
