# ruff: noqa: S608 - SQL from fixed fragments and Store.table() names; every value is bound
"""Compare two experiment runs item by item, with a paired bootstrap per evaluator.

For each evaluator, the items scored in both runs give paired differences
``d = candidate - baseline`` (bool verdicts score 1/0, so the mean difference of a
pass/fail check is the change of its pass rate). ``drop = -mean(d)``. ClickHouse draws
``resamples`` bootstrap resamples of the items (seeded with ``cityHash64(seed, r, j)``,
so the same runs always give the same interval) and the two-sided ``confidence``
interval of the drop comes from their percentiles. Past ``BOOTSTRAP_BUDGET`` drawn
values (items x resamples; 2,000 items at the default 2,000 resamples) the bootstrap
distribution of a mean is normal to a close approximation (central limit theorem), so
the interval is ``mean ± z * sd / sqrt(n)`` from one aggregate instead.

**Gate rule.** An evaluator *regressed* when its mean drop exceeds ``max_drop`` **and**
the drop is not noise: the lower bound of its interval is above zero. A large drop on
a handful of noisy items does not fail the gate; a small, consistent drop within the
margin does not either.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.experiments import item_scores, result_out, run_summaries
from llmpulse_collector.store.queries.pages import Key, Keyset, ListPage

__all__ = ["BOOTSTRAP_BUDGET", "DEFAULT_RESAMPLES", "DEFAULT_SEED", "compare_runs"]

DEFAULT_RESAMPLES = 2_000
DEFAULT_SEED = 13
#: resampled values drawn per evaluator at most (items x resamples); beyond it the
#: interval comes from the normal approximation of the bootstrap distribution
BOOTSTRAP_BUDGET = 4_000_000
_EPS = 1e-12


def _pairs_sql(store: Store) -> str:
    return (
        "SELECT name, item_id, "
        "assumeNotNull(anyIf(score, run_id = {base:String})) AS b, "
        "assumeNotNull(anyIf(score, run_id = {cand:String})) AS c "
        f"FROM {store.table('experiment_scores')} FINAL "
        "WHERE project_id = {project:String} AND run_id IN ({base:String}, {cand:String}) "
        "AND isNotNull(score) GROUP BY name, item_id "
        "HAVING countIf(run_id = {base:String}) > 0 AND countIf(run_id = {cand:String}) > 0"
    )


def _bootstrap(
    store: Store, params: dict[str, Any], resamples: int, seed: int, budget: int
) -> dict[str, dict[str, Any]]:
    """Per evaluator: paired count ``n``, ``mean_diff``, ``sd`` and, where
    ``n * resamples <= budget``, the resampled means (sorted) in ``boots``."""
    pairs = _pairs_sql(store)
    stats = store.query(
        "SELECT name, count() AS n, avg(c - b) AS mean_diff, stddevSamp(c - b) AS sd "
        f"FROM ({pairs}) GROUP BY name ORDER BY name",
        params,
    )
    out = {row["name"]: {**row, "boots": None} for row in stats}
    small = [row["name"] for row in stats if int(row["n"]) * resamples <= budget]
    if small:
        rows = store.query(
            "SELECT name, arraySort(arrayMap(r -> arrayAvg(arrayMap("
            "j -> ds[1 + cityHash64({seed:UInt64}, r, j) % n], range(n))), "
            "range({resamples:UInt32}))) AS boots "
            "FROM (SELECT name, count() AS n, "
            # in item order, so a seed always draws the same resamples
            "arrayMap(t -> t.2, arraySort(groupArray((item_id, c - b)))) AS ds "
            f"FROM ({pairs}) WHERE name IN {{small:Array(String)}} GROUP BY name)",
            {**params, "seed": seed, "resamples": resamples, "small": small},
        )
        for row in rows:
            out[row["name"]]["boots"] = [float(v) for v in row["boots"]]
    return out


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    k = (len(sorted_values) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def _by_name(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in summary["evaluators"]}


def compare_runs(
    store: Store,
    project_id: str,
    baseline: dict[str, Any],
    candidate: dict[str, Any],
    *,
    max_drop: float = 0.0,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    limit: int = 100,
    cursor: str | None = None,
    budget: int = BOOTSTRAP_BUDGET,
) -> dict[str, Any]:
    """Summaries of both runs, per-evaluator changes with bootstrap intervals and the
    gate verdict (all computed over every item), and one page of item diffs (regressed
    items first): ``limit`` of them after ``cursor``, ``total`` and ``next_cursor``."""
    params = {"project": project_id, "base": baseline["id"], "cand": candidate["id"]}
    summaries = run_summaries(store, project_id, [baseline, candidate])
    counts = store.query(
        "SELECT countIf(in_b AND in_c) AS shared, countIf(in_b AND NOT in_c) AS only_b, "
        "countIf(in_c AND NOT in_b) AS only_c FROM (SELECT item_id, "
        "countIf(run_id = {base:String}) > 0 AS in_b, countIf(run_id = {cand:String}) > 0 AS in_c "
        f"FROM {store.table('experiment_results')} FINAL "
        "WHERE project_id = {project:String} AND run_id IN ({base:String}, {cand:String}) "
        "GROUP BY item_id)",
        params,
    )[0]
    boots = _bootstrap(store, params, resamples, seed, budget)
    alpha = (1 - confidence) / 2
    base_stats = _by_name(summaries[baseline["id"]])
    cand_stats = _by_name(summaries[candidate["id"]])
    evaluators = []
    for name in sorted(set(base_stats) | set(cand_stats)):
        boot = boots.get(name)
        interval: tuple[float, float] | None = None
        if boot is not None and boot["boots"] is not None:
            values = boot["boots"]
            interval = (_percentile(values, alpha), _percentile(values, 1 - alpha))
        elif boot is not None:  # large n: the bootstrap distribution of a mean is normal
            half = (
                NormalDist().inv_cdf(1 - alpha)
                * float(boot["sd"] or 0.0)
                / math.sqrt(int(boot["n"]))
            )
            interval = (float(boot["mean_diff"]) - half, float(boot["mean_diff"]) + half)
        entry: dict[str, Any] = {
            "name": name,
            "baseline": base_stats.get(name),
            "candidate": cand_stats.get(name),
            "paired": 0,
            "mean_diff": None,
            "drop": None,
            "drop_ci_low": None,
            "drop_ci_high": None,
            "regressed": False,
        }
        if boot is not None and interval is not None:
            drop = -float(boot["mean_diff"])
            low, high = -interval[1], -interval[0]
            entry.update(
                paired=int(boot["n"]),
                mean_diff=round(-drop, 6),
                drop=round(drop, 6),
                drop_ci_low=round(low, 6),
                drop_ci_high=round(high, 6),
                regressed=drop > max_drop + _EPS and low > _EPS,
            )
        evaluators.append(entry)
    items, regressed_count, improved_count = _item_diffs(
        store, project_id, baseline, candidate, limit, cursor
    )
    regressed = [e["name"] for e in evaluators if e["regressed"]]
    return {
        "baseline": {**baseline, **summaries[baseline["id"]]},
        "candidate": {**candidate, **summaries[candidate["id"]]},
        "shared_items": int(counts["shared"]),
        "only_baseline": int(counts["only_b"]),
        "only_candidate": int(counts["only_c"]),
        "evaluators": evaluators,
        "regressed_items": regressed_count,
        "improved_items": improved_count,
        "items": items.items,
        "total": items.total,
        "next_cursor": items.next_cursor,
        "gate": {
            "method": "bootstrap"
            if all(b["boots"] is not None for b in boots.values())
            else "bootstrap+normal",
            "max_drop": max_drop,
            "confidence": confidence,
            "resamples": resamples,
            "seed": seed,
            "failed": bool(regressed),
            "regressed_evaluators": regressed,
            "rule": "an evaluator regressed when its mean drop > max_drop and the lower "
            "bound of the bootstrap interval of the drop > 0",
        },
    }


def _item_diffs(
    store: Store,
    project_id: str,
    baseline: dict[str, Any],
    candidate: dict[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[ListPage[dict[str, Any]], int, int]:
    """A page of item diffs, regressed first (by how much they dropped), then improved,
    then the rest (ties by item id); and the counts of regressed and improved items."""
    params = {"project": project_id, "base": baseline["id"], "cand": candidate["id"]}
    # the delta in billionths (an integer): the cursor's value compares equal to the row's
    per_item = (
        "SELECT item_id, sum(c - b) AS delta, toInt64(round(delta * 1e9)) AS delta_n, "
        "toUInt8(countIf(c < b) > 0) AS down, "
        f"toUInt8(countIf(c > b) > 0 AND NOT down) AS up FROM ({_pairs_sql(store)}) "
        "GROUP BY item_id"
    )
    keys = Keyset(
        f"compare:{baseline['id']}:{candidate['id']}",
        [
            Key("down", "down", "UInt8", "desc"),
            Key("up", "up", "UInt8", "desc"),
            Key("delta_n", "delta_n", "Int64"),
            Key("item_id", "item_id", "String"),
        ],
        cursor,
    )
    totals = store.query(
        f"SELECT count() AS n, countIf(down) AS regressed, "
        f"countIf(up) AS improved FROM ({per_item})",
        params,
    )[0]
    order = keys.page(
        store.query(
            f"SELECT item_id, delta, delta_n, down, up FROM ({per_item}) WHERE {keys.sql} "
            f"ORDER BY {keys.order_by} LIMIT {{limit:UInt32}}",
            {**params, **keys.params, "limit": limit + 1},
        ),
        limit,
        int(totals["n"]),
    )
    ids = [r["item_id"] for r in order.items]
    if not ids:
        empty: list[dict[str, Any]] = []
        return (
            ListPage(empty, order.total, order.next_cursor),
            int(totals["regressed"]),
            int(totals["improved"]),
        )
    rows = store.query(
        "SELECT run_id, item_id, trace_id, input, expected_output, output, error, latency_ms "
        f"FROM {store.table('experiment_results')} FINAL "
        "WHERE project_id = {project:String} AND run_id IN ({base:String}, {cand:String}) "
        "AND item_id IN {items:Array(String)}",
        {**params, "items": ids},
    )
    scores = item_scores(store, project_id, [baseline["id"], candidate["id"]], ids)
    by_key = {(r["run_id"], r["item_id"]): r for r in rows}
    items = []
    for entry in order.items:
        item_id = entry["item_id"]
        sides: dict[str, Any] = {}
        for side, run in (("baseline", baseline), ("candidate", candidate)):
            row = by_key.get((run["id"], item_id))
            sides[side] = (
                None if row is None else result_out(row, scores.get((run["id"], item_id), {}), {})
            )
        base_scores = (sides["baseline"] or {}).get("scores", {})
        cand_scores = (sides["candidate"] or {}).get("scores", {})
        dropped = sorted(
            name
            for name, s in cand_scores.items()
            if name in base_scores
            and s["score"] is not None
            and base_scores[name]["score"] is not None
            and s["score"] < base_scores[name]["score"]
        )
        first = sides["baseline"] or sides["candidate"] or {}
        items.append(
            {
                "item_id": item_id,
                "input": first.get("input"),
                "expected_output": first.get("expected_output"),
                "regressed": bool(entry["down"]),
                "regressed_evaluators": dropped,
                "score_delta": round(float(entry["delta"]), 6),
                "baseline": _side(sides["baseline"]),
                "candidate": _side(sides["candidate"]),
            }
        )
    return (
        ListPage(items, order.total, order.next_cursor),
        int(totals["regressed"]),
        int(totals["improved"]),
    )


def _side(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {k: result[k] for k in ("output", "error", "trace_id", "latency_ms", "scores")}
