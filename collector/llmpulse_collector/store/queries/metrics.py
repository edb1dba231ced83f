"""Span metrics: summary per group, time series with filled buckets, cost breakdown.

Every metric comes from the registry (``store.metricdefs``): the same SQL whether a
range is grouped or not, so a group's p95 latency equals the summary's when the group
holds the same rows. With ``compare`` one query reads both periods (``[from - len,
to)``) and groups by ``period`` (0 = current, 1 = previous); each group's ``comparison``
then says per metric how it changed, or why there is no baseline.
"""

from __future__ import annotations

import math
import time as _time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.metricdefs import (
    METRICS,
    POPULATIONS,
    MetricDef,
    aggregate_select,
    bind,
    compare,
)
from llmpulse_collector.store.queries._where import (
    TimeRange,
    TraceFilter,
    Where,
    bind_trace_totals,
    iso,
    span_where,
    trace_where,
)
from llmpulse_collector.store.schema import (
    TRACE_COST_USD,
    TRACE_INPUT_TOKENS,
    TRACE_LLM_CALLS,
    TRACE_OUTPUT_TOKENS,
)

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
    "version": "service_version",
    "prompt_version": "prompt_version",
}
COST_GROUP_BY = ("model", "service", "user", "tag", "provider")
#: cost groups that are attributes of the trace (set on its root span): a trace's
#: whole cost goes to its user and to each of its tags
_TRACE_COST_GROUPS = {
    "user": "t_user",
    "tag": "arrayJoin(if(empty(t_tags), [''], t_tags))",
}

#: Bucket widths in seconds, smallest first; ``auto`` takes the first giving <= 120.
AUTO_INTERVALS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_AUTO_BUCKETS = 120
_NS = 1_000_000_000

# The metrics of the summary and time series: every registry metric with a field,
# and the size of each population they rest on (``n_<population>``).
_FIELDS: tuple[MetricDef, ...] = tuple(m for m in METRICS.values() if m.field)
_POPULATIONS = sorted({m.population for m in _FIELDS})
# a population's size is a count metric's column when there is one (no second countIf)
_SAMPLES = {
    p: next((f"m_{m.name}" for m in _FIELDS if m.aggregate == "count" and m.population == p), "")
    for p in _POPULATIONS
}
_METRICS = ",\n    ".join(
    [
        aggregate_select(_FIELDS),
        *(f"countIf({POPULATIONS[p].where}) AS n_{p}" for p, col in _SAMPLES.items() if not col),
    ]
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


def _value(m: MetricDef, raw: Any) -> float | int | None:
    if raw is None:
        return None
    number = float(raw)
    if math.isnan(number) or math.isinf(number):
        return None
    if m.aggregate in ("count", "uniq") or (m.aggregate == "sum" and m.unit == "tokens"):
        return int(number)
    return round(number, 3) if m.aggregate == "quantile" else number


def _metrics(row: dict[str, Any]) -> dict[str, Any]:
    """The API's ``Metrics`` object from a row of ``_METRICS`` (empty: no spans)."""
    out: dict[str, Any] = {}
    for m in _FIELDS:
        assert m.field is not None
        value = _value(m, row.get(f"m_{m.name}"))
        if value is None and m.aggregate in ("count", "uniq", "sum"):
            value = 0.0 if m.unit == "USD" else 0
        if m.name == "error_rate" and value is None:
            value = 0.0  # no spans: no errors
        head, _, sub = m.field.partition(".")
        if sub:
            out.setdefault(head, {})[sub] = value
        else:
            out[head] = value
    return out


def _samples(row: dict[str, Any]) -> dict[str, int]:
    return {p: int(row.get(col or f"n_{p}", 0)) for p, col in _SAMPLES.items()}


def _comparison(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Per metric: the change against the previous period, or why there is none."""
    cur_metrics, prev_metrics = _metrics(current), _metrics(previous)
    cur_n, prev_n = _samples(current), _samples(previous)
    out: dict[str, Any] = {}
    for m in _FIELDS:
        assert m.field is not None
        head, _, sub = m.field.partition(".")
        cur_value = cur_metrics[head][sub] if sub else cur_metrics[head]
        prev_value = prev_metrics[head][sub] if sub else prev_metrics[head]
        item = compare(m, cur_value, prev_value, prev_n[m.population])
        item["current_count"] = cur_n[m.population]
        out[m.name] = item
    return out


def _baseline(row: dict[str, Any]) -> dict[str, Any]:
    return {"samples": _samples(row)}


def metrics_summary(
    store: Store,
    project_id: str,
    time: TimeRange,
    group_by: str | None = None,
    *,
    compare: bool = False,
) -> dict[str, Any]:
    """Metrics per group (most spans first); with ``compare``, each group's metrics in
    the previous period, their ``comparison``, and the previous period's totals."""
    w, period = _periods(project_id, time, compare)
    group_expr = "'all'" if group_by is None else GROUP_BY[group_by]
    rows = store.query(
        f"SELECT {period} AS period, {group_expr} AS group, {_select(store)} "
        f"FROM {store.table('spans')} WHERE {w.sql()} "
        "GROUP BY period, group ORDER BY period, m_volume DESC, group LIMIT 1000 BY period",
        w.params,
    )
    groups: list[dict[str, Any]] = []
    current: dict[str, dict[str, Any]] = {}
    previous: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["period"] == 0:
            groups.append({"group": row["group"], **_metrics(row)})
            current[row["group"]] = row
        else:
            previous[row["group"]] = row
    result: dict[str, Any] = {
        "from_ns": time.start_ns,
        "to_ns": time.end_ns,
        "group_by": group_by,
        "groups": groups,
        "previous": None,
    }
    if compare:
        for item in groups:
            prev_row = previous.get(item["group"])
            item["previous"] = _metrics(prev_row) if prev_row else None
            item["comparison"] = _comparison(current[item["group"]], prev_row or {})
        prev = time.previous()
        if group_by is None:
            totals_row = previous.get("all") or {}
        else:
            pw = span_where(project_id, prev)
            found = store.query(
                f"SELECT {_select(store)} FROM {store.table('spans')} WHERE {pw.sql()}",
                pw.params,
            )
            totals_row = found[0] if found else {}
        result["previous"] = {
            "from_ns": prev.start_ns,
            "to_ns": prev.end_ns,
            "totals": _metrics(totals_row),
            "samples": _samples(totals_row),
        }
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
    bucket offset. Buckets start at multiples of the interval; a bucket that ends
    after the range or after now is ``partial``."""
    step = interval_s * _NS
    grid0 = time.start_ns // step * step
    buckets = -(-(time.end_ns - grid0) // step)
    w, period = _periods(project_id, time, compare)
    params = {**w.params, "len": time.length_ns, "grid0": grid0, "step": step}
    grouped = group_by is not None
    group_expr = GROUP_BY[group_by] if group_by is not None else "'all'"
    bucket = (
        f"intDiv(toUnixTimestamp64Nano(start_time) + {period} * {{len:Int64}} - {{grid0:Int64}}, "
        "{step:Int64})"
    )
    # one scan: the buckets and, as a second grouping set, each series' totals
    sql = (
        f"SELECT {period} AS period, {group_expr} AS group, {bucket} AS bucket, "
        f"grouping(bucket) AS is_total, {_select(store)} "
        f"FROM {store.table('spans')} WHERE {w.sql()} "
        "GROUP BY GROUPING SETS ((period, group, bucket), (period, group))"
    )
    if grouped:  # the top groups by spans in the current period, from the same scan
        params["top"] = limit
        sql = (
            "SELECT * FROM (SELECT *, dense_rank() OVER (ORDER BY g_volume DESC, group) "
            "AS g_rank FROM (SELECT *, max(if(is_total = 1 AND period = 0, m_volume, 0)) "
            f"OVER (PARTITION BY group) AS g_volume FROM ({sql}))) "
            "WHERE g_volume > 0 AND g_rank <= {top:UInt32}"
        )
    rows = store.query(sql, params)
    by_key: dict[tuple[int, str], dict[int, dict[str, Any]]] = {}
    totals_by_key: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["period"], row["group"])
        if row["is_total"]:
            totals_by_key[key] = row
        else:
            by_key.setdefault(key, {})[row["bucket"]] = row
    order = sorted(
        {g for p, g in totals_by_key if p == 0},
        key=lambda g: (-totals_by_key[(0, g)]["m_volume"], g),
    )
    groups = order if grouped else ["all"]
    edge = min(time.end_ns, _time.time_ns())

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
                            "partial": grid0 + (k + 1) * step > edge
                            or grid0 + k * step < time.start_ns,
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


_COST = METRICS["cost_total"]
_UNPRICED = METRICS["unpriced_llm_spans"]
# aliases apart from the column names (an alias named like a column would replace the
# column inside the other aggregates of the select)
_COST_COLUMNS = (
    f"{_COST.sql} AS cost, count() AS spans, "
    f"countIf({POPULATIONS['llm_calls'].where}) AS llm_calls, {{traces}} AS traces, "
    f"{METRICS['input_tokens'].sql} AS in_tokens, {METRICS['output_tokens'].sql} AS out_tokens, "
    f"{_UNPRICED.sql} AS unpriced_llm_spans"
)


def _select(store: Store) -> str:
    """``_METRICS`` for a query over the store's spans table."""
    return bind(_METRICS, store)


def cost_breakdown(
    store: Store, project_id: str, time: TimeRange, group_by: str = "model"
) -> dict[str, Any]:
    """Cost per group, most expensive first, with each group's share of the total.

    ``model``, ``provider`` and ``service`` group spans. ``user`` and ``tag`` are
    attributes of a trace, so they group whole traces (from the trace summary: the
    traces that started in range, every span of a trace counting for its user and for
    each of its tags; ``unpriced_llm_spans`` is ``None`` there). A trace with two tags
    is in two tag groups (``groups_overlap``); ``totals`` count every span in range
    once (``traces``: the root spans).
    """
    w = span_where(project_id, time)
    spans = store.table("spans")
    if group_by in _TRACE_COST_GROUPS:
        tw = trace_where(store, TraceFilter(project_id=project_id, time=time))
        # per trace (grouped by the id's number key, migration 0019), then per group
        per_trace = (
            f"SELECT {_TRACE_COST_GROUPS[group_by]} AS group, sum(t_cost) AS cost, "
            "sum(t_spans) AS spans, sum(t_llm) AS llm_calls, count() AS traces, "
            "sum(t_in) AS in_tokens, sum(t_out) AS out_tokens, "
            "NULL AS unpriced_llm_spans FROM ("
            f"SELECT {TRACE_COST_USD} AS t_cost, sum(traces.span_count) AS t_spans, "
            f"{TRACE_LLM_CALLS} AS t_llm, {TRACE_INPUT_TOKENS} AS t_in, "
            f"{TRACE_OUTPUT_TOKENS} AS t_out, max(traces.user_id) AS t_user, "
            "groupUniqArrayArray(traces.tags) AS t_tags "
            f"FROM {store.table('traces')} WHERE {tw.sql()} "
            f"GROUP BY trace_key HAVING {tw.having_sql()}) "
            "GROUP BY group ORDER BY cost DESC, group LIMIT 1000"
        )
        # the totals (over spans) and the groups are independent: both at once, each
        # on its own connection (``Store`` is thread-safe); an error in either raises
        with ThreadPoolExecutor(max_workers=1) as pool:
            found_totals = pool.submit(
                store.query,
                f"SELECT {bind(_COST_COLUMNS.replace('{traces}', METRICS['traces'].sql), store)} "
                f"FROM {spans} WHERE {w.sql()}",
                w.params,
            )
            rows = store.query(bind_trace_totals(store, per_trace, tw.params), tw.params)
            [totals] = found_totals.result()
    else:
        # one scan: the groups and, as a second grouping set, the totals (``traces``
        # of the totals: root spans; of a group: distinct trace ids)
        found = store.query(
            f"SELECT {GROUP_BY[group_by]} AS group, grouping(group) AS is_total, "
            f"{bind(_COST_COLUMNS.replace('{traces}', 'uniqCombined(trace_id)'), store)}, "
            f"{METRICS['traces'].sql} AS root_spans "
            f"FROM {spans} WHERE {w.sql()} GROUP BY GROUPING SETS ((group), ()) "
            "ORDER BY is_total DESC, cost DESC, group LIMIT 1001",
            w.params,
        )
        rows = [r for r in found if not r["is_total"]][:1000]
        [totals] = [r for r in found if r["is_total"]]
        totals["traces"] = totals.pop("root_spans")
        for row in [*rows, totals]:
            row.pop("is_total")
        for row in rows:
            del row["root_spans"]
        del totals["group"]
    total = float(totals["cost"])
    for row in rows:
        row["cost_usd"] = row.pop("cost")
        row["input_tokens"] = row.pop("in_tokens")  # aliases apart from the columns
        row["output_tokens"] = row.pop("out_tokens")
        row["share"] = row["cost_usd"] / total if total else 0.0
    totals["cost_usd"] = float(totals.pop("cost"))
    totals["input_tokens"] = totals.pop("in_tokens")
    totals["output_tokens"] = totals.pop("out_tokens")
    return {
        "from_ns": time.start_ns,
        "to_ns": time.end_ns,
        "group_by": group_by,
        "total_cost_usd": total,
        "totals": totals,
        "groups_overlap": group_by == "tag",
        "groups": rows,
    }
