"""Read queries of the query API, one module per area; parametrized SQL only.

Every query is scoped to one project and a time range. Values are bound server-side
(``{name:Type}``); the only identifiers spliced into SQL are table names from
``Store.table`` and expressions from this package's fixed maps. All filters go
through one builder, ``_where`` (``Where``, ``span_where``, ``trace_where``).
"""

from __future__ import annotations

from llmpulse_collector.store.queries._where import InvalidCursor, TimeRange, TraceFilter
from llmpulse_collector.store.queries.evaluations import evaluation_summary, list_evaluations
from llmpulse_collector.store.queries.export import export_csv, export_jsonl, export_records
from llmpulse_collector.store.queries.logs import trace_logs
from llmpulse_collector.store.queries.metrics import (
    AUTO_INTERVALS,
    COST_GROUP_BY,
    GROUP_BY,
    auto_interval,
    cost_breakdown,
    metrics_summary,
    timeseries,
)
from llmpulse_collector.store.queries.people import (
    USER_SORTS,
    Page,
    get_session,
    list_sessions,
    list_users,
)
from llmpulse_collector.store.queries.traces import SORTS, TracePage, get_trace, list_traces
from llmpulse_collector.store.queries.values import VALUE_FIELDS, distinct_values

__all__ = [
    "AUTO_INTERVALS",
    "COST_GROUP_BY",
    "GROUP_BY",
    "SORTS",
    "USER_SORTS",
    "VALUE_FIELDS",
    "InvalidCursor",
    "Page",
    "TimeRange",
    "TraceFilter",
    "TracePage",
    "auto_interval",
    "cost_breakdown",
    "distinct_values",
    "evaluation_summary",
    "export_csv",
    "export_jsonl",
    "export_records",
    "get_session",
    "get_trace",
    "list_evaluations",
    "list_sessions",
    "list_traces",
    "list_users",
    "metrics_summary",
    "timeseries",
    "trace_logs",
]
