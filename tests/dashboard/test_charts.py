"""Figure builders: pure functions from API answers to plotly figures."""

from __future__ import annotations

from typing import Any

from llmpulse_dashboard import charts
from llmpulse_dashboard.client import AlertEvent, Bucket, DriftFeature, EvaluationNameSummary

HOUR_NS = 3_600_000_000_000


def _bucket(i: int, **values: Any) -> Bucket:
    return {"time_ns": 1_800_000_000 * 10**9 + i * HOUR_NS, "offset": i, **values}  # type: ignore[typeddict-item]


def test_latency_figure_aligns_the_previous_period_by_bucket_offset() -> None:
    now = [_bucket(i, latency_ms={"p50": 100.0 + i, "p95": 200.0, "p99": None}) for i in range(3)]
    before = [_bucket(i - 3, offset=i, latency_ms={"p50": 1.0, "p95": 150.0}) for i in range(3)]
    fig = charts.latency_figure(now, before)
    lines = {trace.name: trace for trace in fig.data}
    assert list(lines["p50"].y) == [100.0, 101.0, 102.0]
    assert list(lines["p99"].y) == [None, None, None]  # no data: gaps, not zeros
    assert list(lines["p95, previous period"].x) == list(lines["p95"].x)
    assert list(lines["p95, previous period"].y) == [150.0] * 3


def test_volume_and_tokens_figures() -> None:
    buckets = [
        _bucket(i, traces=10 * i, errors=i, input_tokens=100, output_tokens=20, cost_usd=0.5)
        for i in range(4)
    ]
    volume = {t.name: t for t in charts.volume_figure(buckets).data}
    assert list(volume["traces"].y) == [0, 10, 20, 30]
    assert list(volume["errors"].y) == [0, 1, 2, 3] and volume["errors"].yaxis == "y2"
    tokens = charts.tokens_cost_figure(buckets)
    assert [t.name for t in tokens.data] == ["input tokens", "output tokens", "cost (USD)"]
    assert tokens.layout.barmode == "stack"


def test_bar_figure_puts_the_largest_on_top() -> None:
    fig = charts.bar_figure({"a": 1.0, "b": 3.0, "": 2.0}, money=True, limit=2)
    (bar,) = fig.data
    assert list(bar.y) == ["b", "(none)"] and list(bar.text) == ["$3.00", "$2.00"]


def test_pass_rate_and_cost_over_time() -> None:
    names: list[EvaluationNameSummary] = [
        {
            "name": "cites_docs",
            "buckets": [
                {"time_ns": 0, "pass_rate": 0.5},
                {"time_ns": HOUR_NS, "pass_rate": None},
            ],
        }
    ]
    (line,) = charts.pass_rate_figure(names).data
    assert line.name == "cites_docs" and list(line.y) == [50.0, None]
    series = [
        {"group": "gpt-4o", "totals": {}, "buckets": [_bucket(0, cost_usd=1.0)]},
        {"group": "", "totals": {}, "buckets": [_bucket(0, cost_usd=0.5)]},
    ]
    fig = charts.cost_over_time_figure(series)  # type: ignore[arg-type]
    assert [t.name for t in fig.data] == ["gpt-4o", "(none)"]
    assert {t.stackgroup for t in fig.data} == {"cost"}


def test_percentile_tolerates_missing_data() -> None:
    assert charts.percentile({"latency_ms": {"p50": 12, "p95": None, "p99": None}}, "p50") == 12.0
    assert charts.percentile({}, "p95") is None and charts.percentile(None, "p99") is None


# ---- drift and regressions ---------------------------------------------------------


def test_bin_labels_follow_the_apis_binning() -> None:
    # a value's bin is the number of edges below it
    assert charts.bin_labels([10.0, 20.5, 1500.0]) == [
        "≤ 10",
        "10 – 20.5",
        "20.5 – 1,500",
        "> 1,500",
    ]
    assert charts.bin_labels([]) == ["all"]


def test_distribution_figure_overlays_shares_per_bin() -> None:
    feature: DriftFeature = {
        "feature": "latency", "kind": "numeric", "verdict": "drift",
        "bin_edges": [100.0, 200.0], "baseline_counts": [50, 30, 20],
        "current_counts": [10, 10],  # a short list: missing bins are empty
        "median_baseline": 100.0, "median_current": 250.0,
    }  # fmt: skip
    fig = charts.distribution_figure(feature, unit="ms")
    baseline, current = fig.data
    assert list(baseline.x) == ["≤ 100", "100 – 200", "> 200"]
    assert list(baseline.y) == [50.0, 30.0, 20.0] and list(current.y) == [50.0, 50.0, 0.0]
    assert baseline.name == "baseline (100 values)" and list(current.customdata) == [10, 10, 0]
    assert fig.layout.barmode == "overlay"
    assert [a.text for a in fig.layout.annotations] == [
        "median baseline: 100",
        "median current: 250",
    ]


def test_moved_categories_put_the_largest_move_on_top() -> None:
    feature: DriftFeature = {
        "feature": "finish_reason", "kind": "categorical",
        "top_movers": [
            {"category": "stop", "baseline_share": 0.9, "current_share": 0.85, "change": -0.05},
            {"category": "length", "baseline_share": 0.1, "current_share": 0.4, "change": 0.3},
            {"category": "", "baseline_share": 0.0, "current_share": 0.1, "change": 0.1},
        ],
    }  # fmt: skip
    baseline, current = charts.moved_categories_figure(feature).data
    assert list(current.y) == ["length", "(empty)", "stop"]
    assert list(baseline.x) == [10.0, 0.0, 90.0] and list(current.x) == [40.0, 10.0, 85.0]
    assert list(current.text) == ["+30.0 pts", "+10.0 pts", "-5.0 pts"]


def _event(rule: str, event: str, hour: int, severity: str = "warning") -> AlertEvent:
    return {
        "rule_id": rule, "rule_name": f"rule {rule}", "event": event, "severity": severity,
        "at_ns": 1_800_000_000 * 10**9 + hour * HOUR_NS, "message": f"{rule} {event}",
    }  # fmt: skip


def test_regression_periods_pair_firing_with_resolved_within_the_range() -> None:
    t0 = 1_800_000_000 * 10**9
    events = [  # newest first, as the API answers
        _event("b", "firing", 9, "critical"),
        _event("a", "resolved", 6),
        _event("a", "renotify", 4),
        _event("a", "firing", 3),
        _event("c", "resolved", 2),  # fired before the range
        _event("d", "firing", 20),  # after the range
    ]
    periods = charts.regression_periods(events, t0, t0 + 10 * HOUR_NS)
    assert [(p.rule_id, p.start_ns, p.end_ns, p.fired_in_range, p.resolved) for p in periods] == [
        ("c", t0, t0 + 2 * HOUR_NS, False, True),
        ("a", t0 + 3 * HOUR_NS, t0 + 6 * HOUR_NS, True, True),
        ("b", t0 + 9 * HOUR_NS, t0 + 10 * HOUR_NS, True, False),  # still firing
    ]
    assert periods[2].severity == "critical" and periods[1].message == "a firing"


def test_regression_markers_on_a_time_series_with_two_axes() -> None:
    t0 = 1_800_000_000 * 10**9
    buckets = [_bucket(i, traces=i, errors=0) for i in range(10)]
    events = [_event("a", "resolved", 6), _event("a", "firing", 3, "critical")]
    fig = charts.add_regression_markers(
        charts.volume_figure(buckets), events, t0, t0 + 10 * HOUR_NS
    )
    shapes = {s.name: s for s in fig.layout.shapes}
    assert set(shapes) == {"regression: rule a", "fired: rule a", "resolved: rule a"}
    assert shapes["regression: rule a"].fillcolor == charts.SEVERITY_COLORS["critical"]
    assert shapes["fired: rule a"].x0 == _hour(3)
    assert shapes["resolved: rule a"].x0 == _hour(6)
    (note,) = fig.layout.annotations
    assert note.text == "⚠ rule a" and "resolved" in note.hovertext
    unchanged = charts.add_regression_markers(charts.latency_figure(buckets), [], t0, t0 + 1)
    assert not unchanged.layout.shapes


def _hour(hour: int) -> Any:
    return charts._time(1_800_000_000 * 10**9 + hour * HOUR_NS)


def test_alert_timeline_has_a_row_per_rule() -> None:
    t0 = 1_800_000_000 * 10**9
    events = [
        _event("b", "firing", 9, "critical"),
        _event("a", "resolved", 6),
        _event("a", "firing", 3),
    ]
    spec = charts.alert_timeline_spec(events, t0, t0 + 10 * HOUR_NS)
    bars, marks = (layer["data"]["values"] for layer in spec["layer"])
    assert [(b["rule"], b["severity"], b["state"]) for b in bars] == [
        ("rule a", "warning", "resolved"), ("rule b", "critical", "still firing"),
    ]  # fmt: skip
    assert (bars[0]["from"], bars[0]["to"]) == ("2027-01-15T11:00:00", "2027-01-15T14:00:00")
    assert bars[1]["to"] == "2027-01-15T18:00:00"  # still firing: up to the window's end
    assert [(m["rule"], m["event"]) for m in marks] == [
        ("rule b", "firing"), ("rule a", "resolved"), ("rule a", "firing"),
    ]  # fmt: skip
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["rule a", "rule b"]
