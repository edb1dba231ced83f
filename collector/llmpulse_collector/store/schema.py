"""How to read llmpulse's tables. Always qualify names with ``store.table(name)``:
in a cluster that is the Distributed table. Values are parameters, never SQL text.

``spans`` (one row per span, columns = ``model.SPAN_COLUMNS``)
    Sorted by ``(project_id, toStartOfHour(start_time), span_type, service_name, name,
    start_time)`` and partitioned by day: filter on ``project_id`` and a ``start_time``
    range first. ``trace_id``, ``session_id`` and ``user_id`` have bloom-filter
    indexes. The spans of one trace, cheapest when bounded by the trace's times::

        SELECT * FROM llmpulse.spans
        WHERE project_id = {project:String} AND trace_id = {trace:String}
          AND start_time BETWEEN {start:DateTime64(9, 'UTC')} AND {end:DateTime64(9, 'UTC')}
        ORDER BY start_time

``traces`` (per-trace summary, fed by a materialized view on ``spans``)
    Each insert adds a partial row per trace; merges combine them eventually, so a
    read must always aggregate: ``GROUP BY trace_id`` with ``TRACE_SUMMARY`` (an
    f-string splice of this module's constant)::

        SELECT trace_id, {TRACE_SUMMARY}
        FROM llmpulse.traces
        WHERE traces.project_id = {project:String}
          AND traces.start_time >= {since:DateTime64(9, 'UTC')} - INTERVAL 1 DAY
        GROUP BY trace_id
        HAVING start_time_ns >= {since_ns:Int64}
        ORDER BY start_time_ns DESC
        LIMIT 50

    ``TRACE_SUMMARY`` gives the aggregates their own names (``start_time_ns``,
    ``spans``, ``errors``, ...), so ``WHERE`` names the partial rows' columns
    (``traces.start_time``: good for pruning days) while ``HAVING``/``ORDER BY`` use
    the aggregates (exact). Filter ``session_id``, ``user_id``, ``has(tags, ...)`` and
    ``errors > 0`` in ``HAVING``. ``store.queries.traces`` reads it so. A query that
    aggregates many traces of a range passes through ``queries._where.bind_trace_totals``
    (the same answers for about half the work; see "One LLM call counts once"), and
    when it needs no trace id in its answer groups by ``trace_key`` instead (a stored
    ``UInt64``, ``cityHash64(trace_id)``, migration 0019: cheaper to group by than the
    string; ``any(trace_id)`` would cost back what it saves). ``trace_where`` reads
    the day before a range for those keys only (the traces that started before it),
    rather than aggregating that day's rows for ``HAVING`` to drop them.

``evaluations`` (columns = ``model.EVALUATION_COLUMNS``)
    Sorted by ``(project_id, name, created_at)``; ``trace_id`` has a bloom filter.

``projects``, ``api_keys``
    ReplacingMergeTree: read with ``FINAL``; use ``store.keys`` rather than SQL.
"""

from __future__ import annotations

__all__ = [
    "OPEN_PARENT_ROWS",
    "TRACE_COST_USD",
    "TRACE_INPUT_TOKENS",
    "TRACE_LLM_CALLS",
    "TRACE_OUTPUT_TOKENS",
    "TRACE_SUMMARY",
    "UNPRICED_LLM_SPAN",
    "nested_llm_span",
    "only_open_traces",
    "without_open_wrappers",
]

# ---- One LLM call counts once -------------------------------------------------------
# When LLM spans nest (an @observe(span_type="llm") span around a client that traces
# itself, like the anthropic SDK's own "chat" span, or OpenInference's LangChain span
# around its OpenAI span), one call has two LLM spans. The rule: an LLM span that is the
# parent of an LLM span carrying usage (tokens or a cost) is a *wrapper*; totals leave
# its call, tokens and cost out and count the inner span's. The rule is applied when
# reading, as the inner span may arrive in another batch than its wrapper.
#
# On the ``traces`` summary (migrations 0008 and 0014): ``wrapped_*`` hold the calls,
# tokens and cost of the wrappers an insert held together with their inner span (decided
# at insert); ``llm_usage_open`` every other LLM span's (span id, calls, input tokens,
# output tokens, cost), ``llm_parents_open`` the parent ids of the LLM spans carrying
# usage whose parent was not in their insert. A trace's wrappers are those counted in
# ``wrapped_*`` and the spans of the first array found in the second. Ids are cityHash64
# of the hex ids there, and on the spans table below (numbers are far cheaper to
# aggregate and look up than strings; a collision inside one trace, or within one
# project's time range for the spans, is vanishingly unlikely).
_PARENTS = "groupUniqArrayArray(traces.llm_parents_open)"
_USAGE = "groupArrayArray(traces.llm_usage_open)"
_WRAPPED = {
    2: "traces.wrapped_llm_calls",
    3: "traces.wrapped_input_tokens",
    4: "traces.wrapped_output_tokens",
    5: "traces.wrapped_cost_usd",
}


def _open_wrapped(position: int) -> str:
    """The sum of usage tuple element ``position`` (2 calls, 3 input tokens, 4 output
    tokens, 5 cost) over the wrappers the open arrays of a trace's partial rows show."""
    return (
        f"arraySum(u -> if(has({_PARENTS}, tupleElement(u, 1)), "
        f"tupleElement(u, {position}), 0), {_USAGE})"
    )


def _wrapped(position: int) -> str:
    """The same over every wrapper of a trace's partial rows."""
    return f"sum({_WRAPPED[position]}) + {_open_wrapped(position)}"


#: A trace's totals over partial ``traces`` rows, wrappers left out (aggregates; no alias).
TRACE_LLM_CALLS = f"toUInt64(sum(traces.llm_calls) - ({_wrapped(2)}))"
TRACE_INPUT_TOKENS = f"toUInt64(sum(traces.input_tokens) - ({_wrapped(3)}))"
TRACE_OUTPUT_TOKENS = f"toUInt64(sum(traces.output_tokens) - ({_wrapped(4)}))"
TRACE_COST_USD = f"greatest(sum(traces.cost_usd) - ({_wrapped(5)}), 0)"

#: On the ``traces`` summary: the partial rows of the range (and the day around it, as
#: ``queries._where.trace_where`` reads them) that hold an open parent. Needs the query
#: parameters ``project``, ``t0`` and ``t1``.
OPEN_PARENT_ROWS = (
    "project_id = {project:String} "
    "AND start_time >= fromUnixTimestamp64Nano({t0:Int64}) - INTERVAL 1 DAY "
    "AND start_time < fromUnixTimestamp64Nano({t1:Int64}) + INTERVAL 1 DAY "
    "AND notEmpty(llm_parents_open)"
)


def only_open_traces(sql: str, traces_table: str) -> str:
    """``sql`` (a query over the ``traces`` summary of a range, using the ``TRACE_*``
    totals) with the open usage arrays aggregated only for the traces with an
    ``OPEN_PARENT_ROWS`` row: every other trace's arrays can show no wrapper. The
    answers are the same."""
    open_traces = (
        f"traces.trace_id IN (SELECT trace_id FROM {traces_table} "  # noqa: S608  (table name)
        f"WHERE {OPEN_PARENT_ROWS})"
    )
    return sql.replace(_USAGE, f"groupArrayArrayIf(traces.llm_usage_open, {open_traces})")


def without_open_wrappers(sql: str) -> str:
    """``sql`` (as for ``only_open_traces``) without the open arrays at all: the same
    answers when the range has no ``OPEN_PARENT_ROWS`` row (nothing to find in them),
    and the aggregation over many traces costs about half as much."""
    for position in _WRAPPED:
        sql = sql.replace(_open_wrapped(position), "0")
    return sql


#: On the ``spans`` table: an LLM call with tokens that has no cost (no known price).
#: Failed calls and spans without tokens (request wrappers) are not "unpriced".
UNPRICED_LLM_SPAN = (
    "(span_type = 'llm' AND cost_usd IS NULL AND model != '' "
    "AND (input_tokens > 0 OR output_tokens > 0) AND status_code != 'ERROR')"
)


def nested_llm_span(keys_table: str) -> str:
    """On the ``spans`` table: true for a wrapper LLM span (see above). ``keys_table``
    is ``store.table("llm_wrapper_keys")``. Needs the query parameters ``project``,
    ``t0`` and ``t1`` (as ``queries._where.span_where`` sets them): inner spans are
    looked for among the project's spans starting from ``t0`` to a day after ``t1``.
    Totals over spans count ``sumIf(x, NOT (<this>))``.

    Compares the id hash the spans table keeps (``llm_key``, migration 0013: an LLM
    span's ``cityHash64(trace_id, span_id)``, 0 for other spans) with the parent keys
    of the LLM spans carrying usage that ``llm_wrapper_keys`` holds (migration 0017):
    every such parent but those an insert showed to be other kinds of spans. A trace
    exported whole leaves only its real wrappers there, so the set is small."""
    return (
        "(llm_key IN ("  # noqa: S608  (table name)
        f"SELECT key FROM {keys_table} "
        "WHERE project_id = {project:String} "
        "AND start_time >= fromUnixTimestamp64Nano({t0:Int64}) "
        "AND start_time < fromUnixTimestamp64Nano({t1:Int64}) + INTERVAL 1 DAY))"
    )


#: The aggregate select list that turns partial ``traces`` rows into one row per trace
#: (``SELECT trace_id, {TRACE_SUMMARY} ... GROUP BY trace_id``).
TRACE_SUMMARY = f"""
    toUnixTimestamp64Nano(min(traces.start_time)) AS start_time_ns,
    toUnixTimestamp64Nano(max(traces.end_time)) AS end_time_ns,
    max(traces.root_name) AS name,
    max(traces.root_service) AS service_name,
    max(traces.environment) AS environment,
    sum(traces.span_count) AS spans,
    sum(traces.error_count) AS errors,
    {TRACE_LLM_CALLS} AS llm_calls,
    {TRACE_INPUT_TOKENS} AS input_tokens,
    {TRACE_OUTPUT_TOKENS} AS output_tokens,
    {TRACE_COST_USD} AS cost_usd,
    max(traces.session_id) AS session_id,
    max(traces.user_id) AS user_id,
    arraySort(groupUniqArrayArray(traces.tags)) AS tags,
    arraySort(groupUniqArrayArray(traces.models)) AS models
"""
