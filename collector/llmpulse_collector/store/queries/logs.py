"""Log records (``POST /v1/logs``) of one trace."""

from __future__ import annotations

from typing import Any

from llmpulse_collector.store.client import Store

__all__ = ["trace_logs"]

_MARGIN_NS = 3_600_000_000_000  # logs of a trace are read an hour around its spans
LOG_LIMIT = 10_000


def trace_logs(
    store: Store, project_id: str, trace_id: str, start_ns: int, end_ns: int
) -> list[dict[str, Any]]:
    """The trace's log records, oldest first (at most ``LOG_LIMIT``)."""
    return store.query(
        "SELECT span_id, toUnixTimestamp64Nano(time) AS time_ns, event_name, "
        "severity_number, severity_text, body, attributes, service_name, scope_name "
        f"FROM {store.table('logs')} "
        "WHERE project_id = {project:String} AND trace_id = {trace:String} "
        "AND time >= fromUnixTimestamp64Nano({lo:Int64}) "
        "AND time <= fromUnixTimestamp64Nano({hi:Int64}) "
        "ORDER BY time, span_id LIMIT {limit:UInt32}",
        {
            "project": project_id,
            "trace": trace_id,
            "lo": start_ns - _MARGIN_NS,
            "hi": end_ns + _MARGIN_NS,
            "limit": LOG_LIMIT,
        },
    )
