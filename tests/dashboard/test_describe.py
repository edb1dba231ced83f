"""Pure descriptions behind the Drift and Alerts pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from llmpulse_dashboard import describe
from llmpulse_dashboard.api_types import DriftAnswer


def test_url_times_are_unix_seconds_or_iso() -> None:
    moment = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert describe.parse_time(str(int(moment.timestamp()))) == moment  # alert links
    assert describe.parse_time("2026-11-27T10:00:00Z") == moment
    assert describe.parse_time("2026-11-27T10:00:00") == moment  # no zone: UTC
    assert describe.parse_time("") is None and describe.parse_time("yesterday") is None


def test_drift_rows_worst_first() -> None:
    report: DriftAnswer = {
        "groups": [
            {
                "group": {"model": "a"},
                "features": [
                    {"feature": "latency", "kind": "numeric", "verdict": "stable", "psi": 0.01},
                    {"feature": "status", "kind": "categorical", "verdict": "drift",
                     "js_distance": 0.3},
                ],
            },
            {
                "group": {"model": ""},
                "features": [
                    {"feature": "latency", "kind": "numeric", "verdict": "not_enough_data",
                     "message": "not enough data: 3 baseline and 4 current samples"},
                    {"feature": "cost_per_call", "kind": "numeric", "verdict": "drift",
                     "psi": 0.9},
                    {"feature": "model", "kind": "categorical", "verdict": "warning",
                     "js_distance": 0.12},
                ],
            },
        ]
    }  # fmt: skip
    rows = [(describe.group_label(g), f["feature"]) for g, f in describe.ranked(report)]
    assert rows == [
        ("model=(none)", "cost_per_call"),
        ("model=a", "status"),
        ("model=(none)", "model"),
        ("model=a", "latency"),
        ("model=(none)", "latency"),
    ]
    assert describe.group_label({"group": {}}) == "all spans"
    _, worst = describe.ranked(report)[-1]
    assert describe.drift_details(worst).startswith("not enough data: 3 baseline")


def test_drift_details_say_what_moved() -> None:
    numeric: Any = {
        "feature": "latency", "kind": "numeric", "verdict": "drift",
        "median_baseline": 800.0, "median_current": 2000.0, "median_shift_pct": 150.0,
    }  # fmt: skip
    assert describe.drift_details(numeric) == "median 800 ms → 2,000 ms (+150.0%)"
    categorical: Any = {
        "feature": "status", "kind": "categorical", "verdict": "drift",
        "top_movers": [{"category": "ERROR", "baseline_share": 0.0, "current_share": 0.08,
                        "change": 0.08}],
    }  # fmt: skip
    assert describe.drift_details(categorical) == "'ERROR' 0.0% → 8.0%"
    version: Any = {
        "feature": "version", "kind": "categorical", "verdict": "drift",
        "top_movers": [
            {"category": "1.4.0", "baseline_share": 1.0, "current_share": 0.35, "change": -0.65},
            {"category": "1.5.0", "baseline_share": 0.0, "current_share": 0.65, "change": 0.65},
            {"category": "1.3.0", "baseline_share": 0.0, "current_share": 0.0, "change": 0.0},
        ],
    }  # fmt: skip
    assert describe.drift_details(version) == "'1.5.0' 0.0% → 65.0%, '1.4.0' 100.0% → 35.0%"


def test_rules_in_words() -> None:
    rule: dict[str, Any] = {
        "metric": "latency_p95",
        "filters": {"model": "gpt-4o", "service": "bot"},
        "condition": {"kind": "change", "baseline": "previous", "op": ">", "value": 0.5},
        "baseline_window": "1h",
    }
    assert describe.describe_condition(rule) == "change > +50% vs previous (1h)"
    assert describe.describe_filters(rule) == "model=gpt-4o, service=bot"
    assert describe.describe_filters({}) == "all spans"
    rate = {"metric": "pass_rate", "assertion": "grounded",
            "condition": {"kind": "change", "relative": False, "baseline": "day", "op": "<",
                          "value": -0.1}}  # fmt: skip
    assert describe.describe_condition(rate) == "change < -10.0 points vs day"
    assert describe.describe_metric(rate) == "pass_rate of grounded"
    errors = {"metric": "error_rate", "condition": {"kind": "threshold", "op": ">", "value": 0.05}}
    assert describe.describe_condition(errors) == "> 5.0%"
    drift = {"metric": "drift", "feature": "output_chars",
             "condition": {"kind": "drift", "baseline": "week", "level": "warning"}}  # fmt: skip
    assert describe.describe_condition(drift) == "verdict ≥ warning vs week"
    assert describe.describe_metric(drift) == "drift of output_chars"
    assert describe.fmt_value(1500.0, "latency_p95") == "1.50 s"
    # every latency is in ms (LLM calls were shown as a count: "6.87k"), every rate a ratio
    assert describe.fmt_value(6870.0, "llm_latency_p95") == "6.87 s"
    assert describe.fmt_value(320.0, "ttft_p50") == "320 ms"
    assert describe.fmt_value(0.25, "feedback_positive_rate") == "25.0%"
    assert describe.fmt_value(0.0123, "cost_per_call") == "$0.0123"
    assert describe.fmt_value(None, "volume") == "–"


def test_the_create_form_builds_an_api_rule() -> None:
    values: dict[str, Any] = {
        "name": " slow ", "metric": "latency_p99", "window": "", "severity": "critical",
        "kind": "change", "op": ">", "value": 50.0, "min_samples": 30, "baseline": "day",
        "relative": True, "level": "drift", "feature": "latency", "assertion": "",
        "filters": {"model": "gpt-4o", "service": " ", "name": ""},
    }  # fmt: skip
    assert describe.rule_form_definition(values) == {
        "name": "slow",
        "metric": "latency_p99",
        "window": "15m",
        "condition": {"kind": "change", "baseline": "day", "relative": True, "op": ">",
                      "value": 0.5},
        "min_samples": 30,
        "severity": "critical",
        "filters": {"model": "gpt-4o"},
    }  # fmt: skip
    drift = describe.rule_form_definition({**values, "metric": "drift", "kind": "drift"})
    assert drift["condition"] == {"kind": "drift", "baseline": "day", "level": "drift"}
    assert drift["feature"] == "latency"
    threshold = describe.rule_form_definition({**values, "kind": "threshold", "value": 0.05})
    assert threshold["condition"] == {"kind": "threshold", "op": ">", "value": 0.05}
