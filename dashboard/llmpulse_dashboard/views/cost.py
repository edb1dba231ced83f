"""Cost: spend by model, service, user, tag or provider, over time, and the most
expensive traces."""

from __future__ import annotations

import streamlit as st

from llmpulse_dashboard import charts, nav, state, ui
from llmpulse_dashboard.render import fmt_cost, fmt_count, fmt_ms

_GROUPS = {
    "model": "Model",
    "service": "Service",
    "user": "User",
    "tag": "Tag",
    "provider": "Provider",
}


def _breakdown(by: str) -> bool:
    """Totals and the breakdown; False when there is nothing to show."""
    window = ui.window()
    report = ui.call("the cost report", lambda api: api.cost(window.params(), group_by=by))
    if report is None:
        return False
    # the unnamed group without LLM calls is the other spans (e.g. no model): not spend
    groups = [
        g
        for g in report.get("groups", [])
        if g.get("group") or g.get("llm_calls") or g.get("cost_usd")
    ]
    total = report.get("total_cost_usd", 0.0)
    if not groups:
        ui.empty_state()
        return False
    # server totals: tag rows overlap (a trace with two tags is in both), never sum them
    totals = report.get("totals") or {}
    calls = totals.get("llm_calls", 0)
    unpriced = totals.get("unpriced_llm_spans", 0)
    cols = st.columns(4)
    cols[0].metric("Total cost", fmt_cost(total), border=True)
    cols[1].metric("LLM calls", fmt_count(calls), border=True)
    cols[2].metric("Cost per call", fmt_cost(total / calls if calls else None), border=True)
    cols[3].metric(
        "Unpriced calls",
        fmt_count(unpriced),
        help="LLM calls whose model has no known price (their cost counts as 0)",
        border=True,
    )
    left, right = st.columns([2, 3])
    label = _GROUPS[by]
    # the table first (the chart sits left of it): numbers show before the chart draws
    with right:
        rows = [
            {
                label: g.get("group") or "(none)",
                "Cost (USD)": g.get("cost_usd", 0.0),
                "Share": (g.get("share") or 0.0) * 100,
                "LLM calls": g.get("llm_calls", 0),
                "Traces": g.get("traces", 0),
                "Input tokens": g.get("input_tokens", 0),
                "Output tokens": g.get("output_tokens", 0),
                "Unpriced": g.get("unpriced_llm_spans"),
            }
            for g in groups
        ]
        st.dataframe(
            rows,
            hide_index=True,
            key="cost_table",
            column_config={
                "Cost (USD)": st.column_config.NumberColumn(format="$%.4f"),
                "Share": st.column_config.ProgressColumn(
                    format="%.1f%%", min_value=0, max_value=100, color="blue"
                ),
            },
        )
    with left:
        # a group without a priced span has no cost (null): it is in the table, not the bars
        values = {g["group"]: cost for g in groups if (cost := g.get("cost_usd")) is not None}
        st.vega_lite_chart(
            charts.bar_spec(values, title=f"Cost by {label.lower()}", money=True),
            key="chart_cost_groups",
            width="stretch",
        )
    return True


def _over_time(by: str) -> None:
    window = ui.window()
    series = ui.call(
        "cost over time",
        lambda api: api.timeseries(window.params(), group_by=by, limit=8),
    )
    if series is None or not series.get("series"):
        return
    st.markdown(f"**Cost over time, by {_GROUPS[by].lower()}**")
    spec = charts.cost_over_time_spec(series["series"])
    buckets = series["series"][0]["buckets"]
    if buckets:
        last = max(b.get("time_ns", 0) for b in buckets)
        spec = charts.mark_partial_bucket(spec, last, int(series.get("interval") or 0))
    st.vega_lite_chart(spec, key="chart_cost_time", width="stretch")


def _expensive() -> None:
    window = ui.window()
    st.subheader("Most expensive traces")
    page = ui.call(
        "the most expensive traces",
        lambda api: api.traces(window.params(), sort="cost_usd", order="desc", limit=20),
    )
    if page is None or not page["traces"]:
        return
    traces = page["traces"]
    rows = [
        {
            "Cost (USD)": t.get("cost_usd"),
            "Name": t.get("name", ""),
            "Models": ", ".join(t.get("models", [])),
            "Tokens": t.get("total_tokens", 0),
            "Duration": fmt_ms(t.get("duration_ms")),
            "User": t.get("user_id", ""),
            f"Started ({ui.timezone_name()})": ui.local_time(t.get("start_time")),
        }
        for t in traces
    ]
    st.caption("Select a row to open the trace")
    chosen = ui.pick(
        rows,
        [t.get("trace_id", "") for t in traces],
        "expensive_table",
        column_config={"Cost (USD)": st.column_config.NumberColumn(format="$%.5f")},
    )
    if chosen:
        nav.go("traces", trace=chosen)


def main() -> None:
    st.title("Cost")
    state.bind("by", "model", options=list(_GROUPS))
    st.segmented_control(
        "Group by", list(_GROUPS), key="by", format_func=_GROUPS.__getitem__, required=True
    )
    by = str(st.session_state.get("by") or "model")
    if _breakdown(by):
        _over_time(by)
        _expensive()


main()
