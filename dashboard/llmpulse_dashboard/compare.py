"""Honest comparisons: which way is better for each metric, when a previous period is
too small to compare with, and how a change or a drift verdict is coloured.

The directions come from the collector's metric definitions
(``GET /api/v1/metrics/definitions``) when it serves them; an older collector gets
the small table below, the dashboard's only copy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Literal

from llmpulse_dashboard.api_types import DriftFeature, MetricDefinitionsAnswer
from llmpulse_dashboard.client import ApiError, Client

__all__ = [
    "ALERT_METRICS",
    "DIRECTIONS",
    "MIN_BASELINE",
    "NO_BASELINE",
    "Direction",
    "alert_metrics",
    "change_color",
    "directions",
    "drift_verdict",
    "enough_baseline",
    "fmt_p_value",
]

Direction = Literal["lower", "higher"]
DeltaColor = Literal["normal", "inverse", "off"]

#: Fewer traces than this in the previous period: no comparison ("no baseline").
MIN_BASELINE = 30
NO_BASELINE = "no baseline"

#: metric -> which way is better (absent: neither, e.g. volume). Used until the
#: collector answers ``/metrics/definitions``.
DIRECTIONS: dict[str, Direction] = {
    "error_rate": "lower",
    "latency": "lower",
    "latency_p50": "lower",
    "latency_p95": "lower",
    "latency_p99": "lower",
    "time_to_first_token": "lower",
    "ttft_p95": "lower",
    "cost_usd": "lower",
    "cost_per_call": "lower",
    "pass_rate": "higher",
}


def _direction(raw: object) -> Direction | None:
    text = str(raw or "").lower()
    if "lower" in text or "down" in text or "decrease" in text or "less" in text:
        return "lower"
    if "higher" in text or "up" in text or "increase" in text or "more" in text:
        return "higher"
    return None


def _from_definitions(answer: MetricDefinitionsAnswer) -> dict[str, Direction]:
    found: dict[str, Direction] = {}
    for item in answer["metrics"]:
        direction = _direction(item.get("direction"))
        if direction is not None:
            found[item["name"]] = direction
    return found


def directions(api: Client | None) -> dict[str, Direction]:
    """Which way is better per metric: the collector's definitions over the local table
    (the table alone when the collector does not serve them or cannot be reached)."""
    merged = dict(DIRECTIONS)
    if api is None:
        return merged
    with contextlib.suppress(ApiError):  # an older collector: the local table
        merged |= _from_definitions(api.metric_definitions())
    return merged


#: what an alert rule may watch when the collector doesn't list its metrics
ALERT_METRICS = [
    "latency_p50", "latency_p95", "latency_p99", "error_rate", "cost_total", "cost_per_call",
    "tokens_total", "tokens_per_call", "input_tokens", "output_tokens", "volume", "pass_rate",
]  # fmt: skip


def alert_metrics(api: Client | None) -> list[str]:
    """The metrics an alert rule may watch, in the collector's order (its registry's
    alertable metrics), or the local list for an older collector."""
    if api is None:
        return list(ALERT_METRICS)
    with contextlib.suppress(ApiError):
        metrics = api.metric_definitions()["metrics"]
        names = [m["name"] for m in metrics if m.get("alertable", True)]
        if names:
            return names
    return list(ALERT_METRICS)


def change_color(metric: str, known: Mapping[str, Direction] = DIRECTIONS) -> DeltaColor:
    """``st.metric``'s ``delta_color``: green when the change is better, red when worse,
    grey for metrics with no better way (volume, tokens)."""
    direction = known.get(metric)
    if direction == "lower":
        return "inverse"
    if direction == "higher":
        return "normal"
    return "off"


def enough_baseline(count: int | float | None, minimum: int = MIN_BASELINE) -> bool:
    """Whether a previous period with ``count`` traces is worth comparing with."""
    return count is not None and count >= minimum


def fmt_p_value(p: float | None) -> str:
    """A p-value as people read it: tiny ones are ``< 0.001`` (never ``0``)."""
    if p is None:
        return "–"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


#: drift verdict -> (worse or neither, better)
_VERDICT_LABELS = {
    "drift": ("🔴 drift", "🟢 drift (better)"),
    "warning": ("🟠 warning", "🟢 warning (better)"),
    "stable": ("🟢 stable", "🟢 stable"),
    "not_enough_data": ("⚪ not enough data", "⚪ not enough data"),
}


def drift_verdict(feature: DriftFeature, known: Mapping[str, Direction] = DIRECTIONS) -> str:
    """The verdict with its colour: a drift towards the better side of a metric with a
    direction (latency down, cost down) is green, not red."""
    verdict = str(feature.get("verdict", ""))
    worse, better = _VERDICT_LABELS.get(verdict, (verdict or "?", verdict or "?"))
    shift = feature.get("median_shift_pct")
    direction = known.get(str(feature.get("feature", "")))
    if shift is None or direction is None or shift == 0:
        return worse
    improved = shift < 0 if direction == "lower" else shift > 0
    return better if improved else worse
