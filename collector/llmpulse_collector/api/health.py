"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from llmpulse_collector.runtime import Runtime

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Storage is reachable")
async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    if runtime.store.ping():
        return JSONResponse({"status": "ready"})
    return JSONResponse(
        {
            "status": "unavailable",
            "error": {"code": "unavailable", "message": "storage unreachable"},
        },
        status_code=503,
    )


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    runtime.metrics.queue_depth.set(runtime.writer.pending_spans)
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
