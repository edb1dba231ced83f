"""What OTLP/HTTP trace and log exports share: media types, bounded decompression, the
encoding of answers (``google.rpc.Status`` included), and the hex ids of OTLP/JSON.

Decompression is bounded: it stops as soon as the output would pass ``max_body_bytes``,
so a small gzip bomb costs at most ``max_body_bytes`` of memory, and it is linear in
the body (at most ``MAX_GZIP_MEMBERS`` members, fed in bounded chunks). The inflating
itself runs without the GIL (CPython's zlib releases it around ``inflate``), so a
compressed body is decompressed alongside the event loop, not in its way.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any, Final

from google.protobuf import json_format
from google.rpc.status_pb2 import Status  # type: ignore[import-untyped]

from llmpulse_collector.ingest._errors import DecodeError, PayloadTooLarge, UnsupportedMediaType
from llmpulse_collector.ingest._limits import MAX_GZIP_MEMBERS

__all__ = [
    "JSON",
    "PROTOBUF",
    "convert_hex_ids",
    "decompress",
    "encode_message",
    "encode_status",
    "invalid_hex",
    "json_items",
    "media_type",
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
            f"Content-Type {shown!r} is not supported: send OTLP as {PROTOBUF!r} or {JSON!r}"
        )
    return found


def decompress(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """``body`` decoded per its Content-Encoding (identity, gzip or deflate), at most
    ``limit`` bytes; raise ``PayloadTooLarge``, ``DecodeError`` or ``UnsupportedMediaType``."""
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


def encode_status(code: int, message: str, content_type: str) -> bytes:
    """A ``google.rpc.Status`` body for an error answer (OTLP/HTTP failure responses)."""
    return encode_message(Status(code=code, message=message), content_type)


def encode_message(message: Any, content_type: str) -> bytes:
    """``message`` as protobuf, or as OTLP/JSON when ``content_type`` says JSON."""
    base = content_type.partition(";")[0].strip().lower()
    if _MEDIA_TYPES.get(base) == JSON:
        document = json_format.MessageToDict(message)
        return json.dumps(document, separators=(",", ":")).encode()
    data: bytes = message.SerializeToString()
    return data


def json_items(parent: object, json_name: str, proto_name: str) -> list[Any]:
    if not isinstance(parent, dict):
        return []
    value = parent.get(json_name)
    if value is None:
        value = parent.get(proto_name)
    return value if isinstance(value, list) else []


def convert_hex_ids(obj: object, names: tuple[str, ...], where: str) -> None:
    """Rewrite the hex id fields ``names`` of one OTLP/JSON object as base64, in place
    (protobuf's JSON mapping reads bytes as base64); ``where`` names it in errors."""
    if not isinstance(obj, dict):
        return
    for name in names:
        value = obj.get(name)
        if not isinstance(value, str) or not value:
            continue
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise invalid_hex(where, name, value) from None
        obj[name] = base64.b64encode(raw).decode("ascii")


def invalid_hex(where: str, name: str, value: str) -> DecodeError:
    """The error for an OTLP/JSON id field that is not hex."""
    return DecodeError(
        f"{where}.{name} = {value[:40]!r} is not hex: OTLP/JSON ids are hex strings "
        "(32 chars for a trace id, 16 for a span id), not base64"
    )
