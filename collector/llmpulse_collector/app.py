"""The collector's app factory: ``create_app(settings)``.

Nothing is opened at import time; the lifespan opens storage, applies migrations and
starts the writer, and on shutdown flushes the writer and closes storage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from llmpulse_collector.api import admin, alerts, drift, evalrules, health, ingest, logs, query
from llmpulse_collector.api.contract import install_openapi
from llmpulse_collector.api.errors import install_error_handlers
from llmpulse_collector.api.evaluation_loop import ROUTERS as EVALUATION_LOOP_ROUTERS
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.settings import Settings, get_settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the collector app; storage opens when the app starts."""
    resolved = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.start(resolved)
        app.state.runtime = runtime
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="llmpulse collector",
        summary="OTLP/HTTP ingestion and the query API of llmpulse.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(ingest.router)
    app.include_router(logs.router)
    app.include_router(query.router)
    app.include_router(health.router)
    app.include_router(drift.router)
    app.include_router(alerts.router)
    app.include_router(evalrules.router)
    app.include_router(admin.router)
    for router in EVALUATION_LOOP_ROUTERS:
        app.include_router(router)
    install_openapi(app)
    return app
