"""One trace, built for agents with hundreds of spans: the failed assertions on top; a
collapsible span tree whose rows carry kind icons, duration, rolled-up tokens, cost and
evaluation badges and a timeline bar (the waterfall scrolls with the tree); beside it the
selected span's details in a pane of fixed height; then trace evaluations and feedback.

The selected span is the URL's ``?span=<id>``; ``?assertion=<name>`` (a link from the
Evaluations page) selects the span that failed that assertion.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any, Literal

import streamlit as st

from llmpulse_dashboard import dataset_actions, nav, state, ui
from llmpulse_dashboard.api_types import EvaluationRecord, SpanNode, TraceDetail
from llmpulse_dashboard.charts import ERROR_COLOR, SPAN_COLORS
from llmpulse_dashboard.client import ApiError
from llmpulse_dashboard.render import (
    documents_from,
    fmt_cost,
    fmt_count,
    fmt_ms,
    fmt_time,
    show_documents,
    show_payload,
)
from llmpulse_dashboard.trace_tree import (
    SPAN_ICONS,
    Failure,
    Node,
    ancestors,
    build_tree,
    collapsible,
    failures,
    span_for_assertion,
    visible_nodes,
)

__all__ = ["FEEDBACK_NAME", "evaluation_rows", "show_trace"]

FEEDBACK_NAME = "rating"  # the name of thumbs up/down feedback given in the dashboard
PANE_HEIGHT = 680  # px: the tree and the detail pane scroll inside this height
OPEN_ALL_UP_TO = 30  # traces with up to this many spans open fully; larger ones show level 1
_INDENT_PX = 14
_NAME_PX = 220  # the name column (indent included), so the timeline bars line up
_ROW_PX = 42  # about the height of a tree row
_TOGGLE_PX = 32
_COLLAPSED = "_lp_collapsed"  # trace id -> ids of collapsed nodes
_REVEALED = "_lp_revealed"  # trace id -> the span whose ancestors were last opened
_STYLE = """<style>
.st-key-span_tree button, .st-key-span_tree button > div { justify-content: flex-start !important; }
.st-key-span_tree button [data-testid="stMarkdownContainer"] { text-align: left; }
.lp-row { display: flex; align-items: center; gap: 4px; padding-left: 8px; font-size: 0.78rem; }
.lp-num { flex: none; width: 48px; overflow: hidden; text-align: right; white-space: nowrap;
          color: #4b5563; }
.lp-badges { flex: none; width: 60px; overflow: hidden; white-space: nowrap; }
.lp-fail { color: #fff; background: #dc2626; border-radius: 8px; padding: 0 5px; }
.lp-pass { color: #065f46; background: #d1fae5; border-radius: 8px; padding: 0 5px; }
.lp-track { flex: 1; position: relative; height: 10px; min-width: 80px;
            background: #f3f4f6; border-radius: 2px; }
.lp-bar { position: absolute; top: 0; height: 10px; border-radius: 2px; min-width: 2px; }
</style>"""


def _verdict(ev: EvaluationRecord) -> str:
    passed = ev.get("passed")
    if passed is None:
        return "–"
    return "pass" if passed else "FAIL"


def evaluation_rows(evaluations: Sequence[EvaluationRecord]) -> list[dict[str, Any]]:
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


def _header(trace: TraceDetail, nodes: dict[str, Node]) -> None:
    roots = [n for n in nodes.values() if n.depth == 0]
    root = roots[0].span
    name = trace.get("name") or root.get("name", "trace")
    st.subheader(f":material/account_tree: {name}")
    version, prompt = root.get("service_version", ""), root.get("prompt_version", "")
    st.caption(
        f"Trace `{trace.get('trace_id', '')}` · started {fmt_time(trace.get('start_time_ns'))} UTC"
        f" · service {trace.get('service_name') or root.get('service_name', '–')}"
        + (f" · version **{version}**" if version else "")
        + (f" · prompt **{prompt}**" if prompt else "")
    )
    total = roots[0].totals
    for other in roots[1:]:
        total = total + other.totals
    tokens_in = trace.get("input_tokens", total.input_tokens)
    tokens_out = trace.get("output_tokens", total.output_tokens)
    cols = st.columns(5)
    cols[0].metric("Duration", fmt_ms(trace.get("duration_ms")), border=True)
    cols[1].metric("Spans", trace.get("span_count", total.spans), border=True)
    cols[2].metric("Errors", trace.get("errors", total.errors), border=True)
    cols[3].metric(
        "Tokens", fmt_count(tokens_in + tokens_out), help=f"{tokens_in:,} in / {tokens_out:,} out",
        border=True,
    )  # fmt: skip
    cols[4].metric("Cost", fmt_cost(trace.get("cost_usd", total.cost_usd)), border=True)
    session = trace.get("session_id") or root.get("session_id", "")
    user = trace.get("user_id") or root.get("user_id", "")
    if session or user or version:
        with st.container(horizontal=True):
            if session and st.button(f"Session {session}", icon=":material/forum:"):
                nav.go("sessions", session=session)
            if user and st.button(f"Traces of {user}", icon=":material/person:"):
                nav.go("traces", user_id=user)
            if version and st.button(f"Traces of version {version}", icon=":material/sell:"):
                nav.go("traces", version=version)


# ---- selection and the collapsed nodes (session state, per trace) -----------------------


def _select(span_id: str) -> None:
    state.set_param("span", span_id)


def _selected(trace: TraceDetail, nodes: dict[str, Node]) -> str:
    """The span in ``?span=``, else the one ``?assertion=`` names, else the first root."""
    wanted = state.param("span")
    assertion = state.param("assertion")
    if wanted in nodes:
        return wanted
    if wanted:
        st.caption(f"Span `{wanted}` is not in this trace; showing the root span.")
    if assertion:
        found = span_for_assertion(trace, nodes, assertion)
        if found:
            return found
        st.caption(f"No result of assertion **{assertion}** in this trace.")
    return next(iter(nodes))


def _collapsed(
    trace_id: str, nodes: dict[str, Node], selected: str, found: list[Failure]
) -> set[str]:
    """Collapsed nodes: at first everything below level 1 of a large trace except the
    way to its failed assertions; the way to a newly selected span is opened."""
    per_trace: dict[str, set[str]] = st.session_state.setdefault(_COLLAPSED, {})
    if trace_id not in per_trace:
        closed = set() if len(nodes) <= OPEN_ALL_UP_TO else collapsible(nodes, 1)
        for failure in found:
            closed.difference_update(ancestors(nodes, failure.span_id))
        per_trace[trace_id] = closed
    collapsed = per_trace[trace_id]
    revealed: dict[str, str] = st.session_state.setdefault(_REVEALED, {})
    if revealed.get(trace_id) != selected:
        revealed[trace_id] = selected
        collapsed.difference_update(ancestors(nodes, selected))
    return collapsed


def _toggle(trace_id: str, span_id: str) -> None:
    collapsed: set[str] = st.session_state.setdefault(_COLLAPSED, {}).setdefault(trace_id, set())
    collapsed.symmetric_difference_update({span_id})


def _set_collapsed(trace_id: str, span_ids: set[str]) -> None:
    st.session_state.setdefault(_COLLAPSED, {})[trace_id] = set(span_ids)


# ---- the failed assertions -------------------------------------------------------------

_BANNER_ROWS = 8


def _failure_banner(found: list[Failure], selected: str, root: str) -> None:
    with st.container(border=True, key="failing_assertions"):
        st.markdown(
            f":red[:material/error: **{len(found)} failed assertion"
            f"{'s' if len(found) != 1 else ''}** in this trace]"
        )
        for i, failure in enumerate(found[:_BANNER_ROWS]):
            span_id = failure.span_id or root
            ev = failure.evaluation
            why = ev.get("comment") or ev.get("label") or ""
            here = span_id == selected
            with st.container(horizontal=True, vertical_alignment="center", wrap=False):
                st.markdown(
                    f"{'▶ ' if here else ''}**{ev.get('name', '?')}** on "
                    f"`{failure.span_name or '(trace)'}`{': ' + why if why else ''}",
                    width="stretch",
                )
                st.button(
                    "Selected" if here else "Show span",
                    key=f"failure_{i}",
                    type="primary" if here else "secondary",
                    disabled=here,
                    on_click=_select,
                    args=(span_id,),
                )
        if len(found) > _BANNER_ROWS:
            st.caption(
                f"and {len(found) - _BANNER_ROWS} more: the red badges in the tree mark them."
            )


# ---- the tree with its timeline ------------------------------------------------------


def _row_html(node: Node, total_ms: float) -> str:
    span, totals = node.span, node.totals
    below = " (with the spans below)" if node.children else ""
    fail = f'<span class="lp-fail">✗{totals.failed}</span> ' if totals.failed else ""
    passed = f'<span class="lp-pass">✓{totals.passed}</span>' if totals.passed else ""
    offset = float(span.get("offset_ms") or 0.0)
    duration = float(span.get("duration_ms") or 0.0)
    scale = total_ms if total_ms > 0 else 1.0
    left = min(max(offset / scale * 100, 0.0), 100.0)
    width = min(duration / scale * 100, 100.0 - left)
    color = (
        ERROR_COLOR
        if span.get("status_code") == "ERROR"
        else SPAN_COLORS.get(span.get("span_type") or "other", "#6b7280")
    )
    tokens = fmt_count(totals.tokens) if totals.tokens else "–"
    cost = totals.cost_usd
    short_cost = "<$0.001" if cost is not None and 0 < cost < 0.001 else fmt_cost(cost)
    return (
        f'<div class="lp-row" data-span="{html.escape(node.span_id)}">'
        f'<span class="lp-num" title="duration">{fmt_ms(span.get("duration_ms"))}</span>'
        f'<span class="lp-num" title="tokens{below}">{tokens}</span>'
        f'<span class="lp-num" title="cost{below}: {fmt_cost(cost)}">{short_cost}</span>'
        f'<span class="lp-badges" title="assertions failed / passed{below}">{fail}{passed}</span>'
        f'<div class="lp-track" title="+{fmt_ms(offset)}, {fmt_ms(duration)}">'
        f'<div class="lp-bar" style="left:{left:.2f}%;width:{width:.2f}%;background:{color}">'
        "</div></div></div>"
    )


def _tree_row(
    trace_id: str, node: Node, selected: str, collapsed: set[str], total_ms: float
) -> None:
    span, span_id = node.span, node.span_id
    indent = min(node.depth * _INDENT_PX, _NAME_PX - 120)
    with st.container(horizontal=True, vertical_alignment="center", wrap=False, gap=None):
        # the name column has a fixed width, so every timeline bar starts at the same x
        with st.container(
            horizontal=True, vertical_alignment="center", wrap=False, gap=None,
            width=_NAME_PX + _TOGGLE_PX,
        ):  # fmt: skip
            if indent:
                st.space(indent)
            if node.children:
                closed = span_id in collapsed
                st.button(
                    "",
                    key=f"toggle_{span_id}",
                    icon=":material/chevron_right:" if closed else ":material/expand_more:",
                    help=f"Show the {len(node.children)} spans below"
                    if closed
                    else "Hide the spans below",
                    type="tertiary",
                    width=_TOGGLE_PX,
                    on_click=_toggle,
                    args=(trace_id, span_id),
                )
            else:
                st.space(_TOGGLE_PX)
            kind = span.get("span_type") or "other"
            mark = " ⚠" if span.get("status_code") == "ERROR" else ""
            st.button(
                f"{span.get('name', '?')}{mark}",
                key=f"span_{span_id}",
                icon=SPAN_ICONS.get(kind, SPAN_ICONS["other"]),
                help=f"{kind} · {span.get('name', '?')}"
                + (f" · {span.get('model')}" if span.get("model") else ""),
                type="secondary" if span_id == selected else "tertiary",
                width="stretch",
                on_click=_select,
                args=(span_id,),
            )
        st.html(_row_html(node, total_ms), width="stretch")


def _tree(
    trace_id: str, nodes: dict[str, Node], selected: str, found: list[Failure], total_ms: float
) -> None:
    collapsed = _collapsed(trace_id, nodes, selected, found)
    shown = visible_nodes(nodes, collapsed)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(
            f"{len(shown)} of {len(nodes)} spans · tokens, cost, ✗/✓ include the spans below",
            width="stretch",
        )
        st.button(
            "Expand all", key="tree_expand", icon=":material/unfold_more:", type="tertiary",
            on_click=_set_collapsed, args=(trace_id, set()),
        )  # fmt: skip
        st.button(
            "Collapse", key="tree_collapse", icon=":material/unfold_less:", type="tertiary",
            on_click=_set_collapsed, args=(trace_id, collapsible(nodes, 1)),
        )  # fmt: skip
    height: int | Literal["content"] = (
        PANE_HEIGHT if len(shown) > PANE_HEIGHT // _ROW_PX else "content"
    )
    with st.container(height=height, border=True, key="span_tree"):
        for node in shown:
            _tree_row(trace_id, node, selected, collapsed, total_ms)


def _span_details(span: SpanNode, assertion: str) -> None:
    """The selected span; ``assertion``: the name the page was opened for (its tab first)."""
    kind = span.get("span_type") or "other"
    st.markdown(f"#### {SPAN_ICONS.get(kind, SPAN_ICONS['other'])} {span.get('name', '?')}")
    facts = [
        kind,
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
    for ev in evaluations:
        if ev.get("passed") is False and ev.get("source") != "feedback":
            why = ev.get("comment") or ev.get("label") or ""
            st.error(f"Failed **{ev.get('name', '?')}**{': ' + why if why else ''}",
                     icon=":material/cancel:")  # fmt: skip
    documents = documents_from(span) if kind == "retrieval" else []
    names = [
        f"Documents ({len(documents)})",
        "Input / output",
        "Attributes",
        f"Events ({len(span.get('events', []))})",
        f"Evaluations ({len(evaluations)})",
    ]
    if not documents:
        names = names[1:]
    opened = any(ev.get("name") == assertion for ev in evaluations)
    tabs = dict(zip(names, st.tabs(names, default=names[-1] if opened else names[0]), strict=True))
    if documents:
        with tabs[names[0]]:
            show_documents(documents)
    with tabs["Input / output"]:
        st.markdown("**Input**")
        show_payload(span.get("input", ""))
        st.markdown("**Output**")
        if documents:
            st.caption(f"{len(documents)} documents: see the Documents tab.")
        else:
            show_payload(span.get("output", ""))
    with tabs["Attributes"]:
        st.json(span.get("attributes", {}), expanded=True)
        with st.expander("Resource attributes"):
            st.json(span.get("resource_attributes", {}))
    with tabs[names[-2]]:
        for event in span.get("events", []):
            at = event.get("time_ns")  # null: the event's time is unknown
            offset = (at - span["start_time_ns"]) / 1e6 if at is not None else None
            when = "" if offset is None else f" · +{fmt_ms(max(offset, 0.0))}"
            st.markdown(f"**{event.get('name', '?')}**{when}")
            if event.get("attributes"):
                st.json(event.get("attributes", {}), expanded=False)
        if not span.get("events"):
            st.caption("No events on this span.")
    with tabs[names[-1]]:
        if evaluations:
            st.dataframe(evaluation_rows(evaluations), hide_index=True)
        else:
            st.caption("No evaluations on this span.")


def _feedback_value(ev: EvaluationRecord) -> str:
    if ev.get("passed") is not None:
        return "👍" if ev.get("passed") else "👎"
    if ev.get("score") is not None:
        return f"{ev.get('score')}"
    raw = ev.get("value")
    if raw:
        try:
            return str(json.loads(raw))
        except ValueError:
            pass
    return ev.get("label", "")


def _feedback(trace: TraceDetail, nodes: dict[str, Node], span: SpanNode) -> None:
    trace_id = trace.get("trace_id", "")
    st.markdown("#### Human feedback")
    given = trace.get("feedback")
    if given is None:  # older collectors: pick them out of the evaluations
        everything = list(trace.get("evaluations", []))
        for node in nodes.values():
            everything += node.span.get("evaluations", [])
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
    nodes = build_tree(trace.get("roots", []))
    if not nodes:
        st.info("This trace has no spans.")
        return
    if st.session_state.pop("_lp_feedback_sent", None) == trace_id:
        st.toast("Feedback stored. Thank you!", icon=":material/check:")
    st.html(_STYLE)
    _header(trace, nodes)
    selected = _selected(trace, nodes)
    dataset_actions.add_trace_button(trace_id, selected)
    root = next(iter(nodes))
    found = failures(trace, nodes)
    if found:
        _failure_banner(found, selected, root)
    total_ms = max(
        float(trace.get("duration_ms") or 0.0),
        *(float(n.span.get("offset_ms") or 0.0) + float(n.span.get("duration_ms") or 0.0)
          for n in nodes.values()),
    )  # fmt: skip
    tree, details = st.columns([5, 3], gap="small")
    with tree:
        _tree(trace_id, nodes, selected, found, total_ms)
    with details, st.container(height=PANE_HEIGHT, border=True, key="span_detail"):
        _span_details(nodes[selected].span, state.param("assertion"))
    if trace.get("evaluations"):
        st.markdown("#### Trace evaluations")
        st.dataframe(evaluation_rows(trace.get("evaluations", [])), hide_index=True)
    _feedback(trace, nodes, nodes[selected].span)
