"""Evaluations: pass rates per assertion (with buckets), failing ones, human feedback."""

from __future__ import annotations

from typing import Any

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.metricdefs import IS_FEEDBACK
from llmpulse_collector.store.queries._where import (
    TimeRange,
    evaluation_where,
    iso,
)
from llmpulse_collector.store.queries.pages import Key, Keyset
from llmpulse_collector.store.queries.people import Page

__all__ = ["evaluation_summary", "list_evaluations"]

_NS = 1_000_000_000
_COUNTS = """
    count() AS n_total,
    countIf(passed) AS n_passed,
    countIf(NOT passed) AS n_failed
"""
#: ``assertion`` or ``feedback``: human feedback is no assertion, and its share of
#: positive verdicts is no pass rate (``store.metricdefs``: populations
#: ``assertions`` and ``feedback``)
_KIND = f"if({IS_FEEDBACK}, 'feedback', 'assertion')"


def _counts(row: dict[str, Any], kind: str = "assertion") -> dict[str, Any]:
    passed, failed = int(row.get("n_passed", 0)), int(row.get("n_failed", 0))
    rate = passed / (passed + failed) if passed + failed else None
    return {
        "total": int(row.get("n_total", 0)),
        "passed": passed,
        "failed": failed,
        "pass_rate": rate if kind == "assertion" else None,
        "positive_rate": rate if kind == "feedback" else None,
    }


def evaluation_summary(
    store: Store, project_id: str, time: TimeRange, interval_s: int, source: str | None = None
) -> dict[str, Any]:
    """Per evaluation name and kind (``assertion`` or human ``feedback``): counts, pass
    rate (assertions) or positive rate (feedback), mean score, counts per bucket; and
    ``totals`` per kind over all names (server-side, never a sum of rows)."""
    w = evaluation_where(store, project_id, time)
    if source:
        w.add("source = {source:String}", source=source)
    table = store.table("evaluations")
    names = store.query(
        f"SELECT name, {_KIND} AS kind, {_COUNTS}, avgOrNull(score) AS avg_score "
        f"FROM {table} WHERE {w.sql()} "
        "GROUP BY name, kind ORDER BY kind, n_failed DESC, name LIMIT 1000",
        w.params,
    )
    totals = {
        row["kind"]: _counts(row, row["kind"])
        for row in store.query(
            f"SELECT {_KIND} AS kind, {_COUNTS} FROM {table} WHERE {w.sql()} GROUP BY kind",
            w.params,
        )
    }
    step = interval_s * _NS
    grid0 = time.start_ns // step * step
    buckets = -(-(time.end_ns - grid0) // step)
    rows = store.query(
        f"SELECT name, {_KIND} AS kind, "
        "intDiv(toUnixTimestamp64Nano(created_at) - {grid0:Int64}, {step:Int64}) "
        f"AS bucket, {_COUNTS} FROM {table} WHERE {w.sql()} "
        "GROUP BY name, kind, bucket",
        {**w.params, "grid0": grid0, "step": step},
    )
    by_name: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault((row["name"], row["kind"]), {})[row["bucket"]] = row
    out = []
    for row in names:
        kind = row["kind"]
        filled = by_name.get((row["name"], kind), {})
        series = []
        for k in range(buckets):
            start = grid0 + k * step
            counts = _counts(filled.get(k, {}), kind)
            series.append({"time": iso(start), "time_ns": start, **counts})
        avg = row["avg_score"]
        out.append(
            {
                "name": row["name"],
                "kind": kind,
                **_counts(row, kind),
                "avg_score": None if avg is None else round(avg, 6),
                "buckets": series,
            }
        )
    empty = {"assertion": _counts({}), "feedback": _counts({}, "feedback")}
    return {
        "from_ns": time.start_ns,
        "to_ns": time.end_ns,
        "interval": interval_s,
        "names": out,
        "totals": {
            "assertions": totals.get("assertion", empty["assertion"]),
            "feedback": totals.get("feedback", empty["feedback"]),
        },
    }


def list_evaluations(
    store: Store,
    project_id: str,
    time: TimeRange,
    *,
    failing: bool = False,
    source: str | None = None,
    name: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Evaluations newest first: failing ones (``passed = false``) or of one source.
    Failing ones carry the name of the span they judge (``""`` for the trace)."""
    kind = "failing" if failing else f"evaluations:{source or ''}"
    w = evaluation_where(store, project_id, time)
    if failing:
        w.add("passed = false")
    if source:
        w.add("source = {source:String}", source=source)
    if name:
        w.add("name = {name:String}", name=name)
    table = store.table("evaluations")
    total = store.query(f"SELECT count() AS n FROM {table} WHERE {w.sql()}", w.params)[0]["n"]
    keys = Keyset(
        kind,
        [
            Key("toUnixTimestamp64Nano(created_at)", "created_at_ns", "Int64", "desc"),
            Key("toString(evaluation_id)", "evaluation_id", "String", "desc"),
        ],
        cursor,
    )
    page = keys.page(
        store.query(
            "SELECT toString(evaluation_id) AS evaluation_id, trace_id, span_id, name, source, "
            "passed, score, label, comment, value, "
            "toUnixTimestamp64Nano(created_at) AS created_at_ns "
            f"FROM {table} WHERE {w.sql()} AND {keys.sql} "
            f"ORDER BY {keys.order_by} LIMIT {{limit:UInt32}}",
            {**w.params, **keys.params, "limit": limit + 1},
        ),
        limit,
        int(total),
    )
    rows, next_cursor = page.items, page.next_cursor
    names = _span_names(store, project_id, rows) if failing else {}
    for row in rows:
        row["created_at"] = iso(row["created_at_ns"])
        if failing:
            row["span_name"] = names.get((row["trace_id"], row["span_id"]), "")
            del row["passed"], row["value"]
    return Page(rows, next_cursor, page.total)


def _span_names(
    store: Store, project_id: str, rows: list[dict[str, Any]]
) -> dict[tuple[str, str], str]:
    wanted = [r for r in rows if r["span_id"]]
    if not wanted:
        return {}
    found = store.query(
        f"SELECT trace_id, span_id, any(name) AS name FROM {store.table('spans')} "
        "WHERE project_id = {project:String} "
        "AND start_time >= fromUnixTimestamp64Nano({lo:Int64}) - INTERVAL 1 DAY "
        "AND start_time <= fromUnixTimestamp64Nano({hi:Int64}) "
        "AND trace_id IN {traces:Array(String)} AND span_id IN {spans:Array(String)} "
        "GROUP BY trace_id, span_id",
        {
            "project": project_id,
            "lo": min(r["created_at_ns"] for r in wanted),
            "hi": max(r["created_at_ns"] for r in wanted),
            "traces": sorted({r["trace_id"] for r in wanted}),
            "spans": sorted({r["span_id"] for r in wanted}),
        },
    )
    return {(r["trace_id"], r["span_id"]): r["name"] for r in found}
