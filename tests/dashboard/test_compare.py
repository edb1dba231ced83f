"""Honest comparisons: "no baseline" under a minimum sample, changes coloured by each
metric's direction, drift towards the better side in green, p-values that never read
0, no "None" scores, pass-rate bars that are not red at 100%, the partial last bucket."""

from __future__ import annotations

import json

import httpx
import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from llmpulse_dashboard import charts, compare
from llmpulse_dashboard.api_types import DriftFeature
from llmpulse_dashboard.client import Client
from tests.dashboard.conftest import Collector, Live, RunApp
from tests.dashboard.seed import fast_history


def _tiles(at: AppTest) -> dict[str, Metric]:
    assert not at.exception, [e.message for e in at.exception]
    return {m.label: m.proto for m in at.metric}


def test_a_nearly_empty_previous_period_is_no_baseline(run_page: RunApp) -> None:
    tiles = _tiles(run_page())  # one trace in the 24 hours before
    for label in ("Traces", "Error rate", "p50 latency", "p95 latency", "Tokens", "Cost"):
        assert tiles[label].delta == compare.NO_BASELINE, label
        assert tiles[label].color == Metric.MetricColor.GRAY, label
    assert any("No baseline" in c.value and "has 1 trace," in c.value for c in run_page().caption)


def test_changes_are_coloured_by_direction(live: Live, run_page: RunApp) -> None:
    fast_history(live.url, live.ingest_key, compare.MIN_BASELINE)
    tiles = _tiles(run_page())
    latency = tiles["p95 latency"]  # 180 ms before, about 1.3 s now: worse
    assert latency.delta.startswith("+") and latency.color == Metric.MetricColor.RED
    assert tiles["Error rate"].color == Metric.MetricColor.RED  # errors appeared
    traces = tiles["Traces"]  # fewer traces than the day before: neither better nor worse
    assert traces.delta.startswith("-") and traces.color == Metric.MetricColor.GRAY


@pytest.mark.parametrize(
    ("metric", "color"),
    [("latency_p95", "inverse"), ("cost_usd", "inverse"), ("pass_rate", "normal"),
     ("traces", "off"), ("tokens", "off")],
)  # fmt: skip
def test_change_colors(metric: str, color: str) -> None:
    assert compare.change_color(metric) == color


def test_directions_come_from_the_collector_when_it_defines_them(collector: Collector) -> None:
    with Client(collector.url, collector.read_key) as served:  # the collector's registry
        known = compare.directions(served)
    assert known["llm_latency_p95"] == "lower" and known["feedback_positive_rate"] == "higher"
    assert compare.directions(None) == compare.DIRECTIONS

    def missing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no route"}})

    with Client("http://collector", "key", transport=httpx.MockTransport(missing)) as older:
        assert compare.directions(older) == compare.DIRECTIONS  # an older collector

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/metrics/definitions"
        metrics = [
            {"name": "pass_rate", "direction": "higher_is_better"},
            {"name": "refusal_rate", "direction": "lower_is_better"},
            {"name": "traces", "direction": "none"},
        ]
        return httpx.Response(200, json={"metrics": metrics})

    with Client("http://collector", "key", transport=httpx.MockTransport(answer)) as newer:
        known = compare.directions(newer)
    assert known["refusal_rate"] == "lower" and known["pass_rate"] == "higher"
    assert "traces" not in known and known["latency_p95"] == "lower"


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0, "< 0.001"), (1e-300, "< 0.001"), (0.0009, "< 0.001"), (0.004, "0.004"),
     (0.25, "0.25"), (None, "–")],
)  # fmt: skip
def test_p_values_never_read_zero(p: float | None, text: str) -> None:
    assert compare.fmt_p_value(p) == text


def _feature(name: str, verdict: str, shift: float | None) -> DriftFeature:
    return {"feature": name, "kind": "numeric", "verdict": verdict, "median_shift_pct": shift}


@pytest.mark.parametrize(
    ("feature", "label"),
    [
        (_feature("latency", "drift", -46.0), "🟢 drift (better)"),  # 46% faster
        (_feature("latency", "drift", 46.0), "🔴 drift"),
        (_feature("cost_per_call", "warning", -10.0), "🟢 warning (better)"),
        (_feature("output_tokens", "drift", -46.0), "🔴 drift"),  # no better way
        (_feature("latency", "stable", 1.0), "🟢 stable"),
        (_feature("latency", "not_enough_data", None), "⚪ not enough data"),
    ],
)
def test_drift_towards_the_better_side_is_green(feature: DriftFeature, label: str) -> None:
    assert compare.drift_verdict(feature) == label


def test_scores_and_pass_rate_bars(run_page: RunApp) -> None:
    at = run_page("evaluations", range="7d")
    assert not at.exception
    assertions = at.dataframe[0]  # the assertions, most failures first
    assert assertions.proto.placeholder == "—"  # a missing average score, not "None"
    columns = json.loads(assertions.proto.columns)
    assert columns["Pass rate"]["type_config"]["color"] == "auto"  # green at 100%
    assert columns["Trend"]["type_config"]["color"] == "blue"


def test_the_partial_last_bucket_is_marked(run_page: RunApp) -> None:
    at = run_page()
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")[:3]]
    assert len(specs) == 3
    for spec in specs:  # latency, volume, tokens and cost
        assert charts.layer(spec, charts.PARTIAL_BUCKET) is not None
        (label,) = charts.layer(spec, "partial label")["data"]["values"]  # type: ignore[index]
        assert label["label"] == "partial"


def test_a_finished_bucket_is_not_marked() -> None:
    plain: charts.Spec = {"layer": []}
    assert charts.mark_partial_bucket(plain, 0, 60, now_ns=61 * 10**9) == plain
    spec = charts.mark_partial_bucket(plain, 0, 60, now_ns=30 * 10**9)
    assert [item["name"] for item in spec["layer"]] == [charts.PARTIAL_BUCKET, "partial label"]
