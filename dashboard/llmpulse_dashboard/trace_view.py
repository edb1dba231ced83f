"""One trace: waterfall, span tree, span details, evaluations and human feedback."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import streamlit as st

from llmpulse_dashboard import charts, dataset_actions, nav, state, ui
from llmpulse_dashboard.client import ApiError, Evaluation, Span, TraceDetail
from llmpulse_dashboard.render import (
    flatten_spans,
    fmt_cost,
    fmt_count,
    fmt_ms,
    fmt_time,
    show_payload,
)

__all__ = ["FEEDBACK_NAME", "evaluation_rows", "show_trace", "span_label"]

FEEDBACK_NAME = "rating"  # the name of thumbs up/down feedback given in the dashboard
_LAST_CLICK = "_lp_waterfall_click"


def span_label(depth: int, span: Span) -> str:
    """A span in the tree: indented, with type, duration and an error mark."""
    mark = " ⚠️" if span.get("status_code") == "ERROR" else ""
    indent = "\u2003" * depth + ("└ " if depth else "")
    kind = span.get("span_type") or "other"
    return f"{indent}{span.get('name', '?')}{mark} · {kind} · {fmt_ms(span.get('duration_ms'))}"


def _verdict(ev: Evaluation) -> str:
    passed = ev.get("passed")
    if passed is None:
        return "–"
    return "pass" if passed else "FAIL"


def evaluation_rows(evaluations: Sequence[Evaluation]) -> list[dict[str, Any]]:
    """Evaluations as table rows (failures first)."""
    ordered = sorted(
        evaluations, key=lambda ev: (ev.get("passed") is not False, ev.get("name", ""))
    )
    return [
        {
            "Result": _verdict(ev),
            "Name": ev.get("name", ""),
            "Source": ev.get("source", ""),
            "Score": ev.get("score"),
            "Label": ev.get("label", ""),
            "Comment": ev.get("comment", ""),
            "When": fmt_time(ev.get("created_at_ns")),
        }
        for ev in ordered
    ]


def _header(trace: TraceDetail, root: Span) -> None:
    name = trace.get("name") or root.get("name", "trace")
    st.subheader(f":material/account_tree: {name}")
    st.caption(
        f"Trace `{trace.get('trace_id', '')}` · started {fmt_time(trace.get('start_time_ns'))} UTC"
        f" · service {trace.get('service_name') or root.get('service_name', '–')}"
    )
    rows = flatten_spans(trace.get("roots", []))
    spans = [s for _, s in rows]
    errors = trace.get("errors", sum(s.get("status_code") == "ERROR" for s in spans))
    tokens_in = trace.get("input_tokens", sum(s.get("input_tokens", 0) for s in spans))
    tokens_out = trace.get("output_tokens", sum(s.get("output_tokens", 0) for s in spans))
    cost = trace.get("cost_usd", sum(s.get("cost_usd") or 0.0 for s in spans))
    cols = st.columns(5)
    cols[0].metric("Duration", fmt_ms(trace.get("duration_ms")), border=True)
    cols[1].metric("Spans", trace.get("span_count", len(spans)), border=True)
    cols[2].metric("Errors", errors, border=True)
    cols[3].metric(
        "Tokens", fmt_count(tokens_in + tokens_out), help=f"{tokens_in:,} in / {tokens_out:,} out",
        border=True,
    )  # fmt: skip
    cols[4].metric("Cost", fmt_cost(cost), border=True)
    session = trace.get("session_id") or root.get("session_id", "")
    user = trace.get("user_id") or root.get("user_id", "")
    if session or user:
        with st.container(horizontal=True):
            if session and st.button(f"Session {session}", icon=":material/forum:"):
                nav.go("sessions", session=session)
            if user and st.button(f"Traces of {user}", icon=":material/person:"):
                nav.go("traces", user_id=user)


def _waterfall(rows: list[tuple[int, Span]]) -> None:
    """The timeline; clicking a bar selects its span (in the tree below)."""
    ids = {s.get("span_id", "") for _, s in rows}
    event = st.plotly_chart(
        charts.waterfall_figure(rows, selected=st.session_state.get("span")),
        key="waterfall",
        on_select="rerun",
        selection_mode="points",
    )
    points = (getattr(event, "selection", None) or {}).get("points", [])
    clicked = str(points[0].get("customdata", "")) if points else ""
    if clicked and clicked != st.session_state.get(_LAST_CLICK) and clicked in ids:
        st.session_state["span"] = clicked
    st.session_state[_LAST_CLICK] = clicked


def _span_tree(rows: list[tuple[int, Span]]) -> Span:
    """The span tree as a choice; returns the selected span (default: the root)."""
    ids = [s.get("span_id", "") for _, s in rows]
    labels = {s.get("span_id", ""): span_label(d, s) for d, s in rows}
    state.bind("span", ids[0], options=ids)
    st.radio("Spans", ids, key="span", format_func=labels.__getitem__)
    by_id = {s.get("span_id", ""): s for _, s in rows}
    return by_id.get(str(st.session_state.get("span")), rows[0][1])


def _span_details(span: Span) -> None:
    st.markdown(f"#### {span.get('name', '?')}")
    facts = [
        span.get("span_type") or "other",
        span.get("model"),
        span.get("provider"),
        span.get("tool_name") and f"tool {span.get('tool_name')}",
        span.get("finish_reason") and f"finish: {span.get('finish_reason')}",
        f"span `{span.get('span_id', '')}`",
    ]
    st.caption(" · ".join(str(f) for f in facts if f))
    if span.get("status_code") == "ERROR":
        st.error(span.get("status_message") or "This span failed.", icon=":material/error:")
    top = st.columns(3)
    top[0].metric("Duration", fmt_ms(span.get("duration_ms")))
    top[1].metric("Starts at", f"+{fmt_ms(span.get('offset_ms'))}")
    top[2].metric("Cost", fmt_cost(span.get("cost_usd")))
    extra = {
        "cache read": span.get("cache_read_tokens", 0),
        "cache write": span.get("cache_write_tokens", 0),
        "reasoning": span.get("reasoning_tokens", 0),
    }
    bottom = st.columns(3)
    bottom[0].metric(
        "Input tokens",
        fmt_count(span.get("input_tokens", 0)),
        help=", ".join(f"{k}: {v:,}" for k, v in extra.items() if v) or None,
    )
    bottom[1].metric("Output tokens", fmt_count(span.get("output_tokens", 0)))
    bottom[2].metric(
        "First token", fmt_ms(span.get("time_to_first_token_ms")), help="Time to first token"
    )
    evaluations = span.get("evaluations", [])
    tabs = st.tabs(
        ["Input / output", "Attributes", f"Events ({len(span.get('events', []))})",
         f"Evaluations ({len(evaluations)})"]
    )  # fmt: skip
    with tabs[0]:
        st.markdown("**Input**")
        show_payload(span.get("input", ""))
        st.markdown("**Output**")
        show_payload(span.get("output", ""))
    with tabs[1]:
        st.json(span.get("attributes", {}), expanded=True)
        with st.expander("Resource attributes"):
            st.json(span.get("resource_attributes", {}))
    with tabs[2]:
        for event in span.get("events", []):
            offset = (event.get("time_ns", 0) - span.get("start_time_ns", 0)) / 1e6
            st.markdown(f"**{event.get('name', '?')}** · +{fmt_ms(max(offset, 0.0))}")
            if event.get("attributes"):
                st.json(event.get("attributes", {}), expanded=False)
        if not span.get("events"):
            st.caption("No events on this span.")
    with tabs[3]:
        if evaluations:
            st.dataframe(evaluation_rows(evaluations), hide_index=True)
        else:
            st.caption("No evaluations on this span.")


def _feedback_value(ev: Evaluation) -> str:
    if ev.get("passed") is not None:
        return "👍" if ev.get("passed") else "👎"
    if ev.get("score") is not None:
        return f"{ev.get('score')}"
    try:
        return str(json.loads(ev.get("value", "")))
    except ValueError:
        return ev.get("label", "")


def _feedback(trace: TraceDetail, span: Span) -> None:
    trace_id = trace.get("trace_id", "")
    st.markdown("#### Human feedback")
    given = trace.get("feedback")
    if given is None:  # older collectors: pick them out of the evaluations
        everything = list(trace.get("evaluations", []))
        for _, s in flatten_spans(trace.get("roots", [])):
            everything += s.get("evaluations", [])
        given = [ev for ev in everything if ev.get("source") == "feedback"]
    for ev in given:
        where = f" on span `{ev.get('span_id')}`" if ev.get("span_id") else ""
        comment = f": {ev.get('comment')}" if ev.get("comment") else ""
        st.markdown(f"{_feedback_value(ev)} **{ev.get('name', '')}**{where}{comment}")
    with st.form("feedback_form", clear_on_submit=True, border=True):
        st.markdown("Was this answer good?")
        rating = st.feedback("thumbs", key="feedback_rating")
        comment = st.text_area("Comment (optional)", key="feedback_comment", height=80)
        on_span = st.checkbox(f"About the selected span only ({span.get('name', '?')})")
        sent = st.form_submit_button("Send feedback", icon=":material/send:")
    if not sent:
        return
    if rating is None:
        st.warning("Pick 👍 or 👎 first.")
        return
    api = ui.client()
    if api is None:
        return
    try:
        api.post_feedback(
            trace_id,
            name=FEEDBACK_NAME,
            value=bool(rating),
            span_id=span.get("span_id") if on_span else None,
            comment=comment.strip() or None,
        )
    except ApiError as error:
        st.error(f"**Could not store the feedback.** {error}", icon=":material/error:")
        return
    st.session_state["_lp_feedback_sent"] = trace_id
    st.rerun()


def show_trace(trace_id: str) -> None:
    """The trace view (the caller draws the way back)."""
    trace = ui.call(f"trace {trace_id}", lambda api: api.trace(trace_id))
    if trace is None:
        return
    rows = flatten_spans(trace.get("roots", []))
    if not rows:
        st.info("This trace has no spans.")
        return
    if st.session_state.pop("_lp_feedback_sent", None) == trace_id:
        st.toast("Feedback stored. Thank you!", icon=":material/check:")
    _header(trace, rows[0][1])
    dataset_actions.add_trace_button(trace_id, str(st.session_state.get("span") or "") or None)
    _waterfall(rows)
    tree, details = st.columns([2, 3], gap="small")
    with tree:
        span = _span_tree(rows)
    with details, st.container(border=True):
        _span_details(span)
    if trace.get("evaluations"):
        st.markdown("#### Trace evaluations")
        st.dataframe(evaluation_rows(trace.get("evaluations", [])), hide_index=True)
    _feedback(trace, span)
