"""Every page of the dashboard, run with Streamlit's AppTest against a real collector."""

from __future__ import annotations

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from llmpulse_dashboard.render import fmt_pct
from tests.dashboard.conftest import APP, Collector, Live, RunApp, api_get
from tests.e2e.conftest import free_port


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.error, *at.warning)]
    return "\n".join(str(p) for p in parts)


def _charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_overview_tiles_compare_with_the_previous_period(run_page: RunApp) -> None:
    at = run_page()
    _ok(at)
    tiles = _metrics(at)
    assert tiles["Traces"] == "5"
    assert tiles["Error rate"].endswith("%")
    assert tiles["p50 latency"].endswith(" s") and tiles["Cost"].startswith("$")
    deltas = {m.label: m.proto.delta for m in at.metric}
    # 5 traces now, 1 in the 24 hours before: too few to compare with (test_compare.py)
    assert deltas["Traces"] == deltas["Error rate"] == "no baseline"
    assert _charts(at) == 4  # latency, volume, tokens and cost, cost by model
    (models,) = at.dataframe
    assert set(models.value["Model"]) == {"gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5",
                                         "text-embedding-3-small"}  # fmt: skip


def test_sidebar_state_comes_from_the_url(run_page: RunApp) -> None:
    at = run_page(range="7d")
    _ok(at)
    assert at.sidebar.selectbox(key="range").value == "7d"
    assert _metrics(at)["Traces"] == "6"  # the 30-hour-old trace is in the window now
    at.sidebar.selectbox(key="range").set_value("1h").run()
    assert at.query_params["range"] in ("1h", ["1h"])
    assert _metrics(at)["Traces"] == "1"  # the second turn of alice's session, 50 minutes ago


def test_a_project_without_data_says_how_to_send_the_first_trace(
    run_page: RunApp, collector: Collector
) -> None:
    at = run_page(project="quiet")
    assert not at.exception
    assert at.sidebar.selectbox(key="project").value == "quiet"
    assert "No traces in last 24 hours" in at.info[0].value
    snippets = "\n".join(c.value for c in at.code)
    assert f"OTEL_EXPORTER_OTLP_ENDPOINT={collector.url}" in snippets
    assert f"LLMPULSE_API_KEY={collector.ingest_key}" in snippets
    assert "@llmpulse.observe" in snippets
    for page in ("traces", "sessions", "users", "cost"):
        at = run_page(page, project="quiet")
        assert not at.exception and not at.error, page
        assert any("OTEL_EXPORTER_OTLP_ENDPOINT" in c.value for c in at.code), page


@pytest.mark.parametrize("page", ["overview", "traces", "sessions", "users", "evaluations", "cost"])
def test_a_collector_that_is_down_gives_a_clear_message(
    run_page: RunApp, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    monkeypatch.setenv("LLMPULSE_API_URL", f"http://127.0.0.1:{free_port()}")
    at = run_page(page)
    assert not at.exception
    assert at.error, "expected an error message"
    message = at.error[0].value
    assert "Could not load" in message and "cannot reach the collector" in message


def test_without_a_key_the_dashboard_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLMPULSE_API_KEY", raising=False)
    monkeypatch.delenv("LLMPULSE_API_KEYS", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "No API key is configured" in at.warning[0].value


def test_traces_table_and_filters_from_the_url(run_page: RunApp, collector: Collector) -> None:
    at = run_page("traces")
    _ok(at)
    (table,) = at.dataframe
    assert len(table.value) == 5
    assert list(table.value["Name"]).count("answer_question") == 4
    assert set(table.value["Status"]) == {"ok", "error (2)"}  # the root and the LLM call

    at = run_page("traces", status="error")
    assert at.selectbox(key="status").value == "error"
    assert list(at.dataframe[0].value["User"]) == ["bob"]

    at = run_page("traces", model="gpt-4o", user_id="carol")
    assert at.selectbox(key="model").value == "gpt-4o"
    assert list(at.dataframe[0].value["Session"]) == ["sess-carol-1"]

    at = run_page("traces", user_id="nobody")
    assert "No traces match these filters" in at.info[0].value


def test_changing_a_filter_updates_the_url(run_page: RunApp) -> None:
    at = run_page("traces")
    at.selectbox(key="service").set_value("doc-search").run()
    assert at.query_params["service"] in ("doc-search", ["doc-search"])
    assert list(at.dataframe[0].value["Name"]) == ["search"]
    at.text_input(key="q").input("password").run()
    assert at.query_params["q"] in ("password", ["password"])


def test_an_unknown_trace_says_so(run_page: RunApp) -> None:
    at = run_page("traces", trace="f" * 32)
    assert not at.exception
    assert "no trace" in at.error[0].value and "Could not load trace" in at.error[0].value


def test_thumbs_and_a_comment_are_stored_as_feedback(
    run_page: RunApp, collector: Collector
) -> None:
    trace_id = collector.data.failed_assertion
    at = run_page("traces", trace=trace_id)
    at.feedback(key="feedback_rating").set_value(0)
    at.text_area(key="feedback_comment").input("made up a refund policy")
    at.form_submit_button[0].click().run()
    assert not at.exception
    stored = api_get(collector, f"/api/v1/traces/{trace_id}").json()["feedback"]
    assert [(f["name"], f["passed"], f["comment"]) for f in stored] == [
        ("rating", False, "made up a refund policy")
    ]
    assert any("made up a refund policy" in m.value for m in at.markdown)


def test_sessions_list_and_a_session_as_a_conversation(
    run_page: RunApp, collector: Collector
) -> None:
    at = run_page("sessions")
    _ok(at)
    (table,) = at.dataframe
    assert set(table.value["Session"]) == {"sess-alice-1", "sess-bob-1", "sess-carol-1"}
    turns = dict(zip(table.value["Session"], table.value["Turns"], strict=True))
    assert turns["sess-alice-1"] == 2

    at = run_page("sessions", session=collector.data.session)
    _ok(at)
    assert at.title[0].value == f"Session {collector.data.session}"
    assert _metrics(at)["Turns"] == "2"
    said = [md.value for m in at.chat_message for md in m.markdown]
    assert "How do I reset my password?" in said[0]
    assert said.index("And how do I rotate an API key?") > said.index(
        "Go to Settings → Security → Reset password."
    )
    assert "You are a helpful support assistant." not in said  # the turn, not the prompt


def test_users(run_page: RunApp) -> None:
    at = run_page("users", sort="cost_usd")
    _ok(at)
    assert at.selectbox(key="sort").value == "cost_usd"
    assert _metrics(at)["Users"] == "3"
    (table,) = at.dataframe
    assert set(table.value["User"]) == {"alice", "bob", "carol"}
    assert list(table.value["Cost (USD)"]) == sorted(table.value["Cost (USD)"], reverse=True)


def test_evaluations_put_failures_first_and_link_to_traces(run_page: RunApp) -> None:
    at = run_page("evaluations", assertion="cites_docs")
    _ok(at)
    assert int(_metrics(at)["Failed"]) >= 1  # human ratings from other tests may add to it
    assertions, failing, *_ = at.dataframe
    rows = assertions.value.set_index("Assertion")
    assert (rows.loc["cites_docs", "Failed"], rows.loc["cites_docs", "Passed"]) == (1, 2)
    assert list(assertions.value["Failed"]) == sorted(assertions.value["Failed"], reverse=True)
    assert at.selectbox(key="assertion").value == "cites_docs"
    assert list(failing.value["Explanation"]) == ["answer does not quote the docs"]
    assert list(failing.value["Span"]) == ["chat gpt-4o"]
    assert _charts(at) == 1


def test_cost_by_model_and_by_user_with_the_most_expensive_traces(run_page: RunApp) -> None:
    at = run_page("cost")
    _ok(at)
    assert _metrics(at)["Total cost"].startswith("$")
    breakdown, expensive = at.dataframe
    assert "gpt-4o" in set(breakdown.value["Model"])
    costs = list(expensive.value["Cost (USD)"])
    assert costs == sorted(costs, reverse=True) and len(costs) == 5
    assert _charts(at) == 2

    at = run_page("cost", by="user")
    _ok(at)
    assert set(at.dataframe[0].value["User"]) >= {"alice", "carol"}


def test_collector_answers_feedback_to_read_keys(collector: Collector) -> None:
    # the dashboard posts feedback with its read key: the contract it relies on
    resp = httpx.post(
        f"{collector.url}/api/v1/feedback",
        json={"trace_id": collector.data.search, "name": "rating", "value": True},
        headers={"Authorization": f"Bearer {collector.read_key}"},
    )
    assert resp.status_code == 201


def test_auto_refresh_is_a_toggle_kept_in_the_url(run_page: RunApp) -> None:
    at = run_page("traces", refresh="1")
    _ok(at)
    assert at.sidebar.toggle(key="refresh").value is True
    assert any(c.value.startswith("Refreshing every 30s") for c in at.sidebar.caption)
    assert at.query_params["refresh"] in ("1", ["1"])
    at.sidebar.toggle(key="refresh").set_value(False).run()
    assert "refresh" not in at.query_params


def test_evaluation_tiles_are_server_totals_of_assertions_without_feedback(
    live: Live, run_page: RunApp
) -> None:
    """Thumbs are human feedback, no assertion: they are in neither the tiles nor the
    assertions table (they used to lower the pass rate)."""
    for _ in range(3):
        answer = httpx.post(
            f"{live.url}/api/v1/feedback",
            headers={"Authorization": f"Bearer {live.ingest_key}"},
            json={"trace_id": live.data.chat, "name": "thumbs", "value": False},
        )
        assert answer.status_code == 201, answer.text
    summary = httpx.get(
        f"{live.url}/api/v1/evaluations/summary",
        headers={"Authorization": f"Bearer {live.read_key}"},
        params={"range": "24h"},
    ).json()
    totals = summary["totals"]["assertions"]
    assert summary["totals"]["feedback"]["failed"] == 3
    at = run_page("evaluations")
    _ok(at)
    tiles = _metrics(at)
    assert int(tiles["Failed"]) == totals["failed"] and int(tiles["Results"]) == totals["total"]
    assert tiles["Pass rate"] == fmt_pct(totals["pass_rate"])
    assertions = at.dataframe[0].value
    assert "thumbs" not in set(assertions["Assertion"])
