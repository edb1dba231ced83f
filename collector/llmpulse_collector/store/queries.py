"""Read queries of the query API: one filter builder, parametrized SQL only.

Every query is scoped to one project and a time range. Values are bound
server-side (``{name:Type}``); the only identifiers spliced into SQL are table
names from ``Store.table`` and group-by expressions from the fixed ``GROUP_BY`` map.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from llmpulse_collector.store.client import Store

__all__ = [
    "GROUP_BY",
    "InvalidCursor",
    "TimeRange",
    "TraceFilter",
    "TracePage",
    "get_trace",
    "list_traces",
    "metrics_summary",
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


class InvalidCursor(ValueError):
    """A paging cursor that this API did not hand out."""


@dataclass(frozen=True, slots=True)
class TimeRange:
    start_ns: int
    end_ns: int


@dataclass(frozen=True, slots=True)
class TraceFilter:
    project_id: str
    time: TimeRange
    service: str | None = None
    name: str | None = None
    model: str | None = None
    status: Literal["ok", "error"] | None = None
    session_id: str | None = None
    user_id: str | None = None
    tag: str | None = None


@dataclass
class TracePage:
    traces: list[dict[str, Any]]
    next_cursor: str | None


@dataclass
class _Where:
    """Collects SQL conditions and their bound parameters."""

    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, clause: str, **params: Any) -> None:
        self.clauses.append(clause)
        self.params.update(params)

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1"


def _span_conditions(f: TraceFilter) -> _Where:
    """Conditions on spans of the project in the time range (plus span-level filters)."""
    w = _Where()
    w.add("project_id = {project:String}", project=f.project_id)
    w.add("start_time >= fromUnixTimestamp64Nano({t0:Int64})", t0=f.time.start_ns)
    w.add("start_time < fromUnixTimestamp64Nano({t1:Int64})", t1=f.time.end_ns)
    return w


def _encode_cursor(start_ns: int, trace_id: str) -> str:
    return base64.urlsafe_b64encode(f"{start_ns}:{trace_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        ns, _, trace_id = raw.partition(":")
        return int(ns), trace_id
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("invalid cursor: pass the next_cursor of a previous page") from exc


def list_traces(
    store: Store, f: TraceFilter, *, limit: int = 50, cursor: str | None = None
) -> TracePage:
    """Traces that started in the range, newest first, from the per-trace summary."""
    spans = _span_conditions(f)
    having = _Where()
    having.add("trace_start >= fromUnixTimestamp64Nano({t0:Int64})")
    having.add("trace_start < fromUnixTimestamp64Nano({t1:Int64})")
    span_level = []
    if f.name:
        spans.add("name = {name:String}", name=f.name)
        span_level.append(True)
    if f.service:
        spans.add("service_name = {service:String}", service=f.service)
        span_level.append(True)
    if f.model:
        having.add("has(models, {model:String})", model=f.model)
    if f.status == "error":
        having.add("errors > 0")
    elif f.status == "ok":
        having.add("errors = 0")
    if f.session_id:
        having.add("session_id = {session:String}", session=f.session_id)
    if f.user_id:
        having.add("user_id = {user:String}", user=f.user_id)
    if f.tag:
        having.add("has(tags, {tag:String})", tag=f.tag)
    if cursor:
        c_ns, c_id = _decode_cursor(cursor)
        having.add(
            "(toUnixTimestamp64Nano(trace_start), trace_id) < ({c_ns:Int64}, {c_id:String})",
            c_ns=c_ns,
            c_id=c_id,
        )
    where = "project_id = {project:String}"
    if span_level:
        where += (
            f" AND trace_id IN (SELECT trace_id FROM {store.table('spans')} WHERE {spans.sql()})"
        )
    sql = f"""
        SELECT
            trace_id,
            min(start_time) AS trace_start,
            max(end_time) AS trace_end,
            max(root_name) AS name,
            max(root_service) AS service_name,
            sum(span_count) AS spans,
            sum(error_count) AS errors,
            sum(llm_calls) AS llm_calls,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cost_usd) AS cost_usd,
            max(session_id) AS session_id,
            max(user_id) AS user_id,
            groupUniqArrayArray(tags) AS tags,
            groupUniqArrayArray(models) AS models
        FROM {store.table("traces")}
        WHERE {where}
        GROUP BY trace_id
        HAVING {having.sql()}
        ORDER BY trace_start DESC, trace_id DESC
        LIMIT {{limit:UInt32}}
    """
    params = {**spans.params, **having.params, "limit": limit + 1}
    rows = store.query(sql, params)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = _encode_cursor(_to_ns(last["trace_start"]), last["trace_id"])
    return TracePage(traces=[_trace_summary(row) for row in rows], next_cursor=next_cursor)


def _to_ns(value: Any) -> int:
    return int(value.timestamp() * 1_000_000) * 1000


def _trace_summary(row: dict[str, Any]) -> dict[str, Any]:
    start, end = row.pop("trace_start"), row.pop("trace_end")
    row["start_time"] = start.isoformat()
    row["end_time"] = end.isoformat()
    row["duration_ms"] = round((end - start).total_seconds() * 1000, 3)
    row["tags"] = sorted(row["tags"])
    row["models"] = sorted(row["models"])
    return row


_SPAN_DETAIL_COLUMNS = """
    span_id, parent_span_id, name, kind, service_name, scope_name, environment,
    toUnixTimestamp64Nano(start_time) AS start_time_ns,
    toUnixTimestamp64Nano(end_time) AS end_time_ns,
    duration_ms, status_code, status_message, span_type, model, provider,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, time_to_first_token_ms, finish_reason, tool_name, session_id, user_id, tags,
    input, output, attributes, resource_attributes, events
"""


def get_trace(store: Store, project_id: str, trace_id: str) -> dict[str, Any] | None:
    """All spans of a trace as a tree (children nested), with evaluations."""
    params = {"project": project_id, "trace": trace_id}
    spans = store.query(
        f"SELECT {_SPAN_DETAIL_COLUMNS} FROM {store.table('spans')} "
        "WHERE project_id = {project:String} AND trace_id = {trace:String} "
        "ORDER BY start_time, span_id",
        params,
    )
    if not spans:
        return None
    evaluations = store.query(
        "SELECT toString(evaluation_id) AS evaluation_id, span_id, name, source, passed, score, "
        "label, comment, value, toUnixTimestamp64Nano(created_at) AS created_at_ns "
        f"FROM {store.table('evaluations')} "
        "WHERE project_id = {project:String} AND trace_id = {trace:String} "
        "ORDER BY created_at",
        params,
    )
    by_span: dict[str, list[dict[str, Any]]] = {}
    for ev in evaluations:
        by_span.setdefault(ev["span_id"], []).append(ev)
    nodes: dict[str, dict[str, Any]] = {}
    trace_start = min(s["start_time_ns"] for s in spans)
    for span in spans:
        span["events"] = json.loads(span["events"]) if span["events"] else []
        span["offset_ms"] = (span["start_time_ns"] - trace_start) / 1e6
        span["evaluations"] = by_span.get(span["span_id"], [])
        span["children"] = []
        nodes[span["span_id"]] = span
    roots: list[dict[str, Any]] = []
    for span in spans:
        parent = nodes.get(span["parent_span_id"])
        (parent["children"] if parent is not None else roots).append(span)
    trace_end = max(s["end_time_ns"] for s in spans)
    return {
        "trace_id": trace_id,
        "start_time_ns": trace_start,
        "end_time_ns": trace_end,
        "duration_ms": (trace_end - trace_start) / 1e6,
        "span_count": len(spans),
        "roots": roots,
        "evaluations": by_span.get("", []),
    }


def metrics_summary(
    store: Store, project_id: str, time: TimeRange, group_by: str | None = None
) -> list[dict[str, Any]]:
    """Counts, error rate, latency percentiles, tokens and cost; one row per group.

    Without ``group_by`` latency is that of whole traces (root spans); with it,
    that of the spans in each group.
    """
    w = _span_conditions(TraceFilter(project_id=project_id, time=time))
    if group_by is None:
        group_expr, latency_cond = "'all'", "parent_span_id = ''"
    else:
        group_expr, latency_cond = GROUP_BY[group_by], "1"
    sql = f"""
        SELECT
            {group_expr} AS group,
            count() AS spans,
            uniqExact(trace_id) AS traces,
            countIf(status_code = 'ERROR') AS errors,
            if(spans = 0, 0, errors / spans) AS error_rate,
            quantilesIf(0.5, 0.95, 0.99)(duration_ms, {latency_cond}) AS latency,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            countIf(span_type = 'llm' AND cost_usd IS NULL AND model != '') AS unpriced_llm_spans,
            sum(ifNull(cost_usd, 0)) AS total_cost_usd
        FROM {store.table("spans")}
        WHERE {w.sql()}
        GROUP BY group
        ORDER BY spans DESC
        LIMIT 1000
    """
    rows = store.query(sql, w.params)
    for row in rows:
        p50, p95, p99 = row.pop("latency")
        row["latency_ms"] = {"p50": _finite(p50), "p95": _finite(p95), "p99": _finite(p99)}
        row["cost_usd"] = row.pop("total_cost_usd")
    return rows


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)
