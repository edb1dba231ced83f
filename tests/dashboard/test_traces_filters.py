"""The Traces table's filters and columns: assertion name and result, latency and cost
ranges, metadata, parts of user and session ids, the total count, score and feedback
columns, and times in the viewer's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import APP, Collector, Live, RunApp, api_get
from tests.dashboard.seed import deployed_turn, experiment_item
from tests.dashboard.test_selection import table, url


def users(at: AppTest) -> list[object]:
    assert not at.exception, [e.message for e in at.exception]
    return table(at, "traces_table")["User"]


def test_assertion_filter_and_the_assertion_and_score_columns(run_page: RunApp) -> None:
    at = run_page("traces", assertion="cites_docs", result="fail")
    assert at.selectbox(key="assertion").value == "cites_docs"
    assert users(at) == ["carol"]
    rows = table(at, "traces_table")
    assert rows["Assertions"] == ["✗ 1"] and rows["Score"] == [0.0]
    at.selectbox(key="result").set_value("pass").run()
    assert users(at) == ["alice", "alice"]
    assert table(at, "traces_table")["Assertions"] == ["✓ 1", "✓ 1"]
    assert url(at, "result") == "pass"
    at.selectbox(key="result").set_value("").run()
    assert sorted(map(str, users(at))) == ["alice", "alice", "carol"]  # has a result


def test_latency_and_cost_ranges(run_page: RunApp) -> None:
    at = run_page("traces", min_ms="1000")
    assert "" not in users(at) and len(users(at)) == 4  # not the 180 ms search
    at.text_input(key="min_ms").input("").run()
    at.text_input(key="max_ms").input("500").run()
    assert users(at) == [""]  # only the search
    at.text_input(key="max_ms").input("").run()
    costs = [c for c in table(at, "traces_table")["Cost (USD)"] if c]
    cheapest = min(costs)
    at.text_input(key="max_cost").input(f"{cheapest:.10f}").run()
    assert all(c is None or c <= cheapest for c in table(at, "traces_table")["Cost (USD)"])
    assert url(at, "max_cost") == f"{cheapest:.10f}"


def test_a_bad_number_is_said_and_the_rest_still_applies(run_page: RunApp) -> None:
    at = run_page("traces", min_ms="fast", status="error")
    assert "Latency from (ms)" in at.warning[0].value and "`fast`" in at.warning[0].value
    assert users(at) == ["bob"]


def test_metadata_and_parts_of_user_and_session_ids(run_page: RunApp) -> None:
    at = run_page("traces", meta="plan=enterprise")
    assert users(at) == ["carol"]
    at = run_page("traces", user="AL")  # part of "alice", any case
    assert users(at) == ["alice", "alice"]
    at = run_page("traces", session="bob")
    assert table(at, "traces_table")["Session"] == ["sess-bob-1"]
    at = run_page("traces", meta="plan")
    assert "key=value" in at.warning[0].value


def test_the_total_counts_every_page(run_page: RunApp) -> None:
    at = run_page("traces", range="7d")
    assert any(c.value.startswith("1–6 of 6 traces") for c in at.caption)
    at = run_page("traces", status="error")
    assert any(c.value.startswith("1–1 of 1 traces") for c in at.caption)


def test_experiment_runs_only_when_asked(live: Live, run_page: RunApp) -> None:
    experiment_item(live.url, live.ingest_key)  # the newest trace, a failed answer
    at = run_page("traces")
    assert at.selectbox(key="experiments").value == "exclude"
    assert len(users(at)) == 5 and "experiment:terse" not in table(at, "traces_table")["Tags"]
    at.selectbox(key="experiments").set_value("include").run()
    assert len(users(at)) == 6 and url(at, "experiments") == "include"
    at.selectbox(key="experiments").set_value("only").run()
    assert table(at, "traces_table")["Tags"] == ["experiment:terse"]
    # production's evaluations: the run's failed answer is not among them
    at = run_page("evaluations")
    assert not at.exception, [e.message for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Failed"] == "1"
    assert table(at, "failing_table")["Trace"] == [live.data.failed_assertion[:12]]


def test_the_trace_header_names_the_deploy_and_links_its_traces(
    live: Live, run_page: RunApp
) -> None:
    trace = deployed_turn(live.url, live.ingest_key, "1.5.0", "support-v8")
    at = run_page("traces", trace=trace)
    assert not at.exception, [e.message for e in at.exception]
    header = next(c.value for c in at.caption if c.value.startswith("Trace `"))
    assert "version **1.5.0** · prompt **support-v8**" in header
    next(b for b in at.button if b.label == "Traces of version 1.5.0").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert url(at, "version") == "1.5.0" and url(at, "trace") == ""
    assert at.selectbox(key="version").value == "1.5.0"
    assert users(at) == ["erin"]  # the seeded traces carry no version
    at.selectbox(key="version").set_value("").run()
    assert len(users(at)) == 6
    assert at.selectbox(key="prompt_version").options == ["Any", "support-v8"]
    at.selectbox(key="prompt_version").set_value("support-v8").run()
    assert users(at) == ["erin"] and url(at, "prompt_version") == "support-v8"


def test_feedback_column(live: Live, run_page: RunApp) -> None:
    for value in (True, True, False):
        resp = httpx.post(
            f"{live.url}/api/v1/feedback",
            json={"trace_id": live.data.chat, "name": "rating", "value": value},
            headers={"Authorization": f"Bearer {live.read_key}"},
        )
        assert resp.status_code == 201, resp.text
    at = run_page("traces")
    rows = table(at, "traces_table")
    chat = rows["Input"].index('{"question": "How do I reset my password?"}')
    assert rows["Feedback"][chat] == "👍 2 👎 1"
    assert rows["Score"][chat] == 1.0  # its assertion's score; feedback is no score
    assert rows["Feedback"].count("") == len(rows["Feedback"]) - 1


def test_times_are_in_the_viewers_time_zone(run_page: RunApp) -> None:
    utc = run_page("traces")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.context["timezone"] = "Asia/Kolkata"  # UTC+05:30
    at.run()
    at.switch_page("views/traces.py").run()
    assert not at.exception
    local = table(at, "traces_table")["Started (Asia/Kolkata)"]
    in_utc = table(utc, "traces_table")["Started (UTC)"]
    shifted = [
        (datetime.fromisoformat(str(t)) + timedelta(hours=5, minutes=30)).isoformat(" ")
        for t in in_utc
    ]
    assert local == shifted
    assert any("times in Asia/Kolkata" in c.value for c in at.caption)


def test_a_custom_time_range(run_page: RunApp, collector: Collector) -> None:
    turn = api_get(collector, f"/api/v1/traces/{collector.data.second_turn}").json()
    minute = turn["start_time_ns"] // 60_000_000_000 * 60  # the pickers show minutes
    start, end = str(minute - 300), str(minute + 300)
    at = run_page("traces", range="custom", start=start, end=end)
    assert table(at, "traces_table")["Input"] == ['{"question": "And how do I rotate an API key?"}']
    assert (url(at, "start"), url(at, "end")) == (start, end)
    picked = at.sidebar.get("date_time_input")
    assert len(picked) == 2
    at.sidebar.selectbox(key="range").set_value("24h").run()
    assert len(table(at, "traces_table")["Input"]) == 5
    assert "start" not in at.query_params and "end" not in at.query_params
