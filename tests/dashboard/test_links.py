"""Deep links: a link's URL parameters win over what the page's widgets held before,
a trace link keeps the list's filters and sort, the selected user is in the URL, and
a URL value that is not valid says so."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import Collector, RunApp
from tests.dashboard.test_selection import click, table, url


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_traces_of_a_user_from_the_trace_view_are_that_users_traces(run_page: RunApp) -> None:
    at = run_page("traces", range="7d")
    at.text_input(key="q").input("rotate").run()  # a filter typed before
    assert table(at, "traces_table")["User"] == ["alice"]
    click(at, "traces_table", 0)  # opens alice's first turn
    _ok(at)
    link = next(b for b in at.button if b.label == "Traces of alice")  # in the trace view
    link.click().run()
    _ok(at)
    assert url(at, "trace") == ""
    assert url(at, "user_id") == "alice"
    assert any("exactly **alice**" in c.value for c in at.caption)
    assert at.text_input(key="q").value == ""  # the link names the whole view
    assert set(table(at, "traces_table")["User"]) == {"alice"}
    assert len(table(at, "traces_table")["User"]) == 3  # 7 days: the old turn too
    assert url(at, "range") == "7d"  # the sidebar's range came along


def test_a_link_wins_over_widget_state_on_navigation(run_page: RunApp) -> None:
    at = run_page("traces")
    at.selectbox(key="status").set_value("error").run()
    assert table(at, "traces_table")["User"] == ["bob"]
    at.query_params.clear()  # a link to this page, opened in the same session
    at.query_params["user_id"] = "carol"
    at.run()
    _ok(at)
    assert at.selectbox(key="status").value == ""
    assert table(at, "traces_table")["Session"] == ["sess-carol-1"]


def test_a_trace_link_keeps_the_lists_filters_and_sort(
    run_page: RunApp, collector: Collector
) -> None:
    at = run_page("traces", service="support-bot", sort="duration_ms")
    order = table(at, "traces_table")["User"]
    click(at, "traces_table", 1)
    assert url(at, "trace") and url(at, "service") == "support-bot"
    assert url(at, "sort") == "duration_ms"
    # the link, opened afresh (another browser): the list behind it is the same
    fresh = run_page("traces", trace=url(at, "trace"), service="support-bot", sort="duration_ms")
    assert not fresh.exception
    assert url(fresh, "service") == "support-bot" and url(fresh, "sort") == "duration_ms"
    fresh.button(key="back").click().run()
    _ok(fresh)
    assert fresh.selectbox(key="service").value == "support-bot"
    assert fresh.selectbox(key="sort").value == "duration_ms"
    assert table(fresh, "traces_table")["User"] == order


def test_the_selected_user_is_in_the_url(run_page: RunApp) -> None:
    at = run_page("users", user="bob")
    _ok(at)
    assert any("**bob**" in m.value for m in at.markdown)
    assert at.session_state["users_table"]["selection"]["rows"] == [
        table(at, "users_table")["User"].index("bob")
    ]
    click(at, "users_table", table(at, "users_table")["User"].index("carol"))
    assert url(at, "user") == "carol"


def test_an_invalid_range_says_so(run_page: RunApp) -> None:
    at = run_page("overview", range="2y")
    assert not at.exception
    (warning,) = at.warning
    assert "range=2y" in warning.value
    for valid in ("15m", "1h", "24h", "7d", "30d"):
        assert f"`{valid}`" in warning.value
    assert at.sidebar.selectbox(key="range").value == "24h"


def test_a_linked_user_outside_the_list_says_so(run_page: RunApp) -> None:
    at = run_page("users", user="nobody")
    _ok(at)
    assert "**nobody** is not in this list" in at.info[0].value
    assert at.session_state["users_table"]["selection"]["rows"] == []
