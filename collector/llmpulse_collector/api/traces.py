"""Routes: the trace list (filters, sorts, paging) and one trace as a tree."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from llmpulse_collector.api._params import Limit, ReadKey, TraceFilterParams, run, store
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.api.responses import TraceDetail, TracePage
from llmpulse_collector.ingest import attach_log_events
from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries import get_trace, list_traces, trace_logs

__all__ = ["TraceOrder", "TraceSort", "router"]

router = APIRouter(prefix="/api/v1", tags=["traces"])

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
TraceSort = Literal["start_time", "duration_ms", "cost_usd", "total_tokens"]
TraceOrder = Literal["desc", "asc"]


@router.get(
    "/traces",
    summary="List and search traces (sortable, cursor-paged)",
    response_model=TracePage,
    response_model_exclude_unset=True,
)
async def traces(
    request: Request,
    f: TraceFilterParams,
    sort: TraceSort = "start_time",
    order: TraceOrder = "desc",
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    with_total: Annotated[
        bool, Query(description="also count every matching trace (`total`; one more query)")
    ] = False,
) -> dict[str, Any]:
    page = await run(
        list_traces,
        store(request),
        f,
        sort=sort,
        order=order,
        limit=limit,
        cursor=cursor,
        with_total=with_total,
    )
    answer: dict[str, Any] = {"traces": page.traces, "next_cursor": page.next_cursor}
    if with_total:
        answer["total"] = page.total
    return answer


@router.get(
    "/traces/{trace_id}",
    summary="One trace: span tree, evaluations, feedback",
    response_model=TraceDetail,
    response_model_exclude_unset=True,
)
async def trace(request: Request, principal: ReadKey, trace_id: str) -> dict[str, Any]:
    trace_id = trace_id.lower()
    if not _HEX32.match(trace_id):
        raise ApiError(400, "trace_id must be 32 hexadecimal characters")
    found = await run(_trace_with_logs, store(request), principal.project_id, trace_id)
    if found is None:
        raise ApiError(404, f"no trace {trace_id} in this project")
    return found


def _trace_with_logs(store: Store, project_id: str, trace_id: str) -> dict[str, Any] | None:
    """``get_trace`` with the trace's log records (``logs``) and its spans' content
    filled from their GenAI log events."""
    found = get_trace(store, project_id, trace_id)
    if found is None:
        return None
    logs = trace_logs(store, project_id, trace_id, found["start_time_ns"], found["end_time_ns"])
    if logs:
        attach_log_events(_spans(found["roots"]), logs)
    found["logs"] = logs
    return found


def _spans(roots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    pending = list(roots)
    while pending:
        span = pending.pop()
        out.append(span)
        pending.extend(span["children"])
    return out
