"""JSON errors of the query API: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from llmpulse_collector.store.errors import SpansRejected, StoreError, WriterOverloaded

__all__ = ["ApiError", "error_body", "install_error_handlers", "write_error"]

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    503: "unavailable",
}


class ApiError(Exception):
    """An error with an HTTP status and a message that says what to fix."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def write_error(exc: StoreError) -> ApiError:
    """The answer when the writer refused rows: 429 when it is behind, 400 when the
    database rejected this request's own rows, 503 when storage failed; 429 and 503
    with ``Retry-After`` (the OTel exporters retry these)."""
    if isinstance(exc, SpansRejected):
        return ApiError(400, f"the spans cannot be stored: {exc}")
    if isinstance(exc, WriterOverloaded):
        retry = str(max(1, round(exc.retry_after)))
        return ApiError(
            429, f"collector is busy ({exc}), retry in {retry}s", headers={"Retry-After": retry}
        )
    return ApiError(503, f"storage unavailable: {exc}", headers={"Retry-After": "5"})


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": _CODES.get(status, "error"), "message": message}}


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        parts.append(f"{loc or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(
            error_body(exc.status, exc.message), status_code=exc.status, headers=exc.headers
        )

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(
            error_body(exc.status_code, str(exc.detail)),
            status_code=exc.status_code,
            headers=dict(exc.headers or {}),
        )

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse(error_body(400, _describe_validation(exc)), status_code=400)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
