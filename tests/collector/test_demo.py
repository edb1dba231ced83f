"""The demo: an app instrumented with the llmpulse SDK the way a user would do it, and a
history that tells a story (a deploy that made LLM calls slower, failing assertions on
one route, one user's cost spike) which the query API, drift and alerts all show."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from llmpulse.testing import capture_spans
from llmpulse_collector import demo
from llmpulse_collector.store.keys import create_key, create_project
from tests.dashboard.conftest import serve_collector


@dataclass(frozen=True)
class Story:
    url: str
    read_key: str
    admin_key: str
    sent: int
    now: float


def test_a_live_demo_turn_is_a_four_span_trace_with_an_llm_call() -> None:
    with capture_spans() as captured:
        turn = demo._live_app(random.Random(3), time_scale=0.01)
        turn()
    by_name = {s["name"]: s for s in captured.as_dicts()}
    assert set(by_name) == {"answer_question", "search_docs", "chat", "create_ticket"}
    chat = by_name["chat"]["attributes"]
    assert chat["llmpulse.span_type"] == "llm"
    assert chat["gen_ai.response.model"] in {m.model for m in demo.MODELS}
    assert chat["gen_ai.usage.input_tokens"] > 0
    assert by_name["answer_question"]["attributes"]["session.id"].startswith("sess-user-")


@pytest.fixture(scope="module")
def story(chdb_url: str) -> Iterator[Story]:
    """Two and a half days of demo history (the story lives in the last two) sent to a
    real collector over OTLP/HTTP, with the alert engine running every second."""
    with serve_collector(chdb_url, "demo", alerts_enabled=True, alert_interval_seconds=1) as served:
        project = create_project(served.store, "default")
        ingest = create_key(served.store, project, "ingest")
        sent = demo.backfill(served.url, ingest, days=2.5, older_per_hour=10)
        yield Story(
            served.url,
            create_key(served.store, project, "read"),
            create_key(served.store, project, "admin"),
            sent,
            time.time(),
        )


def _get(story: Story, path: str, **params: Any) -> Any:
    resp = httpx.get(
        f"{story.url}/api/v1/{path}",
        params=params,
        headers={"Authorization": f"Bearer {story.read_key}"},
        timeout=60,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _last_day(story: Story) -> dict[str, str]:
    return {"from": str(int(story.now - 86_400)), "to": str(int(story.now))}


def test_the_history_arrives_in_full(story: Story) -> None:
    summary = _get(story, "metrics/summary", **{"from": str(int(story.now - 3 * 86_400))})
    assert sum(g["traces"] for g in summary["groups"]) == story.sent
    assert story.sent > 48 * 120  # the last two days at full rate, then the older days


def test_drift_default_windows_see_the_deploy_in_latency(story: Story) -> None:
    """The Drift page's defaults: the last 24 h against the 24 h before."""
    report = _get(story, "drift", **_last_day(story), features="latency")
    [group] = report["groups"]
    [latency] = [f for f in group["features"] if f["feature"] == "latency"]
    assert latency["verdict"] == "drift", latency


def test_llm_calls_got_slower_after_the_deploy(story: Story) -> None:
    def llm_p95(hours_from: float, hours_to: float) -> float:
        window = {"from": str(int(story.now - hours_from * 3600)),
                  "to": str(int(story.now - hours_to * 3600))}  # fmt: skip
        groups = _get(story, "metrics/summary", **window, group_by="span_type")["groups"]
        [llm] = [g for g in groups if g["group"] == "llm"]
        return float(llm["llm_latency_ms"]["p95"])

    before, after = llm_p95(40, demo.DEPLOY_HOURS_AGO + 1), llm_p95(demo.DEPLOY_HOURS_AGO - 1, 0)
    assert after > 1.8 * before, (before, after)


def test_failing_assertions_concentrate_on_one_route(story: Story) -> None:
    failing = _get(story, "evaluations/failing", **_last_day(story), limit=1000)["evaluations"]
    by_route = Counter(e["span_name"] for e in failing)
    worst, count = by_route.most_common(1)[0]
    assert worst == "refund_request"
    assert count > 0.6 * len(failing), by_route  # a fifth of the traffic, most failures


def test_one_user_makes_most_of_the_cost(story: Story) -> None:
    groups = _get(story, "cost", **_last_day(story), group_by="user")["groups"]
    assert groups[0]["group"] == demo.SPIKE_USER
    assert groups[0]["share"] > 0.4, groups[:3]
    assert groups[1]["share"] < 0.1, groups[:3]


def test_the_demo_alert_rule_fires_on_the_regression(story: Story) -> None:
    assert demo.install_alert_rule(story.url, story.admin_key)
    assert not demo.install_alert_rule(story.url, story.admin_key)  # once
    deadline = time.monotonic() + 60
    while True:
        states = _get(story, "alerts/state")["states"]
        mine = [s for s in states if s["rule_name"] == demo.DEMO_ALERT_RULE["name"]]
        if mine and mine[0]["status"] == "firing":
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.5)
    [event] = _get(story, "alerts/history")["events"]
    assert event["event"] == "firing"
    assert "vs the day window" in event["message"], event["message"]
