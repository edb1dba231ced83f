"""The documented contract of the API: one error envelope for every route.

The app answers every error as ``{"error": {"code": ..., "message": ...}}`` (see
``api.errors``), validation errors included (400, not FastAPI's 422). ``document_errors``
rewrites the generated OpenAPI once, for every route, so the document says so: it drops
the 422 ``HTTPValidationError`` answers and lists the error statuses each route can
answer with ``ErrorResponse``. A route that can answer a status of its own (409) declares
it with ``responses=CONFLICT``; its schema is filled in here too.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

__all__ = [
    "CONFLICT",
    "ErrorDetail",
    "ErrorResponse",
    "document_errors",
    "install_openapi",
    "render",
]


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable: bad_request, unauthorized, not_found, ...")
    message: str = Field(description="what went wrong and what to fix")


class ErrorResponse(BaseModel):
    """Every error answer of the collector."""

    error: ErrorDetail


_DESCRIPTIONS = {
    "400": "Invalid request (parameters, body or time range); the message says what to fix",
    "401": "Missing, unknown or revoked API key",
    "403": "The key's scope or project does not allow this",
    "404": "Not found in this project",
    "409": "Conflicts with the current state",
    "413": "Payload too large",
    "415": "Unsupported content type",
    "429": "The collector is busy; retry after `Retry-After` seconds",
    "503": "Storage unavailable; retry after `Retry-After` seconds",
}
_EVERY_ROUTE = ("400", "401", "403", "429", "503")
_INGEST_ROUTE = ("413", "415")

CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": _DESCRIPTIONS["409"]}}

_REF = "#/components/schemas/ErrorResponse"


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (an OpenAPI document of this app) with the error envelope documented
    on every ``/api/v1`` and ``/v1`` route and no 422 ``HTTPValidationError``."""
    for path, operations in schema.get("paths", {}).items():
        api = path.startswith(("/api/v1/", "/v1/"))
        for operation in operations.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            responses.pop("422", None)
            if not api:
                continue
            statuses = list(_EVERY_ROUTE)
            if "{" in path:
                statuses.append("404")
            if path.startswith("/v1/"):
                statuses.extend(_INGEST_ROUTE)
            statuses.extend(s for s in responses if s.startswith(("4", "5")))
            for status in sorted(set(statuses)):
                responses[status] = {
                    "description": responses.get(status, {}).get("description")
                    or _DESCRIPTIONS.get(status, "Error"),
                    "content": {"application/json": {"schema": {"$ref": _REF}}},
                }
            operation["responses"] = dict(sorted(responses.items()))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    envelope = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(envelope.pop("$defs", {}))
    components["ErrorResponse"] = envelope
    schema["components"]["schemas"] = dict(sorted(components.items()))
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` answer the documented contract (built once, then cached)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render(schema: dict[str, Any]) -> str:
    """The committed form of the document (docs/openapi.json): sorted, indented, one
    trailing newline, so a diff shows what changed."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
