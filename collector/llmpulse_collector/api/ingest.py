"""``POST /v1/traces``: OTLP/HTTP ingestion (protobuf or JSON, optionally gzip).

The answer is 200 only after the spans are stored. Errors are ``google.rpc.Status``
bodies in the request's content type, per the OTLP/HTTP specification.
"""

from __future__ import annotations

import functools
import time

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.api.auth import authenticate
from llmpulse_collector.api.errors import ApiError, write_error
from llmpulse_collector.ingest import (
    IngestError,
    Limits,
    PayloadTooLarge,
    decode_and_normalize,
    encode_response,
    encode_status,
)
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store import StorageUnavailable, WriterOverloaded

__all__ = ["router"]

router = APIRouter()

# HTTP status -> google.rpc.Code carried in the Status body
_RPC_CODES = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}
_PROTOBUF = "application/x-protobuf"
_JSON = "application/json"


@functools.lru_cache(maxsize=4)
def _limits(retention_days: int) -> Limits:
    return Limits(retention_days=retention_days)


def _response_type(content_type: str) -> str:
    return _JSON if content_type.split(";", maxsplit=1)[0].strip().lower() == _JSON else _PROTOBUF


async def _read_body(request: Request, limit: int) -> bytes:
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


def _status(
    runtime: Runtime, code: int, message: str, content_type: str, **headers: str
) -> Response:
    runtime.metrics.requests_rejected.labels(status=str(code)).inc()
    media = _response_type(content_type)
    return Response(
        encode_status(_RPC_CODES.get(code, 2), message, media),
        status_code=code,
        media_type=media,
        headers=headers,
    )


@router.post("/v1/traces", tags=["ingest"], summary="OTLP/HTTP trace ingestion")
async def export_traces(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    content_type = request.headers.get("content-type", "")
    try:
        principal = authenticate(request, runtime.keys, "ingest")
    except ApiError as exc:
        return _status(runtime, exc.status, exc.message, content_type, **exc.headers)
    limit = runtime.settings.max_body_bytes
    try:
        body = await _read_body(request, limit)
        batch = decode_and_normalize(
            body,
            content_type,
            request.headers.get("content-encoding"),
            max_body_bytes=limit,
            project_id=principal.project_id,
            now_ns=time.time_ns(),
            limits=_limits(runtime.settings.retention_days),
        )
    except IngestError as exc:
        return _status(runtime, exc.status, str(exc), content_type)

    if batch.rejected:
        runtime.metrics.spans_rejected.labels(reason="invalid").inc(batch.rejected)
    if batch.invalid_values:
        runtime.metrics.invalid_values.inc(batch.invalid_values)
    evaluations = batch.evaluations
    if runtime.eval_rules is not None:  # server-side evaluation rules (source "rule")
        # Admin-written checks over user text: CPU work, kept off the event loop.
        ruled = await run_in_threadpool(
            runtime.eval_rules.evaluate, principal.project_id, batch.spans
        )
        evaluations = [*evaluations, *ruled]
    try:
        await runtime.writer.write(batch.spans, evaluations)
    except (WriterOverloaded, StorageUnavailable) as exc:
        refused = write_error(exc)
        return _status(runtime, refused.status, refused.message, content_type, **refused.headers)
    runtime.metrics.spans_accepted.inc(len(batch.spans))
    runtime.metrics.evaluations_accepted.inc(len(evaluations))
    if batch.unpriced:
        runtime.metrics.unpriced_spans.inc(batch.unpriced)
    media = _response_type(content_type)
    error = "; ".join(batch.errors[:5])
    return Response(
        encode_response(batch.rejected, error, media), status_code=200, media_type=media
    )
