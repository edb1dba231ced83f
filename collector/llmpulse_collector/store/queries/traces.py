"""Trace list (filters, sorts, cursor paging) and trace detail (span tree)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Literal

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import (
    MARGIN_NS,
    TRACE_COST,
    TRACE_DURATION_NS,
    TRACE_START_NS,
    TRACE_TOKENS,
    TimeRange,
    TraceFilter,
    bind_trace_totals,
    decode_cursor,
    encode_cursor,
    iso,
    trace_where,
)
from llmpulse_collector.store.schema import TRACE_SUMMARY

__all__ = [
    "SORTS",
    "TracePage",
    "get_trace",
    "list_traces",
    "root_io",
    "summary_of",
    "trace_summaries",
]

TraceSort = Literal["start_time", "duration_ms", "cost_usd", "total_tokens"]
#: sort name -> (aggregate expression over partial rows, SQL type of its value)
SORTS: dict[str, tuple[str, str, type]] = {
    "start_time": (TRACE_START_NS, "Int64", int),
    "duration_ms": (TRACE_DURATION_NS, "Int64", int),
    "cost_usd": (TRACE_COST, "Float64", float),
    "total_tokens": (TRACE_TOKENS, "Int64", int),
}

PREVIEW_CHARS = 300


@dataclass
class TracePage:
    traces: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None = None  # traces matching the filter (all pages), when asked for


def list_traces(
    store: Store,
    f: TraceFilter,
    *,
    sort: str = "start_time",
    order: Literal["desc", "asc"] = "desc",
    limit: int = 50,
    cursor: str | None = None,
    previews: bool = True,
    with_total: bool = False,
) -> TracePage:
    """Traces matching ``f``, sorted by ``sort`` then ``trace_id``, one page.

    Two steps: pick the page's trace ids with only the aggregates the filter and sort
    need, then summarize those traces (cheap whatever the range).
    """
    kind = f"traces:{sort}:{order}"
    after: tuple[Any, str] | None = None
    if cursor:
        value, trace_id = decode_cursor(cursor, kind, (SORTS[sort][2], str))
        after = (value, trace_id)
    # the count, and the scores of the page's traces, run beside the page and its
    # summaries (each query on its own connection: ``Store`` is thread-safe)
    with ThreadPoolExecutor(max_workers=3) as pool:
        counted = pool.submit(count_traces, store, f) if with_total else None
        if sort == "start_time":
            rows = _page_by_start(store, f, order, limit + 1, after)
        else:
            rows = _page(store, f, sort, order, limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        ids = [row["trace_id"] for row in rows]
        scored = pool.submit(trace_scores, store, f.project_id, ids, f.time.start_ns)
        # the root spans' texts beside the summaries: a trace's spans start at or
        # after it (the page by start time gives the page's first start) and at most
        # a margin after it
        first = min(row["sort_key"] for row in rows) if sort == "start_time" and rows else 0
        lo = max(f.time.start_ns, first)
        texts = None
        if previews and ids:
            texts = pool.submit(
                root_io, store, f.project_id, rows,
                within=(lo, f.time.end_ns + MARGIN_NS), chars=PREVIEW_CHARS,
            )  # fmt: skip
        summaries = trace_summaries(store, f.project_id, ids, f.time.start_ns, f.time.end_ns)
        traces = [summaries[i] for i in ids if i in summaries]
        io = texts.result() if texts is not None else {}
        if previews:
            for trace in traces:
                found = io.get(trace["trace_id"], ("", ""))
                trace["input_preview"], trace["output_preview"] = found
        scores = scored.result()
        total = counted.result() if counted is not None else None
    for trace in traces:
        trace.update(scores.get(trace["trace_id"], _NO_SCORES))
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(kind, [SORTS[sort][2](last["sort_key"]), last["trace_id"]])
    return TracePage(traces=traces, next_cursor=next_cursor, total=total)


def _page(
    store: Store,
    f: TraceFilter,
    sort: str,
    order: Literal["desc", "asc"],
    limit: int,
    after: tuple[Any, str] | None,
) -> list[dict[str, Any]]:
    """``trace_id`` and ``sort_key`` of the first ``limit`` traces matching ``f`` in
    the order (after the cursor's ``(value, trace_id)``)."""
    expr, sql_type, _ = SORTS[sort]
    w = trace_where(store, f)
    if after is not None:
        op = "<" if order == "desc" else ">"
        w.having(
            f"({expr}, trace_id) {op} ({{c_value:{sql_type}}}, {{c_trace:String}})",
            c_value=after[0],
            c_trace=after[1],
        )
    direction = "DESC" if order == "desc" else "ASC"
    traces = store.table("traces")
    sql = (
        f"SELECT trace_id, {expr} AS sort_key FROM {traces} "
        f"WHERE {w.sql()} GROUP BY trace_id HAVING {w.having_sql()} "
        f"ORDER BY sort_key {direction}, trace_id {direction} LIMIT {{limit:UInt32}}"
    )
    return store.query(bind_trace_totals(store, sql, w.params), {**w.params, "limit": limit})


#: The first window ``_page_by_start`` reads is this fraction of the range; each
#: next one is ``_WINDOW_GROWTH`` times longer.
_FIRST_WINDOW = 16
_WINDOW_GROWTH = 4


def _page_by_start(
    store: Store,
    f: TraceFilter,
    order: Literal["desc", "asc"],
    limit: int,
    after: tuple[Any, str] | None,
) -> list[dict[str, Any]]:
    """``_page`` by start time, reading the range from its newest (``desc``) or oldest
    end in growing windows until one holds ``limit`` matching traces.

    Exact: a window at the end of the range holds every trace that starts there, and
    each of those comes before every trace outside it; so once the window holds
    ``limit`` matches, they are the page. A short window reads only its own spans and
    summary rows (partition pruning and the spans' sort key), so the newest page of
    a week costs about what an hour does.
    """
    t0, t1 = f.time.start_ns, f.time.end_ns
    if after is not None:  # the cursor's start time bounds the rest of the listing
        if order == "desc":
            t1 = min(t1, int(after[0]) + 1)
        else:
            t0 = max(t0, int(after[0]))
    span = max(t1 - t0, 1)
    width = max(span // _FIRST_WINDOW, 1)
    while True:
        if width >= span:
            window = TimeRange(t0, t1)
        elif order == "desc":
            window = TimeRange(t1 - width, t1)
        else:
            window = TimeRange(t0, t0 + width)
        rows = _page(store, replace(f, time=window), "start_time", order, limit, after)
        if len(rows) >= limit or window == TimeRange(t0, t1):
            return rows
        width *= _WINDOW_GROWTH


def count_traces(store: Store, f: TraceFilter) -> int:
    """How many traces match ``f`` (every page). Groups by the trace id's number key
    (``trace_key``, migration 0019): cheaper than the id string."""
    w = trace_where(store, f)
    traces = store.table("traces")
    sql = (
        f"SELECT count() AS n FROM (SELECT trace_key FROM {traces} "
        f"WHERE {w.sql()} GROUP BY trace_key HAVING {w.having_sql()})"
    )
    rows = store.query(bind_trace_totals(store, sql, w.params), w.params)
    return int(rows[0]["n"]) if rows else 0


_NO_SCORES: dict[str, Any] = {
    "assertions_passed": 0,
    "assertions_failed": 0,
    "avg_score": None,
    "feedback_positive": 0,
    "feedback_negative": 0,
}


def trace_scores(
    store: Store, project_id: str, trace_ids: Sequence[str], since_ns: int
) -> dict[str, dict[str, Any]]:
    """Per trace: assertion results passed/failed, the mean score of evaluations that
    are not feedback (None without scores), and human feedback up/down."""
    if not trace_ids:
        return {}
    rows = store.query(
        "SELECT trace_id, "
        "countIf(source != 'feedback' AND passed = true) AS assertions_passed, "
        "countIf(source != 'feedback' AND passed = false) AS assertions_failed, "
        "avgIf(score, source != 'feedback' AND score IS NOT NULL) AS avg_score, "
        "countIf(source != 'feedback' AND score IS NOT NULL) AS scored, "
        "countIf(source = 'feedback' AND passed = true) AS feedback_positive, "
        "countIf(source = 'feedback' AND passed = false) AS feedback_negative "
        f"FROM {store.table('evaluations')} "
        "WHERE project_id = {project:String} AND trace_id IN {ids:Array(String)} "
        "AND created_at >= fromUnixTimestamp64Nano({since:Int64}) - INTERVAL 1 DAY "
        "GROUP BY trace_id",
        {"project": project_id, "ids": list(trace_ids), "since": since_ns},
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        scored = int(row.pop("scored"))
        trace_id = row.pop("trace_id")
        avg = row["avg_score"]
        row["avg_score"] = round(float(avg), 6) if scored and avg is not None else None
        out[trace_id] = {k: (v if k == "avg_score" else int(v)) for k, v in row.items()}
    return out


def trace_summaries(
    store: Store, project_id: str, trace_ids: Sequence[str], start_ns: int, end_ns: int
) -> dict[str, dict[str, Any]]:
    """Per-trace summaries of ``trace_ids`` (traces starting within ``[start, end)``
    give exact totals: partial rows are read a day around it)."""
    if not trace_ids:
        return {}
    rows = store.query(
        f"SELECT trace_id, {TRACE_SUMMARY} FROM {store.table('traces')} "
        "WHERE traces.project_id = {project:String} AND trace_id IN {ids:Array(String)} "
        "AND traces.start_time >= fromUnixTimestamp64Nano({t0:Int64}) - INTERVAL 1 DAY "
        "AND traces.start_time < fromUnixTimestamp64Nano({t1:Int64}) + INTERVAL 1 DAY "
        "GROUP BY trace_id",
        {"project": project_id, "ids": list(trace_ids), "t0": start_ns, "t1": end_ns},
    )
    return {row["trace_id"]: summary_of(row) for row in rows}


def summary_of(row: dict[str, Any]) -> dict[str, Any]:
    """A trace's summary from a row of ``TRACE_SUMMARY`` with its ``trace_id``."""
    start, end = row["start_time_ns"], row["end_time_ns"]
    return {
        "trace_id": row["trace_id"],
        "start_time": iso(start),
        "end_time": iso(end),
        "start_time_ns": start,
        "end_time_ns": end,
        "duration_ms": (end - start) / 1e6,
        "name": row["name"],
        "service_name": row["service_name"],
        "environment": row["environment"],
        "spans": row["spans"],
        "errors": row["errors"],
        "llm_calls": row["llm_calls"],
        "input_tokens": row["input_tokens"],
        "output_tokens": row["output_tokens"],
        "total_tokens": row["input_tokens"] + row["output_tokens"],
        "cost_usd": row["cost_usd"],
        "session_id": row["session_id"],
        "user_id": row["user_id"],
        "tags": list(row["tags"]),
        "models": list(row["models"]),
    }


def root_io(
    store: Store,
    project_id: str,
    traces: Sequence[dict[str, Any]],
    *,
    within: tuple[int, int] | None = None,
    chars: int = 0,
) -> dict[str, tuple[str, str]]:
    """``trace_id -> (input, output)`` of each trace's root span (first ``chars``
    characters when ``chars > 0``). ``traces`` are summaries (ids and times), or rows
    with a ``trace_id`` and the times (ns) their spans start ``within``."""
    if not traces:
        return {}
    if within is None:
        within = min(t["start_time_ns"] for t in traces), max(t["end_time_ns"] for t in traces)
    text = "substringUTF8({col}, 1, {{chars:UInt32}})" if chars else "{col}"
    params: dict[str, Any] = {
        "project": project_id,
        "ids": [t["trace_id"] for t in traces],
        "lo": within[0],
        "hi": within[1],
    }
    if chars:
        params["chars"] = chars
    rows = store.query(
        "SELECT trace_id, "
        f"argMin({text.format(col='input')}, start_time) AS input, "
        f"argMin({text.format(col='output')}, start_time) AS output "
        f"FROM {store.table('spans')} "
        "WHERE project_id = {project:String} "
        "AND start_time >= fromUnixTimestamp64Nano({lo:Int64}) "
        "AND start_time <= fromUnixTimestamp64Nano({hi:Int64}) "
        "AND parent_span_id = '' AND trace_id IN {ids:Array(String)} "
        "GROUP BY trace_id",
        params,
    )
    return {row["trace_id"]: (row["input"], row["output"]) for row in rows}


_SPAN_DETAIL_COLUMNS = """
    span_id, parent_span_id, name, kind, service_name, scope_name, environment,
    service_version, prompt_version,
    toUnixTimestamp64Nano(start_time) AS start_time_ns,
    toUnixTimestamp64Nano(end_time) AS end_time_ns,
    duration_ms, status_code, status_message, span_type, model, provider,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, time_to_first_token_ms, finish_reason, tool_name, session_id, user_id, tags,
    input, output, attributes, resource_attributes, events
"""

EVALUATION_COLUMNS = (
    "toString(evaluation_id) AS evaluation_id, trace_id, span_id, name, source, passed, "
    "score, label, comment, value, toUnixTimestamp64Nano(created_at) AS created_at_ns"
)


def trace_evaluations(
    store: Store, project_id: str, trace_ids: Sequence[str], since_ns: int
) -> list[dict[str, Any]]:
    """Evaluations of the traces (created after ``since_ns`` minus a day), oldest first."""
    if not trace_ids:
        return []
    return store.query(
        f"SELECT {EVALUATION_COLUMNS} FROM {store.table('evaluations')} "
        "WHERE project_id = {project:String} AND trace_id IN {ids:Array(String)} "
        "AND created_at >= fromUnixTimestamp64Nano({since:Int64}) - INTERVAL 1 DAY "
        "ORDER BY created_at, evaluation_id",
        {"project": project_id, "ids": list(trace_ids), "since": since_ns},
    )


def get_trace(store: Store, project_id: str, trace_id: str) -> dict[str, Any] | None:
    """A trace's summary, its spans as a tree (children nested) and its evaluations."""
    found = store.query(
        f"SELECT trace_id, {TRACE_SUMMARY} FROM {store.table('traces')} "
        "WHERE traces.project_id = {project:String} AND trace_id = {trace:String} "
        "GROUP BY trace_id",
        {"project": project_id, "trace": trace_id},
    )
    if not found:
        return None
    summary = summary_of(found[0])
    params = {
        "project": project_id,
        "trace": trace_id,
        "lo": summary["start_time_ns"],
        "hi": summary["end_time_ns"],
    }
    spans = store.query(
        f"SELECT {_SPAN_DETAIL_COLUMNS} FROM {store.table('spans')} "
        "WHERE project_id = {project:String} AND trace_id = {trace:String} "
        "AND start_time >= fromUnixTimestamp64Nano({lo:Int64}) "
        "AND start_time <= fromUnixTimestamp64Nano({hi:Int64}) "
        "ORDER BY start_time, span_id",
        params,
    )
    if not spans:
        return None
    evaluations = trace_evaluations(store, project_id, [trace_id], summary["start_time_ns"])
    for ev in evaluations:
        del ev["trace_id"]
    by_span: dict[str, list[dict[str, Any]]] = {}
    for ev in evaluations:
        by_span.setdefault(ev["span_id"], []).append(ev)
    trace_start = min(s["start_time_ns"] for s in spans)
    trace_end = max(s["end_time_ns"] for s in spans)
    for span in spans:
        span["events"] = json.loads(span["events"]) if span["events"] else []
        span["offset_ms"] = (span["start_time_ns"] - trace_start) / 1e6
        span["evaluations"] = by_span.get(span["span_id"], [])
    return {
        "trace_id": trace_id,
        "start_time_ns": trace_start,
        "end_time_ns": trace_end,
        "start_time": iso(trace_start),
        "duration_ms": (trace_end - trace_start) / 1e6,
        "span_count": len(spans),
        "name": summary["name"],
        "service_name": summary["service_name"],
        "session_id": summary["session_id"],
        "user_id": summary["user_id"],
        "errors": summary["errors"],
        "input_tokens": summary["input_tokens"],
        "output_tokens": summary["output_tokens"],
        "cost_usd": summary["cost_usd"],
        "roots": _tree(spans),
        "evaluations": by_span.get("", []),
        "feedback": [ev for ev in evaluations if ev["source"] == "feedback"],
    }


def _tree(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nest spans under their parents; ``depth`` counts levels from the roots. Spans
    whose parent is missing (or that sit on a parent cycle) become roots."""
    by_id = {span["span_id"]: span for span in spans}
    children: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        span["children"] = []
        parent = span["parent_span_id"]
        if parent in by_id and parent != span["span_id"]:
            children.setdefault(parent, []).append(span)
    roots = [s for s in spans if s["parent_span_id"] not in by_id]
    roots += [s for s in spans if s["parent_span_id"] == s["span_id"]]
    placed: set[int] = set()  # id() of spans placed in the tree
    pending: list[dict[str, Any]] = []
    for root in roots:
        root["depth"] = 0
        placed.add(id(root))
        pending.append(root)
    while True:
        while pending:
            span = pending.pop()
            for child in children.get(span["span_id"], []):
                if id(child) not in placed:
                    placed.add(id(child))
                    child["depth"] = span["depth"] + 1
                    span["children"].append(child)
                    pending.append(child)
        orphan = next((s for s in spans if id(s) not in placed), None)
        if orphan is None:
            break
        orphan["depth"] = 0  # on a parent cycle: shown as a root
        placed.add(id(orphan))
        roots.append(orphan)
        pending.append(orphan)
    roots.sort(key=lambda s: (s["start_time_ns"], s["span_id"]))
    for span in spans:
        span["children"].sort(key=lambda s: (s["start_time_ns"], s["span_id"]))
    return roots
