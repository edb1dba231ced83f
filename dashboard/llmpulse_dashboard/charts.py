"""Plotly figure builders: pure functions from API answers to figures (no Streamlit).

Times on the x axes are UTC.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from llmpulse_dashboard.client import (
    AlertEvent,
    Bucket,
    DriftFeature,
    EvaluationNameSummary,
    Metrics,
    Series,
)
from llmpulse_dashboard.render import fmt_cost

__all__ = [
    "ERROR_COLOR",
    "SEVERITY_COLORS",
    "SPAN_COLORS",
    "VERDICT_COLORS",
    "RegressionPeriod",
    "add_regression_markers",
    "alert_timeline_spec",
    "bar_figure",
    "bin_labels",
    "cost_over_time_figure",
    "distribution_figure",
    "latency_figure",
    "moved_categories_figure",
    "pass_rate_figure",
    "percentile",
    "regression_periods",
    "tokens_cost_figure",
    "volume_figure",
]

SPAN_COLORS: dict[str, str] = {
    "llm": "#7c3aed",
    "chain": "#2563eb",
    "agent": "#1d4ed8",
    "tool": "#d97706",
    "retrieval": "#059669",
    "embedding": "#0891b2",
    "evaluator": "#db2777",
    "guardrail": "#9333ea",
    "other": "#6b7280",
}
ERROR_COLOR = "#dc2626"
_PREVIOUS_COLOR = "#9ca3af"
_BASELINE_COLOR = "#9ca3af"
_CURRENT_COLOR = "#7c3aed"
RESOLVED_COLOR = "#16a34a"
#: drift verdict -> colour (tables and charts)
VERDICT_COLORS: dict[str, str] = {
    "drift": "#dc2626",
    "warning": "#d97706",
    "stable": "#16a34a",
    "not_enough_data": "#9ca3af",
}
#: alert severity -> colour of its firing markers and periods
SEVERITY_COLORS: dict[str, str] = {
    "critical": "#dc2626",
    "warning": "#d97706",
    "info": "#2563eb",
}
_PALETTE = ("#7c3aed", "#2563eb", "#059669", "#d97706", "#db2777", "#0891b2", "#65a30d")


def _base(fig: go.Figure, *, height: int = 300, y_title: str = "") -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hovermode="x unified",
    )
    if y_title:
        fig.update_yaxes(title_text=y_title)
    return fig


def _time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC).replace(tzinfo=None)


def _times(buckets: Sequence[Bucket]) -> list[datetime]:
    return [_time(b.get("time_ns", 0)) for b in buckets]


def _aligned(buckets: Sequence[Bucket], previous: Sequence[Bucket]) -> list[datetime | None]:
    """x positions of previous-period buckets: the current bucket with the same offset."""
    times = _times(buckets)
    by_offset = {b.get("offset", i): t for i, (b, t) in enumerate(zip(buckets, times, strict=True))}
    return [by_offset.get(b.get("offset", i)) for i, b in enumerate(previous)]


def percentile(metrics: Metrics | None, name: str) -> float | None:
    """``metrics["latency_ms"][name]`` (``p50``, ``p95``, ``p99``), or ``None``."""
    latency: Any = (metrics or {}).get("latency_ms") or {}
    value = latency.get(name)
    return None if value is None else float(value)


def latency_figure(
    buckets: Sequence[Bucket], previous: Sequence[Bucket] | None = None
) -> go.Figure:
    """Latency percentiles per bucket; the previous period's p95 dotted."""
    fig = go.Figure()
    x = _times(buckets)
    for name, color, dash in (("p50", "#2563eb", None), ("p95", "#7c3aed", None)):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[percentile(b, name) for b in buckets],
                name=name,
                mode="lines",
                line={"color": color, "dash": dash},
                connectgaps=False,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[percentile(b, "p99") for b in buckets],
            name="p99",
            mode="lines",
            line={"color": "#db2777", "width": 1},
        )
    )
    if previous:
        fig.add_trace(
            go.Scatter(
                x=_aligned(buckets, previous),
                y=[percentile(b, "p95") for b in previous],
                name="p95, previous period",
                mode="lines",
                line={"color": _PREVIOUS_COLOR, "dash": "dot"},
            )
        )
    return _base(fig, y_title="ms")


def volume_figure(buckets: Sequence[Bucket], previous: Sequence[Bucket] | None = None) -> go.Figure:
    """Traces per bucket (bars) and error spans (line, right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = _times(buckets)
    fig.add_trace(
        go.Bar(x=x, y=[b.get("traces", 0) for b in buckets], name="traces", marker_color="#2563eb"),
        secondary_y=False,
    )
    if previous:
        fig.add_trace(
            go.Scatter(
                x=_aligned(buckets, previous),
                y=[b.get("traces", 0) for b in previous],
                name="traces, previous period",
                mode="lines",
                line={"color": _PREVIOUS_COLOR, "dash": "dot"},
            ),
            secondary_y=False,
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[b.get("errors", 0) for b in buckets],
            name="errors",
            mode="lines+markers",
            line={"color": ERROR_COLOR},
            marker={"size": 4},
        ),
        secondary_y=True,
    )
    fig.update_yaxes(title_text="traces", secondary_y=False)
    fig.update_yaxes(
        title_text="error spans",
        secondary_y=True,
        rangemode="tozero",
        showgrid=False,
        tickmode="auto",
        tickformat=",d",
    )
    return _base(fig)


def tokens_cost_figure(buckets: Sequence[Bucket]) -> go.Figure:
    """Input and output tokens (stacked bars) and cost (line, right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = _times(buckets)
    fig.add_trace(
        go.Bar(x=x, y=[b.get("input_tokens", 0) for b in buckets], name="input tokens",
               marker_color="#93c5fd"),
        secondary_y=False,
    )  # fmt: skip
    fig.add_trace(
        go.Bar(x=x, y=[b.get("output_tokens", 0) for b in buckets], name="output tokens",
               marker_color="#2563eb"),
        secondary_y=False,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[b.get("cost_usd", 0.0) for b in buckets],
            name="cost (USD)",
            mode="lines",
            line={"color": "#059669"},
        ),
        secondary_y=True,
    )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="tokens", secondary_y=False)
    fig.update_yaxes(
        title_text="USD", secondary_y=True, rangemode="tozero", showgrid=False, tickmode="auto"
    )
    return _base(fig)


def bar_figure(
    values: Mapping[str, float], *, title: str = "", money: bool = False, limit: int = 15
) -> go.Figure:
    """Horizontal bars, largest on top (at most ``limit``)."""
    top = sorted(values.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    labels = [label or "(none)" for label, _ in top]
    numbers = [v for _, v in top]
    text = [fmt_cost(v) if money else f"{v:,.0f}" for v in numbers]
    fig = go.Figure(
        go.Bar(
            x=numbers,
            y=labels,
            orientation="h",
            text=text,
            textposition="auto",
            marker_color="#7c3aed",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig = _base(fig, height=max(160, 40 + 30 * len(top)))
    fig.update_layout(hovermode="closest", title={"text": title, "font": {"size": 14}})
    return fig


def cost_over_time_figure(series: Sequence[Series]) -> go.Figure:
    """Cost per bucket, stacked by group."""
    fig = go.Figure()
    for i, s in enumerate(series):
        fig.add_trace(
            go.Scatter(
                x=_times(s["buckets"]),
                y=[b.get("cost_usd", 0.0) for b in s["buckets"]],
                name=s["group"] or "(none)",
                mode="lines",
                stackgroup="cost",
                line={"color": _PALETTE[i % len(_PALETTE)], "width": 1},
            )
        )
    return _base(fig, y_title="USD")


def pass_rate_figure(names: Sequence[EvaluationNameSummary]) -> go.Figure:
    """Pass rate per bucket, one line per assertion (empty buckets leave gaps)."""
    fig = go.Figure()
    for i, item in enumerate(names):
        buckets = item.get("buckets", [])
        fig.add_trace(
            go.Scatter(
                x=[_time(b.get("time_ns", 0)) for b in buckets],
                y=[None if b.get("pass_rate") is None else b["pass_rate"] * 100 for b in buckets],  # type: ignore[operator]
                name=item.get("name", "?"),
                mode="lines+markers",
                marker={"size": 4},
                line={"color": _PALETTE[i % len(_PALETTE)]},
                connectgaps=True,
            )
        )
    fig.update_yaxes(range=[0, 105], ticksuffix="%")
    return _base(fig, y_title="pass rate")


# ---- drift ---------------------------------------------------------------------------


def _edge(value: float | None) -> str:
    if value is None:
        return "?"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def bin_labels(edges: Sequence[float | None]) -> list[str]:
    """Labels of the bins the API counts into: a value's bin is the number of edges
    below it, so bin 0 is ``≤ e1``, bin i is ``(e_i, e_i+1]`` and the last ``> e_k``."""
    if not edges:
        return ["all"]
    labels = [f"≤ {_edge(edges[0])}"]
    labels += [f"{_edge(a)} – {_edge(b)}" for a, b in pairwise(edges)]
    labels.append(f"> {_edge(edges[-1])}")
    return labels


def _shares(counts: Sequence[int]) -> list[float]:
    total = sum(counts)
    return [100.0 * c / total if total else 0.0 for c in counts]


def distribution_figure(feature: DriftFeature, *, unit: str = "") -> go.Figure:
    """A numeric feature's baseline and current distributions, overlaid: the share of
    each window's values per bin (the bins are the baseline's deciles, from the API's
    ``bin_edges`` / ``baseline_counts`` / ``current_counts``)."""
    labels = bin_labels(feature.get("bin_edges") or [])
    fig = go.Figure()
    for name, counts, color in (
        ("baseline", feature.get("baseline_counts") or [], _BASELINE_COLOR),
        ("current", feature.get("current_counts") or [], _CURRENT_COLOR),
    ):
        n = len(labels)
        padded = [*counts[:n], *([0] * (n - len(counts)))]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=_shares(padded),
                name=f"{name} ({sum(padded):,} values)",
                marker_color=color,
                opacity=0.75,
                customdata=padded,
                hovertemplate="%{x}: %{y:.1f}% (%{customdata:,} values)<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(barmode="overlay", bargap=0.08)
    fig.update_yaxes(ticksuffix="%", rangemode="tozero")
    fig.update_xaxes(title_text=f"{feature.get('feature', '')}{f' ({unit})' if unit else ''}")
    for key, dash, color in (
        ("median_baseline", "dot", _BASELINE_COLOR),
        ("median_current", "dash", _CURRENT_COLOR),
    ):
        value = feature.get(key)
        if value is not None:
            fig.add_annotation(
                xref="paper", yref="paper", x=1, y=1.0 if dash == "dot" else 0.92,
                xanchor="right", showarrow=False, font={"color": color, "size": 11},
                text=f"median {key.split('_')[1]}: {_edge(value)}",  # type: ignore[arg-type]
            )  # fmt: skip
    fig = _base(fig, height=320, y_title="share of values")
    fig.update_layout(hovermode="closest")
    return fig


def moved_categories_figure(feature: DriftFeature, *, limit: int = 10) -> go.Figure:
    """A categorical feature's categories whose share moved most: baseline and current
    share side by side, the largest move on top, the change in points as text."""
    movers = sorted(feature.get("top_movers") or [], key=lambda m: -abs(m["change"]))[:limit]
    labels = [m["category"] or "(empty)" for m in movers]
    fig = go.Figure()
    for name, key, color in (
        ("baseline", "baseline_share", _BASELINE_COLOR),
        ("current", "current_share", _CURRENT_COLOR),
    ):
        fig.add_trace(
            go.Bar(
                x=[100.0 * float(m[key]) for m in movers],  # type: ignore[literal-required]
                y=labels,
                orientation="h",
                name=name,
                marker_color=color,
                text=(
                    [f"{100 * m['change']:+.1f} pts" for m in movers] if name == "current" else None
                ),
                textposition="outside",
                hovertemplate="%{y}: %{x:.1f}%<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(ticksuffix="%", title_text="share of values", rangemode="tozero")
    fig = _base(fig, height=max(200, 80 + 46 * len(labels)))
    fig.update_layout(hovermode="closest")
    return fig


# ---- regressions (alert events) on time series --------------------------------------


@dataclass(frozen=True, slots=True)
class RegressionPeriod:
    """A rule firing from ``start_ns`` until ``end_ns`` (clipped to the visible range);
    ``resolved`` is False when it was still firing at the range's end."""

    rule_id: str
    rule_name: str
    severity: str
    start_ns: int
    end_ns: int
    fired_in_range: bool
    resolved: bool
    message: str


def regression_periods(
    events: Iterable[AlertEvent], start_ns: int, end_ns: int
) -> list[RegressionPeriod]:
    """Pair each rule's ``firing`` with its next ``resolved`` event, within
    ``[start_ns, end_ns)``. A rule that resolved in range without a firing in range was
    firing since the start; one that never resolved is still firing at the end."""
    ordered = sorted(events, key=lambda e: (e.get("at_ns", 0), e.get("event") != "resolved"))
    open_: dict[str, AlertEvent] = {}
    out: list[RegressionPeriod] = []

    def close(rule: str, first: AlertEvent | None, last: AlertEvent | None) -> None:
        some = first or last
        assert some is not None
        begin = first.get("at_ns", start_ns) if first else start_ns
        out.append(
            RegressionPeriod(
                rule_id=rule,
                rule_name=some.get("rule_name", rule),
                severity=some.get("severity", "warning"),
                start_ns=max(begin, start_ns),
                end_ns=min(last.get("at_ns", end_ns) if last else end_ns, end_ns),
                fired_in_range=first is not None and begin >= start_ns,
                resolved=last is not None,
                message=str((first or last or {}).get("message", "")),
            )
        )

    for event in ordered:
        at = event.get("at_ns", 0)
        if not start_ns <= at < end_ns:
            continue
        rule = event.get("rule_id") or event.get("rule_name", "?")
        kind = event.get("event")
        if kind == "firing" and rule not in open_:
            open_[rule] = event
        elif kind == "resolved":
            close(rule, open_.pop(rule, None), event)
    for rule, first in open_.items():
        close(rule, first, None)
    return sorted(out, key=lambda p: (p.start_ns, p.rule_name))


def _hover(period: RegressionPeriod) -> str:
    state = "resolved" if period.resolved else "still firing"
    return f"{period.rule_name} ({period.severity}, {state})<br>{period.message[:160]}"


def add_regression_markers(
    fig: go.Figure, events: Iterable[AlertEvent], start_ns: int, end_ns: int
) -> go.Figure:
    """Mark regressions on a time-series figure (x = UTC times): each firing period
    shaded in its severity's colour, a dashed line where it fired and a dotted green
    line where it resolved, and the rule's name on top. Changes and returns ``fig``."""
    periods = regression_periods(events, start_ns, end_ns)
    for i, period in enumerate(periods):
        color = SEVERITY_COLORS.get(period.severity, SEVERITY_COLORS["warning"])
        x0, x1 = _time(period.start_ns), _time(period.end_ns)
        fig.add_shape(
            type="rect", xref="x", yref="paper", x0=x0, x1=x1, y0=0, y1=1,
            fillcolor=color, opacity=0.1, line={"width": 0}, layer="below",
            name=f"regression: {period.rule_name}",
        )  # fmt: skip
        if period.fired_in_range:
            fig.add_shape(
                type="line", xref="x", yref="paper", x0=x0, x1=x0, y0=0, y1=1,
                line={"color": color, "width": 1.5, "dash": "dash"},
                name=f"fired: {period.rule_name}",
            )  # fmt: skip
        if period.resolved:
            fig.add_shape(
                type="line", xref="x", yref="paper", x0=x1, x1=x1, y0=0, y1=1,
                line={"color": RESOLVED_COLOR, "width": 1.5, "dash": "dot"},
                name=f"resolved: {period.rule_name}",
            )  # fmt: skip
        # plotly widens an axis to fit annotations: label towards the middle of the range
        left_half = period.start_ns - start_ns < (end_ns - start_ns) / 2
        fig.add_annotation(
            x=x0, xref="x", y=1 - 0.09 * (i % 3), yref="paper", yanchor="top",
            xanchor="left" if left_half else "right",
            text=f"⚠ {period.rule_name[:40]}", showarrow=False,
            font={"size": 10, "color": color}, bgcolor="rgba(255,255,255,0.7)",
            hovertext=_hover(period),
        )  # fmt: skip
    return fig


def _iso(ns: int) -> str:
    return _time(ns).isoformat(timespec="seconds")


def alert_timeline_spec(events: Sequence[AlertEvent], start_ns: int, end_ns: int) -> dict[str, Any]:
    """Alert history over time as a Vega-Lite spec (a far lighter chart in the browser
    than Plotly), one row per rule: firing periods as bars (severity colour), marks where
    a rule fired (▲), reminded (●) and resolved (▼)."""
    periods = regression_periods(events, start_ns, end_ns)
    rules = sorted({p.rule_name for p in periods} | {e.get("rule_name", "?") for e in events})
    bars = [
        {"rule": p.rule_name, "from": _iso(p.start_ns), "to": _iso(p.end_ns),
         "severity": p.severity, "state": "resolved" if p.resolved else "still firing",
         "message": p.message[:160]}
        for p in periods
    ]  # fmt: skip
    marks = [
        {"rule": e.get("rule_name", "?"), "at": _iso(e.get("at_ns", 0)),
         "event": e.get("event", ""), "message": str(e.get("message", ""))[:160]}
        for e in events
        if e.get("event") in ("firing", "renotify", "resolved")
        and start_ns <= e.get("at_ns", 0) < end_ns
    ]  # fmt: skip
    x_scale = {"domain": [_iso(start_ns), _iso(end_ns)]}
    y = {
        "field": "rule", "type": "nominal", "sort": rules, "title": None,
        "axis": {"labelLimit": 260, "labelOverlap": False},
    }  # fmt: skip
    return {
        "height": {"step": 32},
        "layer": [
            {
                "data": {"values": bars},
                "mark": {"type": "bar", "opacity": 0.35, "height": 18},
                "encoding": {
                    "x": {"field": "from", "type": "temporal", "scale": x_scale, "title": None},
                    "x2": {"field": "to"},
                    "y": y,
                    "color": {
                        "field": "severity",
                        "type": "nominal",
                        "scale": {
                            "domain": list(SEVERITY_COLORS),
                            "range": list(SEVERITY_COLORS.values()),
                        },
                        "title": "firing",
                    },
                    "tooltip": [{"field": f} for f in ("rule", "severity", "state", "message")],
                },
            },
            {
                "data": {"values": marks},
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 110,
                    "stroke": "#111827",
                    "strokeWidth": 0.5,
                },
                "encoding": {
                    "x": {"field": "at", "type": "temporal", "scale": x_scale},
                    "y": y,
                    "shape": {
                        "field": "event",
                        "type": "nominal",
                        "scale": {
                            "domain": ["firing", "renotify", "resolved"],
                            "range": ["triangle-up", "circle", "triangle-down"],
                        },
                    },
                    "color": {"value": "#374151"},
                    "tooltip": [{"field": f} for f in ("rule", "event", "at", "message")],
                },
            },
        ],
    }


PARTIAL_BUCKET = "partial bucket"


def mark_partial_bucket(
    fig: go.Figure, last_start_ns: int, interval_s: int, now_ns: int | None = None
) -> go.Figure:
    """Shade the last bucket while it is still filling (it ends after now): its numbers
    cover only part of its width, so a dip there is not a drop."""
    now = time.time_ns() if now_ns is None else now_ns
    end_ns = last_start_ns + interval_s * 1_000_000_000
    if interval_s <= 0 or end_ns <= now:
        return fig
    fig.add_vrect(
        x0=_time(last_start_ns), x1=_time(end_ns), fillcolor="#9ca3af", opacity=0.18,
        line_width=0, layer="below", name=PARTIAL_BUCKET,
        annotation_text="partial", annotation_position="top left",
        annotation_font={"size": 10, "color": "#6b7280"},
    )  # fmt: skip
    return fig
