"""The Drift and Alerts pages, and regressions marked on the Overview and Evaluations
charts, with AppTest against a real collector of their own (project ``ml``).

Seeded truth (T = now): two models, 300 LLM spans each in the baseline day
[T-48h, T-24h) and in the current day [T-24h, T); gpt-4o is 2.5x slower in the current
day (latency drift), gpt-4o-mini is steady; 20 claude spans in each day (not enough
data). gpt-4o-mini calls fail in [T-10h, T-8h); the ``grounded`` assertion passes 40%
in [T-14h, T-12h), 95% otherwise. The alert engine (injected clock) runs
at T-20h, T-12h, T-8h and T-4h over four API rules and one file rule, so:
``gpt-4o p95 latency`` fires at T-20h and stays firing; ``error rate`` fires at T-8h and
resolves at T-4h; ``grounded pass rate`` fires at T-12h and resolves at T-8h.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from llmpulse_collector.model import EvaluationRow, SpanRow
from llmpulse_collector.store.keys import create_key, create_project
from llmpulse_dashboard import charts
from llmpulse_dashboard.client import ApiError, Client
from tests.collector.conftest import make_evaluation, make_span
from tests.dashboard.conftest import APP, serve_collector
from tests.e2e.conftest import free_port

HOUR = 3_600_000_000_000
MS = 1_000_000

RULES = {
    "latency": {
        "name": "gpt-4o p95 latency",
        "metric": "latency_p95",
        "filters": {"model": "gpt-4o"},
        "window": "2h",
        "condition": {"kind": "threshold", "op": ">", "value": 1500},
        "min_samples": 10,
        "severity": "critical",
    },
    "errors": {
        "name": "error rate",
        "metric": "error_rate",
        "window": "2h",
        "condition": {"kind": "threshold", "op": ">", "value": 0.1},
        "min_samples": 10,
    },
    "grounded": {
        "name": "grounded pass rate",
        "metric": "pass_rate",
        "assertion": "grounded",
        "window": "2h",
        "condition": {"kind": "threshold", "op": "<", "value": 0.8},
        "min_samples": 10,
    },
    "drift": {
        "name": "gpt-4o latency drift",
        "metric": "drift",
        "feature": "latency",
        "filters": {"model": "gpt-4o"},
        "window": "24h",
        "condition": {"kind": "drift", "baseline": "previous", "level": "drift"},
        "min_samples": 100,
        "severity": "info",
    },
}
FILE_RULES = """
rules:
  - name: cost per call
    project: ml
    metric: cost_per_call
    window: 1h
    condition: {kind: threshold, op: ">", value: 1.0}
"""


@dataclass(frozen=True)
class Seeded:
    url: str
    read_key: str
    admin_key: str
    now: int
    rule_ids: dict[str, str]  # RULES key -> id
    drift_link: str  # the drift alert's notification link (dashboard_url based)


def _spans(
    rng: np.random.Generator, project: str, now: int
) -> tuple[list[SpanRow], list[EvaluationRow]]:
    spans: list[SpanRow] = []
    evals: list[EvaluationRow] = []
    windows = {"baseline": (now - 48 * HOUR, now - 24 * HOUR), "current": (now - 24 * HOUR, now)}
    plan = [
        ("gpt-4o", 800.0, {"baseline": 1.0, "current": 2.5}, 300),
        ("gpt-4o-mini", 400.0, {"baseline": 1.0, "current": 1.0}, 300),
        ("claude-3-5-haiku", 600.0, {"baseline": 1.0, "current": 1.0}, 20),
    ]
    for model, median, factors, n in plan:
        for window, factor in factors.items():
            t0, t1 = windows[window]
            starts = np.sort(rng.integers(t0, t1 - 10_000 * MS, n))
            latency = median * factor * rng.lognormal(0, 0.25, n)
            for start_np, ms in zip(starts, latency, strict=True):
                start = int(start_np)
                failing = model == "gpt-4o-mini" and now - 10 * HOUR <= start < now - 8 * HOUR
                words = int(
                    rng.poisson(20 * (2 if model == "gpt-4o" and window == "current" else 1))
                )
                span = make_span(
                    project_id=project,
                    start_time=start,
                    end_time=start + int(ms * MS),
                    duration_ms=float(ms),
                    model=model,
                    name=f"chat {model}",
                    status_code="ERROR" if failing else "OK",
                    output="word " * (words + 1),
                )
                spans.append(span)
                if model == "gpt-4o-mini" and window == "current":
                    bad = now - 14 * HOUR <= start < now - 12 * HOUR
                    passed = bool(rng.random() < (0.4 if bad else 0.95))
                    evals.append(
                        make_evaluation(
                            project_id=project,
                            trace_id=span.trace_id,
                            span_id=span.span_id,
                            name="grounded",
                            passed=passed,
                            score=1.0 if passed else 0.0,
                            created_at=span.end_time,
                        )
                    )
    return spans, evals


@pytest.fixture(scope="module")
def seeded(chdb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    rules_file = tmp_path_factory.mktemp("alerts") / "alerts.yaml"
    rules_file.write_text(FILE_RULES)
    with serve_collector(
        chdb_url,
        "drift",
        alerts_enabled=True,
        alert_rules_file=rules_file,
        alert_interval_seconds=3600,  # never on its own: the test drives the clock
        dashboard_url="http://dash.example",
    ) as served:
        store, url, app = served.store, served.url, served.app
        project = create_project(store, "ml")
        read_key = create_key(store, project, "read")
        admin_key = create_key(store, project, "admin")
        now = time.time_ns() // (60 * 10**9) * 60 * 10**9
        spans, evals = _spans(np.random.default_rng(7), project, now)
        store.insert_spans(spans)
        store.insert_evaluations(evals)
        admin = {"Authorization": f"Bearer {admin_key}"}
        rule_ids = {}
        for key, rule in RULES.items():
            resp = httpx.post(f"{url}/api/v1/alerts/rules", json=rule, headers=admin, timeout=30)
            assert resp.status_code == 201, resp.text
            rule_ids[key] = resp.json()["id"]
        engine = app.state.runtime.alerts
        for hours_ago in (20, 12, 8, 4):
            engine.run_once(now - hours_ago * HOUR)
        events = httpx.get(
            f"{url}/api/v1/alerts/history",
            params={"rule_id": rule_ids["drift"]},
            headers=admin,
            timeout=30,
        ).json()["events"]
        link = next(e["payload"]["link"] for e in events if e["event"] == "firing")
        yield Seeded(url, read_key, admin_key, now, rule_ids, link)


RunApp = Callable[..., AppTest]


@pytest.fixture
def run_as(monkeypatch: pytest.MonkeyPatch, seeded: Seeded) -> Callable[[str], RunApp]:
    """``run_as("read")("drift", feature=...)``: the app with that key, on a page."""

    def with_key(scope: str) -> RunApp:
        monkeypatch.setenv("LLMPULSE_API_URL", seeded.url)
        monkeypatch.setenv(
            "LLMPULSE_API_KEY", seeded.admin_key if scope == "admin" else seeded.read_key
        )
        monkeypatch.delenv("LLMPULSE_API_KEYS", raising=False)

        def run(page: str = "overview", **params: str) -> AppTest:
            at = AppTest.from_file(str(APP), default_timeout=90)
            at.query_params.update(params)
            at.run()
            if page != "overview":
                at.switch_page(f"views/{page}.py")
                at.query_params.update(params)
                at.run()
            return at

        return run

    return with_key


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _text(at: AppTest) -> str:
    parts = [
        e.value
        for e in (*at.markdown, *at.caption, *at.info, *at.warning, *at.success, *at.subheader)
    ]
    return "\n".join(str(p) for p in parts)


def _table(at: AppTest, column: str) -> Any:
    """The first table with ``column`` (AppTest keeps no keys of plain dataframes)."""
    return next(t.value for t in at.dataframe if column in t.value.columns)


def _shapes(spec: dict[str, Any]) -> list[str]:
    """What a chart marks: ``regression: <rule>``, ``fired: <rule>``, ``resolved: <rule>``
    and ``partial bucket``, from its marker layers."""
    found: list[str] = []
    for prefix in ("regression", "fired", "resolved"):
        layer = charts.layer(spec, "regressions" if prefix == "regression" else prefix)
        found += [
            f"{prefix}: {row['rule']}" for row in (layer or {}).get("data", {}).get("values", [])
        ]
    if charts.layer(spec, charts.PARTIAL_BUCKET) is not None:
        found.append(charts.PARTIAL_BUCKET)
    return found


def _specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


# ---- drift -------------------------------------------------------------------------


def test_drift_lists_features_worst_first_and_overlays_the_worst(
    run_as: Callable[[str], RunApp],
) -> None:
    at = run_as("read")("drift", group_by="model")
    _ok(at)
    assert at.selectbox(key="group_by").value == "model"
    (table,) = at.dataframe
    verdicts = list(table.value["Verdict"])
    ranks = [["🔴", "🟠", "🟢", "⚪"].index(v[0]) for v in verdicts]
    assert ranks == sorted(ranks)  # worst first
    rows = table.value.set_index(["Group", "Feature"])
    assert rows.loc[("model=gpt-4o", "latency"), "Verdict"] == "🔴 drift"
    assert rows.loc[("model=gpt-4o-mini", "latency"), "Verdict"] == "🟢 stable"
    claude = rows.loc[("model=claude-3-5-haiku", "latency")]
    assert claude["Verdict"] == "⚪ not enough data"
    assert "20 baseline and 20 current samples, 200 needed" in claude["Details"]
    # the worst row is drawn: baseline vs current per bin
    assert at.selectbox(key="group").value == table.value["Group"][0]
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Drifting"]) >= 1
    (spec,) = _specs(at)
    names = charts.layer(spec, "distribution")["encoding"]["color"]["scale"]["domain"]  # type: ignore[index]
    assert names[0].startswith("baseline") and names[1].startswith("current")


def test_a_drift_row_click_shows_that_row(run_as: Callable[[str], RunApp]) -> None:
    at = run_as("read")("drift", group_by="model")
    (table,) = at.dataframe
    row = list(zip(table.value["Group"], table.value["Feature"], strict=True)).index(
        ("model=gpt-4o-mini", "status")
    )
    at.session_state["drift_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    _ok(at)
    assert (at.selectbox(key="group").value, at.selectbox(key="feature").value) == (
        "model=gpt-4o-mini",
        "status",
    )
    assert at.session_state["drift_table"]["selection"]["rows"] == [row]
    at.run()  # and it stays
    assert at.selectbox(key="feature").value == "status"


def test_drift_numeric_and_categorical_details(run_as: Callable[[str], RunApp]) -> None:
    run = run_as("read")
    at = run("drift", group_by="model", group="model=gpt-4o", feature="latency")
    _ok(at)
    assert at.selectbox(key="feature").value == "latency"
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["PSI"]) > 0.2
    assert metrics["Median, current"].endswith("ms")
    (spec,) = _specs(at)
    rows = charts.layer(spec, "distribution")["data"]["values"]  # type: ignore[index]
    baseline = [r["share"] for r in rows if r["window"] == "baseline"]
    current = [r["share"] for r in rows if r["window"] == "current"]
    assert len(baseline) == len(current) >= 5  # bins from the API's edges
    assert sum(baseline) == pytest.approx(1.0)
    # the current window's mass moved to the top bins
    assert current[-1] > 0.5

    at = run("drift", group_by="model", group="model=gpt-4o-mini", feature="status")
    _ok(at)
    assert "Jensen–Shannon distance" in {m.label for m in at.metric}
    (spec,) = _specs(at)
    shares = charts.layer(spec, "shares")["data"]["values"]  # type: ignore[index]
    assert "ERROR" in {r["category"] for r in shares}  # the category that appeared

    at = run("drift", group_by="model", group="model=claude-3-5-haiku", feature="latency")
    _ok(at)
    assert any("not enough data" in i.value.lower() for i in at.info)
    assert not at.get("vega_lite_chart")


def test_drift_honours_an_alert_link(run_as: Callable[[str], RunApp], seeded: Seeded) -> None:
    """``<dashboard_url>/drift?rule=&from=&to=&feature=&baseline_from=&baseline_to=&model=``"""
    query = httpx.URL(seeded.drift_link)
    assert query.path == "/drift"
    params = dict(query.params)
    assert {"rule", "from", "to", "feature", "baseline_from", "baseline_to", "model"} <= set(params)
    at = run_as("read")("drift", **params)
    _ok(at)
    assert at.selectbox(key="current").value == "custom"
    assert at.selectbox(key="baseline").value == "custom"
    assert at.selectbox(key="feature").value == "latency"
    text = _text(at)
    assert "Opened from the alert **gpt-4o latency drift**" in "\n".join(i.value for i in at.info)
    assert "**model** = `gpt-4o`" in text
    (table,) = at.dataframe
    assert "Group" not in table.value.columns  # not grouped: the rule's filter
    assert at.selectbox(key="min_samples").value == "100"  # the rule's, as the alert saw
    assert table.value.set_index("Feature").loc["latency", "Verdict"] == "🔴 drift"
    for key in ("from", "to", "baseline_from", "baseline_to", "model", "rule"):
        assert at.query_params[key] in (params[key], [params[key]]), key


def test_drift_without_enough_data_says_why(run_as: Callable[[str], RunApp]) -> None:
    at = run_as("read")("drift", range="15m")
    _ok(at)
    text = "\n".join(i.value for i in at.info)
    assert "No spans in the current window" in text or "no verdict" in text


# ---- alerts ------------------------------------------------------------------------


def test_alerts_page_shows_rules_state_and_history(
    run_as: Callable[[str], RunApp], seeded: Seeded
) -> None:
    at = run_as("read")("alerts")
    _ok(at)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Firing now"] == "2"  # the latency threshold and the drift rule
    assert tiles["Alert engine"] == "running"
    state, rules, history = (_table(at, c) for c in ("Last evaluated", "Source", "Notified"))
    assert list(state["State"])[:2] == ["🔥 firing", "🔥 firing"]  # firing first
    firing = state.set_index("Rule").loc["gpt-4o p95 latency"]
    assert firing["Value"].endswith(" s") and firing["Since (UTC)"] != "–"
    by_rule = rules.set_index("Rule")
    assert by_rule.loc["cost per call", "Source"] == "🔒 file"
    assert by_rule.loc["gpt-4o p95 latency", "Filters"] == "model=gpt-4o"
    assert by_rule.loc["gpt-4o p95 latency", "Condition"] == "> 1.50 s"
    assert by_rule.loc["grounded pass rate", "Metric"] == "pass_rate of grounded"
    assert by_rule.loc["gpt-4o latency drift", "Condition"] == "verdict ≥ drift vs previous"
    assert by_rule.loc["error rate", "State"] == "✅ ok"
    events = list(zip(history["Rule"], history["Event"], strict=True))
    assert ("error rate", "✅ resolved") in events and ("error rate", "🔥 fired") in events
    assert ("grounded pass rate", "✅ resolved") in events
    assert events.index(("error rate", "✅ resolved")) < events.index(("error rate", "🔥 fired"))
    assert len(at.get("vega_lite_chart")) == 1  # the timeline
    assert "only an **admin** key can create" in "\n".join(i.value for i in at.info)


def test_alerts_honour_a_notification_link(run_as: Callable[[str], RunApp], seeded: Seeded) -> None:
    rule = seeded.rule_ids["errors"]
    start = (seeded.now - 10 * HOUR) // 10**9
    at = run_as("read")("alerts", rule=rule, **{"from": str(start), "to": str(start + 7200)})
    _ok(at)
    assert at.selectbox(key="rule").value == rule
    assert "Opened from a notification of **error rate**" in at.info[0].value
    history = _table(at, "Notified")
    assert set(history["Rule"]) == {"error rate"}


def test_admin_creates_and_deletes_an_api_rule(run_as: Callable[[str], RunApp]) -> None:
    run = run_as("admin")
    at = run("alerts")
    _ok(at)
    at.text_input(key="new_name").input("slow search")
    at.selectbox(key="new_metric").set_value("latency_p99")
    at.selectbox(key="new_kind").set_value("change")
    at.number_input(key="new_value").set_value(50.0)
    at.text_input(key="new_model").input("gpt-4o")
    at.button(key="FormSubmitter:new_alert_rule-Create rule").click().run()
    _ok(at)
    assert "Created rule **slow search**" in at.success[0].value
    rules = _table(at, "Source").set_index("Rule")
    assert rules.loc["slow search", "Condition"] == "change > +50% vs previous"
    assert rules.loc["slow search", "Filters"] == "model=gpt-4o"

    chooser = at.selectbox(key="delete_rule")
    chooser.select_index(chooser.options.index("slow search")).run()
    at.button[[b.label for b in at.button].index("Delete")].click().run()
    _ok(at)
    assert "Deleted rule **slow search**" in at.success[0].value
    assert "slow search" not in set(_table(at, "Source")["Rule"])


def test_an_invalid_rule_is_refused_with_the_collectors_reason(
    run_as: Callable[[str], RunApp],
) -> None:
    at = run_as("admin")("alerts")
    at.text_input(key="new_name").input("no assertion")
    at.selectbox(key="new_metric").set_value("pass_rate")
    at.button(key="FormSubmitter:new_alert_rule-Create rule").click().run()
    assert not at.exception
    (error,) = at.error
    assert "The rule was not created" in error.value and "assertion" in error.value


def test_a_project_without_rules_says_how_to_write_one(
    run_page: Callable[..., AppTest],
) -> None:
    at = run_page("alerts", project="quiet")
    assert not at.exception and not at.error
    assert "No alert rules yet" in at.info[0].value
    assert any("metric: latency_p95" in c.value for c in at.code)


@pytest.mark.parametrize("page", ["drift", "alerts"])
def test_a_collector_that_is_down_gives_a_clear_message(
    run_page: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    monkeypatch.setenv("LLMPULSE_API_URL", f"http://127.0.0.1:{free_port()}")
    at = run_page(page)
    assert not at.exception
    assert "cannot reach the collector" in at.error[0].value


# ---- regressions on other pages ----------------------------------------------------


def test_overview_and_evaluations_mark_regressions(run_as: Callable[[str], RunApp]) -> None:
    run = run_as("read")
    at = run("overview")
    _ok(at)
    latency, volume, tokens, *_ = _specs(at)
    assert "regression: gpt-4o p95 latency" in _shapes(latency)
    assert "fired: gpt-4o p95 latency" in _shapes(latency)
    assert "resolved: gpt-4o p95 latency" not in _shapes(latency)  # still firing
    assert {"regression: error rate", "fired: error rate", "resolved: error rate"} <= set(
        _shapes(volume)
    )
    assert "regression: error rate" not in _shapes(latency)  # each chart its own metrics
    assert _shapes(tokens) == ["partial bucket"]  # no regression marked, only the last bucket
    assert "Shaded: regressions" in _text(at)

    at = run("evaluations")
    _ok(at)
    (pass_rate,) = _specs(at)
    assert {"fired: grounded pass rate", "resolved: grounded pass rate"} <= set(_shapes(pass_rate))


# ---- the typed client ----------------------------------------------------------------


def test_client_drift_and_alert_methods(seeded: Seeded) -> None:
    now_s = seeded.now // 10**9
    with Client(seeded.url, seeded.read_key) as read, Client(seeded.url, seeded.admin_key) as admin:
        report = read.drift(
            {"from": now_s - 86_400, "to": now_s},
            {"from": now_s - 2 * 86_400, "to": now_s - 86_400},
            group_by="model",
            features="latency,status",
            filters={"model": "gpt-4o"},
        )
        [group] = report["groups"]
        assert group["group"] == {"model": "gpt-4o"} and group["verdict"] == "drift"
        assert [f["feature"] for f in group["features"]] == ["latency", "status"]
        latency = group["features"][0]
        assert len(latency["baseline_counts"]) == len(latency["bin_edges"]) + 1

        with pytest.raises(ApiError) as refused:
            read.create_alert_rule(RULES["errors"])
        assert refused.value.status == 403
        created = admin.create_alert_rule({**RULES["errors"], "name": "client rule"})
        rule_id = created["id"]
        changed = admin.replace_alert_rule(rule_id, {**RULES["errors"], "name": "client rule",
                                                      "severity": "critical"})  # fmt: skip
        assert changed["rule"]["severity"] == "critical"
        assert read.alert_rule(rule_id)["rule"]["severity"] == "critical"
        admin.delete_alert_rule(rule_id)
        with pytest.raises(ApiError, match="no alert rule"):
            read.alert_rule(rule_id)

        [result] = read.evaluate_alert_rules([RULES["latency"]], at=str(now_s))
        assert result["status"] == "firing" and result["metric"] == "latency_p95"
        states = read.alert_state()
        assert states["engine_running"] is True
        page = read.alert_history(rule_id=seeded.rule_ids["errors"])
        assert [e["event"] for e in page["events"]] == ["resolved", "firing"]  # newest first
        assert page.get("total") == 2 and page.get("next_cursor") is None
        first = read.alert_history(rule_id=seeded.rule_ids["errors"], limit=1)
        assert [e["event"] for e in first["events"]] == ["resolved"]
        rest = read.alert_history(
            rule_id=seeded.rule_ids["errors"], limit=1, cursor=first.get("next_cursor")
        )
        assert [e["event"] for e in rest["events"]] == ["firing"] and rest.get("total") == 2
