"""Experiments (``/api/v1/experiments``): runs of a task over a dataset, their per-item
results and scores, and the comparison of two runs (the offline CI gate).

The SDK's ``llmpulse.experiment()`` creates a run, posts results in batches and marks
the run completed. Reads need a ``read`` key; writes accept ``ingest`` and ``read``
keys too. A run is named by its id, or by its name (the newest run of that name).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from llmpulse_collector.api._params import Cursor, Limit, ReadKey, run, store
from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.store.datasets import UnknownVersion, find_dataset, resolve_version
from llmpulse_collector.store.experiment_compare import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    compare_runs,
)
from llmpulse_collector.store.experiments import (
    ResultRow,
    ScoreRow,
    add_results,
    create_run,
    find_run,
    list_results,
    list_runs,
    run_summaries,
    set_status,
)

__all__ = ["CompareOut", "RunOut", "router"]

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"])

WriteKey = Annotated[Principal, Depends(require("feedback"))]
MAX_RESULTS = 5_000


class RunIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    dataset: str | None = Field(None, description="dataset id or name (optional)")
    dataset_version: int | None = Field(None, ge=1, description="default: the latest")
    metadata: dict[str, Any] = Field(default_factory=dict)


class RunOut(BaseModel):
    id: str
    name: str
    dataset_id: str | None
    dataset_name: str | None
    dataset_version: int | None
    dataset_version_ns: int | None
    metadata: dict[str, Any]
    status: Literal["running", "completed", "failed"]
    created_at: str
    created_at_ns: int
    updated_at: str


class EvaluatorStats(BaseModel):
    name: str
    count: int
    pass_rate: float | None = Field(description="passed / judged; None without verdicts")
    mean_score: float | None


class LatencyStats(BaseModel):
    mean: float | None
    p50: float | None
    p95: float | None


class RunSummaryOut(RunOut):
    items: int
    errors: int
    latency_ms: LatencyStats
    cost_usd: float = Field(description="cost of the items' traces, evaluator spans excluded")
    evaluator_cost_usd: float = Field(description="cost of the evaluator spans (LLM judges)")
    evaluators: list[EvaluatorStats]


class RunListOut(BaseModel):
    experiments: list[RunSummaryOut]
    total: int = Field(description="runs across all pages")
    next_cursor: str | None = Field(None, description="the next page's cursor; null: last page")


class ScoreIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    score: float | None = None
    passed: bool | None = None
    label: str = Field("", max_length=200)
    reason: str = Field("", max_length=10_000)


class ResultIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=200)
    trace_id: str = Field("", max_length=32)
    input: Any = None
    expected_output: Any = None
    output: Any = None
    error: str = Field("", max_length=10_000)
    latency_ms: float = Field(0.0, ge=0)
    scores: list[ScoreIn] = Field(default_factory=list, max_length=100)


class ResultsIn(BaseModel):
    results: list[ResultIn] = Field(min_length=1, max_length=MAX_RESULTS)


class StoredOut(BaseModel):
    run_id: str
    stored: int


class StatusIn(BaseModel):
    status: Literal["completed", "failed"]


class ScoreOut(BaseModel):
    score: float | None
    passed: bool | None
    label: str | None
    reason: str | None


class ResultOut(BaseModel):
    item_id: str
    trace_id: str | None
    input: Any
    expected_output: Any
    output: Any
    error: str | None
    latency_ms: float
    cost_usd: float | None
    evaluator_cost_usd: float | None
    scores: dict[str, ScoreOut]


class RunDetailOut(RunSummaryOut):
    results: list[ResultOut]
    total: int
    next_cursor: str | None


class SideOut(BaseModel):
    output: Any
    error: str | None
    trace_id: str | None
    latency_ms: float
    scores: dict[str, ScoreOut]


class ItemDiffOut(BaseModel):
    item_id: str
    input: Any
    expected_output: Any
    regressed: bool
    regressed_evaluators: list[str]
    score_delta: float = Field(description="sum over evaluators of candidate - baseline")
    baseline: SideOut | None
    candidate: SideOut | None


class EvaluatorCompareOut(BaseModel):
    name: str
    baseline: EvaluatorStats | None
    candidate: EvaluatorStats | None
    paired: int = Field(description="items scored in both runs")
    mean_diff: float | None = Field(description="mean of candidate - baseline")
    drop: float | None = Field(description="-mean_diff")
    drop_ci_low: float | None
    drop_ci_high: float | None
    regressed: bool


class GateOut(BaseModel):
    method: Literal["bootstrap", "bootstrap+normal"] = Field(
        description="'bootstrap+normal': some evaluator had too many items for resampling "
        "and its interval is the normal approximation"
    )
    max_drop: float
    confidence: float
    resamples: int
    seed: int
    failed: bool
    regressed_evaluators: list[str]
    rule: str


class CompareOut(BaseModel):
    baseline: RunSummaryOut
    candidate: RunSummaryOut
    shared_items: int
    only_baseline: int
    only_candidate: int
    evaluators: list[EvaluatorCompareOut]
    regressed_items: int
    improved_items: int
    items: list[ItemDiffOut] = Field(description="one page of item diffs, regressed first")
    total: int = Field(description="item diffs across all pages (items scored in both runs)")
    next_cursor: str | None = Field(None, description="the next page's cursor; null: last page")
    gate: GateOut


async def _run(request: Request, principal: Principal, ref: str) -> dict[str, Any]:
    found = await run(find_run, store(request), principal.project_id, ref)
    if found is None:
        raise ApiError(404, f"no experiment run {ref!r} in this project")
    return found


@router.post("", summary="Start an experiment run", status_code=201)
async def create(request: Request, body: RunIn, principal: WriteKey) -> RunOut:
    dataset: tuple[str, str, int, int] | None = None
    if body.dataset:
        found = await run(find_dataset, store(request), principal.project_id, body.dataset)
        if found is None:
            raise ApiError(404, f"no dataset {body.dataset!r} in this project")
        try:
            number, version_ns = await run(
                resolve_version,
                store(request),
                principal.project_id,
                found.dataset_id,
                body.dataset_version,
            )
        except UnknownVersion as exc:
            raise ApiError(404, str(exc)) from exc
        dataset = (found.dataset_id, found.name, number, version_ns)
    created = await run(
        create_run,
        store(request),
        principal.project_id,
        body.name,
        dataset=dataset,
        metadata=body.metadata,
    )
    return RunOut(**created)


@router.get("", summary="Experiment runs, newest first, with their summaries")
async def list_all(
    request: Request,
    principal: ReadKey,
    dataset: Annotated[str | None, Query(description="dataset id or name")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> RunListOut:
    dataset_id = None
    if dataset:
        found = await run(find_dataset, store(request), principal.project_id, dataset)
        if found is None:
            raise ApiError(404, f"no dataset {dataset!r} in this project")
        dataset_id = found.dataset_id
    page = await run(
        list_runs,
        store(request),
        principal.project_id,
        dataset_id=dataset_id,
        limit=limit,
        cursor=cursor,
    )
    summaries = await run(run_summaries, store(request), principal.project_id, page.items)
    return RunListOut(
        experiments=[RunSummaryOut(**r, **summaries[r["id"]]) for r in page.items],
        total=page.total,
        next_cursor=page.next_cursor,
    )


@router.get("/compare", summary="Compare two runs: per-evaluator changes, item diffs, gate")
async def compare(
    request: Request,
    principal: ReadKey,
    baseline: Annotated[str, Query(description="run id or name")],
    candidate: Annotated[str, Query(description="run id or name")],
    max_drop: Annotated[float, Query(ge=0, description="allowed mean score drop")] = 0.0,
    confidence: Annotated[float, Query(gt=0.5, lt=1)] = 0.95,
    resamples: Annotated[int, Query(ge=100, le=10_000)] = DEFAULT_RESAMPLES,
    seed: Annotated[int, Query(ge=0)] = DEFAULT_SEED,
    limit: Annotated[int, Query(ge=0, le=1000, description="item diffs per page")] = 100,
    cursor: Cursor = None,
) -> CompareOut:
    base = await _run(request, principal, baseline)
    cand = await _run(request, principal, candidate)
    result = await run(
        compare_runs,
        store(request),
        principal.project_id,
        base,
        cand,
        max_drop=max_drop,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        limit=limit,
        cursor=cursor,
    )
    return CompareOut(**result)


@router.get("/{ref}", summary="One run (id or name) with its summary and a page of results")
async def get_one(
    request: Request,
    ref: str,
    principal: ReadKey,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> RunDetailOut:
    found = await _run(request, principal, ref)
    summaries = await run(run_summaries, store(request), principal.project_id, [found])
    results, total, next_cursor = await run(
        list_results, store(request), principal.project_id, found, limit=limit, cursor=cursor
    )
    return RunDetailOut(
        **found,
        **summaries[found["id"]],
        results=[ResultOut(**r) for r in results],
        total=total,
        next_cursor=next_cursor,
    )


@router.post("/{ref}/results", summary="Store per-item results and scores", status_code=201)
async def post_results(
    request: Request, ref: str, body: ResultsIn, principal: WriteKey
) -> StoredOut:
    found = await _run(request, principal, ref)
    rows = [
        ResultRow(
            item_id=r.item_id,
            trace_id=r.trace_id.lower(),
            input=r.input,
            expected_output=r.expected_output,
            output=r.output,
            error=r.error,
            latency_ms=r.latency_ms,
            scores=[ScoreRow(s.name, s.score, s.passed, s.label, s.reason) for s in r.scores],
        )
        for r in body.results
    ]
    stored = await run(add_results, store(request), principal.project_id, found["id"], rows)
    return StoredOut(run_id=found["id"], stored=stored)


@router.post("/{ref}/status", summary="Mark a run completed or failed")
async def post_status(request: Request, ref: str, body: StatusIn, principal: WriteKey) -> RunOut:
    found = await _run(request, principal, ref)
    updated = await run(set_status, store(request), principal.project_id, found, body.status)
    return RunOut(**updated)
