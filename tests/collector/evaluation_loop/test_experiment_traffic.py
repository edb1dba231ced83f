"""Experiment runs are kept apart from production: a project with production traffic
and an ``llmpulse.experiment`` run over the same app function. The production reads
(evaluations, metrics, cost, users, traces, drift, alert rules, filter values) see the
production traces only; the experiment compare and an explicit trace filter see the
runs."""

from __future__ import annotations

import time
from typing import Any

import httpx

import llmpulse
from llmpulse_collector.alerts.metrics import measure
from llmpulse_collector.alerts.rules import AlertRule
from llmpulse_collector.analysis.drift import DriftQuery, drift_report
from tests.collector.evaluation_loop.conftest import Live

QUESTIONS = ["refund?", "shipping?", "invoice?", "password?"]


@llmpulse.observe(name="answer")
def answer(question: str, user: str, cite: bool) -> str:
    with llmpulse.context(user_id=user):
        with llmpulse.span("chat", "llm") as s:
            s.record_llm(model="gpt-4o-mini", input_tokens=100, output_tokens=10,
                         cost_usd=0.001)  # fmt: skip
        text = f"See the docs about {question}" if cite else "No idea."
        llmpulse.assertion("cites_docs", cite)
        return text


def _api(live: Live, path: str, **params: Any) -> Any:
    resp = httpx.get(
        live.url + "/api/v1" + path,
        params=params,
        headers={"Authorization": f"Bearer {live.read_key}"},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _window(live: Live, t0: float) -> dict[str, Any]:
    return {"from": f"{t0 - 60:.3f}", "to": f"{time.time() + 60:.3f}"}


def _run(live: Live) -> tuple[float, dict[str, Any]]:
    t0 = time.time()
    llmpulse.configure(service_name="support-app")
    for q in QUESTIONS:  # production: every answer cites the docs
        answer(q, "alice", True)
    items = [{"input": q, "expected_output": "docs"} for q in QUESTIONS]

    def task(question: str) -> str:
        return answer(question, "alice", False)  # the candidate never cites

    def cites(output: str) -> bool:
        return "docs" in output

    run = llmpulse.experiment(items, task, [cites], name="terse", progress=False)
    assert run.errors == 0
    llmpulse.flush()
    window = _window(live, t0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # every trace stored and visible
        listed = _api(live, "/traces", experiments="include", **window, limit=50)
        if len(listed["traces"]) == 8:
            break
        time.sleep(0.2)
    return t0, window


def test_production_reads_leave_experiment_runs_out(live: Live) -> None:
    t0, window = _run(live)

    summary = _api(live, "/evaluations/summary", **window)
    assert summary["totals"]["assertions"] == {
        "total": 4, "passed": 4, "failed": 0, "pass_rate": 1.0, "positive_rate": None,
    }  # fmt: skip
    assert {n["name"] for n in summary["names"]} == {"cites_docs"}
    assert _api(live, "/evaluations/failing", **window)["evaluations"] == []
    names = {v["value"] for v in _api(live, "/values/assertion_names", **window)["values"]}
    assert names == {"cites_docs"}

    [metrics] = _api(live, "/metrics/summary", **window)["groups"]
    assert metrics["traces"] == 4 and metrics["spans"] == 8
    assert metrics["cost_usd"] == 0.004
    cost = _api(live, "/cost", group_by="user", **window)
    assert cost["total_cost_usd"] == 0.004 and cost["groups"][0]["traces"] == 4

    [alice] = _api(live, "/users", **window)["users"]
    assert alice["user_id"] == "alice" and alice["traces"] == 4

    listed = _api(live, "/traces", **window, limit=50)
    assert {t["name"] for t in listed["traces"]} == {"answer"}
    assert len(listed["traces"]) == 4
    runs = _api(live, "/traces", experiments="only", **window, limit=50)["traces"]
    assert len(runs) == 4 and all("experiment:terse" in t["tags"] for t in runs)
    assert len(_api(live, "/traces", experiments="include", **window, limit=50)["traces"]) == 8
    # a filter naming the run's tag shows it
    assert len(_api(live, "/traces", tag="experiment:terse", **window, limit=50)["traces"]) == 4

    # the run's own page still reads its results
    stored = _api(live, "/experiments/terse")
    assert {e["name"]: e["pass_rate"] for e in stored["evaluators"]} == {"cites": 0.0}

    # alert rules and drift watch production
    t0_ns, t1_ns = int((t0 - 60) * 1e9), time.time_ns() + 60 * 10**9
    cond = {"kind": "threshold", "op": "<", "value": 1}
    rule = AlertRule(name="r", metric="pass_rate", assertion="cites_docs",
                     condition=cond)  # type: ignore[arg-type]  # fmt: skip
    m = measure(live.store, live.project, rule, t0_ns, t1_ns)
    assert (m.value, m.samples) == (1.0, 4)
    traces_rule = AlertRule(name="t", metric="traces", condition=cond)  # type: ignore[arg-type]
    assert measure(live.store, live.project, traces_rule, t0_ns, t1_ns).value == 4
    report = drift_report(
        live.store,
        DriftQuery(
            live.project,
            baseline=(t0_ns - 3600 * 10**9, t0_ns),
            current=(t0_ns, t1_ns),
            numeric=("latency",),
            categorical=("span_type",),
        ),
    )
    [group] = report["groups"]
    assert group["current_count"] == 8  # the production spans


def test_experiment_compare_still_reads_the_runs(live: Live) -> None:
    _, window = _run(live)
    items = [{"input": q, "expected_output": "docs"} for q in QUESTIONS]

    def cites(output: str) -> bool:
        return "docs" in output

    llmpulse.experiment(items, lambda q: answer(q, "alice", True), [cites], name="full",
                        progress=False)  # fmt: skip
    cmp = _api(live, "/experiments/compare", baseline="full", candidate="terse")
    assert cmp["shared_items"] == 4
    assert {e["name"]: e["drop"] for e in cmp["evaluators"]} == {"cites": 1.0}
    # and neither run shows up among production's evaluations
    assert _api(live, "/evaluations/summary", **window)["totals"]["assertions"]["total"] == 4
