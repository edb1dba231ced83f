"""The alert engine on synthetic traffic with a known truth.

Timeline (T = a recent minute): steady traffic from T-70m (and a day earlier); a
regression (or none) in [T, T+10m); steady again until T+30m. Rules use a 10-minute
window (one evaluation interval) against the previous hour, or (drift) against the
same window a day earlier. The engine runs at T, T+10m, T+20m and T+30m:
a regression must fire at T+10m, reach the webhook, and resolve at T+20m; steady
traffic must never fire.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from llmpulse_collector.alerts import AlertEngine
from llmpulse_collector.alerts.state import list_events, load_states
from llmpulse_collector.store import Store
from llmpulse_collector.store.keys import create_project
from tests.collector.alerts.conftest import MINUTE_NS, Receiver, Regression, Traffic

RULES = """
notifiers:
  - {{name: hook, type: webhook, url: "{url}"}}
rules:
  - name: gpt-4o p95 latency up
    project: {project}
    metric: latency_p95
    filters: {{model: gpt-4o}}
    window: 10m
    baseline_window: 1h
    condition: {{kind: change, baseline: previous, op: ">", value: 0.5}}
    min_samples: 100
    severity: critical
  - name: grounded pass rate down
    project: {project}
    metric: pass_rate
    assertion: answer_is_grounded
    window: 10m
    baseline_window: 1h
    condition: {{kind: change, baseline: previous, relative: false, op: "<", value: -0.1}}
    min_samples: 100
  - name: cost per call up
    project: {project}
    metric: cost_per_call
    filters: {{model: gpt-4o-mini}}
    window: 10m
    baseline_window: 1h
    condition: {{kind: change, baseline: previous, op: ">", value: 1.0}}
    min_samples: 100
  - name: output length drift
    project: {project}
    metric: drift
    feature: output_chars
    window: 10m
    condition: {{kind: drift, baseline: day, level: drift}}
    min_samples: 200
  - name: error rate
    project: {project}
    metric: error_rate
    window: 10m
    condition: {{kind: threshold, op: ">", value: 0.05}}
    min_samples: 100
"""

REGRESSIONS: dict[str, tuple[Regression, str]] = {
    "latency_doubled": (Regression(latency={"gpt-4o": 2.0}), "gpt-4o p95 latency up"),
    "pass_rate_down_20_points": (Regression(pass_rate=0.7), "grounded pass rate down"),
    "cost_per_call_tripled": (Regression(cost={"gpt-4o-mini": 3.0}), "cost per call up"),
    "output_length_shifted": (Regression(output_length=1.8), "output length drift"),
}
DAY_NS = 24 * 60 * MINUTE_NS
STEADY_RUNS = int(os.environ.get("LLMPULSE_STEADY_RUNS", "20"))


def _now_minute() -> int:
    return (time.time_ns() // MINUTE_NS - 40) * MINUTE_NS


def _scenario(
    store: Store, tmp_path: Path, receiver: Receiver, seed: int, change: Regression | None
) -> tuple[AlertEngine, str, int]:
    project = create_project(store, f"shop-{seed}")
    t = _now_minute()
    traffic = Traffic(store, project, seed)
    traffic.write(t - 70 * MINUTE_NS, t)
    traffic.write(t, t + 10 * MINUTE_NS, change)
    traffic.write(t + 10 * MINUTE_NS, t + 30 * MINUTE_NS)
    traffic.write(t - DAY_NS - 10 * MINUTE_NS, t - DAY_NS + 30 * MINUTE_NS)  # a day earlier
    rules = tmp_path / f"rules-{seed}.yaml"
    rules.write_text(RULES.format(url=receiver.url, project=project))
    engine = AlertEngine(store, rules_file=rules, dashboard_url="http://dash.example")
    return engine, project, t


def _firing(results: list[Any]) -> set[str]:
    return {active.rule.name for active, ev in results if ev.status == "firing"}


def test_steady_traffic_raises_no_alert(
    store: Store, tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    """STEADY_RUNS evaluations, each over a fresh 10-minute window of one steady stream
    (each against the hour before it, and the drift rule against a day earlier): every
    rule measured, none fires, nothing is sent."""
    project = create_project(store, "steady")
    first = _now_minute() - STEADY_RUNS * 10 * MINUTE_NS
    last = first + (STEADY_RUNS - 1) * 10 * MINUTE_NS  # the last evaluation's time
    traffic = Traffic(store, project, 1000)
    traffic.write(first - 70 * MINUTE_NS, last)
    traffic.write(first - DAY_NS - 10 * MINUTE_NS, last - DAY_NS)  # a day earlier
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(url=receiver.url, project=project))
    engine = AlertEngine(store, rules_file=rules, dashboard_url="http://dash.example")
    quiet_runs = 0
    for run in range(STEADY_RUNS):
        results = engine.run_once(first + run * 10 * MINUTE_NS)
        assert len(results) == 5
        assert all(ev.status != "insufficient_data" for _, ev in results), results
        quiet_runs += not _firing(results)
    with capsys.disabled():
        print(f"\nsteady windows without any alert: {quiet_runs}/{STEADY_RUNS}")
    assert quiet_runs == STEADY_RUNS
    assert receiver.received == []


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_an_injected_regression_fires_notifies_and_resolves(
    name: str, store: Store, tmp_path: Path, receiver: Receiver
) -> None:
    change, rule_name = REGRESSIONS[name]
    engine, project, t = _scenario(store, tmp_path, receiver, 7, change)

    assert _firing(engine.run_once(t)) == set()
    assert _firing(engine.run_once(t + 10 * MINUTE_NS)) == {rule_name}  # one interval
    [firing] = receiver.wait_for(1)
    assert firing["event"] == "firing"
    assert firing["rule"]["name"] == rule_name
    assert firing["project_id"] == project
    assert firing["window"] == {"from_ns": t, "to_ns": t + 10 * MINUTE_NS}
    if name == "output_length_shifted":  # against the same window a day earlier
        assert firing["baseline_window"] == {
            "from_ns": t - DAY_NS,
            "to_ns": t - DAY_NS + 10 * MINUTE_NS,
        }
    else:
        assert firing["baseline_window"] == {"from_ns": t - 60 * MINUTE_NS, "to_ns": t}
    assert firing["link"].startswith("http://dash.example/")
    assert firing["value"] is not None and firing["message"]
    if name == "latency_doubled":
        assert 0.7 < firing["change"] < 1.4  # about +100%
        assert "vs the previous window" in firing["message"]
    if name == "pass_rate_down_20_points":
        assert -0.3 < firing["change"] < -0.1
        assert "points" in firing["message"]
    if name == "cost_per_call_tripled":
        assert 1.5 < firing["change"] < 2.6  # about +200%
    if name == "output_length_shifted":
        assert firing["verdict"] == "drift" and firing["value"] >= 0.2  # PSI

    assert _firing(engine.run_once(t + 20 * MINUTE_NS)) == set()
    resolved = receiver.wait_for(2)[1]
    assert resolved["event"] == "resolved" and resolved["rule"]["name"] == rule_name
    assert _firing(engine.run_once(t + 30 * MINUTE_NS)) == set()
    assert len(receiver.received) == 2  # nothing more once resolved

    events = list_events(store, project, t - MINUTE_NS, t + 60 * MINUTE_NS)
    assert [e["event"] for e in reversed(events)] == ["firing", "resolved"]
    assert all(e["notified"] for e in events)
    [state] = [s for s in load_states(store, project).values() if s.rule_name == rule_name]
    assert state.status == "ok" and state.since_ns == t + 20 * MINUTE_NS


def test_cooldown_and_renotify(store: Store, tmp_path: Path, receiver: Receiver) -> None:
    project = create_project(store, "shop")
    t = _now_minute()
    traffic = Traffic(store, project, 3, per_minute=5)
    traffic.write(t - 20 * MINUTE_NS, t + 40 * MINUTE_NS)
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        f"""
notifiers: [{{name: hook, type: webhook, url: "{receiver.url}"}}]
rules:
  - name: any traffic
    project: shop
    metric: volume
    window: 5m
    condition: {{kind: threshold, op: ">", value: 0}}
    renotify: 10m
"""
    )
    engine = AlertEngine(store, rules_file=rules)
    for minutes in (0, 5, 10, 15):
        engine.run_once(t + minutes * MINUTE_NS)
    assert [p["event"] for p in receiver.wait_for(2)] == ["firing", "renotify"]
    assert len(receiver.received) == 2


def test_insufficient_data_is_no_transition(
    store: Store, tmp_path: Path, receiver: Receiver
) -> None:
    project = create_project(store, "shop")
    t = _now_minute()
    Traffic(store, project, 5, per_minute=1).write(t - 10 * MINUTE_NS, t)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(url=receiver.url, project="shop"))
    results = AlertEngine(store, rules_file=rules).run_once(t)
    assert {ev.status for _, ev in results} == {"insufficient_data"}
    assert all("needed" in ev.message or "not enough" in ev.message for _, ev in results)
    assert receiver.received == []
