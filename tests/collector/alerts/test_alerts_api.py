"""``/api/v1/alerts``: rules CRUD, evaluate (the CI gate), state, history, test."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.collector.alerts.conftest import MINUTE_NS, Receiver, Regression, Traffic
from tests.collector.api.conftest import Api

RULE = {
    "name": "errors",
    "metric": "error_rate",
    "window": "10m",
    "condition": {"kind": "threshold", "op": ">", "value": 0.05},
    "min_samples": 10,
}


def test_rules_crud(make_api: Callable[..., Api]) -> None:
    api = make_api()
    admin = api.headers(api.admin_key)
    created = api.client.post("/api/v1/alerts/rules", json=RULE, headers=admin)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    assert (
        api.client.post(
            "/api/v1/alerts/rules", json=RULE, headers=api.headers(api.read_key)
        ).status_code
        == 403
    )
    [listed] = api.get("/api/v1/alerts/rules").json()["rules"]
    assert listed["id"] == rule_id and listed["rule"]["name"] == "errors"
    changed = api.client.put(
        f"/api/v1/alerts/rules/{rule_id}", json={**RULE, "severity": "critical"}, headers=admin
    )
    assert changed.status_code == 200
    assert api.get(f"/api/v1/alerts/rules/{rule_id}").json()["rule"]["severity"] == "critical"
    assert api.client.delete(f"/api/v1/alerts/rules/{rule_id}", headers=admin).status_code == 200
    assert api.get(f"/api/v1/alerts/rules/{rule_id}").status_code == 404
    bad = api.client.post("/api/v1/alerts/rules", json={**RULE, "metric": "x"}, headers=admin)
    assert bad.status_code == 400 and "metric must be one of" in bad.json()["error"]["message"]


def test_evaluate_is_a_stateless_gate(make_api: Callable[..., Api]) -> None:
    api = make_api()
    now = (time.time_ns() // MINUTE_NS - 5) * MINUTE_NS
    Traffic(api.store, api.project, 1, per_minute=5).write(now - 10 * MINUTE_NS, now)
    rules = [
        RULE,
        {
            **RULE,
            "name": "volume",
            "metric": "volume",
            "condition": {"kind": "threshold", "op": "<", "value": 5},
        },
    ]
    resp = api.client.post(
        "/api/v1/alerts/evaluate",
        json={"rules": rules, "at": str(now / 1e9)},
        headers=api.headers(api.read_key),
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["firing"] == 0
    assert [r["status"] for r in body["results"]] == ["ok", "ok"]
    assert body["results"][1]["value"] == 100
    assert api.get("/api/v1/alerts/history").json()["events"] == []


def test_engine_state_and_history_through_the_api(
    make_api: Callable[..., Api], tmp_path: Path, receiver: Receiver
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        f"""
notifiers: [{{name: hook, type: webhook, url: "{receiver.url}"}}]
rules:
  - name: gpt-4o latency
    project: shop
    metric: latency_p50
    filters: {{model: gpt-4o}}
    window: 10m
    condition: {{kind: threshold, op: ">", value: 1500}}
    min_samples: 10
"""
    )
    api = make_api(alerts_enabled=True, alert_rules_file=rules, alert_interval_seconds=3600)
    engine = api.client.app.state.runtime.alerts  # type: ignore[attr-defined]
    now = (time.time_ns() // MINUTE_NS - 5) * MINUTE_NS
    traffic = Traffic(api.store, api.project, 2, per_minute=5)
    traffic.write(now - 10 * MINUTE_NS, now, Regression(latency={"gpt-4o": 3.0}))
    engine.run_once(now)

    [state] = api.get("/api/v1/alerts/state").json()["states"]
    assert state["status"] == "firing" and state["rule_id"] == "file:gpt-4o latency"
    [event] = api.get("/api/v1/alerts/history").json()["events"]
    assert event["event"] == "firing" and event["notified"] is True
    assert event["payload"]["rule"]["name"] == "gpt-4o latency"
    [listed] = api.get("/api/v1/alerts/rules").json()["rules"]
    assert listed["source"] == "file"
    assert receiver.wait_for(1)[0]["event"] == "firing"

    sent = api.client.post(
        "/api/v1/alerts/test", json={}, headers=api.headers(api.admin_key)
    ).json()
    assert sent == {"sent": {"hook": True}}
    assert receiver.wait_for(2)[1]["event"] == "test"


def test_an_api_rule_notifies_its_own_webhook_and_hides_its_url_from_readers(
    make_api: Callable[..., Api], tmp_path: Path, receiver: Receiver
) -> None:
    rules = tmp_path / "rules.yaml"  # a configured notifier the rule does not name
    rules.write_text('notifiers: [{name: ops, type: webhook, url: "http://127.0.0.1:9/nowhere"}]\n')
    api = make_api(alerts_enabled=True, alert_rules_file=rules, alert_interval_seconds=3600)
    rule = {
        **RULE,
        "metric": "latency_p50",
        "condition": {"kind": "threshold", "op": ">", "value": 1500},
        "notifiers": [{"name": "webhook", "type": "webhook", "url": f"{receiver.url}/secret"}],
    }
    admin = api.headers(api.admin_key)
    created = api.client.post("/api/v1/alerts/rules", json=rule, headers=admin)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    [as_admin] = api.client.get("/api/v1/alerts/rules", headers=admin).json()["rules"]
    assert as_admin["rule"]["notifiers"][0]["url"] == f"{receiver.url}/secret"
    as_reader = api.get(f"/api/v1/alerts/rules/{rule_id}").json()
    host = "/".join(receiver.url.split("/")[:3])  # http://127.0.0.1:PORT
    assert as_reader["rule"]["notifiers"][0]["url"] == f"{host}/…"

    engine = api.client.app.state.runtime.alerts  # type: ignore[attr-defined]
    engine.notifiers[0].attempts = 1  # the unnamed "ops" must not be tried at all
    now = (time.time_ns() // MINUTE_NS - 5) * MINUTE_NS
    traffic = Traffic(api.store, api.project, 4, per_minute=5)
    traffic.write(
        now - 10 * MINUTE_NS, now, Regression(latency={"gpt-4o": 3.0, "gpt-4o-mini": 5.0})
    )
    engine.run_once(now)
    [fired] = receiver.wait_for(1)
    assert fired["event"] == "firing" and fired["rule"]["name"] == "errors"
    [event] = api.get("/api/v1/alerts/history").json()["events"]
    assert event["notified"] is True  # only its own webhook was used, and it answered
