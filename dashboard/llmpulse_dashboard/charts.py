"""Plotly figure builders: pure functions from API answers to figures (no Streamlit).

Times on the x axes are UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from llmpulse_dashboard.client import Bucket, EvaluationNameSummary, Metrics, Series, Span
from llmpulse_dashboard.render import fmt_cost, fmt_ms

__all__ = [
    "ERROR_COLOR",
    "SPAN_COLORS",
    "bar_figure",
    "cost_over_time_figure",
    "latency_figure",
    "pass_rate_figure",
    "percentile",
    "tokens_cost_figure",
    "volume_figure",
    "waterfall_figure",
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


def _span_label(depth: int, span: Span) -> str:
    indent = "\u2003" * depth  # em spaces survive plotly's label rendering
    return f"{indent}{'└ ' if depth else ''}{span.get('name', '?')}"


def waterfall_figure(rows: Sequence[tuple[int, Span]], selected: str | None = None) -> go.Figure:
    """Spans as horizontal bars from ``offset_ms`` for ``duration_ms``, indented by depth.

    ``rows`` is ``render.flatten_spans(trace["roots"])``; ``customdata`` holds span ids
    (for click selection); errors are red; the selected span is outlined.
    """
    fig = go.Figure()
    total = max((s.get("offset_ms", 0.0) + s.get("duration_ms", 0.0) for _, s in rows), default=0)
    min_width = max(total * 0.004, 0.001)
    by_type: dict[str, list[int]] = {}
    for index, (_, span) in enumerate(rows):
        by_type.setdefault(span.get("span_type") or "other", []).append(index)
    for span_type, indexes in by_type.items():
        spans = [rows[i][1] for i in indexes]
        colors = [
            ERROR_COLOR
            if s.get("status_code") == "ERROR"
            else SPAN_COLORS.get(span_type, "#6b7280")
            for s in spans
        ]
        fig.add_trace(
            go.Bar(
                name=span_type,
                y=indexes,
                x=[max(s.get("duration_ms", 0.0), min_width) for s in spans],
                base=[s.get("offset_ms", 0.0) for s in spans],
                orientation="h",
                marker={
                    "color": colors,
                    "line": {
                        "color": ["#111827" if s.get("span_id") == selected else colors[j]
                                  for j, s in enumerate(spans)],
                        "width": [3 if s.get("span_id") == selected else 0 for s in spans],
                    },
                },
                text=[fmt_ms(s.get("duration_ms")) for s in spans],
                textposition="auto",
                customdata=[s.get("span_id", "") for s in spans],
                hovertext=[
                    f"{s.get('name', '?')}<br>start +{fmt_ms(s.get('offset_ms'))}, "
                    f"took {fmt_ms(s.get('duration_ms'))}"
                    + (f"<br>{s.get('model')}" if s.get("model") else "")
                    + (f"<br>error: {s.get('status_message', '')}"
                       if s.get("status_code") == "ERROR" else "")
                    for s in spans
                ],
                hoverinfo="text",
            )
        )  # fmt: skip
    fig.update_yaxes(
        tickvals=list(range(len(rows))),
        ticktext=[_span_label(depth, span) for depth, span in rows],
        autorange="reversed",
        automargin=True,
    )
    fig.update_xaxes(title_text="ms since trace start", rangemode="tozero")
    fig = _base(fig, height=min(900, 90 + 30 * len(rows)))
    fig.update_layout(barmode="overlay", hovermode="closest", bargap=0.25, clickmode="event+select")
    return fig
