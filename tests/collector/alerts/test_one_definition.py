"""One definition per metric: on the same data, p95 latency is the same number in
``/metrics/summary``, in its ``group_by=service`` row and in an alert rule, and the
definitions are served at ``/metrics/definitions``."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from llmpulse_collector.alerts.evaluate import evaluate_rule
from llmpulse_collector.alerts.rules import AlertRule
from llmpulse_collector.store.metricdefs import METRICS, MIN_BASELINE_SAMPLES
from tests.collector.api.conftest import Api
from tests.collector.conftest import make_evaluation, make_span

MS = 1_000_000


def _seed(api: Api, now_ns: int) -> None:
    """20 traces of service ``a``: a root span of 1000..1019 ms and four 10 ms tool
    spans each (the trace latency is the root's, not a mix with its children)."""
    rows = []
    for i in range(20):
        start = now_ns - 30 * 60 * 1_000_000_000 + i * 1_000_000_000
        trace = f"{0xC0DE00 + i:032x}"
        root = f"{0xC0DE00 + i:016x}"
        rows.append(
            make_span(
                project_id=api.project,
                trace_id=trace,
                span_id=root,
                service_name="a",
                span_type="chain",
                model="",
                start_time=start,
                end_time=start + (1000 + i) * MS,
            )
        )
        for k in range(4):
            rows.append(
                make_span(
                    project_id=api.project, trace_id=trace, span_id=f"{k + 1:04x}{root[4:]}",
                    parent_span_id=root, service_name="a", span_type="tool", model="",
                    start_time=start + k * 20 * MS, end_time=start + (k * 20 + 10) * MS,
                )
            )  # fmt: skip
    api.store.insert_spans(rows)


def test_p95_is_the_same_in_summary_group_by_and_alert(make_api: Callable[..., Api]) -> None:
    api = make_api()
    now_ns = time.time_ns()
    _seed(api, now_ns)
    headers = {"Authorization": f"Bearer {api.read_key}"}
    rng = {"from": str((now_ns - 3600 * 10**9) / 1e9), "to": str(now_ns / 1e9)}

    def get(path: str, **params: str) -> dict[str, object]:
        resp = api.client.get(path, params={**rng, **params}, headers=headers)
        assert resp.status_code == 200, resp.text
        return resp.json()  # type: ignore[no-any-return]

    [total] = get("/api/v1/metrics/summary")["groups"]  # type: ignore[misc]
    [by_service] = get("/api/v1/metrics/summary", group_by="service")["groups"]  # type: ignore[misc]
    rule = AlertRule.model_validate(
        {
            "name": "p95",
            "metric": "latency_p95",
            "filters": {"service": "a"},
            "window": "1h",
            "condition": {"kind": "threshold", "op": ">", "value": 5000},
            "min_samples": 1,
        }
    )
    alert = evaluate_rule(api.store, api.project, rule, now_ns)
    # numpy's linear p95 of 1000..1019: 1018.05 (the children's 10 ms are not traces)
    expected = pytest.approx(1018.05)
    assert total["latency_ms"]["p95"] == expected  # type: ignore[index]
    assert by_service["latency_ms"]["p95"] == expected  # type: ignore[index]
    assert alert.value == expected and alert.samples == 20


def test_definitions_are_served(make_api: Callable[..., Api]) -> None:
    api = make_api()
    resp = api.client.get(
        "/api/v1/metrics/definitions", headers={"Authorization": f"Bearer {api.read_key}"}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["min_baseline_samples"] == MIN_BASELINE_SAMPLES
    by_name = {m["name"]: m for m in body["metrics"]}
    assert set(by_name) == set(METRICS)
    p95 = by_name["latency_p95"]
    assert (p95["population"], p95["unit"], p95["direction"], p95["field"]) == (
        "traces",
        "ms",
        "lower_is_better",
        "latency_ms.p95",
    )
    assert by_name["pass_rate"]["direction"] == "higher_is_better"
    assert "feedback" not in by_name["pass_rate"]["sql"] or "NOT" in by_name["pass_rate"]["sql"]


def test_pass_rate_alerts_leave_human_feedback_out(make_api: Callable[..., Api]) -> None:
    """30 passing assertions and 30 thumbs-down under the same name: the pass rate is
    the assertions' (1.0), the feedback has its own positive rate (0.0)."""
    api = make_api()
    now_ns = time.time_ns()
    rows = [
        make_evaluation(
            project_id=api.project, trace_id=f"{i:032x}", name="grounded", source=source,
            passed=source == "sdk", created_at=now_ns - (i + 1) * 1_000_000_000,
        )
        for i in range(30)
        for source in ("sdk", "feedback")
    ]  # fmt: skip
    api.store.insert_evaluations(rows)

    def rule(metric: str) -> AlertRule:
        return AlertRule.model_validate(
            {
                "name": metric,
                "metric": metric,
                "assertion": "grounded",
                "window": "1h",
                "condition": {"kind": "threshold", "op": "<", "value": 0.9},
            }
        )

    passed = evaluate_rule(api.store, api.project, rule("pass_rate"), now_ns)
    assert (passed.value, passed.samples, passed.status) == (1.0, 30, "ok")
    feedback = evaluate_rule(api.store, api.project, rule("feedback_positive_rate"), now_ns)
    assert (feedback.value, feedback.samples, feedback.status) == (0.0, 30, "firing")
