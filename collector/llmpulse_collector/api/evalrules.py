"""Server-side evaluation rules (``/api/v1/eval-rules``): list, create, delete.

Rules apply at ingest to the spans they match and write evaluations with source
``rule``. A change applies at once on this collector and within
``eval_rules_refresh_seconds`` on the others.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.api._params import Cursor, Limit, run
from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.contract import CONFLICT
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.api.responses import Deleted, EvalRuleAnswer, EvalRuleList
from llmpulse_collector.evalrules.model import EvalRule, load_eval_rules_file
from llmpulse_collector.rulestore import delete_definition, list_definitions, put_definition
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store.queries.pages import page_list

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/eval-rules", tags=["evaluation rules"])

ReadKey = Annotated[Principal, Depends(require("read"))]
AdminKey = Annotated[Principal, Depends(require("admin"))]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _refresh(runtime: Runtime) -> None:
    if runtime.eval_rules is not None:
        runtime.eval_rules.refresh()


@router.get(
    "",
    summary="Evaluation rules of this project (API and file)",
    response_model=EvalRuleList,
    response_model_exclude_unset=True,
)
async def list_rules(
    request: Request, principal: ReadKey, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    runtime = _runtime(request)
    stored = await run_in_threadpool(
        list_definitions, runtime.store, "eval_rules", principal.project_id
    )
    rules: list[dict[str, Any]] = [
        {"id": d.rule_id, "source": "api", "updated_at_ns": d.updated_at_ns, **d.definition}
        for d in stored
    ]
    path = runtime.settings.eval_rules_file
    if path is not None:
        try:
            parsed = load_eval_rules_file(path)
        except ValueError:
            parsed = None
        for i, rule in enumerate(parsed.eval_rules if parsed else []):
            rules.append({"id": f"file:{i}:{rule.name}", "source": "file", **rule.model_dump()})
    page = await run(
        page_list,
        rules,
        "eval-rules",
        lambda r: (str(r["name"]), str(r["id"])),
        (str, str),
        limit=limit,
        cursor=cursor,
    )
    return {"rules": page.items, "total": page.total, "next_cursor": page.next_cursor}


@router.post(
    "",
    summary="Create an evaluation rule",
    status_code=201,
    response_model=EvalRuleAnswer,
    response_model_exclude_unset=True,
)
async def create_rule(request: Request, body: EvalRule, principal: AdminKey) -> dict[str, Any]:
    runtime = _runtime(request)
    definition = body.model_dump(exclude={"project"})
    stored = await run_in_threadpool(
        put_definition, runtime.store, "eval_rules", principal.project_id, body.name, definition
    )
    await run_in_threadpool(_refresh, runtime)
    return {"id": stored.rule_id, "source": "api", **definition}


@router.delete(
    "/{rule_id}",
    summary="Delete an evaluation rule",
    responses=CONFLICT,
    response_model=Deleted,
    response_model_exclude_unset=True,
)
async def delete_rule(request: Request, rule_id: str, principal: AdminKey) -> dict[str, Any]:
    runtime = _runtime(request)
    if rule_id.startswith("file:"):
        raise ApiError(409, "this rule comes from the rules file: edit the file instead")
    found = await run_in_threadpool(
        delete_definition, runtime.store, "eval_rules", principal.project_id, rule_id
    )
    if not found:
        raise ApiError(404, f"no evaluation rule {rule_id} in this project")
    await run_in_threadpool(_refresh, runtime)
    return {"status": "deleted", "id": rule_id}
