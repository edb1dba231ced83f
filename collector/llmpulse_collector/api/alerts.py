"""Alerts (``/api/v1/alerts``): rules CRUD, current state, history, evaluate, test.

``POST /evaluate`` evaluates rules from the request body once, without state or
notifications: it is what ``llmpulse alerts check`` (the CI regression gate) calls.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.alerts.engine import build_payload, file_rule_id
from llmpulse_collector.alerts.evaluate import evaluate_rule
from llmpulse_collector.alerts.notifiers import Notifier, default_notifiers
from llmpulse_collector.alerts.rules import AlertRule
from llmpulse_collector.alerts.state import page_events
from llmpulse_collector.api._params import Cursor, Limit, run
from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.contract import CONFLICT
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.api.query import parse_time
from llmpulse_collector.api.responses import (
    AlertEvaluation,
    AlertHistoryPage,
    AlertRuleAnswer,
    AlertRuleList,
    AlertStates,
    Deleted,
    NotificationsSent,
)
from llmpulse_collector.rulestore import delete_definition, list_definitions, put_definition
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store.queries.pages import page_list

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

ReadKey = Annotated[Principal, Depends(require("read"))]
AdminKey = Annotated[Principal, Depends(require("admin"))]
_DAY_NS = 86_400 * 1_000_000_000
_MAX_EVALUATE = 200


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _masked(definition: dict[str, Any]) -> dict[str, Any]:
    """A rule for a reader who may not see its notifiers' URLs (they hold secrets):
    scheme and host only."""
    if not definition.get("notifiers"):
        return definition
    notifiers = [
        {**n, "url": "/".join(str(n.get("url", "")).split("/")[:3]) + "/…", "headers": {}}
        for n in definition["notifiers"]
    ]
    return {**definition, "notifiers": notifiers}


def _rules(runtime: Runtime, principal: Principal) -> list[dict[str, Any]]:
    project_id = principal.project_id
    admin = principal.scope == "admin"
    out = [
        {
            "id": d.rule_id,
            "source": "api",
            "updated_at_ns": d.updated_at_ns,
            "rule": d.definition if admin else _masked(d.definition),
        }
        for d in list_definitions(runtime.store, "alert_rules", project_id)
    ]
    if runtime.alerts is not None:
        for active in runtime.alerts.active_rules():
            if active.source == "file" and active.project_id == project_id:
                out.append(
                    {"id": active.rule_id, "source": "file", "rule": active.rule.model_dump()}
                )
    return out


@router.get(
    "/rules",
    summary="Alert rules of this project (API and rules file)",
    response_model=AlertRuleList,
    response_model_exclude_unset=True,
)
async def list_rules(
    request: Request, principal: ReadKey, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rules = await run_in_threadpool(_rules, _runtime(request), principal)
    page = await run(
        page_list,
        rules,
        "alert-rules",
        lambda r: (str(r["rule"].get("name", "")), str(r["id"])),
        (str, str),
        limit=limit,
        cursor=cursor,
    )
    return {"rules": page.items, "total": page.total, "next_cursor": page.next_cursor}


@router.get(
    "/rules/{rule_id}",
    summary="One alert rule",
    response_model=AlertRuleAnswer,
    response_model_exclude_unset=True,
)
async def get_rule(request: Request, rule_id: str, principal: ReadKey) -> dict[str, Any]:
    rules = await run_in_threadpool(_rules, _runtime(request), principal)
    for rule in rules:
        if rule["id"] == rule_id:
            return rule
    raise ApiError(404, f"no alert rule {rule_id} in this project")


def _definition(body: AlertRule) -> dict[str, Any]:
    return body.model_dump(exclude={"project"}, exclude_none=True)


@router.post(
    "/rules",
    summary="Create an alert rule",
    status_code=201,
    response_model=AlertRuleAnswer,
    response_model_exclude_unset=True,
)
async def create_rule(request: Request, body: AlertRule, principal: AdminKey) -> dict[str, Any]:
    definition = _definition(body)
    stored = await run_in_threadpool(
        put_definition,
        _runtime(request).store,
        "alert_rules",
        principal.project_id,
        body.name,
        definition,
    )
    return {"id": stored.rule_id, "source": "api", "rule": definition}


@router.put(
    "/rules/{rule_id}",
    summary="Replace an alert rule",
    response_model=AlertRuleAnswer,
    response_model_exclude_unset=True,
)
async def replace_rule(
    request: Request, rule_id: str, body: AlertRule, principal: AdminKey
) -> dict[str, Any]:
    store = _runtime(request).store
    live = await run_in_threadpool(list_definitions, store, "alert_rules", principal.project_id)
    if rule_id not in {d.rule_id for d in live}:
        raise ApiError(404, f"no alert rule {rule_id} in this project (file rules: edit the file)")
    definition = _definition(body)
    await run_in_threadpool(
        put_definition, store, "alert_rules", principal.project_id, body.name, definition, rule_id
    )
    return {"id": rule_id, "source": "api", "rule": definition}


@router.delete(
    "/rules/{rule_id}",
    summary="Delete an alert rule",
    responses=CONFLICT,
    response_model=Deleted,
    response_model_exclude_unset=True,
)
async def delete_rule(request: Request, rule_id: str, principal: AdminKey) -> dict[str, Any]:
    if rule_id.startswith("file:"):
        raise ApiError(409, "this rule comes from the rules file: edit the file instead")
    found = await run_in_threadpool(
        delete_definition, _runtime(request).store, "alert_rules", principal.project_id, rule_id
    )
    if not found:
        raise ApiError(404, f"no alert rule {rule_id} in this project")
    return {"status": "deleted", "id": rule_id}


@router.get(
    "/state",
    summary="Current state of every rule (ok / firing)",
    response_model=AlertStates,
    response_model_exclude_unset=True,
)
async def state(
    request: Request, principal: ReadKey, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    runtime = _runtime(request)
    engine = runtime.alerts
    if engine is None:
        from llmpulse_collector.alerts.state import load_states

        found = await run_in_threadpool(load_states, runtime.store, principal.project_id)
        states = list(found.values())
    else:
        states = await run_in_threadpool(engine.states, principal.project_id)
    page = await run(
        page_list,
        [s.as_dict() for s in states],
        "alert-state",
        lambda s: (str(s["status"]), str(s["rule_name"]), str(s["rule_id"])),
        (str, str, str),
        limit=limit,
        cursor=cursor,
    )
    return {
        "engine_running": engine is not None,
        "firing": sum(1 for s in states if s.status == "firing"),
        "states": page.items,
        "total": page.total,
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/history",
    summary="Alert events (firing, renotify, resolved), newest first (cursor-paged)",
    response_model=AlertHistoryPage,
)
async def history(
    request: Request,
    principal: ReadKey,
    start: Annotated[str | None, Query(alias="from", description="default: to - 7 days")] = None,
    end: Annotated[str | None, Query(alias="to", description="default: now")] = None,
    rule_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    t1 = parse_time(end, time.time_ns(), "to")
    t0 = parse_time(start, t1 - 7 * _DAY_NS, "from")
    page = await run(
        page_events,
        _runtime(request).store,
        principal.project_id,
        t0,
        t1,
        rule_id,
        limit,
        cursor,
    )
    return {"events": page.events, "next_cursor": page.next_cursor, "total": page.total}


class EvaluateIn(BaseModel):
    rules: list[AlertRule] = Field(min_length=1, max_length=_MAX_EVALUATE)
    at: str | None = Field(None, description="evaluation instant (default: now)")


@router.post(
    "/evaluate",
    summary="Evaluate rules once (no state, no notification)",
    response_model=AlertEvaluation,
    response_model_exclude_unset=True,
)
async def evaluate(request: Request, body: EvaluateIn, principal: ReadKey) -> dict[str, Any]:
    runtime = _runtime(request)
    now = parse_time(body.at, time.time_ns(), "at")

    def run() -> list[dict[str, Any]]:
        return [
            evaluate_rule(
                runtime.store,
                principal.project_id,
                rule,
                now,
                rule_id=file_rule_id(rule),
                dashboard_url=runtime.settings.dashboard_url,
            ).as_dict()
            for rule in body.rules
        ]

    results = await run_in_threadpool(run)
    firing = sum(1 for r in results if r["status"] == "firing")
    return {"at_ns": now, "firing": firing, "results": results}


class TestIn(BaseModel):
    notifier: str | None = Field(None, description="a notifier name (default: all)")


@router.post(
    "/test",
    summary="Send a test notification through the configured notifiers",
    response_model=NotificationsSent,
    response_model_exclude_unset=True,
)
async def test(request: Request, body: TestIn, principal: AdminKey) -> dict[str, Any]:
    runtime = _runtime(request)
    settings = runtime.settings
    notifiers: list[Notifier] = (
        runtime.alerts.notifiers
        if runtime.alerts is not None
        else default_notifiers(settings.alert_webhook_url, settings.alert_slack_webhook_url)
    )
    if body.notifier is not None:
        notifiers = [n for n in notifiers if n.name == body.notifier]
    if not notifiers:
        raise ApiError(404, "no notifier configured (alert_webhook_url, rules file notifiers)")
    payload = test_payload(principal.project_id, settings.dashboard_url)
    sent = {n.name: await run_in_threadpool(n.send, payload) for n in notifiers}
    return {"sent": sent}


def test_payload(project_id: str, dashboard_url: str | None) -> dict[str, Any]:
    rule = AlertRule.model_validate(
        {
            "name": "llmpulse test notification",
            "metric": "volume",
            "condition": {"kind": "threshold", "op": ">=", "value": 0},
            "severity": "info",
        }
    )
    payload = build_payload("test", project_id, "test", rule, None, time.time_ns())
    payload["message"] = "This is a test notification from llmpulse: notifications work."
    payload["link"] = dashboard_url
    return payload
