"""Routes: metrics summary and time series (with period comparison), cost breakdown."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from llmpulse_collector.api._params import (
    FromParam,
    ReadKey,
    ToParam,
    interval_seconds,
    run,
    store,
    time_range,
)
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.api.responses import (
    CostAnswer,
    MetricDefinitionsAnswer,
    MetricsSummaryAnswer,
    MetricsTimeseriesAnswer,
)
from llmpulse_collector.store.metricdefs import definitions
from llmpulse_collector.store.queries import (
    GROUP_BY,
    cost_breakdown,
    metrics_summary,
    timeseries,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["metrics"])

_GROUPS = ", ".join(GROUP_BY)
GroupBy = Annotated[str | None, Query(description=f"one of: {_GROUPS}")]
Compare = Annotated[
    bool, Query(description="also return the previous period (same length, right before)")
]


def _group_by(value: str | None) -> str | None:
    if value is not None and value not in GROUP_BY:
        raise ApiError(400, f"group_by must be one of: {_GROUPS}")
    return value


@router.get(
    "/metrics/definitions",
    summary="Every metric once: name, population, aggregate, unit, direction",
    response_model=MetricDefinitionsAnswer,
    response_model_exclude_unset=True,
)
async def metric_definitions(principal: ReadKey) -> dict[str, Any]:
    return definitions()


@router.get(
    "/metrics/summary",
    summary="Spans, traces, errors, latency, tokens, cost per group",
    response_model=MetricsSummaryAnswer,
    response_model_exclude_unset=True,
)
async def summary(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    group_by: GroupBy = None,
    compare: Compare = False,
) -> dict[str, Any]:
    return await run(
        metrics_summary,
        store(request),
        principal.project_id,
        time_range(start, end),
        _group_by(group_by),
        compare=compare,
    )


@router.get(
    "/metrics/timeseries",
    summary="Metrics per time bucket, per group",
    response_model=MetricsTimeseriesAnswer,
    response_model_exclude_unset=True,
)
async def series(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    interval: Annotated[
        str, Query(description="'auto' or bucket seconds: 60, 300, 3600, 86400, ...")
    ] = "auto",
    group_by: GroupBy = None,
    compare: Compare = False,
    limit: Annotated[int, Query(ge=1, le=50, description="top groups by spans")] = 10,
) -> dict[str, Any]:
    time = time_range(start, end)
    return await run(
        timeseries,
        store(request),
        principal.project_id,
        time,
        interval_seconds(interval, time),
        _group_by(group_by),
        compare=compare,
        limit=limit,
    )


@router.get(
    "/cost",
    summary="Cost per model, service, user, tag or provider",
    response_model=CostAnswer,
    response_model_exclude_unset=True,
)
async def cost(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    group_by: Literal["model", "service", "user", "tag", "provider"] = "model",
) -> dict[str, Any]:
    return await run(
        cost_breakdown, store(request), principal.project_id, time_range(start, end), group_by
    )
