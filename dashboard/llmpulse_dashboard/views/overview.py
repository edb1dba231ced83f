"""Overview: the window's headline numbers against the previous period, their trends,
and a breakdown by model."""

from __future__ import annotations

import streamlit as st

from llmpulse_dashboard import charts, markers, ui
from llmpulse_dashboard.client import Metrics, Summary, SummaryGroup
from llmpulse_dashboard.render import (
    fmt_change,
    fmt_cost,
    fmt_count,
    fmt_ms,
    fmt_pct,
    fmt_points,
)

_p = charts.percentile


def _llm_p(metrics: Metrics, name: str) -> float | None:
    """A percentile of ``llm_latency_ms`` (the latency of a model's LLM calls)."""
    latency = metrics.get("llm_latency_ms")
    value = latency.get(name) if latency else None
    return None if not isinstance(value, int | float) else float(value)


def _tokens(metrics: Metrics | None) -> int:
    m = metrics or {}
    return int(m.get("total_tokens") or (m.get("input_tokens", 0) + m.get("output_tokens", 0)))


def _previous_totals(summary: Summary) -> Metrics | None:
    """The previous period's totals: from ``compare=true``, or asked for separately."""
    if "previous" in summary:
        previous = summary.get("previous")
        return previous["totals"] if previous else None
    window = ui.window().previous()
    older = ui.call("the previous period", lambda api: api.summary(window.params()))
    groups = (older or {}).get("groups") or []
    return groups[0] if groups else None


def _tiles(now: SummaryGroup, before: Metrics | None) -> None:
    b = before or {}
    cols = st.columns(6)
    cols[0].metric(
        "Traces",
        fmt_count(now.get("traces", 0)),
        fmt_change(now.get("traces", 0), b.get("traces")),
        delta_color="off",
        border=True,
    )
    cols[1].metric(
        "Error rate",
        fmt_pct(now.get("error_rate", 0.0)),
        fmt_points(now.get("error_rate", 0.0), b.get("error_rate")),
        delta_color="inverse",
        help="Spans with status ERROR / all spans",
        border=True,
    )
    cols[2].metric(
        "p50 latency",
        fmt_ms(_p(now, "p50")),
        fmt_change(_p(now, "p50"), _p(before, "p50")),
        delta_color="inverse",
        help="Median duration of whole traces (root spans)",
        border=True,
    )
    cols[3].metric(
        "p95 latency",
        fmt_ms(_p(now, "p95")),
        fmt_change(_p(now, "p95"), _p(before, "p95")),
        delta_color="inverse",
        border=True,
    )
    cols[4].metric(
        "Tokens",
        fmt_count(_tokens(now)),
        fmt_change(_tokens(now), _tokens(before) if before else None),
        delta_color="off",
        help=f"{now.get('input_tokens', 0):,} in / {now.get('output_tokens', 0):,} out",
        border=True,
    )
    cols[5].metric(
        "Cost",
        fmt_cost(now.get("cost_usd", 0.0)),
        fmt_change(now.get("cost_usd", 0.0), b.get("cost_usd")),
        delta_color="inverse",
        help=(
            f"{now.get('unpriced_llm_spans', 0)} LLM calls had no known price"
            if now.get("unpriced_llm_spans")
            else "Computed from token counts and model prices"
        ),
        border=True,
    )


def _trends() -> None:
    window = ui.window()
    series = ui.call("the time series", lambda api: api.timeseries(window.params(), compare=True))
    if series is None or not series.get("series"):
        return
    buckets = series["series"][0]["buckets"]
    before = series.get("previous")
    previous_series = before["series"] if before else []
    previous = previous_series[0]["buckets"] if previous_series else None
    alerts = markers.events(window)  # regressions marked where their metric is drawn
    left, right = st.columns(2)
    with left:
        st.markdown("**Latency** (traces)")
        latency = markers.mark(charts.latency_figure(buckets, previous), alerts, "latency", window)
        st.plotly_chart(latency, key="chart_latency")
    with right:
        st.markdown("**Volume and errors**")
        volume = markers.mark(charts.volume_figure(buckets, previous), alerts, "volume", window)
        st.plotly_chart(volume, key="chart_volume")
    st.markdown("**Tokens and cost**")
    tokens = markers.mark(charts.tokens_cost_figure(buckets), alerts, "tokens", window)
    st.plotly_chart(tokens, key="chart_tokens")
    markers.legend(
        alerts, {m for chart in ("latency", "volume", "tokens") for m in markers.METRICS[chart]}
    )


def _by_model() -> None:
    window = ui.window()
    summary = ui.call(
        "the breakdown by model", lambda api: api.summary(window.params(), group_by="model")
    )
    groups = [g for g in (summary or {}).get("groups", []) if g.get("group")]
    st.subheader("By model")
    if not groups:
        st.caption("No LLM calls with a model in this time range.")
        return
    left, right = st.columns([3, 2])
    with left:
        rows = [
            {
                "Model": g.get("group", ""),
                "Calls": g.get("spans", 0),
                "Errors": g.get("errors", 0),
                "Error rate": g.get("error_rate", 0.0) * 100,
                # a model's latency is its LLM calls' (no root span has a model)
                "p50 (ms)": _llm_p(g, "p50"),
                "p95 (ms)": _llm_p(g, "p95"),
                "Input tokens": g.get("input_tokens", 0),
                "Output tokens": g.get("output_tokens", 0),
                "Cost (USD)": g.get("cost_usd", 0.0),
            }
            for g in groups
        ]
        st.dataframe(
            rows,
            hide_index=True,
            key="models_table",
            column_config={
                "Error rate": st.column_config.NumberColumn(format="%.1f%%"),
                "p50 (ms)": st.column_config.NumberColumn(format="%.0f"),
                "p95 (ms)": st.column_config.NumberColumn(format="%.0f"),
                "Cost (USD)": st.column_config.NumberColumn(format="$%.4f"),
            },
        )
    with right:
        costs = {g.get("group", ""): g.get("cost_usd", 0.0) for g in groups}
        st.plotly_chart(
            charts.bar_figure(costs, title="Cost by model", money=True), key="chart_model_cost"
        )


def main() -> None:
    st.title("Overview")
    window = ui.window()
    st.caption(f"{window.label}; changes are against the period of the same length before it")
    summary = ui.call("the summary", lambda api: api.summary(window.params(), compare=True))
    if summary is None:
        return
    groups = summary.get("groups") or []
    if not groups or not groups[0].get("spans"):
        ui.empty_state()
        return
    _tiles(groups[0], _previous_totals(summary))
    _trends()
    _by_model()


main()
