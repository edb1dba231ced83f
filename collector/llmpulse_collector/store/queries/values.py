"""Distinct values of a dimension in a time range, for filter widgets."""

from __future__ import annotations

from typing import Any

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import TimeRange, evaluation_where, span_where

__all__ = ["VALUE_FIELDS", "distinct_values"]

#: field -> (table, value expression, count expression, time column)
VALUE_FIELDS: dict[str, tuple[str, str, str, str]] = {
    "models": ("spans", "model", "count()", "start_time"),
    "providers": ("spans", "provider", "count()", "start_time"),
    "services": ("spans", "service_name", "count()", "start_time"),
    "span_names": ("spans", "name", "count()", "start_time"),
    "span_types": ("spans", "span_type", "count()", "start_time"),
    "environments": ("spans", "environment", "count()", "start_time"),
    "versions": ("spans", "service_version", "count()", "start_time"),
    "prompt_versions": ("spans", "prompt_version", "count()", "start_time"),
    "tags": ("spans", "arrayJoin(tags)", "count()", "start_time"),
    "users": ("traces", "traces.user_id", "uniqExact(trace_id)", "traces.start_time"),
    "sessions": ("traces", "traces.session_id", "uniqExact(trace_id)", "traces.start_time"),
    "assertion_names": ("evaluations", "name", "count()", "created_at"),
}


def distinct_values(
    store: Store, project_id: str, field: str, time: TimeRange, limit: int = 100
) -> list[dict[str, Any]]:
    """Non-empty values of ``field`` in range with their counts, most frequent first
    (of production traffic, as every filter they offer, but the tags).

    ``users`` / ``sessions`` count traces (by the partial summary rows in range)."""
    table, expr, count, column = VALUE_FIELDS[field]
    if table == "evaluations":
        w = evaluation_where(store, project_id, time)
    else:
        # tags: experiment tags too (a filter on one shows that run's traces)
        w = span_where(project_id, time, column=column, production=field != "tags")
    return store.query(
        f"SELECT {expr} AS value, {count} AS count FROM {store.table(table)} "
        f"WHERE {w.sql()} GROUP BY value HAVING value != '' "
        "ORDER BY count DESC, value LIMIT {limit:UInt32}",
        {**w.params, "limit": limit},
    )
