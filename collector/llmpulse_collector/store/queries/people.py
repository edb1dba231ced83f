"""Sessions (with the conversation of one session) and users, from the traces summary.

Both aggregate twice: partial ``traces`` rows into traces (``GROUP BY trace_key``,
the trace id's number key: migration 0019), then traces into sessions or users.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import (
    TimeRange,
    TraceFilter,
    bind_trace_totals,
    decode_cursor,
    encode_cursor,
    iso,
    trace_where,
)
from llmpulse_collector.store.queries.pages import Key, Keyset
from llmpulse_collector.store.queries.traces import root_io, summary_of
from llmpulse_collector.store.schema import (
    TRACE_COST_USD,
    TRACE_INPUT_TOKENS,
    TRACE_OUTPUT_TOKENS,
    TRACE_SUMMARY,
)

__all__ = ["USER_SORTS", "Page", "get_session", "list_sessions", "list_users"]

# One row per trace in range (exact totals), for the outer aggregation. Grouped by the
# trace id's hash (``trace_key``, a stored UInt64): far cheaper than the id string, which
# the outer aggregations never need.
_PER_TRACE = f"""
    SELECT min(traces.start_time) AS t_start,
        max(traces.end_time) AS t_end,
        max(traces.session_id) AS t_session,
        max(traces.user_id) AS t_user,
        sum(traces.span_count) AS t_spans,
        sum(traces.error_count) AS t_errors,
        {TRACE_INPUT_TOKENS} AS t_input,
        {TRACE_OUTPUT_TOKENS} AS t_output,
        {TRACE_COST_USD} AS t_cost
    FROM {{traces}} WHERE {{where}} GROUP BY trace_key HAVING {{having}}
"""

USER_SORTS: dict[str, tuple[str, str, type[int] | type[float]]] = {
    "last_seen": ("toUnixTimestamp64Nano(max(t_end))", "Int64", int),
    "traces": ("toInt64(count())", "Int64", int),
    "cost_usd": ("round(sum(t_cost), 12)", "Float64", float),
    "errors": ("toInt64(sum(t_errors))", "Int64", int),
    "total_tokens": ("toInt64(sum(t_input) + sum(t_output))", "Int64", int),
}


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None = None  # rows across all pages
    totals: dict[str, Any] | None = None  # sums across all pages


# Totals across every row of a listing (not a page), as window functions over the
# grouped rows: computed before the cursor and LIMIT cut the page.
_TOTALS = (
    "count() OVER () AS _total, sum(traces) OVER () AS _traces, "
    "sum(errors) OVER () AS _errors, sum(input_tokens) OVER () AS _input, "
    "sum(output_tokens) OVER () AS _output, sum(cost_usd) OVER () AS _cost"
)


def _page_totals(rows: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """(total, totals) from the window columns of ``_TOTALS`` (popped from rows)."""
    first = rows[0] if rows else {}
    totals = {
        "traces": int(first.get("_traces", 0)),
        "errors": int(first.get("_errors", 0)),
        "input_tokens": int(first.get("_input", 0)),
        "output_tokens": int(first.get("_output", 0)),
        "cost_usd": float(first.get("_cost", 0.0)),
    }
    totals["total_tokens"] = totals["input_tokens"] + totals["output_tokens"]
    total = int(first.get("_total", 0))
    for row in rows:
        for key in ("_total", "_traces", "_errors", "_input", "_output", "_cost"):
            row.pop(key, None)
    return total, totals


def _per_trace(store: Store, f: TraceFilter, having: str = "") -> tuple[str, dict[str, Any]]:
    w = trace_where(store, f)
    if having:
        w.having(having)
    traces = store.table("traces")
    sql = _PER_TRACE.format(traces=traces, where=w.sql(), having=w.having_sql())
    return bind_trace_totals(store, sql, w.params), w.params


def list_sessions(
    store: Store,
    project_id: str,
    time: TimeRange,
    *,
    user_id: str | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Sessions with a trace starting in range, most recently active first."""
    f = TraceFilter(project_id=project_id, time=time, user_id=user_id)
    having = "max(traces.session_id) != ''"
    if q:
        having += " AND positionCaseInsensitiveUTF8(max(traces.session_id), {q:String}) > 0"
    inner, params = _per_trace(store, f, having)
    if q:
        params["q"] = q
    page_where = "1"
    if cursor:
        last_ns, session = decode_cursor(cursor, "sessions", (int, str))
        page_where = "(last_ns, session_id) < ({c_ns:Int64}, {c_id:String})"
        params.update(c_ns=last_ns, c_id=session)
    # traces grouped into sessions by the session ids' 64-bit hashes (cheaper than the
    # strings; two sessions of a range sharing one is vanishingly unlikely, as for
    # trace_key)
    rows = store.query(
        "SELECT * FROM ("
        "SELECT any(t_session) AS session_id, max(t_user) AS user_id, count() AS traces, "
        "toUnixTimestamp64Nano(min(t_start)) AS first_ns, "
        "toUnixTimestamp64Nano(max(t_end)) AS last_ns, "
        "sum(t_input) AS input_tokens, sum(t_output) AS output_tokens, "
        f"sum(t_cost) AS cost_usd, sum(t_errors) AS errors, {_TOTALS} "
        f"FROM ({inner}) GROUP BY cityHash64(t_session)) WHERE {page_where} "
        "ORDER BY last_ns DESC, session_id DESC LIMIT {limit:UInt32}",
        {**params, "limit": limit + 1},
    )
    more = len(rows) > limit
    rows = rows[:limit]
    total, totals = _page_totals(rows)
    next_cursor = None
    if more and rows:
        next_cursor = encode_cursor("sessions", [rows[-1]["last_ns"], rows[-1]["session_id"]])
    for row in rows:
        first, last = row.pop("first_ns"), row.pop("last_ns")
        row["first_seen"], row["last_seen"] = iso(first), iso(last)
        row["duration_ms"] = (last - first) / 1e6
        row["total_tokens"] = row["input_tokens"] + row["output_tokens"]
    return Page(rows, next_cursor, total, totals)


def list_users(
    store: Store,
    project_id: str,
    time: TimeRange,
    *,
    sort: str = "last_seen",
    order: Literal["desc", "asc"] = "desc",
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Users with a trace starting in range (non-empty ``user_id``)."""
    f = TraceFilter(project_id=project_id, time=time)
    inner, params = _per_trace(store, f, "max(traces.user_id) != ''")
    expr, sql_type, py_type = USER_SORTS[sort]
    kind = f"users:{sort}:{order}"
    page_where = "1"
    op = "<" if order == "desc" else ">"
    if cursor:
        value, user = decode_cursor(cursor, kind, (py_type, str))
        page_where = f"(sort_key, user_id) {op} ({{c_value:{sql_type}}}, {{c_id:String}})"
        params.update(c_value=value, c_id=user)
    direction = "DESC" if order == "desc" else "ASC"
    rows = store.query(
        "SELECT * FROM ("
        f"SELECT t_user AS user_id, {expr} AS sort_key, count() AS traces, "
        # distinct sessions counted by their ids' 64-bit hashes (uniqExact of strings
        # keeps 128-bit hashes: the 64-bit ones cost far less; two sessions of one
        # user sharing one is vanishingly unlikely, as for trace_key)
        "uniqExactIf(cityHash64(t_session), t_session != '') AS sessions, "
        "sum(t_spans) AS spans, sum(t_errors) AS errors, "
        "sum(t_input) AS input_tokens, sum(t_output) AS output_tokens, "
        "sum(t_cost) AS cost_usd, "
        "toUnixTimestamp64Nano(min(t_start)) AS first_ns, "
        f"toUnixTimestamp64Nano(max(t_end)) AS last_ns, {_TOTALS} "
        f"FROM ({inner}) GROUP BY user_id) WHERE {page_where} "
        f"ORDER BY sort_key {direction}, user_id {direction} LIMIT {{limit:UInt32}}",
        {**params, "limit": limit + 1},
    )
    more = len(rows) > limit
    rows = rows[:limit]
    total, totals = _page_totals(rows)
    next_cursor = None
    if more and rows:
        next_cursor = encode_cursor(kind, [py_type(rows[-1]["sort_key"]), rows[-1]["user_id"]])
    items = []
    for row in rows:
        del row["sort_key"]
        row["error_rate"] = row["errors"] / row["spans"] if row["spans"] else 0.0
        row["total_tokens"] = row["input_tokens"] + row["output_tokens"]
        row["first_seen"] = iso(row.pop("first_ns"))
        row["last_seen"] = iso(row.pop("last_ns"))
        items.append(row)
    return Page(items, next_cursor, total, totals)


# A session's figures over all of its traces: aggregates over ``get_session``'s rows
# (one per trace, ``TRACE_SUMMARY``), as window functions (``over=" OVER ()"``: every
# row carries them, computed before the cursor and LIMIT cut the page) or plain.
_SESSION_HEAD = (
    "count(){over} AS n, min(start_time_ns){over} AS first_ns, "
    "max(end_time_ns){over} AS last_ns, "
    "argMinIf(user_id, start_time_ns, user_id != ''){over} AS head_user, "
    "toInt64(sum(errors){over}) AS head_errors, "
    "toInt64(sum(input_tokens){over}) AS head_input, "
    "toInt64(sum(output_tokens){over}) AS head_output, "
    "round(sum(cost_usd){over}, 12) AS head_cost"
)
_HEAD_COLUMNS = (
    *("n", "first_ns", "last_ns", "head_user"),
    *("head_errors", "head_input", "head_output", "head_cost"),
)


def get_session(
    store: Store,
    project_id: str,
    session_id: str,
    time: TimeRange,
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> dict[str, Any] | None:
    """A session (its user, first and last seen, ``total`` traces, all of them) and one
    page of its traces oldest first, each with its root input/output and messages."""
    f = TraceFilter(project_id=project_id, time=time, session_id=session_id)
    w = trace_where(store, f)
    w.add(
        f"trace_id IN (SELECT trace_id FROM {store.table('traces')} "
        "WHERE project_id = {project:String} AND session_id = {session:String} "
        "AND start_time >= fromUnixTimestamp64Nano({t0:Int64}) - INTERVAL 1 DAY)"
    )
    per_trace = (
        f"SELECT trace_id, {TRACE_SUMMARY} FROM {store.table('traces')} WHERE {w.sql()} "
        f"GROUP BY trace_id HAVING {w.having_sql()}"
    )
    keys = Keyset(
        f"session:{session_id}",
        [Key("start_time_ns", "start_time_ns", "Int64"), Key("trace_id", "trace_id", "String")],
        cursor,
    )
    # one pass over the session's traces: the page, each row with the figures
    rows = store.query(
        f"SELECT * FROM (SELECT *, {_SESSION_HEAD.format(over=' OVER ()')} FROM ({per_trace})) "
        f"WHERE {keys.sql} ORDER BY {keys.order_by} LIMIT {{limit:UInt32}}",
        {**w.params, **keys.params, "limit": limit + 1},
    )
    if rows:
        head = {k: rows[0][k] for k in _HEAD_COLUMNS}
    else:  # past the last page, or no such session: the figures alone
        [head] = store.query(f"SELECT {_SESSION_HEAD.format(over='')} FROM ({per_trace})", w.params)
    if not head["n"]:
        return None
    page = keys.page(rows, limit, int(head["n"]))
    traces = [summary_of(row) for row in page.items]
    if traces:
        io = root_io(store, project_id, traces)
        messages = _last_llm_messages(store, project_id, traces)
        for trace in traces:
            trace["input"], trace["output"] = io.get(trace["trace_id"], ("", ""))
            trace["messages"] = messages.get(trace["trace_id"], [])
    return {
        "session_id": session_id,
        "user_id": head["head_user"] or "",
        "first_seen": iso(int(head["first_ns"])),
        "last_seen": iso(int(head["last_ns"])),
        "traces": traces,
        "total": page.total,
        "next_cursor": page.next_cursor,
        "totals": {  # over every trace of the session, not the page
            "traces": page.total,
            "errors": int(head["head_errors"]),
            "input_tokens": int(head["head_input"]),
            "output_tokens": int(head["head_output"]),
            "total_tokens": int(head["head_input"]) + int(head["head_output"]),
            "cost_usd": float(head["head_cost"]),
        },
    }


def _last_llm_messages(
    store: Store, project_id: str, traces: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """``trace_id -> messages`` of the trace's last LLM span (input then output)."""
    rows = store.query(
        "SELECT trace_id, argMax(input, start_time) AS input, "
        "argMax(output, start_time) AS output "
        f"FROM {store.table('spans')} "
        "WHERE project_id = {project:String} "
        "AND start_time >= fromUnixTimestamp64Nano({lo:Int64}) "
        "AND start_time <= fromUnixTimestamp64Nano({hi:Int64}) "
        "AND span_type = 'llm' AND trace_id IN {ids:Array(String)} GROUP BY trace_id",
        {
            "project": project_id,
            "ids": [t["trace_id"] for t in traces],
            "lo": min(t["start_time_ns"] for t in traces),
            "hi": max(t["end_time_ns"] for t in traces),
        },
    )
    return {row["trace_id"]: _messages(row["input"]) + _messages(row["output"]) for row in rows}


def _messages(text: str) -> list[Any]:
    """A JSON list of ``{"role", ...}`` messages, or ``[]`` for anything else."""
    if not text.startswith("["):
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    if isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value):
        return value
    return []
