"""Routes: evaluation pass rates, failing evaluations, human feedback (read and write)."""

from __future__ import annotations

import json
import re
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from llmpulse_collector.api._params import (
    Cursor,
    FromParam,
    Limit,
    ReadKey,
    ToParam,
    interval_seconds,
    run,
    store,
    time_range,
)
from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.errors import ApiError, write_error
from llmpulse_collector.api.responses import (
    EvaluationSummaryAnswer,
    FailingPage,
    FeedbackPage,
    FeedbackStored,
)
from llmpulse_collector.model import EvaluationRow
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store import SpansRejected, StorageUnavailable, WriterOverloaded
from llmpulse_collector.store.queries import evaluation_summary, list_evaluations

__all__ = ["FeedbackIn", "router"]

router = APIRouter(prefix="/api/v1", tags=["evaluations"])

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")


@router.get(
    "/evaluations/summary",
    summary="Pass rates per assertion, overall and per bucket",
    response_model=EvaluationSummaryAnswer,
    response_model_exclude_unset=True,
)
async def summary(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    interval: Annotated[str, Query(description="'auto' or bucket seconds")] = "auto",
    source: Literal["sdk", "feedback", "rule", "api", "human", "judge"] | None = None,
) -> dict[str, Any]:
    t = time_range(start, end)
    return await run(
        evaluation_summary,
        store(request),
        principal.project_id,
        t,
        interval_seconds(interval, t),
        source,
    )


@router.get(
    "/evaluations/failing",
    summary="Failing evaluations, newest first",
    response_model=FailingPage,
    response_model_exclude_unset=True,
)
async def failing(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    name: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await run(
        list_evaluations,
        store(request),
        principal.project_id,
        time_range(start, end),
        failing=True,
        name=name,
        limit=limit,
        cursor=cursor,
    )
    return {"evaluations": page.items, "next_cursor": page.next_cursor, "total": page.total}


@router.get(
    "/feedback",
    summary="Human feedback, newest first",
    response_model=FeedbackPage,
    response_model_exclude_unset=True,
)
async def feedback_list(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await run(
        list_evaluations,
        store(request),
        principal.project_id,
        time_range(start, end),
        source="feedback",
        limit=limit,
        cursor=cursor,
    )
    return {"feedback": page.items, "next_cursor": page.next_cursor, "total": page.total}


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


@router.post(
    "/feedback",
    summary="Store human feedback on a trace",
    status_code=201,
    response_model=FeedbackStored,
    response_model_exclude_unset=True,
)
async def feedback(
    request: Request,
    body: FeedbackIn,
    principal: Annotated[Principal, Depends(require("feedback"))],
) -> dict[str, Any]:
    row = _feedback_row(principal.project_id, body)
    runtime: Runtime = request.app.state.runtime
    try:
        await runtime.writer.write([], [row])
    except (WriterOverloaded, SpansRejected, StorageUnavailable) as exc:
        raise write_error(exc) from exc
    return {"status": "stored", "trace_id": row.trace_id, "name": row.name}
