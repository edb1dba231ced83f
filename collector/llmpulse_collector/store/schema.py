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
    ``errors > 0`` in ``HAVING``. ``store.queries.traces`` reads it so.

``evaluations`` (columns = ``model.EVALUATION_COLUMNS``)
    Sorted by ``(project_id, name, created_at)``; ``trace_id`` has a bloom filter.

``projects``, ``api_keys``
    ReplacingMergeTree: read with ``FINAL``; use ``store.keys`` rather than SQL.
"""

from __future__ import annotations

__all__ = ["TRACE_SUMMARY"]

#: The aggregate select list that turns partial ``traces`` rows into one row per trace
#: (``SELECT trace_id, {TRACE_SUMMARY} ... GROUP BY trace_id``).
TRACE_SUMMARY = """
    toUnixTimestamp64Nano(min(traces.start_time)) AS start_time_ns,
    toUnixTimestamp64Nano(max(traces.end_time)) AS end_time_ns,
    max(traces.root_name) AS name,
    max(traces.root_service) AS service_name,
    max(traces.environment) AS environment,
    sum(traces.span_count) AS spans,
    sum(traces.error_count) AS errors,
    sum(traces.llm_calls) AS llm_calls,
    sum(traces.input_tokens) AS input_tokens,
    sum(traces.output_tokens) AS output_tokens,
    sum(traces.cost_usd) AS cost_usd,
    max(traces.session_id) AS session_id,
    max(traces.user_id) AS user_id,
    arraySort(groupUniqArrayArray(traces.tags)) AS tags,
    arraySort(groupUniqArrayArray(traces.models)) AS models
"""
