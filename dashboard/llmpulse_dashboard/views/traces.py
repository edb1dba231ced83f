"""Traces: a filter bar, the matching traces (newest first) and, for a selected trace
(``?trace=<id>``), the trace view."""

from __future__ import annotations

from typing import Any

import streamlit as st

from llmpulse_dashboard import dataset_actions, state, ui
from llmpulse_dashboard.client import ApiError, TraceSummary, ValueField
from llmpulse_dashboard.render import fmt_time
from llmpulse_dashboard.trace_view import show_trace

_CURSORS = "_lp_trace_cursors"
_PAGE_SIZE = 50
_SORTS = {
    "start_time": "Newest first",
    "duration_ms": "Slowest first",
    "cost_usd": "Most expensive first",
    "total_tokens": "Most tokens first",
}
_STATUS = {"": "Any status", "ok": "OK", "error": "Errors"}

# widget key (= URL parameter and API filter) -> (label, the /values field for its choices)
_CHOICES: dict[str, tuple[str, ValueField]] = {
    "service": ("Service", "services"),
    "model": ("Model", "models"),
    "name": ("Span name", "span_names"),
    "tag": ("Tag", "tags"),
}
_TEXT = {"user_id": "User", "session_id": "Session", "q": "Text in input/output"}


def _choices(field: ValueField) -> list[str]:
    window = ui.window()
    api = ui.client()
    if api is None:
        return []
    try:
        return [v["value"] for v in api.values(field, window.params(), limit=200)]
    except ApiError:
        return []  # the filter still works as free text below


def _choice_filter(key: str, label: str, field: ValueField) -> None:
    options = ["", *_choices(field)]
    current = st.session_state.get(key) or st.query_params.get(key, "")
    if current and current not in options:
        options.append(current)
    state.bind(key, "", options=options)
    st.selectbox(label, options, key=key, format_func=lambda v: v or "Any", persist_state="page")


def _filter_bar() -> dict[str, Any]:
    with st.container(border=True):
        cols = st.columns(5)
        for col, (key, (label, field)) in zip(cols, _CHOICES.items(), strict=False):
            with col:
                _choice_filter(key, label, field)
        with cols[4]:
            state.bind("status", "", options=list(_STATUS))
            st.selectbox(
                "Status",
                list(_STATUS),
                key="status",
                format_func=_STATUS.__getitem__,
                persist_state="page",
            )
        cols = st.columns(5)
        for col, (key, label) in zip(cols, _TEXT.items(), strict=False):
            with col:
                state.bind(key, "")
                st.text_input(label, key=key, placeholder="any", persist_state="page")
        with cols[3]:
            state.bind("sort", "start_time", options=list(_SORTS))
            st.selectbox(
                "Order",
                list(_SORTS),
                key="sort",
                format_func=_SORTS.__getitem__,
                persist_state="page",
            )
        with cols[4]:
            state.bind("failing", default=False)
            st.toggle("Failing assertions only", key="failing", persist_state="page")
    filters: dict[str, Any] = {
        key: str(st.session_state.get(key) or "").strip() for key in [*_CHOICES, *_TEXT, "status"]
    }
    if st.session_state.get("failing"):
        filters["has_failing_assertion"] = True
    return filters


def _rows(traces: list[TraceSummary]) -> list[dict[str, Any]]:
    return [
        {
            "Started (UTC)": fmt_time(t.get("start_time")),
            "Name": t.get("name", ""),
            "Status": f"error ({t.get('errors')})" if t.get("errors") else "ok",
            "Duration (ms)": t.get("duration_ms"),
            "Spans": t.get("spans"),
            "Models": ", ".join(t.get("models", [])),
            "Tokens": t.get("total_tokens")
            or (t.get("input_tokens", 0) + t.get("output_tokens", 0)),
            "Cost (USD)": t.get("cost_usd"),
            "User": t.get("user_id", ""),
            "Session": t.get("session_id", ""),
            "Tags": ", ".join(t.get("tags", [])),
            "Input": t.get("input_preview", ""),
            "Service": t.get("service_name", ""),
        }
        for t in traces
    ]


def _table(filters: dict[str, Any]) -> None:
    window = ui.window()
    cursors: list[str] = st.session_state.setdefault(_CURSORS, [])
    query = {**window.params(), **filters}
    signature = repr(sorted(query.items())) + str(st.session_state.get("sort"))
    if st.session_state.get("_lp_trace_query") != signature:  # new question: first page
        st.session_state["_lp_trace_query"] = signature
        cursors.clear()
    page = ui.call(
        "traces",
        lambda api: api.traces(
            query,
            limit=_PAGE_SIZE,
            cursor=cursors[-1] if cursors else None,
            sort=str(st.session_state.get("sort") or "start_time"),
        ),
    )
    if page is None:
        return
    traces = page["traces"]
    if not traces and not cursors:
        if any(filters.values()):
            st.info("No traces match these filters in this time range.", icon=":material/search:")
        else:
            ui.empty_state()
        return
    st.caption(
        f"Page {len(cursors) + 1} · {len(traces)} traces · {window.label.lower()} · "
        "select a row to open the trace"
    )
    event = st.dataframe(
        _rows(traces),
        hide_index=True,
        key="traces_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "Duration (ms)": st.column_config.NumberColumn(format="%.0f"),
            "Cost (USD)": st.column_config.NumberColumn(format="$%.5f"),
            "Input": st.column_config.TextColumn(width="large"),
        },
    )
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if rows:
        state.set_param("trace", traces[rows[0]].get("trace_id", ""))
        st.rerun()
    with st.container(horizontal=True):
        if cursors and st.button("← Newer", key="newer"):
            cursors.pop()
            st.rerun()
        if page.get("next_cursor") and st.button("Older →", key="older"):
            cursors.append(str(page["next_cursor"]))
            st.rerun()
    dataset_actions.add_filter_button(query)


def main() -> None:
    trace_id = state.param("trace")
    if trace_id:
        state.keep([*_CHOICES, *_TEXT, "status", "sort", "failing"])
        if st.button("← All traces", key="back"):
            state.set_param("trace", None)
            state.set_param("span", None)
            st.rerun()
        show_trace(trace_id)
        return
    st.title("Traces")
    _table(_filter_bar())


main()
