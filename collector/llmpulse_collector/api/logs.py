"""``POST /v1/logs``: OTLP/HTTP log ingestion, with the auth, content types, encodings
and size limit of ``/v1/traces``.

Log records are stored in the ``logs`` table before the 200 answer. GenAI log events
(prompts and completions under the GenAI conventions) are attached to their spans when
a trace is read; every record is listed on its trace (``GET /api/v1/traces/{id}``).
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.api.auth import authenticate
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.api.otlp_http import read_body, response_type, status_response
from llmpulse_collector.ingest import IngestError
from llmpulse_collector.ingest._logs import (
    LOG_COLUMNS,
    decode_logs,
    encode_logs_response,
    normalize_logs,
)
from llmpulse_collector.runtime import Runtime

__all__ = ["router"]

router = APIRouter()
_log = logging.getLogger(__name__)


@router.post("/v1/logs", tags=["ingest"], summary="OTLP/HTTP log ingestion")
async def export_logs(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    content_type = request.headers.get("content-type", "")
    try:
        principal = await authenticate(request, runtime.keys, "ingest")
    except ApiError as exc:
        return status_response(runtime, exc.status, exc.message, content_type, **exc.headers)
    limit = runtime.settings.max_body_bytes
    try:
        body = await read_body(request, limit)
        message = await run_in_threadpool(
            decode_logs,
            body,
            content_type,
            request.headers.get("content-encoding"),
            max_body_bytes=limit,
        )
    except IngestError as exc:
        return status_response(runtime, exc.status, str(exc), content_type)
    batch = await run_in_threadpool(
        normalize_logs, message, project_id=principal.project_id, now_ns=time.time_ns()
    )
    if len(batch):
        try:
            await run_in_threadpool(runtime.store.insert_rows, "logs", LOG_COLUMNS, batch.columns)
        except Exception:  # storage down or refusing: the exporter retries a 503
            _log.exception("storing %d log records failed", len(batch))
            return status_response(
                runtime,
                503,
                "storage is unavailable; retry later",
                content_type,
                **{"Retry-After": "1"},
            )
    media = response_type(content_type)
    return Response(
        encode_logs_response(batch.rejected, "; ".join(batch.errors[:5]), media),
        status_code=200,
        media_type=media,
    )
