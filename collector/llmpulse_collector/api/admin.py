"""Projects and API keys over HTTP, for an admin key (``/api/v1/projects``, ``/api/v1/keys``).

An embedded store has one owner, the running collector: these routes let the CLI
create projects and keys while it runs. An admin key may create projects and manage
the keys of its own project (or of a project it names).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store.keys import (
    Scope,
    create_key,
    create_project,
    list_keys,
    list_projects,
    revoke_key,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["admin"])
AdminKey = Annotated[Principal, Depends(require("admin"))]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class KeyIn(BaseModel):
    scope: Scope
    project: str | None = Field(None, description="project id; default: the admin key's")


@router.post("/projects", status_code=201, summary="Create a project (idempotent by name)")
async def new_project(request: Request, body: ProjectIn, _: AdminKey) -> dict[str, Any]:
    store = _runtime(request).store
    try:
        project_id = await run_in_threadpool(create_project, store, body.name)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    return {"project_id": project_id, "name": body.name}


@router.get("/projects", summary="List projects")
async def projects(request: Request, _: AdminKey) -> dict[str, Any]:
    rows = await run_in_threadpool(list_projects, _runtime(request).store)
    return {"projects": [{"project_id": p.project_id, "name": p.name} for p in rows]}


@router.post("/keys", status_code=201, summary="Create an API key; the key is shown once")
async def new_key(request: Request, body: KeyIn, principal: AdminKey) -> dict[str, Any]:
    project = body.project or principal.project_id
    try:
        key = await run_in_threadpool(create_key, _runtime(request).store, project, body.scope)
    except ValueError as exc:
        raise ApiError(404 if "no project" in str(exc) else 400, str(exc)) from exc
    return {"key": key, "project_id": project, "scope": body.scope}


@router.get("/keys", summary="Keys of the admin key's project (never the keys themselves)")
async def keys(request: Request, principal: AdminKey) -> dict[str, Any]:
    rows = await run_in_threadpool(list_keys, _runtime(request).store, principal.project_id)
    return {
        "keys": [
            {
                "key_id": k.key_id,
                "key_prefix": k.key_prefix,
                "scope": k.scope,
                "created_at": k.created_at.isoformat(),
                "revoked": k.revoked,
            }
            for k in rows
        ]
    }


@router.delete("/keys/{key_id}", summary="Revoke a key of the admin key's project")
async def revoke(request: Request, key_id: str, principal: AdminKey) -> dict[str, Any]:
    runtime = _runtime(request)
    own = await run_in_threadpool(list_keys, runtime.store, principal.project_id)
    if key_id not in {k.key_id for k in own}:
        raise ApiError(404, f"no key {key_id} in project {principal.project_id}")
    await run_in_threadpool(revoke_key, runtime.store, key_id)
    runtime.keys.forget()
    return {"key_id": key_id, "revoked": True}
