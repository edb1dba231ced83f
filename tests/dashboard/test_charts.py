"""Chart specs: pure functions from API answers to Vega-Lite specs, checked against
Vega-Lite's JSON schema (the one Altair ships) and for what they draw."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema

from llmpulse_dashboard import charts
from llmpulse_dashboard.api_types import AlertEvent, Bucket, DriftFeature, EvaluationName

HOUR_NS = 3_600_000_000_000
T0 = 1_800_000_000 * 10**9  # 2027-01-15T08:00:00Z


def _bucket(i: int, **values: Any) -> Bucket:
    return {"time_ns": T0 + i * HOUR_NS, "offset": i, **values}  # type: ignore[typeddict-item]


@functools.cache
def _validator() -> Any:
    schema = resources.files("altair") / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"
    loaded = json.loads(schema.read_text())
    return jsonschema.validators.validator_for(loaded)(loaded)


def valid(spec: charts.Spec) -> charts.Spec:
    """``spec``, once it is JSON and valid Vega-Lite."""
    errors = [e.message[:300] for e in _validator().iter_errors(json.loads(json.dumps(spec)))]
    assert errors == [], errors
    return spec


def values(spec: charts.Spec, name: str) -> list[dict[str, Any]]:
    """The data drawn by the layer called ``name``."""
    found = charts.layer(spec, name)
    assert found is not None, f"no layer {name!r}"
    return found["data"]["values"]  # type: ignore[no-any-return]


def series(spec: charts.Spec, name: str) -> dict[str, list[Any]]:
    """Long ``{series, value}`` rows of a layer as ``{series: [values...]}``."""
    out: dict[str, list[Any]] = {}
    for row in values(spec, name):
        out.setdefault(row["series"], []).append(row["value"])
    return out


def _hour(hour: int) -> str:
    return charts._utc(T0 + hour * HOUR_NS)


def test_latency_aligns_the_previous_period_by_bucket_offset() -> None:
    now = [_bucket(i, latency_ms={"p50": 100.0 + i, "p95": 200.0, "p99": None}) for i in range(3)]
    before = [_bucket(i - 3, offset=i, latency_ms={"p50": 1.0, "p95": 150.0}) for i in range(3)]
    spec = valid(charts.latency_spec(now, before))
    lines = series(spec, "latency")
    assert lines["p50"] == [100.0, 101.0, 102.0]
    assert lines["p99"] == [None, None, None]  # no data: gaps, not zeros
    assert lines["p95, previous period"] == [150.0] * 3
    rows = values(spec, "latency")
    assert [r["time"] for r in rows if r["series"] == "p95, previous period"] == [
        _hour(0), _hour(1), _hour(2),
    ]  # drawn at the current bucket with the same offset  # fmt: skip
    assert rows[0]["time"] == "2027-01-15T08:00:00.000Z"  # UTC
    encoding = charts.layer(spec, "latency")["encoding"]  # type: ignore[index]
    assert encoding["x"]["scale"] == {"type": "utc"}
    assert encoding["strokeDash"]["scale"]["range"][3] == [2, 3]  # the previous period dotted
    # hovering a bucket lists every line's value in it
    first = values(spec, "hover")[0]
    tips = {
        t["title"]: first[t["field"]] for t in charts.layer(spec, "hover")["encoding"]["tooltip"]
    }  # type: ignore[index]
    assert tips == {"bucket": "2027-01-15 08:00:00 UTC", "p50": "100 ms", "p95": "200 ms",
                    "p99": "–", "p95, previous period": "150 ms"}  # fmt: skip


def test_volume_and_tokens_have_a_second_axis() -> None:
    buckets = [
        _bucket(i, traces=10 * i, errors=i, input_tokens=100, output_tokens=20, cost_usd=0.5)
        for i in range(4)
    ]
    volume = valid(charts.volume_spec(buckets))
    assert [r["value"] for r in values(volume, "traces")] == [0, 10, 20, 30]
    assert series(volume, "errors") == {"errors": [0, 1, 2, 3]}
    assert volume["resolve"] == {"scale": {"y": "independent"}}
    errors_y = charts.layer(volume, "errors")["encoding"]["y"]  # type: ignore[index]
    assert errors_y["axis"]["orient"] == "right" and errors_y["title"] == "error spans"
    bar = values(volume, "traces")[1]  # a bar centred on its bucket's start, up from 0
    assert bar["from"] < _hour(1) < bar["to"]
    assert charts.layer(volume, "traces")["encoding"]["y2"] == {"datum": 0}  # type: ignore[index]

    tokens = valid(charts.tokens_cost_spec(buckets))
    assert set(series(tokens, "tokens")) == {"input tokens", "output tokens"}
    assert [(r["low"], r["high"]) for r in values(tokens, "tokens")[:2]] == [(0, 100), (100, 120)]
    assert series(tokens, "cost") == {"cost (USD)": [0.5] * 4}
    assert values(tokens, "hover")[0]["v2"] == "$0.5000"


def test_bars_put_the_largest_on_top() -> None:
    spec = valid(charts.bar_spec({"a": 1.0, "b": 3.0, "": 2.0}, money=True, limit=2))
    rows = values(spec, "bars")
    assert [(r["label"], r["text"]) for r in rows] == [("b", "$3.00"), ("(none)", "$2.00")]
    assert charts.layer(spec, "bars")["encoding"]["y"]["sort"] == ["b", "(none)"]  # type: ignore[index]
    assert values(spec, "values") == rows  # each bar labelled with its value


def test_pass_rate_and_cost_over_time() -> None:
    names: list[EvaluationName] = [
        {
            "name": "cites_docs",
            "buckets": [
                {"time_ns": 0, "pass_rate": 0.5},
                {"time_ns": HOUR_NS, "pass_rate": None},  # no results: the line joins over it
                {"time_ns": 2 * HOUR_NS, "pass_rate": 1.0},
            ],
        }
    ]
    spec = valid(charts.pass_rate_spec(names))
    assert series(spec, "pass rate") == {"cites_docs": [0.5, 1.0]}
    assert [row["v0"] for row in values(spec, "hover")] == ["50.0%", "–", "100.0%"]
    cost = [
        {"group": "gpt-4.1", "totals": {}, "buckets": [_bucket(0, cost_usd=1.0)]},
        {"group": "", "totals": {}, "buckets": [_bucket(0, cost_usd=0.5)]},
    ]
    spec = valid(charts.cost_over_time_spec(cost))  # type: ignore[arg-type]
    assert series(spec, "cost") == {"gpt-4.1": [1.0], "(none)": [0.5]}
    area = charts.layer(spec, "cost")
    assert area["mark"]["type"] == "area" and area["encoding"]["y"]["stack"] == "zero"  # type: ignore[index]
    # a model name with a dot is a tooltip title, never a field name
    assert [t["title"] for t in charts.layer(spec, "hover")["encoding"]["tooltip"]] == [  # type: ignore[index]
        "bucket", "gpt-4.1", "(none)",
    ]  # fmt: skip


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


def test_distribution_overlays_shares_per_bin() -> None:
    feature: DriftFeature = {
        "feature": "latency", "kind": "numeric", "verdict": "drift",
        "bin_edges": [100.0, 200.0], "baseline_counts": [50, 30, 20],
        "current_counts": [10, 10],  # a short list: missing bins are empty
        "median_baseline": 100.0, "median_current": 250.0,
    }  # fmt: skip
    spec = valid(charts.distribution_spec(feature, unit="ms"))
    rows = values(spec, "distribution")
    baseline = [r for r in rows if r["window"] == "baseline"]
    current = [r for r in rows if r["window"] == "current"]
    assert [r["bin"] for r in baseline] == ["≤ 100", "100 – 200", "> 200"]
    assert [r["share"] for r in baseline] == [0.5, 0.3, 0.2]
    assert [r["share"] for r in current] == [0.5, 0.5, 0.0]
    assert [r["count"] for r in current] == [10, 10, 0]
    # the legend names each window with its values and median
    assert charts.layer(spec, "distribution")["encoding"]["color"]["scale"]["domain"] == [  # type: ignore[index]
        "baseline (100 values, median 100)",
        "current (20 values, median 250)",
    ]
    encoding = charts.layer(spec, "distribution")["encoding"]  # type: ignore[index]
    assert encoding["y"]["stack"] is None  # overlaid, not stacked
    assert encoding["x"]["sort"] == ["≤ 100", "100 – 200", "> 200"]
    assert encoding["x"]["title"] == "latency (ms)"


def test_moved_categories_put_the_largest_move_on_top() -> None:
    feature: DriftFeature = {
        "feature": "finish_reason", "kind": "categorical",
        "top_movers": [
            {"category": "stop", "baseline_share": 0.9, "current_share": 0.85, "change": -0.05},
            {"category": "length", "baseline_share": 0.1, "current_share": 0.4, "change": 0.3},
            {"category": "", "baseline_share": 0.0, "current_share": 0.1, "change": 0.1},
        ],
    }  # fmt: skip
    spec = valid(charts.moved_categories_spec(feature))
    bars = charts.layer(spec, "shares")
    assert bars["encoding"]["y"]["sort"] == ["length", "(empty)", "stop"]  # type: ignore[index]
    shares = {(r["category"], r["series"]): r["share"] for r in values(spec, "shares")}
    assert shares[("length", "baseline")] == 0.1 and shares[("length", "current")] == 0.4
    assert [(r["category"], r["change"]) for r in values(spec, "changes")] == [
        ("length", "+30.0 pts"), ("(empty)", "+10.0 pts"), ("stop", "-5.0 pts"),
    ]  # fmt: skip


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
    buckets = [_bucket(i, traces=i, errors=0) for i in range(10)]
    events = [
        _event("a", "resolved", 6),
        _event("a", "firing", 3, "critical"),
        _event("b", "firing", 8),  # still firing at the end
    ]
    plain = charts.volume_spec(buckets)
    spec = valid(charts.add_regression_markers(plain, events, T0, T0 + 10 * HOUR_NS))
    assert spec["layer"][-len(plain["layer"]) - 4 : -4] == plain["layer"]  # drawn around it
    shaded = values(spec, "regressions")
    assert [(r["rule"], r["from"], r["to"], r["color"]) for r in shaded] == [
        ("rule a", _hour(3), _hour(6), charts.SEVERITY_COLORS["critical"]),
        ("rule b", _hour(8), _hour(10), charts.SEVERITY_COLORS["warning"]),
    ]
    assert charts.layer(spec, "regressions")["mark"]["fillOpacity"] == 0.1  # type: ignore[index]
    assert [r["from"] for r in values(spec, "fired")] == [_hour(3), _hour(8)]
    assert [r["to"] for r in values(spec, "resolved")] == [_hour(6)]  # only rule a resolved
    resolved = charts.layer(spec, "resolved")["mark"]  # type: ignore[index]
    assert resolved["color"] == charts.RESOLVED_COLOR and resolved["strokeDash"] == [1, 3]
    assert charts.layer(spec, "fired")["mark"]["strokeDash"] == [5, 3]  # type: ignore[index]
    # the rule's name on top, towards the middle of the range; the message on hover
    labels = values(spec, "regression labels (left)")
    assert [(r["label"], r["side"]) for r in labels] == [
        ("⚠ rule a", "left"),
        ("⚠ rule b", "right"),
    ]
    assert (
        labels[0]["detail"] == "rule a (critical, resolved)" and labels[0]["message"] == "a firing"
    )
    assert charts.add_regression_markers(plain, [], T0, T0 + 1) == plain


def test_a_partial_last_bucket_is_shaded_and_labelled() -> None:
    plain = charts.latency_spec([_bucket(i, latency_ms={"p50": 1.0}) for i in range(3)])
    last = T0 + 2 * HOUR_NS
    spec = valid(charts.mark_partial_bucket(plain, last, 3600, now_ns=last + HOUR_NS // 2))
    (shade,) = values(spec, charts.PARTIAL_BUCKET)
    assert (shade["from"], shade["to"]) == (_hour(2), _hour(3))
    assert spec["layer"][0]["name"] == charts.PARTIAL_BUCKET  # under the lines
    (label,) = values(spec, "partial label")
    assert label["label"] == "partial" and spec["layer"][-1]["name"] == "partial label"
    assert charts.layer(spec, "partial label")["encoding"]["text"] == {"field": "label"}  # type: ignore[index]
    # once the bucket has ended it is whole: nothing marked
    assert charts.mark_partial_bucket(plain, last, 3600, now_ns=last + HOUR_NS) == plain
    assert charts.mark_partial_bucket(plain, last, 0, now_ns=last) == plain


def test_alert_timeline_has_a_row_per_rule() -> None:
    t0 = 1_800_000_000 * 10**9
    events = [
        _event("b", "firing", 9, "critical"),
        _event("a", "resolved", 6),
        _event("a", "firing", 3),
    ]
    spec = valid(charts.alert_timeline_spec(events, t0, t0 + 10 * HOUR_NS))
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
