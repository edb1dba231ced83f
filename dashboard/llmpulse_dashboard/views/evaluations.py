"""Evaluations: failing assertions first, pass-rate trends per assertion, the failed
results with links to their traces, and recent human feedback."""

from __future__ import annotations

import streamlit as st

from llmpulse_dashboard import charts, markers, nav, paging, state, ui
from llmpulse_dashboard.api_types import EvaluationName, PassCounts
from llmpulse_dashboard.render import fmt_count, fmt_pct, percent


def _assertions(names: list[EvaluationName], totals: PassCounts, interval: int) -> None:
    """Assertions only (human feedback has its own section); the tiles are the
    server's totals, never a sum of the rows shown."""
    cols = st.columns(4)
    cols[0].metric("Assertions", len(names), border=True)
    cols[1].metric("Results", fmt_count(totals.get("total", 0)), border=True)
    cols[2].metric("Failed", fmt_count(totals.get("failed", 0)), border=True)
    cols[3].metric("Pass rate", fmt_pct(totals.get("pass_rate")), border=True)
    st.subheader("Assertions", help="Most failures first")
    rows = [
        {
            "Assertion": n.get("name", ""),
            "Failed": n.get("failed", 0),
            "Passed": n.get("passed", 0),
            "Total": n.get("total", 0),
            "Pass rate": percent(n.get("pass_rate")),
            "Avg score": n.get("avg_score"),
            "Trend": [
                percent(b.get("pass_rate")) or 0.0 for b in n.get("buckets", []) if b["total"]
            ],
        }
        for n in names
    ]
    st.dataframe(
        rows,
        hide_index=True,
        key="assertions_table",
        placeholder="—",
        column_config={
            # green at high pass rates, red at low ones (the default colour is red)
            "Pass rate": st.column_config.ProgressColumn(
                format="%.1f%%", min_value=0, max_value=100, color="auto"
            ),
            "Avg score": st.column_config.NumberColumn(format="%.2f"),
            "Trend": st.column_config.LineChartColumn(
                "Pass rate trend", y_min=0, y_max=100, width="medium", color="blue"
            ),
        },
    )
    st.markdown("**Pass rate over time**")
    window = ui.window()
    alerts = markers.events(window)  # pass-rate regressions (alert rules) marked
    spec = markers.mark(charts.pass_rate_spec(names[:8]), alerts, "pass_rate", window)
    starts = [b.get("time_ns", 0) for n in names[:8] for b in n.get("buckets", [])]
    if starts:
        spec = charts.mark_partial_bucket(spec, max(starts), interval)
    st.vega_lite_chart(spec, key="chart_pass_rate", width="stretch")
    markers.legend(alerts, markers.METRICS["pass_rate"])


def _failing(names: list[EvaluationName]) -> None:
    window = ui.window()
    st.subheader("Failed results")
    options = ["", *[n.get("name", "") for n in names]]
    state.bind("assertion", "", options=options)
    left, _ = st.columns([2, 5])
    left.selectbox("Assertion", options, key="assertion", format_func=lambda v: v or "All")
    name = str(st.session_state.get("assertion") or "") or None
    loaded = paging.load(
        "failed results",
        "failing_table",
        paging.question(window, name),
        lambda api, cursor: api.failing_evaluations(
            window.params(), name=name, limit=paging.PAGE_SIZE, cursor=cursor
        ),
        lambda page: page["evaluations"],
    )
    if loaded is None:
        return
    failing = loaded.rows
    if not failing:
        st.success("No failed results in this time range.", icon=":material/check_circle:")
        return
    when = f"When ({ui.timezone_name()})"
    rows = [
        {
            when: ui.local_time(e.get("created_at") or e.get("created_at_ns")),
            "Assertion": e.get("name", ""),
            "Span": e.get("span_name") or "(trace)",
            "Explanation": e.get("comment", ""),
            "Label": e.get("label", ""),
            "Source": e.get("source", ""),
            "Trace": (e.get("trace_id") or "")[:12],
        }
        for e in failing
    ]
    st.caption("Select a row to open its trace")
    # A row's id names the trace, the span and the assertion, so the trace view opens
    # with the failing span selected and its assertion shown.
    ids = [f"{e.get('trace_id') or ''}:{e.get('span_id', '')}:{e['name']}" for e in failing]
    chosen = ui.pick(rows, ids, "failing_table")
    paging.load_more("failing_table", loaded, loaded.first.get("total"), "failed results")
    if chosen:
        trace_id, span_id, assertion = chosen.split(":", 2)
        nav.go("traces", trace=trace_id, span=span_id, assertion=assertion)


_RATINGS: dict[bool | None, str] = {True: "positive", False: "negative", None: "–"}


def _feedback() -> None:
    window = ui.window()
    st.subheader("Human feedback")
    loaded = paging.load(
        "feedback",
        "feedback_table",
        paging.question(window),
        lambda api, cursor: api.feedback(window.params(), limit=paging.PAGE_SIZE, cursor=cursor),
        lambda page: page["feedback"],
    )
    if loaded is None:
        return
    given = loaded.rows
    if not given:
        st.caption("No human feedback yet: rate traces with 👍 / 👎 in the trace view.")
        return
    when = f"When ({ui.timezone_name()})"
    rows = [
        {
            when: ui.local_time(f.get("created_at") or f.get("created_at_ns")),
            "Rating": _RATINGS[f.get("passed")],
            "Name": f.get("name", ""),
            "Comment": f.get("comment", ""),
            "Trace": (f.get("trace_id") or "")[:12],
        }
        for f in given
    ]
    chosen = ui.pick(rows, [f.get("trace_id") or "" for f in given], "feedback_table")
    paging.load_more("feedback_table", loaded, loaded.first.get("total"), "ratings")
    if chosen:
        nav.go("traces", trace=chosen)


def main() -> None:
    st.title("Evaluations")
    window = ui.window()
    summary = ui.call("the evaluation summary", lambda api: api.evaluation_summary(window.params()))
    if summary is None:
        return
    names = [n for n in summary.get("names", []) if n.get("kind", "assertion") == "assertion"]
    if not names:
        st.info(
            f"No evaluation results in {window.label.lower()}. Record assertions from your "
            "app with `llmpulse.assertion(...)` or `@llmpulse.observe(checks=[...])`, or "
            "send `gen_ai.evaluation.result` span events.",
            icon=":material/fact_check:",
        )
    else:
        totals = summary.get("totals", {}).get("assertions", {})
        _assertions(names, totals, int(summary.get("interval") or 0))
        _failing(names)
    _feedback()


main()
