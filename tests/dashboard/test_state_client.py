"""Time windows, configuration, and the typed client against a real collector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from llmpulse_dashboard.client import ApiError, Client, CollectorUnreachable, EndpointMissing
from llmpulse_dashboard.config import load_config
from llmpulse_dashboard.state import time_window
from tests.dashboard.conftest import Collector
from tests.e2e.conftest import free_port


def test_time_windows_end_now_rounded_up_and_know_their_previous_period() -> None:
    now = datetime(2026, 11, 27, 10, 0, 3, tzinfo=UTC)
    window = time_window("1h", now)
    assert window.end == datetime(2026, 11, 27, 10, 0, 10, tzinfo=UTC)
    assert window.duration == timedelta(hours=1) and window.label == "Last hour"
    assert window.params() == {"from": "2026-11-27T09:00:10Z", "to": "2026-11-27T10:00:10Z"}
    previous = window.previous()
    assert previous.end == window.start and previous.duration == window.duration
    assert time_window("nonsense", now).key == "24h"


def test_config_reads_one_or_several_keys() -> None:
    config = load_config(
        {
            "LLMPULSE_API_URL": "http://collector:4318/",
            "LLMPULSE_API_KEY": "k1",
            "LLMPULSE_API_KEYS": " k2, k1 ,,k3",
            "LLMPULSE_DASHBOARD_REFRESH_SECONDS": "1",
        }
    )
    assert config.api_url == "http://collector:4318"
    assert config.api_keys == ("k1", "k2", "k3")
    assert config.refresh_seconds == 5.0  # at least 5 s
    assert load_config({}).api_url == "http://127.0.0.1:4318"


@pytest.fixture
def api(collector: Collector) -> Iterator[Client]:
    with Client(collector.url, collector.read_key) as client:
        yield client


def test_client_reads_traces_summaries_and_a_trace_tree(api: Client, collector: Collector) -> None:
    page = api.traces({"status": "error"})
    assert [t["trace_id"] for t in page["traces"]] == [collector.data.failing]
    summary = api.summary({}, compare=True)
    assert summary["groups"][0]["traces"] == 5
    trace = api.trace(collector.data.chat)
    (root,) = trace["roots"]
    assert root["name"] == "answer_question"
    assert [c["name"] for c in root["children"]] == [
        "search_docs",
        "chat gpt-4o-mini",
        "create_ticket",
    ]
    assert api.me()["project_id"] == "shop"


def test_errors_carry_the_servers_message(api: Client, collector: Collector) -> None:
    with pytest.raises(ApiError) as missing_trace:
        api.trace("f" * 32)
    assert missing_trace.value.status == 404
    assert "no trace" in str(missing_trace.value)
    assert str(missing_trace.value).startswith("GET /api/v1/traces/" + "f" * 32 + " failed (404)")
    with pytest.raises(ApiError) as bad_param:
        api.traces({"from": "yesterday"})
    assert bad_param.value.status == 400 and "ISO 8601" in bad_param.value.message
    with pytest.raises(ApiError) as bad_key, Client(collector.url, "lp_read_nope") as other:
        other.traces()
    assert bad_key.value.status == 401 and "LLMPULSE_API_KEY" in bad_key.value.message


def test_a_missing_endpoint_and_a_missing_collector_are_told_apart(api: Client) -> None:
    with pytest.raises(EndpointMissing) as missing:
        api._get("/no-such-endpoint")
    assert "does not serve GET /api/v1/no-such-endpoint" in str(missing.value)
    down = Client(f"http://127.0.0.1:{free_port()}", "k", timeout=2)
    with pytest.raises(CollectorUnreachable) as unreachable, down:
        down.summary({})
    assert "cannot reach the collector" in str(unreachable.value)
    assert "llmpulse up" in str(unreachable.value)


def test_get_answers_are_cached_until_feedback_is_posted(collector: Collector) -> None:
    with Client(collector.url, collector.read_key, cache_ttl=60) as api:
        _cached_until_feedback(api, collector)


def _cached_until_feedback(api: Client, collector: Collector) -> None:
    first = api.trace(collector.data.second_turn)
    assert api.trace(collector.data.second_turn) is first  # cached
    api.post_feedback(collector.data.second_turn, name="rating", value=True, comment="great")
    fresh = api.trace(collector.data.second_turn)
    assert fresh is not first
    assert [(f["name"], f["passed"], f["comment"]) for f in fresh["feedback"]] == [
        ("rating", True, "great")
    ]
