"""Overview: the window's headline numbers against the previous period, their trends,
and a breakdown by model."""

from __future__ import annotations

from typing import Any

import streamlit as st

from llmpulse_dashboard import charts, compare, markers, ui
from llmpulse_dashboard.api_types import Metrics, MetricsGroup, MetricsSummaryAnswer
from llmpulse_dashboard.render import (
    fmt_change,
    fmt_cost,
    fmt_count,
    fmt_ms,
    fmt_pct,
    fmt_points,
    percent,
)

_p = charts.percentile


def _llm_p(metrics: Metrics, name: str) -> float | None:
    """A percentile of ``llm_latency_ms`` (the latency of a model's LLM calls)."""
    latency = metrics.get("llm_latency_ms")
    value = latency.get(name) if latency else None
    return None if not isinstance(value, int | float) else float(value)


def _tokens(metrics: Metrics | None) -> int:
    if not metrics:
        return 0
    total = metrics.get("total_tokens")
    if total is not None:
        return total
    return (metrics.get("input_tokens") or 0) + (metrics.get("output_tokens") or 0)


def _previous_totals(summary: MetricsSummaryAnswer) -> Metrics | None:
    """The previous period's totals: from ``compare=true``, or asked for separately."""
    if "previous" in summary:
        previous = summary.get("previous")
        return previous["totals"] if previous else None
    window = ui.window().previous()
    older = ui.call("the previous period", lambda api: api.summary(window.params()))
    groups = older["groups"] if older else []
    return groups[0] if groups else None


def _tiles(now: MetricsGroup, before: Metrics | None) -> None:
    b: dict[str, Any] = dict(before or {})
    known = compare.directions(ui.client())
    # a nearly empty previous period makes every change a huge, meaningless number
    baseline = compare.enough_baseline(b.get("traces")) and not b.get("no_baseline")

    def tile(col: Any, label: str, value: str, change: str | None, metric: str, **kw: Any) -> None:
        if not baseline:
            change = compare.NO_BASELINE
        color = compare.change_color(metric, known) if baseline else "off"
        arrow = "auto" if baseline else "off"
        col.metric(label, value, change, delta_color=color, delta_arrow=arrow, border=True, **kw)

    cols = st.columns(6)
    tile(
        cols[0],
        "Traces",
        fmt_count(now.get("traces", 0)),
        fmt_change(now.get("traces", 0), b.get("traces")),
        "traces",
    )
    tile(
        cols[1],
        "Error rate",
        fmt_pct(now.get("error_rate", 0.0)),
        fmt_points(now.get("error_rate", 0.0), b.get("error_rate")),
        "error_rate",
        help="Spans with status ERROR / all spans",
    )
    tile(
        cols[2],
        "p50 latency",
        fmt_ms(_p(now, "p50")),
        fmt_change(_p(now, "p50"), _p(before, "p50")),
        "latency_p50",
        help="Median duration of whole traces (root spans)",
    )
    tile(
        cols[3],
        "p95 latency",
        fmt_ms(_p(now, "p95")),
        fmt_change(_p(now, "p95"), _p(before, "p95")),
        "latency_p95",
    )
    tile(
        cols[4],
        "Tokens",
        fmt_count(_tokens(now)),
        fmt_change(_tokens(now), _tokens(before) if before else None),
        "tokens",
        help=f"{now.get('input_tokens', 0):,} in / {now.get('output_tokens', 0):,} out",
    )
    tile(cols[5], "Cost", fmt_cost(now.get("cost_usd", 0.0)),
         fmt_change(now.get("cost_usd", 0.0), b.get("cost_usd")), "cost_usd",
         help=(
             f"{now.get('unpriced_llm_spans', 0)} LLM calls had no known price"
             if now.get("unpriced_llm_spans")
             else "Computed from token counts and model prices"
         ))  # fmt: skip
    if not baseline:
        count = int(b.get("traces") or 0)
        st.caption(
            f"No baseline: the previous period has {fmt_count(count)} "
            f"trace{'' if count == 1 else 's'}, fewer than the {compare.MIN_BASELINE} "
            "a comparison needs."
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
    interval = int(series.get("interval") or 0)

    def draw(spec: charts.Spec, chart: str, key: str) -> None:
        spec = markers.mark(spec, alerts, chart, window)
        spec = charts.mark_partial_bucket(spec, buckets[-1].get("time_ns", 0), interval)
        st.vega_lite_chart(spec, key=key, width="stretch")

    left, right = st.columns(2)
    with left:
        st.markdown("**Latency** (traces)")
        draw(charts.latency_spec(buckets, previous), "latency", "chart_latency")
    with right:
        st.markdown("**Volume and errors**")
        draw(charts.volume_spec(buckets, previous), "volume", "chart_volume")
    st.markdown("**Tokens and cost**")
    draw(charts.tokens_cost_spec(buckets), "tokens", "chart_tokens")
    markers.legend(
        alerts, {m for chart in ("latency", "volume", "tokens") for m in markers.METRICS[chart]}
    )


def _by_model() -> None:
    window = ui.window()
    summary = ui.call(
        "the breakdown by model", lambda api: api.summary(window.params(), group_by="model")
    )
    groups = [g for g in (summary["groups"] if summary else []) if g["group"]]
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
                "Error rate": percent(g.get("error_rate")),
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
        # a model without prices has no cost (null): it is in the table, not the bars
        costs = {g["group"]: cost for g in groups if (cost := g.get("cost_usd")) is not None}
        st.vega_lite_chart(
            charts.bar_spec(costs, title="Cost by model", money=True),
            key="chart_model_cost",
            width="stretch",
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
