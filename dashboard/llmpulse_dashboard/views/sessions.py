"""Sessions: conversations (traces sharing a session id) with their cost, volume and
errors; a selected session (``?session=<id>``) opens as its conversation."""

from __future__ import annotations

import streamlit as st

from llmpulse_dashboard import nav, paging, state, ui
from llmpulse_dashboard.api_types import PeopleTotals, SessionTurn
from llmpulse_dashboard.render import (
    chat_text,
    fmt_cost,
    fmt_count,
    fmt_ms,
    messages_from,
    show_messages,
    show_payload,
    turn_messages,
)


def _turn(number: int, trace: SessionTurn) -> None:
    trace_id = trace.get("trace_id", "")
    with st.container(border=True):
        info, action = st.columns([5, 1], vertical_alignment="center")
        status = f"{trace.get('errors')} errors" if trace.get("errors") else "ok"
        info.caption(
            f"Turn {number} · {ui.local_time(trace.get('start_time'))} {ui.timezone_name()} · "
            f"{fmt_ms(trace.get('duration_ms'))} · {fmt_cost(trace.get('cost_usd'))} · {status}"
        )
        if action.button("Open trace", key=f"open_{trace_id}", icon=":material/open_in_new:"):
            nav.go("traces", trace=trace_id)
        messages = messages_from(trace.get("messages") or None)
        if messages:
            show_messages(turn_messages(messages))
            return
        with st.chat_message("user"):
            show_payload(chat_text(trace.get("input", "") or trace.get("input_preview", "")))
        with st.chat_message("assistant"):
            show_payload(chat_text(trace.get("output", "") or trace.get("output_preview", "")))


def _conversation(session_id: str) -> None:
    loaded = paging.load(
        f"session {session_id}",
        "session_turns",
        ("session", session_id),
        lambda api, cursor: api.session(session_id, limit=paging.PAGE_SIZE, cursor=cursor),
        lambda page: page["traces"],
    )
    if loaded is None:
        return
    detail, traces = loaded.first, loaded.rows
    st.title(f"Session {session_id}")
    st.caption(
        f"User {detail.get('user_id') or '–'} · {ui.local_time(detail.get('first_seen'))} → "
        f"{ui.local_time(detail.get('last_seen'))} {ui.timezone_name()}"
    )
    totals = detail.get("totals") or PeopleTotals()
    cols = st.columns(4)  # the server's figures over every turn, not sums of the pages shown
    cols[0].metric("Turns", fmt_count(detail.get("total")), border=True)
    cols[1].metric("Cost", fmt_cost(totals.get("cost_usd")), border=True)
    cols[2].metric("Tokens", fmt_count(totals.get("total_tokens")), border=True)
    cols[3].metric("Errors", fmt_count(totals.get("errors")), border=True)
    for number, trace in enumerate(traces, start=1):
        _turn(number, trace)
    paging.load_more("session_turns", loaded, detail.get("total"), "turns (oldest first)")


def _list() -> None:
    st.title("Sessions")
    window = ui.window()
    left, right, _ = st.columns([2, 2, 3])
    with left:
        state.bind("q", "")
        st.text_input("Session id contains", key="q", placeholder="any", persist_state="page")
    with right:
        state.bind("user", "")
        st.text_input("User", key="user", placeholder="any", persist_state="page")
    user = str(st.session_state.get("user") or "").strip() or None
    q = str(st.session_state.get("q") or "").strip() or None
    loaded = paging.load(
        "sessions",
        "sessions_table",
        paging.question(window, user, q),
        lambda api, cursor: api.sessions(
            window.params(), user_id=user, q=q, limit=paging.PAGE_SIZE, cursor=cursor
        ),
        lambda page: page["sessions"],
    )
    if loaded is None:
        return
    sessions = loaded.rows
    if not sessions:
        if q or user:
            st.info("No sessions match in this time range.", icon=":material/search:")
        else:
            ui.empty_state("sessions")
            st.caption("Sessions group traces by the `session.id` attribute.")
        return
    total, totals = loaded.first.get("total"), loaded.first.get("totals") or PeopleTotals()
    cols = st.columns(4)  # the server's figures over every session, not sums of a page
    cols[0].metric("Sessions", fmt_count(total), border=True)
    cols[1].metric("Turns", fmt_count(totals.get("traces")), border=True)
    cols[2].metric("Cost", fmt_cost(totals.get("cost_usd")), border=True)
    cols[3].metric("Error spans", fmt_count(totals.get("errors")), border=True)
    st.caption("Newest first · select one to read the conversation")
    rows = [
        {
            "Session": s.get("session_id", ""),
            "User": s.get("user_id", ""),
            "Turns": s.get("traces", 0),
            f"Last seen ({ui.timezone_name()})": ui.local_time(s.get("last_seen")),
            "Duration": fmt_ms(s.get("duration_ms")),
            "Tokens": s.get("total_tokens", 0),
            "Cost (USD)": s.get("cost_usd", 0.0),
            "Errors": s.get("errors", 0),
        }
        for s in sessions
    ]
    chosen = ui.pick(
        rows,
        [s.get("session_id", "") for s in sessions],
        "sessions_table",
        column_config={"Cost (USD)": st.column_config.NumberColumn(format="$%.5f")},
    )
    paging.load_more("sessions_table", loaded, total, "sessions")
    if chosen:
        state.set_param("session", chosen)
        st.rerun()


def main() -> None:
    session_id = state.param("session")
    if session_id:
        state.keep({"q": "", "user": ""})
        if st.button("← All sessions", key="back"):
            state.set_param("session", None)
            st.rerun()
        _conversation(session_id)
        return
    _list()


main()
