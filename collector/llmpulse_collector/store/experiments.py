# ruff: noqa: S608 - SQL from fixed fragments and Store.table() names; every value is bound
"""Experiment runs and their per-item results and scores: the one door to the
``experiment_runs``, ``experiment_results`` and ``experiment_scores`` tables.

A run belongs to a project, may name the dataset (and the version) it ran on, and
holds one result per dataset item (the task's output or error, its latency and the
trace it ran in) with one score per evaluator. Cost comes from the item's trace.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import decode_cursor, encode_cursor, iso
from llmpulse_collector.store.queries.pages import Key, Keyset, ListPage

__all__ = [
    "ResultRow",
    "ScoreRow",
    "add_results",
    "create_run",
    "find_run",
    "list_results",
    "list_runs",
    "run_costs",
    "run_summaries",
    "set_status",
]

_RUN_COLUMNS = [
    ("project_id", "String"),
    ("run_id", "String"),
    ("name", "String"),
    ("dataset_id", "String"),
    ("dataset_name", "String"),
    ("dataset_version", "UInt32"),
    ("dataset_version_ns", "Int64"),
    ("metadata", "String"),
    ("status", "String"),
    ("created_at", "DateTime64(9, 'UTC')"),
    ("updated_at", "DateTime64(9, 'UTC')"),
]
_RESULT_COLUMNS = [
    ("project_id", "String"),
    ("run_id", "String"),
    ("item_id", "String"),
    ("trace_id", "String"),
    ("input", "String"),
    ("expected_output", "String"),
    ("output", "String"),
    ("error", "String"),
    ("latency_ms", "Float64"),
    ("created_at", "DateTime64(9, 'UTC')"),
]
_SCORE_COLUMNS = [
    ("project_id", "String"),
    ("run_id", "String"),
    ("item_id", "String"),
    ("name", "String"),
    ("score", "Nullable(Float64)"),
    ("passed", "Nullable(Bool)"),
    ("label", "String"),
    ("reason", "String"),
    ("created_at", "DateTime64(9, 'UTC')"),
]


@dataclass(frozen=True, slots=True)
class ScoreRow:
    name: str
    score: float | None = None
    passed: bool | None = None
    label: str = ""
    reason: str = ""


def _score_of(s: ScoreRow) -> float | None:
    if s.score is None and s.passed is not None:
        return 1.0 if s.passed else 0.0
    return s.score


@dataclass(frozen=True, slots=True)
class ResultRow:
    item_id: str
    trace_id: str = ""
    input: Any = None
    expected_output: Any = None
    output: Any = None
    error: str = ""
    latency_ms: float = 0.0
    scores: Sequence[ScoreRow] = field(default_factory=tuple)


def _loads(text: str) -> Any:
    return json.loads(text) if text else None


def _run_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["run_id"],
        "name": row["name"],
        "dataset_id": row["dataset_id"] or None,
        "dataset_name": row["dataset_name"] or None,
        "dataset_version": row["dataset_version"] or None,
        "dataset_version_ns": row["dataset_version_ns"] or None,
        "metadata": _loads(row["metadata"]) or {},
        "status": row["status"],
        "created_at": iso(int(row["created_at_ns"])),
        "created_at_ns": int(row["created_at_ns"]),
        "updated_at": iso(int(row["updated_at_ns"])),
    }


def _write_run(store: Store, project_id: str, run: dict[str, Any], status: str) -> None:
    store.insert_rows(
        "experiment_runs",
        _RUN_COLUMNS,
        [
            [project_id],
            [run["id"]],
            [run["name"]],
            [run["dataset_id"] or ""],
            [run["dataset_name"] or ""],
            [run["dataset_version"] or 0],
            [run["dataset_version_ns"] or 0],
            [json.dumps(run["metadata"])],
            [status],
            [run["created_at_ns"]],
            [time.time_ns()],
        ],
    )


def create_run(
    store: Store,
    project_id: str,
    name: str,
    *,
    dataset: tuple[str, str, int, int] | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A new run in status ``running``; ``dataset`` is ``(id, name, version, version_ns)``."""
    now = time.time_ns()
    ds_id, ds_name, version, version_ns = dataset or ("", "", 0, 0)
    run = {
        "id": uuid.uuid4().hex,
        "name": name,
        "dataset_id": ds_id or None,
        "dataset_name": ds_name or None,
        "dataset_version": version or None,
        "dataset_version_ns": version_ns or None,
        "metadata": metadata or {},
        "status": "running",
        "created_at": iso(now),
        "created_at_ns": now,
        "updated_at": iso(now),
    }
    _write_run(store, project_id, run, "running")
    return run


def set_status(store: Store, project_id: str, run: dict[str, Any], status: str) -> dict[str, Any]:
    _write_run(store, project_id, run, status)
    return {**run, "status": status}


_RUN_SELECT = (
    "SELECT run_id, name, dataset_id, dataset_name, dataset_version, dataset_version_ns, "
    "metadata, status, toUnixTimestamp64Nano(created_at) AS created_at_ns, "
    "toUnixTimestamp64Nano(updated_at) AS updated_at_ns "
)


def find_run(store: Store, project_id: str, ref: str) -> dict[str, Any] | None:
    """The run whose id is ``ref``, else the newest run named ``ref``."""
    rows = store.query(
        f"{_RUN_SELECT} FROM {store.table('experiment_runs')} FINAL "
        "WHERE project_id = {project:String} AND (run_id = {ref:String} OR name = {ref:String}) "
        "ORDER BY run_id = {ref:String} DESC, created_at DESC LIMIT 1",
        {"project": project_id, "ref": ref},
    )
    return _run_out(rows[0]) if rows else None


def list_runs(
    store: Store,
    project_id: str,
    *,
    dataset_id: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> ListPage[dict[str, Any]]:
    """One page of runs newest first (of one dataset when given); ``total`` counts all."""
    where = "project_id = {project:String}"
    params: dict[str, Any] = {"project": project_id}
    if dataset_id:
        where += " AND dataset_id = {dataset:String}"
        params["dataset"] = dataset_id
    keys = Keyset(
        f"experiment-runs:{dataset_id or ''}",
        [
            Key("created_at_ns", "created_at_ns", "Int64", "desc"),
            Key("run_id", "run_id", "String"),
        ],
        cursor,
    )
    table = f"{store.table('experiment_runs')} FINAL"
    page = keys.fetch(store, _RUN_SELECT, table, where, params, limit)
    return ListPage([_run_out(row) for row in page.items], page.total, page.next_cursor)


def add_results(store: Store, project_id: str, run_id: str, results: Sequence[ResultRow]) -> int:
    """Store results (a result for an item already stored replaces it)."""
    now = time.time_ns()
    n = len(results)
    store.insert_rows(
        "experiment_results",
        _RESULT_COLUMNS,
        [
            [project_id] * n,
            [run_id] * n,
            [r.item_id for r in results],
            [r.trace_id for r in results],
            [json.dumps(r.input) for r in results],
            [json.dumps(r.expected_output) for r in results],
            [json.dumps(r.output) for r in results],
            [r.error for r in results],
            [float(r.latency_ms) for r in results],
            [now] * n,
        ],
    )
    scores = [(r.item_id, s) for r in results for s in r.scores]
    m = len(scores)
    if m:
        store.insert_rows(
            "experiment_scores",
            _SCORE_COLUMNS,
            [
                [project_id] * m,
                [run_id] * m,
                [item for item, _ in scores],
                [s.name for _, s in scores],
                # a verdict without a score scores 1/0 (as the SDK sends it), so the
                # comparison pairs it like any score
                [_score_of(s) for _, s in scores],
                [s.passed for _, s in scores],
                [s.label for _, s in scores],
                [s.reason for _, s in scores],
                [now] * m,
            ],
        )
    return n


_COSTS = (
    "SELECT trace_id, round(sumIf(ifNull(cost_usd, 0), span_type != 'evaluator'), 12) AS cost, "
    "round(sumIf(ifNull(cost_usd, 0), span_type = 'evaluator'), 12) AS evaluator_cost "
)


def run_costs(
    store: Store, project_id: str, runs: Sequence[dict[str, Any]]
) -> dict[str, tuple[float, float]]:
    """``trace_id -> (cost, evaluator cost)`` of the traces the runs' items ran in: the
    task's spans and, apart, the ``evaluator`` spans (LLM judges)."""
    if not runs:
        return {}
    rows = store.query(
        f"{_COSTS} FROM {store.table('spans')} "
        "WHERE project_id = {project:String} "
        "AND start_time >= fromUnixTimestamp64Nano({since:Int64}) - INTERVAL 1 DAY "
        "AND trace_id IN (SELECT trace_id FROM "
        f"{store.table('experiment_results')} FINAL "
        "WHERE project_id = {project:String} AND run_id IN {runs:Array(String)}) "
        "GROUP BY trace_id",
        {
            "project": project_id,
            "since": min(r["created_at_ns"] for r in runs),
            "runs": [r["id"] for r in runs],
        },
    )
    return {row["trace_id"]: (float(row["cost"]), float(row["evaluator_cost"])) for row in rows}


def _score_stats(row: dict[str, Any]) -> dict[str, Any]:
    judged = int(row["judged"])
    mean = row["mean_score"]
    return {
        "name": row["name"],
        "count": int(row["n"]),
        "pass_rate": int(row["n_passed"]) / judged if judged else None,
        "mean_score": None if mean is None else round(float(mean), 6),
    }


def run_summaries(
    store: Store, project_id: str, runs: Sequence[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per run: items, errors, latency (mean, p50, p95), the cost of its traces (the
    task's spans; ``evaluator`` spans such as LLM judges apart) and
    per evaluator the count, pass rate and mean score."""
    if not runs:
        return {}
    params = {"project": project_id, "runs": [r["id"] for r in runs]}
    results = store.query(
        "SELECT run_id, count() AS items, countIf(error != '') AS errors, "
        "avg(latency_ms) AS latency_mean, quantileExact(0.5)(latency_ms) AS latency_p50, "
        "quantileExact(0.95)(latency_ms) AS latency_p95, groupArray(trace_id) AS traces "
        f"FROM {store.table('experiment_results')} FINAL "
        "WHERE project_id = {project:String} AND run_id IN {runs:Array(String)} "
        "GROUP BY run_id",
        params,
    )
    scores = store.query(
        "SELECT run_id, name, count() AS n, countIf(passed) AS n_passed, "
        "countIf(isNotNull(passed)) AS judged, avgOrNull(score) AS mean_score "
        f"FROM {store.table('experiment_scores')} FINAL "
        "WHERE project_id = {project:String} AND run_id IN {runs:Array(String)} "
        "GROUP BY run_id, name ORDER BY name",
        params,
    )
    costs = run_costs(store, project_id, runs)
    out: dict[str, dict[str, Any]] = {
        r["id"]: {
            "items": 0,
            "errors": 0,
            "latency_ms": {"mean": None, "p50": None, "p95": None},
            "cost_usd": 0.0,
            "evaluator_cost_usd": 0.0,
            "evaluators": [],
        }
        for r in runs
    }
    for row in results:
        traced = [costs[t] for t in row["traces"] if t in costs]
        out[row["run_id"]].update(
            items=int(row["items"]),
            errors=int(row["errors"]),
            latency_ms={
                "mean": round(float(row["latency_mean"]), 3),
                "p50": round(float(row["latency_p50"]), 3),
                "p95": round(float(row["latency_p95"]), 3),
            },
            cost_usd=round(sum(c for c, _ in traced), 12),
            evaluator_cost_usd=round(sum(e for _, e in traced), 12),
        )
    for row in scores:
        out[row["run_id"]]["evaluators"].append(_score_stats(row))
    return out


def list_results(
    store: Store,
    project_id: str,
    run: dict[str, Any],
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], int, str | None]:
    """One page of a run's results by item id, each with its scores and trace cost;
    returns ``(results, total, next_cursor)``."""
    kind = f"experiment-results:{run['id']}"
    params: dict[str, Any] = {"project": project_id, "run": run["id"]}
    where = "project_id = {project:String} AND run_id = {run:String}"
    total = store.query(
        f"SELECT count() AS n FROM {store.table('experiment_results')} FINAL WHERE {where}",
        params,
    )[0]["n"]
    page_where = where
    if cursor:
        (c_id,) = decode_cursor(cursor, kind, (str,))
        page_where += " AND item_id > {c_id:String}"
        params["c_id"] = c_id
    rows = store.query(
        "SELECT item_id, trace_id, input, expected_output, output, error, latency_ms "
        f"FROM {store.table('experiment_results')} FINAL WHERE {page_where} "
        "ORDER BY item_id LIMIT {limit:UInt32}",
        {**params, "limit": limit + 1},
    )
    more = len(rows) > limit
    rows = rows[:limit]
    scores = item_scores(store, project_id, [run["id"]], [r["item_id"] for r in rows])
    costs = _trace_costs(store, project_id, run, [r["trace_id"] for r in rows])
    results = [result_out(row, scores.get((run["id"], row["item_id"]), {}), costs) for row in rows]
    next_cursor = encode_cursor(kind, [rows[-1]["item_id"]]) if more and rows else None
    return results, int(total), next_cursor


def result_out(
    row: dict[str, Any],
    scores: dict[str, dict[str, Any]],
    costs: dict[str, tuple[float, float]],
) -> dict[str, Any]:
    cost = costs.get(row["trace_id"])
    return {
        "item_id": row["item_id"],
        "trace_id": row["trace_id"] or None,
        "input": _loads(row["input"]),
        "expected_output": _loads(row["expected_output"]),
        "output": _loads(row["output"]),
        "error": row["error"] or None,
        "latency_ms": round(float(row["latency_ms"]), 3),
        "cost_usd": None if cost is None else cost[0],
        "evaluator_cost_usd": None if cost is None else cost[1],
        "scores": scores,
    }


def item_scores(
    store: Store, project_id: str, run_ids: Sequence[str], item_ids: Sequence[str]
) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """``(run_id, item_id) -> {evaluator: {score, passed, label, reason}}``."""
    if not item_ids:
        return {}
    rows = store.query(
        "SELECT run_id, item_id, name, score, passed, label, reason "
        f"FROM {store.table('experiment_scores')} FINAL "
        "WHERE project_id = {project:String} AND run_id IN {runs:Array(String)} "
        "AND item_id IN {items:Array(String)} ORDER BY name",
        {"project": project_id, "runs": list(run_ids), "items": list(item_ids)},
    )
    out: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        out.setdefault((r["run_id"], r["item_id"]), {})[r["name"]] = {
            "score": r["score"],
            "passed": r["passed"],
            "label": r["label"] or None,
            "reason": r["reason"] or None,
        }
    return out


def _trace_costs(
    store: Store, project_id: str, run: dict[str, Any], trace_ids: Sequence[str]
) -> dict[str, tuple[float, float]]:
    ids = [t for t in trace_ids if t]
    if not ids:
        return {}
    rows = store.query(
        f"{_COSTS} FROM {store.table('spans')} "
        "WHERE project_id = {project:String} AND trace_id IN {ids:Array(String)} "
        "AND start_time >= fromUnixTimestamp64Nano({since:Int64}) - INTERVAL 1 DAY "
        "GROUP BY trace_id",
        {"project": project_id, "ids": ids, "since": run["created_at_ns"]},
    )
    return {row["trace_id"]: (float(row["cost"]), float(row["evaluator_cost"])) for row in rows}
