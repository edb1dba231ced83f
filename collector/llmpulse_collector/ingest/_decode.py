"""OTLP/HTTP trace export bodies in and out: protobuf or JSON, identity or gzip/deflate
(what traces and logs share is in ``_otlp_body``). Nesting deeper than
``MAX_NESTING_DEPTH`` messages is a 400 in both encodings.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from llmpulse_collector.ingest._errors import DecodeError, PayloadTooLarge, too_deep
from llmpulse_collector.ingest._otlp_body import (
    JSON,
    PROTOBUF,
    decompress,
    encode_message,
    encode_status,
    media_type,
)
from llmpulse_collector.ingest._otlp_json import parse_otlp_json

__all__ = [
    "JSON",
    "PROTOBUF",
    "decode_request",
    "encode_response",
    "encode_status",
    "media_type",
    "parse_body",
    "read_body",
]


def decode_request(
    body: bytes, content_type: str, content_encoding: str | None, *, max_body_bytes: int
) -> ExportTraceServiceRequest:
    """Parse an OTLP/HTTP trace export body into an ``ExportTraceServiceRequest``."""
    kind, data = read_body(body, content_type, content_encoding, max_body_bytes=max_body_bytes)
    return parse_body(kind, data)


def read_body(
    body: bytes, content_type: str, content_encoding: str | None, *, max_body_bytes: int
) -> tuple[str, bytes]:
    """The media type (``PROTOBUF`` or ``JSON``) and the decompressed body, both checked."""
    kind = media_type(content_type)
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(
            f"request body of {len(body)} bytes is over the {max_body_bytes}-byte limit: "
            "export smaller batches (e.g. lower OTEL_BSP_MAX_EXPORT_BATCH_SIZE)"
        )
    return kind, decompress(body, content_encoding, max_body_bytes)


def parse_body(kind: str, data: bytes) -> ExportTraceServiceRequest:
    """Parse a body that ``read_body`` returned."""
    if kind == PROTOBUF:
        return _parse_protobuf(data)
    return _parse_json(data)


def _parse_protobuf(body: bytes) -> ExportTraceServiceRequest:
    try:
        request: ExportTraceServiceRequest = ExportTraceServiceRequest.FromString(body)
    except ProtobufDecodeError as exc:
        if "MaxDepth" in str(exc):
            raise too_deep() from None
        raise DecodeError(
            f"body is not a protobuf ExportTraceServiceRequest ({exc}); "
            f"check that Content-Type {PROTOBUF!r} matches the body"
        ) from None
    return request


def _parse_json(body: bytes) -> ExportTraceServiceRequest:
    try:
        document: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"body is not valid UTF-8 JSON ({exc})") from None
    except RecursionError:  # nested far deeper than MAX_NESTING_DEPTH
        raise too_deep() from None
    if not isinstance(document, dict):
        raise DecodeError("OTLP/JSON body must be an object like {'resourceSpans': [...]}")
    return parse_otlp_json(document)


def encode_response(rejected_spans: int, error_message: str, content_type: str) -> bytes:
    """The body of a 200 answer; ``partialSuccess`` is set only when something was rejected."""
    response = ExportTraceServiceResponse()
    if rejected_spans or error_message:
        response.partial_success.rejected_spans = rejected_spans
        response.partial_success.error_message = error_message
    return encode_message(response, content_type)
