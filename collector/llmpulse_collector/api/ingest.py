"""``POST /v1/traces``: OTLP/HTTP ingestion (protobuf or JSON, optionally gzip).

The answer is 200 only after the spans are stored. Errors are ``google.rpc.Status``
bodies in the request's content type, per the OTLP/HTTP specification.

Overload is answered, not left to time out: every request has a deadline
(``LLMPULSE_INGEST_DEADLINE_MS`` from its arrival). A request is refused with 429 and
``Retry-After`` (and nothing of it is stored) when the writer is already behind on
arrival or once it has its decoding slot (``BatchWriter.admit``), when it waits past its
deadline for the slot, or when it is still queued for an insert at its deadline.
Decoding and normalizing run in a worker thread, ``Runtime.ingest_slots`` requests at
a time, so the event loop (``/healthz``, queries) stays responsive and waiting
requests cost no CPU.
"""

from __future__ import annotations

import asyncio
import functools
import time

from fastapi import APIRouter, Request, Response

from llmpulse_collector.api.auth import authenticate
from llmpulse_collector.api.errors import ApiError, write_error
from llmpulse_collector.api.otlp_http import read_body, response_type, status_response
from llmpulse_collector.ingest import (
    IngestError,
    Limits,
    NormalizedBatch,
    decode_and_normalize,
    encode_response,
)
from llmpulse_collector.model import EvaluationRow
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store import (
    SpansRejected,
    StorageUnavailable,
    StoreError,
    WriterOverloaded,
)

__all__ = ["router"]

router = APIRouter()


def _refusal(runtime: Runtime, exc: StoreError, content_type: str) -> Response:
    refused = write_error(exc)
    return status_response(
        runtime, refused.status, refused.message, content_type, **refused.headers
    )


@functools.lru_cache(maxsize=4)
def _limits(retention_days: int) -> Limits:
    return Limits(retention_days=retention_days)


def _prepare(
    runtime: Runtime, project_id: str, body: bytes, content_type: str, encoding: str | None
) -> tuple[NormalizedBatch, list[EvaluationRow]]:
    """Decode, normalize and evaluate a request (CPU work, run in a worker thread)."""
    batch = decode_and_normalize(
        body,
        content_type,
        encoding,
        max_body_bytes=runtime.settings.max_body_bytes,
        project_id=project_id,
        now_ns=time.time_ns(),
        limits=_limits(runtime.settings.retention_days),
    )
    evaluations = batch.evaluations
    if runtime.eval_rules is not None:  # server-side evaluation rules (source "rule")
        evaluations = [*evaluations, *runtime.eval_rules.evaluate(project_id, batch.spans)]
    return batch, evaluations


@router.post("/v1/traces", tags=["ingest"], summary="OTLP/HTTP trace ingestion")
async def export_traces(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    deadline = time.monotonic() + runtime.settings.ingest_deadline_ms / 1000.0
    content_type = request.headers.get("content-type", "")
    try:
        principal = await authenticate(request, runtime.keys, "ingest")
    except ApiError as exc:
        return status_response(runtime, exc.status, exc.message, content_type, **exc.headers)
    try:
        runtime.writer.admit()
    except WriterOverloaded as exc:
        return _refusal(runtime, exc, content_type)
    try:
        body = await read_body(request, runtime.settings.max_body_bytes)
    except IngestError as exc:
        return status_response(runtime, exc.status, str(exc), content_type)
    slots = runtime.ingest_slots
    try:
        await asyncio.wait_for(slots.acquire(), max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        late = WriterOverloaded(
            "no decoding slot before the deadline", retry_after=runtime.writer.retry_after()
        )
        return _refusal(runtime, late, content_type)
    try:
        runtime.writer.admit()  # the writer may have fallen behind while this one waited
        batch, evaluations = await asyncio.to_thread(
            _prepare,
            runtime,
            principal.project_id,
            body,
            content_type,
            request.headers.get("content-encoding"),
        )
    except WriterOverloaded as exc:
        return _refusal(runtime, exc, content_type)
    except IngestError as exc:
        return status_response(runtime, exc.status, str(exc), content_type)
    finally:
        slots.release()
    if batch.rejected:
        runtime.metrics.spans_rejected.labels(reason="invalid").inc(batch.rejected)
    if batch.invalid_values:
        runtime.metrics.invalid_values.inc(batch.invalid_values)
    try:
        await runtime.writer.write(batch.spans, evaluations, deadline=deadline)
    except (WriterOverloaded, SpansRejected, StorageUnavailable) as exc:
        return _refusal(runtime, exc, content_type)
    runtime.metrics.spans_accepted.inc(len(batch.spans))
    runtime.metrics.evaluations_accepted.inc(len(evaluations))
    if batch.unpriced:
        runtime.metrics.unpriced_spans.inc(batch.unpriced)
    media = response_type(content_type)
    error = "; ".join(batch.errors[:5])
    return Response(
        encode_response(batch.rejected, error, media), status_code=200, media_type=media
    )
