"""Users: who uses the app, what it costs and how often it fails for them."""

from __future__ import annotations

import streamlit as st

from llmpulse_dashboard import nav, paging, state, ui
from llmpulse_dashboard.api_types import PeopleTotals
from llmpulse_dashboard.render import fmt_cost, fmt_count, fmt_pct, percent

_SORTS = {
    "last_seen": "Most recent",
    "traces": "Most traces",
    "cost_usd": "Highest cost",
    "errors": "Most errors",
    "total_tokens": "Most tokens",
}


def main() -> None:
    st.title("Users")
    window = ui.window()
    left, _ = st.columns([2, 5])
    with left:
        state.bind("sort", "last_seen", options=list(_SORTS))
        st.selectbox("Order", list(_SORTS), key="sort", format_func=_SORTS.__getitem__)
    sort = str(st.session_state.get("sort") or "last_seen")
    loaded = paging.load(
        "users",
        "users_table",
        paging.question(window, sort),
        lambda api, cursor: api.users(
            window.params(), sort=sort, limit=paging.PAGE_SIZE, cursor=cursor
        ),
        lambda page: page["users"],
    )
    if loaded is None:
        return
    users = loaded.rows
    if not users:
        ui.empty_state("users")
        st.caption("Users come from the `user.id` attribute of your spans.")
        return
    total, totals = loaded.first.get("total"), loaded.first.get("totals") or PeopleTotals()
    cols = st.columns(4)  # the server's figures over every user, not sums of a page
    cols[0].metric("Users", fmt_count(total), border=True)
    cols[1].metric("Traces", fmt_count(totals.get("traces")), border=True)
    cols[2].metric("Cost", fmt_cost(totals.get("cost_usd")), border=True)
    cols[3].metric("Error spans", fmt_count(totals.get("errors")), border=True)
    zone = ui.timezone_name()
    rows = [
        {
            "User": u.get("user_id", ""),
            "Traces": u.get("traces", 0),
            "Sessions": u.get("sessions", 0),
            "Errors": u.get("errors", 0),
            "Error rate": percent(u.get("error_rate")),
            "Tokens": u.get("total_tokens", 0),
            "Cost (USD)": u.get("cost_usd", 0.0),
            f"First seen ({zone})": ui.local_time(u.get("first_seen")),
            f"Last seen ({zone})": ui.local_time(u.get("last_seen")),
        }
        for u in users
    ]
    st.caption("Select a user to see their sessions and traces")
    linked = state.param("user")  # the selected user is part of the link
    chosen = ui.pick(
        rows,
        [u.get("user_id", "") for u in users],
        "users_table",
        selected=linked,
        column_config={
            "Error rate": st.column_config.NumberColumn(format="%.1f%%"),
            "Cost (USD)": st.column_config.NumberColumn(format="$%.5f"),
        },
    )
    paging.load_more("users_table", loaded, total, "users")
    if (chosen or "") != linked:
        state.set_param("user", chosen)
    if not chosen:
        return
    user = next((u for u in users if u.get("user_id") == chosen), None)
    if user is None:
        where = (
            "among the users loaded so far (Load more above)"
            if loaded.more
            else f"in this list ({window.label.lower()})"
        )
        st.info(f"User **{chosen}** is not {where}.", icon=":material/person_off:")
        if st.button("Traces of this user", icon=":material/account_tree:", key="user_traces"):
            nav.go("traces", user_id=chosen)
        return
    with st.container(border=True):
        st.markdown(
            f"**{chosen}** · {user.get('traces', 0)} traces in {user.get('sessions', 0)} "
            f"sessions · {fmt_cost(user.get('cost_usd'))} · "
            f"error rate {fmt_pct(user.get('error_rate'))}"
        )
        left, right, _ = st.columns([1, 1, 3])
        if left.button("Sessions", icon=":material/forum:", key="user_sessions"):
            nav.go("sessions", user=chosen)
        if right.button("Traces", icon=":material/account_tree:", key="user_traces"):
            nav.go("traces", user_id=chosen)


main()
