"""OTLP/HTTP bodies in and out: protobuf or JSON, identity or gzip/deflate.

Decompression is bounded: it stops as soon as the output would pass ``max_body_bytes``,
so a small gzip bomb costs at most ``max_body_bytes`` of memory, and it is linear in
the body (at most ``MAX_GZIP_MEMBERS`` members, fed in bounded chunks). Nesting deeper
than ``MAX_NESTING_DEPTH`` messages is a 400 in both encodings.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Final

from google.protobuf import json_format
from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.rpc.status_pb2 import Status  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from llmpulse_collector.ingest._errors import (
    DecodeError,
    PayloadTooLarge,
    UnsupportedMediaType,
    too_deep,
)
from llmpulse_collector.ingest._limits import MAX_GZIP_MEMBERS
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

PROTOBUF: Final = "application/x-protobuf"
JSON: Final = "application/json"
_MEDIA_TYPES: Final = {PROTOBUF: PROTOBUF, "application/protobuf": PROTOBUF, JSON: JSON}
# wbits: 16+MAX_WBITS reads a gzip header, MAX_WBITS a zlib one ("deflate" in HTTP).
_ENCODINGS: Final = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS}
_ENCODINGS["deflate"] = zlib.MAX_WBITS
_CHUNK: Final = 64 * 1024  # compressed bytes fed to the inflater at a time


def media_type(content_type: str | None) -> str:
    """``PROTOBUF`` or ``JSON`` for a Content-Type header; raise ``UnsupportedMediaType``."""
    base = (content_type or "").partition(";")[0].strip().lower()
    found = _MEDIA_TYPES.get(base)
    if found is None:
        shown = base or "none"
        raise UnsupportedMediaType(
            f"Content-Type {shown!r} is not supported: send OTLP traces as {PROTOBUF!r} or {JSON!r}"
        )
    return found


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
    return kind, _decompress(body, content_encoding, max_body_bytes)


def parse_body(kind: str, data: bytes) -> ExportTraceServiceRequest:
    """Parse a body that ``read_body`` returned."""
    if kind == PROTOBUF:
        return _parse_protobuf(data)
    return _parse_json(data)


def _decompress(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        return body
    wbits = _ENCODINGS.get(encoding)
    if wbits is None:
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not supported: use gzip or none"
        )
    out: list[bytes] = []
    size = 0
    members = 0
    view = memoryview(body)
    offset = 0
    while offset < len(view):  # a gzip stream may hold several members back to back
        members += 1
        if members > MAX_GZIP_MEMBERS:
            raise DecodeError(
                f"{encoding} body has more than {MAX_GZIP_MEMBERS} members: "
                "compress the body as one stream"
            )
        inflater = zlib.decompressobj(wbits)
        while not inflater.eof:
            if offset >= len(view):
                raise DecodeError(f"{encoding} body is truncated: send the complete stream")
            # Fed in bounded chunks: what a member leaves unused is copied, so a body of
            # many tiny members costs a chunk per member, not the rest of the body.
            chunk = view[offset : offset + _CHUNK]
            try:
                data = inflater.decompress(chunk, limit - size + 1)
            except zlib.error as exc:
                raise DecodeError(f"body is not valid {encoding} data ({exc})") from None
            size += len(data)
            if size > limit or inflater.unconsumed_tail:
                raise PayloadTooLarge(
                    f"decompressed body is over the {limit}-byte limit: export smaller batches"
                )
            out.append(data)
            offset += len(chunk) - len(inflater.unused_data)
    return b"".join(out)


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
    return _encode(response, content_type)


def encode_status(code: int, message: str, content_type: str) -> bytes:
    """A ``google.rpc.Status`` body for an error answer (OTLP/HTTP failure responses)."""
    return _encode(Status(code=code, message=message), content_type)


def _encode(message: Any, content_type: str) -> bytes:
    base = content_type.partition(";")[0].strip().lower()
    if _MEDIA_TYPES.get(base) == JSON:
        document = json_format.MessageToDict(message)
        return json.dumps(document, separators=(",", ":")).encode()
    data: bytes = message.SerializeToString()
    return data
