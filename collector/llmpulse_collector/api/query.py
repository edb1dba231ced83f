"""The query API (``/api/v1``): traces, trace detail, metrics summary, feedback.

Every route authenticates a bearer key and reads only the key's project.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.model import EvaluationRow
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store import StorageUnavailable, WriterOverloaded
from llmpulse_collector.store.queries import (
    GROUP_BY,
    InvalidCursor,
    TimeRange,
    TraceFilter,
    get_trace,
    list_traces,
    metrics_summary,
)

__all__ = ["parse_time", "router"]

router = APIRouter(prefix="/api/v1", tags=["query"])

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_DAY_NS = 86_400 * 1_000_000_000


def parse_time(value: str | None, default_ns: int, what: str) -> int:
    """Unix nanoseconds from ISO 8601 (``2026-11-27T10:00:00Z``) or unix seconds/ms."""
    if value is None or value == "":
        return default_ns
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        # unix seconds, milliseconds, microseconds or nanoseconds, told by magnitude
        for limit, scale in ((1e11, 1e9), (1e14, 1e6), (1e17, 1e3)):
            if abs(number) < limit:
                return int(number * scale)
        return int(number)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(
            400, f"'{what}' must be ISO 8601 (2026-11-27T10:00:00Z) or unix seconds, got {value!r}"
        ) from exc
    if parsed.tzinfo is None:
        raise ApiError(400, f"'{what}' needs a time zone, e.g. {value}Z")
    return int(parsed.timestamp() * 1_000_000) * 1000


def _time_range(start: str | None, end: str | None) -> TimeRange:
    now = time.time_ns()
    t1 = parse_time(end, now, "to")
    t0 = parse_time(start, t1 - _DAY_NS, "from")
    if t0 >= t1:
        raise ApiError(400, "'from' must be before 'to'")
    return TimeRange(t0, t1)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


FromParam = Annotated[
    str | None, Query(alias="from", description="ISO 8601 or unix seconds; default: to - 24h")
]
ToParam = Annotated[
    str | None, Query(alias="to", description="ISO 8601 or unix seconds; default: now")
]
ReadKey = Annotated[Principal, Depends(require("read"))]


@router.get("/traces", summary="List traces, newest first")
async def traces(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    service: str | None = None,
    name: Annotated[str | None, Query(description="a span name anywhere in the trace")] = None,
    model: str | None = None,
    status: Literal["ok", "error"] | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    tag: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    f = TraceFilter(
        project_id=principal.project_id,
        time=_time_range(start, end),
        service=service,
        name=name,
        model=model,
        status=status,
        session_id=session_id,
        user_id=user_id,
        tag=tag,
    )
    store = _runtime(request).store
    try:
        page = await run_in_threadpool(list_traces, store, f, limit=limit, cursor=cursor)
    except InvalidCursor as exc:
        raise ApiError(400, str(exc)) from exc
    return {"traces": page.traces, "next_cursor": page.next_cursor}


@router.get("/traces/{trace_id}", summary="One trace: its spans as a tree, with evaluations")
async def trace(request: Request, principal: ReadKey, trace_id: str) -> dict[str, Any]:
    trace_id = trace_id.lower()
    if not _HEX32.match(trace_id):
        raise ApiError(400, "trace_id must be 32 hexadecimal characters")
    found = await run_in_threadpool(
        get_trace, _runtime(request).store, principal.project_id, trace_id
    )
    if found is None:
        raise ApiError(404, f"no trace {trace_id} in this project")
    return found


@router.get("/metrics/summary", summary="Spans, traces, error rate, latency, tokens, cost")
async def summary(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    group_by: Annotated[str | None, Query(description=f"one of: {', '.join(GROUP_BY)}")] = None,
) -> dict[str, Any]:
    if group_by is not None and group_by not in GROUP_BY:
        raise ApiError(400, f"group_by must be one of: {', '.join(GROUP_BY)}")
    time_range = _time_range(start, end)
    rows = await run_in_threadpool(
        metrics_summary, _runtime(request).store, principal.project_id, time_range, group_by
    )
    return {
        "from_ns": time_range.start_ns,
        "to_ns": time_range.end_ns,
        "group_by": group_by,
        "groups": rows,
    }


class FeedbackIn(BaseModel):
    trace_id: str = Field(description="32 hexadecimal characters")
    span_id: str | None = Field(None, description="16 hexadecimal characters, optional")
    name: str = Field(min_length=1, max_length=200)
    value: bool | float | str
    comment: str | None = Field(None, max_length=10_000)


def _feedback_row(project_id: str, body: FeedbackIn) -> EvaluationRow:
    trace_id = body.trace_id.lower()
    span_id = (body.span_id or "").lower()
    if not _HEX32.match(trace_id):
        raise ApiError(400, "trace_id must be 32 hexadecimal characters")
    if span_id and not _HEX16.match(span_id):
        raise ApiError(400, "span_id must be 16 hexadecimal characters")
    value = body.value
    passed: bool | None = None
    score: float | None = None
    label = ""
    if isinstance(value, bool):
        passed, score, label = value, 1.0 if value else 0.0, "positive" if value else "negative"
    elif isinstance(value, float | int):
        score = float(value)
    else:
        label = value[:200]
    return EvaluationRow(
        project_id=project_id,
        trace_id=trace_id,
        span_id=span_id,
        name=body.name,
        source="feedback",
        passed=passed,
        score=score,
        label=label,
        comment=body.comment or "",
        value=json.dumps(value),
        created_at=time.time_ns(),
    )


@router.post("/feedback", summary="Store human feedback on a trace", status_code=201)
async def feedback(
    request: Request,
    body: FeedbackIn,
    principal: Annotated[Principal, Depends(require("feedback"))],
) -> dict[str, Any]:
    row = _feedback_row(principal.project_id, body)
    try:
        await _runtime(request).writer.write([], [row])
    except WriterOverloaded as exc:
        retry = str(max(1, round(exc.retry_after)))
        raise ApiError(
            429, f"collector is busy, retry in {retry}s", headers={"Retry-After": retry}
        ) from exc
    except StorageUnavailable as exc:
        raise ApiError(503, f"storage unavailable: {exc}", headers={"Retry-After": "5"}) from exc
    return {"status": "stored", "trace_id": row.trace_id, "name": row.name}
