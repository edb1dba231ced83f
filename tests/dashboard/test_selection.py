"""A selected row opens the item that was drawn in that row, also when new traffic
arrived and the list was fetched again between drawing and the click (the bug: the
row position was looked up in the list fetched after the click)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import Live, RunApp, later
from tests.dashboard.seed import Seeded, newer_traffic


def click(at: AppTest, table: str, row: int) -> AppTest:
    """Select row ``row`` of the table ``table`` (what a click sends) and rerun."""
    at.session_state[table] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def url(at: AppTest, key: str) -> str:
    value = at.query_params.get(key, "")
    return value[0] if isinstance(value, list) else str(value)


def table(at: AppTest, key: str) -> dict[str, list[object]]:
    found = next(t for t in at.dataframe if t.key == key)
    return {str(column): list(values) for column, values in found.value.items()}


# page, table key, (column, value) drawn in row 0, URL parameter it opens, expected value
CASES: list[tuple[str, str, tuple[str, str], str, Callable[[Seeded], str]]] = [
    ("traces", "traces_table", ("User", "alice"), "trace", lambda d: d.second_turn),
    ("users", "users_table", ("User", "alice"), "user", lambda d: "alice"),
    ("sessions", "sessions_table", ("Session", "sess-alice-1"), "session", lambda d: d.session),
    ("evaluations", "failing_table", ("Trace", "0" * 12), "trace", lambda d: d.failed_assertion),
    ("cost", "expensive_table", ("User", "carol"), "trace", lambda d: d.failed_assertion),
]


@pytest.mark.parametrize(("page", "key", "drawn", "param", "expected"), CASES)
def test_a_click_opens_the_row_that_was_drawn_despite_new_traffic(
    live: Live,
    run_page: RunApp,
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    key: str,
    drawn: tuple[str, str],
    param: str,
    expected: Callable[[Seeded], str],
) -> None:
    at = run_page(page)
    assert not at.exception, [e.message for e in at.exception]
    column, value = drawn
    assert table(at, key)[column][0] == value
    newer_traffic(live.url, live.ingest_key)  # a newer (and pricier) row 0 from now on
    later(monkeypatch)  # the dashboard's cached lists have expired
    click(at, key, 0)
    assert not at.exception, [e.message for e in at.exception]
    assert url(at, param) == expected(live.data)


def test_a_selected_user_stays_selected_when_the_list_changes(
    live: Live, run_page: RunApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = click(run_page("users"), "users_table", 0)
    assert url(at, "user") == "alice"
    newer_traffic(live.url, live.ingest_key)  # dave is the most recent user now
    later(monkeypatch)
    at.run()  # an auto-refresh: no click
    assert url(at, "user") == "alice"
    assert any("**alice**" in m.value for m in at.markdown)
    assert table(at, "users_table")["User"][:2] == ["dave", "alice"]
    assert at.session_state["users_table"]["selection"]["rows"] == [1]  # the highlight moved


def test_pick_resolves_a_click_against_the_rows_on_screen() -> None:
    """Every table (drift, feedback, ...) goes through ``ui.pick``: here its list changes
    between the draw and the click."""

    def script() -> None:
        import streamlit as st

        from llmpulse_dashboard import ui

        ids = st.session_state.get("ids", ["a", "b", "c"])
        rows = [{"id": i} for i in ids]
        st.session_state["picked"] = ui.pick(
            rows, ids, "t", selected=st.session_state.get("picked")
        )

    at = AppTest.from_function(script).run()
    at.session_state["ids"] = ["new", "a", "b", "c"]
    click(at, "t", 0)
    assert at.session_state["picked"] == "a"
    assert at.session_state["t"]["selection"]["rows"] == [1]
    at.run()  # nothing clicked: the choice stays
    assert at.session_state["picked"] == "a"
    click(at, "t", 2)  # "b" in the list drawn last
    assert at.session_state["picked"] == "b"
    at.session_state["t"] = {"selection": {"rows": [], "columns": [], "cells": []}}
    at.run()  # the click that clears the selection
    assert at.session_state["picked"] is None


def test_a_failed_assertion_opens_its_trace_with_that_span_and_assertion_selected(
    live: Live, run_page: RunApp
) -> None:
    at = click(run_page("evaluations"), "failing_table", 0)
    assert not at.exception, [e.message for e in at.exception]
    assert url(at, "trace") == live.data.failed_assertion
    assert url(at, "assertion") == "cites_docs"
    assert len(url(at, "span")) == 16  # the span that carried the failed assertion
