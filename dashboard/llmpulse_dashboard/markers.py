"""Regressions marked on time-series charts: the alert events of the visible range.

The events come from ``GET /api/v1/alerts/history``; each chart marks the events of
the rules whose metric it shows (``METRICS``). Drawing is ``charts.add_regression_markers``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import streamlit as st

from llmpulse_dashboard import charts, nav, state, ui
from llmpulse_dashboard.api_types import AlertEvent
from llmpulse_dashboard.client import ApiError, EndpointMissing

__all__ = ["METRICS", "events", "for_metrics", "legend", "mark"]

#: chart -> the alert metrics it shows
METRICS: dict[str, frozenset[str]] = {
    "latency": frozenset({"latency_p50", "latency_p95", "latency_p99"}),
    "volume": frozenset({"error_rate", "volume"}),
    "tokens": frozenset(
        {
            "cost_total",
            "cost_per_call",
            "tokens_total",
            "tokens_per_call",
            "input_tokens",
            "output_tokens",
        }
    ),
    "pass_rate": frozenset({"pass_rate"}),
}
_LIMIT = 1000  # events per call
_MAX_PAGES = 5  # a chart marks at most the newest 5,000 events of its range


def events(window: state.TimeWindow) -> list[AlertEvent]:
    """The alert events in ``window`` (none when the collector has no alerts API; a
    caption says why when the call fails, the charts still draw)."""
    api = ui.client()
    if api is None:
        return []
    try:
        page = api.alert_history(window.params(), limit=_LIMIT)
        found = list(page["events"])
        for _ in range(_MAX_PAGES - 1):
            cursor = page.get("next_cursor")
            if not cursor:
                break
            page = api.alert_history(window.params(), limit=_LIMIT, cursor=cursor)
            found += page["events"]
        if page.get("next_cursor"):
            st.caption(
                f":material/info: The charts mark the newest {len(found):,} of "
                f"{page.get('total') or 0:,} alert events in this range."
            )
        return found
    except EndpointMissing:
        return []
    except ApiError as error:
        st.caption(f":material/warning: Regressions are not marked on the charts: {error}")
        return []


def metric(event: AlertEvent) -> str:
    rule = (event.get("payload") or {}).get("rule") or {}
    return str(rule.get("metric", ""))


def for_metrics(found: Sequence[AlertEvent], metrics: Collection[str]) -> list[AlertEvent]:
    return [e for e in found if metric(e) in metrics]


def mark(
    spec: charts.Spec, found: Sequence[AlertEvent], chart: str, window: state.TimeWindow
) -> charts.Spec:
    """``spec`` with the regressions of the rules that ``chart`` shows."""
    start, end = (int(t.timestamp() * 1e9) for t in (window.start, window.end))
    return charts.add_regression_markers(spec, for_metrics(found, METRICS[chart]), start, end)


def legend(found: Sequence[AlertEvent], metrics: Collection[str] | None = None) -> None:
    """A caption under marked charts: how many regressions, and where to read more."""
    shown = list(found) if metrics is None else for_metrics(found, metrics)
    fired = sum(1 for e in shown if e.get("event") == "firing")
    resolved = sum(1 for e in shown if e.get("event") == "resolved")
    if not shown:
        return
    left, right = st.columns([4, 1])
    left.caption(
        f":material/warning: Shaded: regressions (alert rules firing): {fired} fired, "
        f"{resolved} resolved in this range. Dashed line: fired; green dotted: resolved."
    )
    with right:
        st.page_link(nav.page("alerts"), label="Alert history", icon=":material/history:")
