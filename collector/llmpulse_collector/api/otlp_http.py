"""What the OTLP/HTTP endpoints (``/v1/traces``, ``/v1/logs``) share: reading the body
within the size limit, the media type of the answer, and error answers as
``google.rpc.Status`` bodies in the request's content type (OTLP/HTTP specification).
"""

from __future__ import annotations

from typing import Final

from fastapi import Request, Response

from llmpulse_collector.ingest import PayloadTooLarge, encode_status
from llmpulse_collector.runtime import Runtime

__all__ = ["read_body", "response_type", "status_response"]

# HTTP status -> google.rpc.Code carried in the Status body
_RPC_CODES: Final = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}
_PROTOBUF: Final = "application/x-protobuf"
_JSON: Final = "application/json"


def response_type(content_type: str) -> str:
    """The media type to answer a request of ``content_type`` with: JSON or protobuf."""
    return _JSON if content_type.split(";", maxsplit=1)[0].strip().lower() == _JSON else _PROTOBUF


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body; ``PayloadTooLarge`` as soon as it is known to pass ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body of {declared} bytes is over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def status_response(
    runtime: Runtime, code: int, message: str, content_type: str, **headers: str
) -> Response:
    """An OTLP error answer (counted in ``requests_rejected``)."""
    runtime.metrics.requests_rejected.labels(status=str(code)).inc()
    media = response_type(content_type)
    return Response(
        encode_status(_RPC_CODES.get(code, 2), message, media),
        status_code=code,
        media_type=media,
        headers=headers,
    )
