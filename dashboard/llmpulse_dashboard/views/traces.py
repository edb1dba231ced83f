"""Traces: a filter bar, the matching traces (newest first, with their total) and, for
a selected trace (``?trace=<id>``), the trace view.

Every filter is a widget whose key is its URL parameter. Links from other pages name an
exact user or session (``?user_id=`` / ``?session_id=``); typed into the filter bar,
users and sessions match a part of their id.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from llmpulse_dashboard import dataset_actions, paging, state, ui
from llmpulse_dashboard.api_types import TraceSummary
from llmpulse_dashboard.client import ApiError, ValueField
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
_RESULTS = {"": "Any result", "fail": "Failed", "pass": "Passed"}
#: experiment runs (traces tagged ``experiment:<name>``): production only by default
_EXPERIMENTS = {"exclude": "Production", "include": "+ Experiments", "only": "Experiments"}

# widget key (= URL parameter and API filter) -> (label, the /values field for its choices)
_CHOICES: dict[str, tuple[str, ValueField]] = {
    "service": ("Service", "services"),
    "model": ("Model", "models"),
    "name": ("Span name", "span_names"),
    "tag": ("Tag", "tags"),
    "version": ("Version", "versions"),  # service.version: which deploy
    "prompt_version": ("Prompt version", "prompt_versions"),
}
# text widget key (= URL parameter) -> (label, API parameter)
_TEXT = {
    "user": ("User contains", "user_id_contains"),
    "session": ("Session contains", "session_id_contains"),
    "q": ("Text in input/output", "q"),
}
# number widget key (= URL parameter) -> (label, API parameter)
_NUMBERS = {
    "min_ms": ("Latency from (ms)", "min_latency_ms"),
    "max_ms": ("Latency to (ms)", "max_latency_ms"),
    "min_cost": ("Cost from (USD)", "min_cost_usd"),
    "max_cost": ("Cost to (USD)", "max_cost_usd"),
}
#: exact filters that links set (plain URL parameters, shown with a button to clear)
_EXACT = {"user_id": "User", "session_id": "Session"}
#: every filter widget's key (= URL parameter) and default: kept while a trace is open
_WIDGET_DEFAULTS: dict[str, str | bool] = {
    **dict.fromkeys([*_CHOICES, *_TEXT, *_NUMBERS, "status", "assertion", "result", "meta"], ""),
    "sort": "start_time",
    "experiments": "exclude",
    "failing": False,
}


def _choices(field: ValueField) -> list[str]:
    window = ui.window()
    api = ui.client()
    if api is None:
        return []
    try:
        return [v["value"] for v in api.values(field, window.params(), limit=200)]
    except ApiError:
        return []  # the filter still works with the URL's value


def _choice_filter(key: str, label: str, field: ValueField) -> None:
    options = ["", *_choices(field)]
    current = st.session_state.get(key) or st.query_params.get(key, "")
    if current and current not in options:
        options.append(current)
    state.bind(key, "", options=options)
    st.selectbox(label, options, key=key, format_func=lambda v: v or "Any", persist_state="page")


def _select(key: str, label: str, options: dict[str, str]) -> None:
    state.bind(key, next(iter(options)), options=list(options))
    st.selectbox(
        label, list(options), key=key, format_func=options.__getitem__, persist_state="page"
    )


def _text(key: str, label: str, placeholder: str = "any") -> None:
    state.bind(key, "")
    st.text_input(label, key=key, placeholder=placeholder, persist_state="page")


def _filter_bar() -> tuple[dict[str, Any], list[str]]:
    """The API filters of the widgets, and what could not be read (said, not dropped)."""
    with st.container(border=True):
        choices = st.columns(len(_CHOICES) + 1)
        for col, (key, (label, field)) in zip(choices, _CHOICES.items(), strict=False):
            with col:
                _choice_filter(key, label, field)
        with choices[-1]:
            _select("status", "Status", _STATUS)
        cols = st.columns(5)
        for col, (key, (label, _)) in zip(cols, _TEXT.items(), strict=False):
            with col:
                _text(key, label)
        with cols[3]:
            _select("sort", "Order", _SORTS)
        with cols[4]:
            state.bind("failing", default=False)
            st.toggle("Failing assertions only", key="failing", persist_state="page")
        more = st.columns([2, 1, 1, 1, 1, 1, 2, 2])
        with more[0]:
            _choice_filter("assertion", "Assertion", "assertion_names")
        with more[1]:
            _select("result", "Result", _RESULTS)
        for col, (key, (label, _)) in zip(more[2:6], _NUMBERS.items(), strict=True):
            with col:
                _text(key, label)
        with more[6]:
            _text("meta", "Metadata", placeholder="key=value")
        with more[7]:
            _select("experiments", "Traffic", _EXPERIMENTS)
    return _filters()


def _filters() -> tuple[dict[str, Any], list[str]]:
    def text(key: str) -> str:
        return str(st.session_state.get(key) or "").strip()

    problems: list[str] = []
    filters: dict[str, Any] = {key: text(key) for key in [*_CHOICES, "status"]}
    filters |= {param: text(key) for key, (_, param) in _TEXT.items()}
    filters |= {key: state.param(key) for key in _EXACT}
    filters["assertion"] = text("assertion")
    filters["assertion_result"] = text("result")
    for key, (label, param) in _NUMBERS.items():
        raw = text(key)
        try:
            number = float(raw) if raw else None
        except ValueError:
            number = None
        if raw and (number is None or number < 0):
            problems.append(f"**{label}** must be a number ≥ 0, not `{raw}`")
        filters[param] = number
    meta = text("meta")
    key, sep, value = meta.partition("=")
    if meta and (not sep or not key.strip() or not value):
        problems.append(f"**Metadata** must be `key=value`, not `{meta}`")
    elif meta:
        filters["metadata"] = meta
    if st.session_state.get("failing"):
        filters["has_failing_assertion"] = True
    if text("experiments") in ("include", "only"):
        filters["experiments"] = text("experiments")
    return {k: v for k, v in filters.items() if v not in (None, "")}, problems


def _exact_filters() -> None:
    """The exact user/session a link named, each with a button to drop it."""
    named = {key: state.param(key) for key in _EXACT}
    for key, value in named.items():
        if not value:
            continue
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.caption(f"{_EXACT[key]} is exactly **{value}** (from a link)")
        if right.button(f"Any {_EXACT[key].lower()}", key=f"clear_{key}", icon=":material/close:"):
            state.set_param(key, None)
            st.rerun()


def _marks(trace: TraceSummary) -> str:
    passed, failed = trace.get("assertions_passed", 0), trace.get("assertions_failed", 0)
    return " ".join(
        part for part in (f"✗ {failed}" if failed else "", f"✓ {passed}" if passed else "") if part
    )


def _feedback(trace: TraceSummary) -> str:
    up, down = trace.get("feedback_positive", 0), trace.get("feedback_negative", 0)
    return " ".join(
        part for part in (f"👍 {up}" if up else "", f"👎 {down}" if down else "") if part
    )


def _rows(traces: list[TraceSummary]) -> list[dict[str, Any]]:
    started = f"Started ({ui.timezone_name()})"
    return [
        {
            started: ui.local_time(t.get("start_time")),
            "Name": t.get("name", ""),
            "Status": f"error ({t.get('errors')})" if t.get("errors") else "ok",
            "Duration (ms)": t.get("duration_ms"),
            "Assertions": _marks(t),
            "Score": t.get("avg_score"),
            "Feedback": _feedback(t),
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
    sort = str(st.session_state.get("sort") or "start_time")
    # a preset range by name: its end moves with the clock, the pages stay (paging.question)
    signature = repr(paging.question(window, repr(sorted(filters.items())), sort))
    if st.session_state.get("_lp_trace_query") != signature:  # new question: first page
        st.session_state["_lp_trace_query"] = signature
        cursors.clear()
    page = ui.call(
        "traces",
        lambda api: api.traces(
            query,
            limit=_PAGE_SIZE,
            cursor=cursors[-1] if cursors else None,
            sort=sort,
            with_total=True,
        ),
    )
    if page is None:
        return
    traces = page.get("traces", [])
    if not traces and not cursors:
        if filters:
            st.info("No traces match these filters in this time range.", icon=":material/search:")
        else:
            ui.empty_state()
        return
    total = page.get("total")
    first = len(cursors) * _PAGE_SIZE + 1
    shown = f"{first:,}–{first + len(traces) - 1:,}"
    of = f" of {total:,} traces" if total is not None else " traces"
    st.caption(
        f"{shown}{of} · {window.label.lower()} · times in {ui.timezone_name()} · "
        "select a row to open the trace"
    )
    chosen = ui.pick(
        _rows(traces),
        [t.get("trace_id", "") for t in traces],
        "traces_table",
        placeholder="—",
        column_config={
            "Duration (ms)": st.column_config.NumberColumn(format="%.0f"),
            "Score": st.column_config.NumberColumn(
                format="%.2f", help="Mean score of the trace's evaluations (not feedback)"
            ),
            "Cost (USD)": st.column_config.NumberColumn(format="$%.5f"),
            "Input": st.column_config.TextColumn(width="large"),
        },
    )
    if chosen:
        state.set_param("trace", chosen)
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
    for key in _EXACT:
        state.param(key)  # kept in the URL while a trace is open
    if trace_id:
        state.keep(_WIDGET_DEFAULTS)
        if st.button("← All traces", key="back"):
            state.set_param("trace", None)
            state.set_param("span", None)
            st.rerun()
        show_trace(trace_id)
        return
    st.title("Traces")
    filters, problems = _filter_bar()
    _exact_filters()
    if problems:
        st.warning("Not applied: " + "; ".join(problems) + ".", icon=":material/filter_alt_off:")
    _table(filters)


main()
