"""Span metrics: summary per group, time series with filled buckets, cost breakdown.

With ``compare`` one query reads both periods (``[from - len, to)``) and groups by
``period`` (0 = current, 1 = previous).
"""

from __future__ import annotations

import math
from typing import Any

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import TimeRange, Where, iso, span_where
from llmpulse_collector.store.schema import UNPRICED_LLM_SPAN, nested_llm_span

__all__ = [
    "AUTO_INTERVALS",
    "COST_GROUP_BY",
    "GROUP_BY",
    "auto_interval",
    "cost_breakdown",
    "metrics_summary",
    "timeseries",
]

# group_by name -> SQL expression over the spans table
GROUP_BY: dict[str, str] = {
    "model": "model",
    "provider": "provider",
    "name": "name",
    "service": "service_name",
    "span_type": "span_type",
    "user": "user_id",
    "session": "session_id",
    "tag": "arrayJoin(if(empty(tags), [''], tags))",
    "environment": "environment",
}
COST_GROUP_BY = ("model", "service", "user", "tag", "provider")

#: Bucket widths in seconds, smallest first; ``auto`` takes the first giving <= 120.
AUTO_INTERVALS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_AUTO_BUCKETS = 120
ROOT = "parent_span_id = ''"  # root spans: their duration is the trace's latency
_NS = 1_000_000_000

# The metrics of a set of spans. {latency_cond}: which spans' durations count;
# {traces}: how traces are counted (root spans when not grouped, else distinct ids);
# {counted}: which spans' tokens and cost count (``_counted``: not wrapper LLM spans).
_METRICS = """
    count() AS spans,
    {traces} AS traces,
    countIf(status_code = 'ERROR') AS errors,
    quantilesIf(0.5, 0.95, 0.99)(duration_ms, {latency_cond}) AS latency,
    quantilesIf(0.5, 0.95)(assumeNotNull(time_to_first_token_ms),
                           isNotNull(time_to_first_token_ms)) AS ttft,
    sumIf(input_tokens, {counted}) AS in_tokens,
    sumIf(output_tokens, {counted}) AS out_tokens,
    sumIf(ifNull(cost_usd, 0), {counted}) AS cost
"""


# Per-bucket aggregate states, merged per series by window functions (one scan gives
# buckets and totals).
_ROOTS = f"countIf({ROOT})"
_UNIQ_STATE = "uniqState(trace_id)"
_STATES = """
    count() AS c_spans,
    {traces} AS s_traces,
    countIf(status_code = 'ERROR') AS c_errors,
    quantilesIfState(0.5, 0.95, 0.99)(duration_ms, {cond}) AS s_latency,
    quantilesIfState(0.5, 0.95)(assumeNotNull(time_to_first_token_ms),
                                isNotNull(time_to_first_token_ms)) AS s_ttft,
    sumIf(input_tokens, {counted}) AS c_in,
    sumIf(output_tokens, {counted}) AS c_out,
    sumIf(ifNull(cost_usd, 0), {counted}) AS c_cost
"""


def _series_columns(grouped: bool) -> str:
    """Bucket metrics (named as ``_METRICS``) and series totals (``t_`` + name)."""
    traces = (
        ("finalizeAggregation(s_traces)", "uniqMerge(s_traces)")
        if grouped
        else (
            "s_traces",
            "sum(s_traces)",
        )
    )
    pairs = {
        "spans": ("c_spans", "sum(c_spans)"),
        "traces": traces,
        "errors": ("c_errors", "sum(c_errors)"),
        "latency": (
            "finalizeAggregation(s_latency)",
            "quantilesIfMerge(0.5, 0.95, 0.99)(s_latency)",
        ),
        "ttft": ("finalizeAggregation(s_ttft)", "quantilesIfMerge(0.5, 0.95)(s_ttft)"),
        "in_tokens": ("c_in", "sum(c_in)"),
        "out_tokens": ("c_out", "sum(c_out)"),
        "cost": ("c_cost", "sum(c_cost)"),
    }
    return ", ".join(
        f"{bucket} AS {name}, {total} OVER w AS t_{name}" for name, (bucket, total) in pairs.items()
    )


def auto_interval(time: TimeRange) -> int:
    """The smallest bucket width (seconds) giving at most 120 buckets for ``time``."""
    for seconds in AUTO_INTERVALS:
        if math.ceil(time.length_ns / (seconds * _NS)) <= MAX_AUTO_BUCKETS:
            return seconds
    return AUTO_INTERVALS[-1]


def _periods(project_id: str, time: TimeRange, compare: bool) -> tuple[Where, str]:
    """Spans of the range (and the previous period with ``compare``), and the
    ``period`` expression (0 = current, 1 = previous)."""
    read = TimeRange(time.start_ns - time.length_ns, time.end_ns) if compare else time
    w = span_where(project_id, read)
    if not compare:
        return w, "0"
    w.params["cur"] = time.start_ns
    return w, "if(start_time >= fromUnixTimestamp64Nano({cur:Int64}), 0, 1)"


def _counted(store: Store) -> str:
    """Spans whose tokens and cost count: one LLM call once (``schema.nested_llm_span``)."""
    return f"NOT {nested_llm_span(store.table('spans'))}"


def _group(store: Store, group_by: str | None) -> tuple[str, str]:
    """(group expression, the ``_METRICS`` select list for it)."""
    counted = _counted(store)
    if group_by is None:
        return "'all'", _METRICS.format(
            latency_cond=ROOT, traces=f"countIf({ROOT})", counted=counted
        )
    return GROUP_BY[group_by], _METRICS.format(
        latency_cond="1", traces="uniq(trace_id)", counted=counted
    )


def _metrics(row: dict[str, Any]) -> dict[str, Any]:
    """The API's ``Metrics`` object from a row of ``_METRICS`` (empty when filled)."""
    latency = list(row.get("latency") or [])
    ttft = list(row.get("ttft") or [])
    spans = int(row.get("spans", 0))
    errors = int(row.get("errors", 0))
    input_tokens = int(row.get("in_tokens", 0))
    output_tokens = int(row.get("out_tokens", 0))
    return {
        "spans": spans,
        "traces": int(row.get("traces", 0)),
        "errors": errors,
        "error_rate": errors / spans if spans else 0.0,
        "latency_ms": dict(zip(("p50", "p95", "p99"), _finite_all(latency, 3), strict=True)),
        "ttft_ms": dict(zip(("p50", "p95"), _finite_all(ttft, 2), strict=True)),
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "cost_usd": float(row.get("cost", 0.0)),
    }


def _finite_all(values: list[float], n: int) -> list[float | None]:
    if len(values) != n:
        return [None] * n
    return [None if math.isnan(v) else round(v, 3) for v in values]


def metrics_summary(
    store: Store,
    project_id: str,
    time: TimeRange,
    group_by: str | None = None,
    *,
    compare: bool = False,
) -> dict[str, Any]:
    """Metrics per group (most spans first); with ``compare``, each group's metrics in
    the previous period and the previous period's totals."""
    w, period = _periods(project_id, time, compare)
    group_expr, metrics = _group(store, group_by)
    unpriced = f"countIf({UNPRICED_LLM_SPAN})"
    rows = store.query(
        f"SELECT {period} AS period, {group_expr} AS group, {metrics}, "
        f"{unpriced} AS unpriced_llm_spans "
        f"FROM {store.table('spans')} WHERE {w.sql()} "
        "GROUP BY period, group ORDER BY period, spans DESC, group LIMIT 1000 BY period",
        w.params,
    )
    groups: list[dict[str, Any]] = []
    previous: dict[str, dict[str, Any]] = {}
    for row in rows:
        item = {"group": row["group"], **_metrics(row)}
        item["unpriced_llm_spans"] = row["unpriced_llm_spans"]
        if row["period"] == 0:
            groups.append(item)
        else:
            previous[row["group"]] = _metrics(row)
    result: dict[str, Any] = {
        "from_ns": time.start_ns,
        "to_ns": time.end_ns,
        "group_by": group_by,
        "groups": groups,
        "previous": None,
    }
    if compare:
        for item in groups:
            item["previous"] = previous.get(item["group"])
        prev = time.previous()
        if group_by is None:
            totals = previous.get("all") or _metrics({})
        else:
            pw = span_where(project_id, prev)
            found = store.query(
                f"SELECT {_group(store, None)[1]} FROM {store.table('spans')} WHERE {pw.sql()}",
                pw.params,
            )
            totals = _metrics(found[0] if found else {})
        result["previous"] = {"from_ns": prev.start_ns, "to_ns": prev.end_ns, "totals": totals}
    return result


def timeseries(
    store: Store,
    project_id: str,
    time: TimeRange,
    interval_s: int,
    group_by: str | None = None,
    *,
    compare: bool = False,
    limit: int = 10,
) -> dict[str, Any]:
    """Metrics per bucket of ``interval_s`` seconds, per group (top ``limit`` groups by
    spans), every bucket present; with ``compare``, the previous period aligned by
    bucket offset. Buckets start at multiples of the interval."""
    step = interval_s * _NS
    grid0 = time.start_ns // step * step
    buckets = -(-(time.end_ns - grid0) // step)
    w, period = _periods(project_id, time, compare)
    params = {**w.params, "len": time.length_ns, "grid0": grid0, "step": step, "n": buckets}
    grouped = group_by is not None
    group_expr = GROUP_BY[group_by] if group_by is not None else "'all'"
    having = "1"
    if grouped:  # the top groups of the current period
        params.update(top=limit, cur=time.start_ns)
        having = (
            f"group IN (SELECT {group_expr} AS g FROM {store.table('spans')} WHERE {w.sql()} "
            "AND start_time >= fromUnixTimestamp64Nano({cur:Int64}) "
            "GROUP BY g ORDER BY count() DESC, g LIMIT {top:UInt32})"
        )
    bucket = (
        f"intDiv(toUnixTimestamp64Nano(start_time) + {period} * {{len:Int64}} - {{grid0:Int64}}, "
        "{step:Int64})"
    )
    states = _STATES.format(
        traces=_UNIQ_STATE if grouped else _ROOTS,
        cond="1" if grouped else ROOT,
        counted=_counted(store),
    )
    rows = store.query(
        f"SELECT period, group, bucket, {_series_columns(grouped)} FROM ("
        f"SELECT {period} AS period, {group_expr} AS group, {bucket} AS bucket, "
        f"{states}"
        f" FROM {store.table('spans')} WHERE {w.sql()} "
        f"GROUP BY period, group, bucket HAVING {having}) "
        "WINDOW w AS (PARTITION BY period, group) "
        "ORDER BY period, group, bucket WITH FILL FROM 0 TO {n:Int64} STEP 1",
        params,
    )
    by_key: dict[tuple[int, str], dict[int, dict[str, Any]]] = {}
    totals_by_key: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["period"], row["group"])
        by_key.setdefault(key, {})[row["bucket"]] = row
        if row["spans"]:
            totals_by_key[key] = {k[2:]: v for k, v in row.items() if k.startswith("t_")}
    order = sorted(
        {g for p, g in totals_by_key if p == 0},
        key=lambda g: (-totals_by_key[(0, g)]["spans"], g),
    )
    groups = order if grouped else ["all"]

    def series(p: int) -> list[dict[str, Any]]:
        shift = p * time.length_ns
        out = []
        for group in groups:
            filled = by_key.get((p, group), {})
            out.append(
                {
                    "group": group,
                    "totals": _metrics(totals_by_key.get((p, group), {})),
                    "buckets": [
                        {
                            "time": iso(grid0 + k * step - shift),
                            "time_ns": grid0 + k * step - shift,
                            "offset": k,
                            **_metrics(filled.get(k, {})),
                        }
                        for k in range(buckets)
                    ],
                }
            )
        return out

    result: dict[str, Any] = {
        "from_ns": time.start_ns,
        "to_ns": time.end_ns,
        "interval": interval_s,
        "group_by": group_by,
        "series": series(0),
        "previous": None,
    }
    if compare:
        prev = time.previous()
        result["previous"] = {"from_ns": prev.start_ns, "to_ns": prev.end_ns, "series": series(1)}
    return result


def cost_breakdown(
    store: Store, project_id: str, time: TimeRange, group_by: str = "model"
) -> dict[str, Any]:
    """Cost per group, most expensive first, with each group's share of the total."""
    w = span_where(project_id, time)
    # a span with several tags is in several groups: its total comes from the spans
    counted = _counted(store)
    total_sql = (
        f"(SELECT sumIf(ifNull(cost_usd, 0), {counted}) FROM {store.table('spans')} "
        f"WHERE {w.sql()})"
        if group_by == "tag"
        else "sum(cost) OVER ()"
    )
    rows = store.query(
        f"SELECT {GROUP_BY[group_by]} AS group, sumIf(ifNull(cost_usd, 0), {counted}) AS cost, "
        f"count() AS spans, countIf(span_type = 'llm' AND {counted}) AS llm_calls, "
        f"uniq(trace_id) AS traces, sumIf(input_tokens, {counted}) AS in_tokens, "
        f"sumIf(output_tokens, {counted}) AS out_tokens, "
        f"countIf({UNPRICED_LLM_SPAN}) AS unpriced_llm_spans, "
        f"{total_sql} AS total "
        f"FROM {store.table('spans')} WHERE {w.sql()} "
        "GROUP BY group ORDER BY cost DESC, group LIMIT 1000",
        w.params,
    )
    total = float(rows[0]["total"]) if rows else 0.0
    for row in rows:
        del row["total"]
        row["cost_usd"] = row.pop("cost")
        row["input_tokens"] = row.pop("in_tokens")  # aliases apart from the columns
        row["output_tokens"] = row.pop("out_tokens")
        row["share"] = row["cost_usd"] / total if total else 0.0
    return {
        "from_ns": time.start_ns,
        "to_ns": time.end_ns,
        "group_by": group_by,
        "total_cost_usd": total,
        "groups": rows,
    }
