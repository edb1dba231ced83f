"""Projects and API keys over HTTP (``/api/v1/projects``, ``/api/v1/keys``).

An embedded store has one owner, the running collector: these routes let the CLI
create projects and keys while it runs. The key model:

- a project's ``admin`` key manages that project only: its keys (here) and its
  evaluation and alert rules;
- the instance-wide ``operator`` key creates and lists projects and manages any
  project's keys, naming the project in the body (``POST /keys``) or in the
  ``X-Llmpulse-Project`` header.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.api._params import Cursor, Limit, run
from llmpulse_collector.api.auth import PROJECT_HEADER, Principal, require
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.api.responses import KeyList, KeyRevoked, NewKey, ProjectAnswer, ProjectList
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store.keys import (
    ProjectScope,
    create_key,
    create_project,
    list_keys,
    list_projects,
    lookup_key_id,
    revoke_key,
)
from llmpulse_collector.store.queries.pages import page_list

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["admin"])
OperatorKey = Annotated[Principal, Depends(require("operator", project=False))]
#: an admin key (its own project) or the operator key (the project the header names)
AdminKey = Annotated[Principal, Depends(require("admin"))]
#: the same, but the route finds the project itself (body field, key id)
AdminOrOperator = Annotated[Principal, Depends(require("admin", project=False))]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class KeyIn(BaseModel):
    scope: ProjectScope
    project: str | None = Field(
        None,
        description="project id; an admin key may only name its own (the default), "
        "the operator key any",
    )


@router.post(
    "/projects",
    status_code=201,
    summary="Create a project (idempotent by name; operator key)",
    response_model=ProjectAnswer,
    response_model_exclude_unset=True,
)
async def new_project(request: Request, body: ProjectIn, _: OperatorKey) -> dict[str, Any]:
    store = _runtime(request).store
    try:
        project_id = await run_in_threadpool(create_project, store, body.name)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    return {"project_id": project_id, "name": body.name}


@router.get(
    "/projects",
    summary="List all projects (operator key)",
    response_model=ProjectList,
    response_model_exclude_unset=True,
)
async def projects(
    request: Request, _: OperatorKey, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await run_in_threadpool(list_projects, _runtime(request).store)
    page = await run(
        page_list,
        [{"project_id": p.project_id, "name": p.name} for p in rows],
        "projects",
        lambda p: (str(p["project_id"]),),
        (str,),
        limit=limit,
        cursor=cursor,
    )
    return {"projects": page.items, "total": page.total, "next_cursor": page.next_cursor}


def _key_project(body: KeyIn, principal: Principal) -> str:
    if principal.operator:
        project = body.project or principal.project_id
        if not project:
            raise ApiError(
                400, f"name the project: 'project' in the body or the '{PROJECT_HEADER}' header"
            )
        return project
    if body.project is not None and body.project != principal.project_id:
        raise ApiError(
            403,
            f"an admin key manages its own project ({principal.project_id!r}) only; "
            "keys for other projects need the operator key",
        )
    return principal.project_id


@router.post(
    "/keys",
    status_code=201,
    summary="Create an API key; the key is shown once",
    response_model=NewKey,
    response_model_exclude_unset=True,
)
async def new_key(request: Request, body: KeyIn, principal: AdminOrOperator) -> dict[str, Any]:
    project = _key_project(body, principal)
    try:
        key = await run_in_threadpool(create_key, _runtime(request).store, project, body.scope)
    except ValueError as exc:
        raise ApiError(404 if "no project" in str(exc) else 400, str(exc)) from exc
    return {"key": key, "project_id": project, "scope": body.scope}


@router.get(
    "/keys",
    summary="Keys of the project (never the keys themselves)",
    response_model=KeyList,
    response_model_exclude_unset=True,
)
async def keys(
    request: Request, principal: AdminKey, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await run_in_threadpool(list_keys, _runtime(request).store, principal.project_id)
    page = await run(
        page_list,
        [
            {
                "key_id": k.key_id,
                "key_prefix": k.key_prefix,
                "scope": k.scope,
                "created_at": k.created_at.isoformat(),
                "revoked": k.revoked,
            }
            for k in rows
        ],
        f"keys:{principal.project_id}",
        lambda k: (str(k["created_at"]), str(k["key_id"])),
        (str, str),
        limit=limit,
        cursor=cursor,
    )
    return {"keys": page.items, "total": page.total, "next_cursor": page.next_cursor}


@router.delete(
    "/keys/{key_id}",
    summary="Revoke a key (of the admin key's project)",
    response_model=KeyRevoked,
    response_model_exclude_unset=True,
)
async def revoke(request: Request, key_id: str, principal: AdminOrOperator) -> dict[str, Any]:
    runtime = _runtime(request)
    owner = await run_in_threadpool(lookup_key_id, runtime.store, key_id)
    mine = owner is not None and (
        owner == principal.project_id if principal.project_id else principal.operator
    )
    if not mine:
        where = f"in project {principal.project_id}" if principal.project_id else ""
        raise ApiError(404, f"no key {key_id} {where}".strip())
    await run_in_threadpool(revoke_key, runtime.store, key_id)
    runtime.keys.forget()
    return {"key_id": key_id, "revoked": True}
