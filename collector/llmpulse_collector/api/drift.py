"""``GET /api/v1/drift``: compare a current window with a baseline window, per group."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.analysis import (
    CATEGORICAL_FEATURES,
    GROUP_KEYS,
    NUMERIC_FEATURES,
    DriftQuery,
    Thresholds,
    drift_report,
)
from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.api.query import parse_time
from llmpulse_collector.api.responses import DriftAnswer
from llmpulse_collector.runtime import Runtime

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["drift"])

_DAY_NS = 86_400 * 1_000_000_000
_DEFAULT_MIN_SAMPLES = Thresholds().min_samples


def _names(value: str | None, allowed: dict[str, Any], what: str) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ApiError(400, f"unknown {what} {unknown}: choose from {', '.join(allowed)}")
    return names


@router.get(
    "/drift",
    summary="Drift of numeric and categorical features between two windows",
    response_model=DriftAnswer,
    response_model_exclude_unset=True,
)
async def drift(
    request: Request,
    principal: Annotated[Principal, Depends(require("read"))],
    start: Annotated[str | None, Query(alias="from", description="default: to - 24h")] = None,
    end: Annotated[str | None, Query(alias="to", description="default: now")] = None,
    baseline_from: Annotated[
        str | None, Query(description="default: baseline_to - (to - from)")
    ] = None,
    baseline_to: Annotated[str | None, Query(description="default: from")] = None,
    group_by: Annotated[
        str | None, Query(description=f"comma-separated, among: {', '.join(GROUP_KEYS)}")
    ] = None,
    features: Annotated[
        str | None, Query(description="comma-separated feature names (default: all)")
    ] = None,
    min_samples: Annotated[int, Query(ge=1, le=1_000_000)] = _DEFAULT_MIN_SAMPLES,
    service: str | None = None,
    name: str | None = None,
    model: str | None = None,
    span_type: str | None = None,
    environment: str | None = None,
    version: Annotated[str | None, Query(description="service version (service.version)")] = None,
    prompt_version: str | None = None,
) -> dict[str, Any]:
    runtime: Runtime = request.app.state.runtime
    c1 = parse_time(end, time.time_ns(), "to")
    c0 = parse_time(start, c1 - _DAY_NS, "from")
    b1 = parse_time(baseline_to, c0, "baseline_to")
    b0 = parse_time(baseline_from, b1 - (c1 - c0), "baseline_from")
    keys = _names(group_by, GROUP_KEYS, "group_by") or []
    chosen = _names(features, {**NUMERIC_FEATURES, **CATEGORICAL_FEATURES}, "features")
    filters = {
        k: v
        for k, v in {
            "service": service,
            "name": name,
            "model": model,
            "span_type": span_type,
            "environment": environment,
            "version": version,
            "prompt_version": prompt_version,
        }.items()
        if v
    }
    q = DriftQuery(
        project_id=principal.project_id,
        baseline=(b0, b1),
        current=(c0, c1),
        group_by=keys,
        filters=filters,
        numeric=[f for f in chosen if f in NUMERIC_FEATURES] if chosen else list(NUMERIC_FEATURES),
        categorical=(
            [f for f in chosen if f in CATEGORICAL_FEATURES]
            if chosen
            else list(CATEGORICAL_FEATURES)
        ),
        thresholds=Thresholds(min_samples=min_samples),
    )
    try:
        q.validate()
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    return await run_in_threadpool(drift_report, runtime.store, q)
