"""Metrics: summary (with the previous period), time series (filled buckets, groups,
aligned comparison, auto interval), cost. Data: ``query_seed``."""

from __future__ import annotations

import pytest

from tests.collector.api.query_seed import (
    RANGE,
    Seeded,
    seeded_fixture,  # noqa: F401  (the ``seeded`` fixture)
)

CURRENT = {
    "spans": 7,
    "traces": 3,
    "errors": 2,
    "error_rate": pytest.approx(2 / 7),
    "latency_ms": {"p50": 1000.0, "p95": 2800.0, "p99": 2960.0},  # roots: 500, 1000, 3000
    "llm_latency_ms": {"p50": 800.0, "p95": 2690.0, "p99": 2858.0},  # LLM: 400, 800, 2900
    "ttft_ms": {"p50": 300.0, "p95": 390.0},  # 200, 400
    "input_tokens": 450,
    "output_tokens": 15,
    "total_tokens": 465,
    "cost_usd": pytest.approx(0.045),
    "unpriced_llm_spans": 0,
}
PREVIOUS = {
    "spans": 2,
    "traces": 1,
    "errors": 0,
    "error_rate": 0.0,
    "latency_ms": {"p50": 2000.0, "p95": 2000.0, "p99": 2000.0},
    "llm_latency_ms": {"p50": 1500.0, "p95": 1500.0, "p99": 1500.0},
    "ttft_ms": {"p50": None, "p95": None},
    "input_tokens": 10,
    "output_tokens": 1,
    "total_tokens": 11,
    "cost_usd": pytest.approx(0.001),
    "unpriced_llm_spans": 0,
}
EMPTY = {
    "spans": 0,
    "traces": 0,
    "errors": 0,
    "error_rate": 0.0,
    "latency_ms": {"p50": None, "p95": None, "p99": None},
    "llm_latency_ms": {"p50": None, "p95": None, "p99": None},
    "ttft_ms": {"p50": None, "p95": None},
    "input_tokens": 0,
    "output_tokens": 0,
    "total_tokens": 0,
    "cost_usd": 0.0,
    "unpriced_llm_spans": 0,
}


def test_summary_totals_and_previous_period(seeded: Seeded) -> None:
    body = seeded.ok("/api/v1/metrics/summary", **RANGE, compare="true")
    (row,) = body["groups"]
    comparison = row.pop("comparison")
    assert row == {"group": "all", **CURRENT, "previous": PREVIOUS}
    # the previous period holds 1 trace: no baseline for its latency (too few samples)
    latency = comparison["latency_p95"]
    assert latency["change"] is None and latency["baseline_count"] == 1
    assert latency["reason"].startswith("no baseline")
    assert body["previous"]["totals"] == PREVIOUS
    assert body["previous"]["to_ns"] == body["from_ns"]
    assert seeded.ok("/api/v1/metrics/summary", **RANGE)["previous"] is None


def test_summary_by_model_compares_each_group(seeded: Seeded) -> None:
    body = seeded.ok("/api/v1/metrics/summary", **RANGE, group_by="model", compare="true")
    groups = {g["group"]: g for g in body["groups"]}
    assert [g["group"] for g in body["groups"]] == ["", "gpt-4o-mini", "claude-sonnet-4-5"]
    # a trace is its root span: no root span has a model
    assert (groups["gpt-4o-mini"]["spans"], groups["gpt-4o-mini"]["traces"]) == (2, 0)
    # LLM call latency of the group's LLM spans: 400, 800; trace latency is of root
    # spans, and no root span has a model
    assert groups["gpt-4o-mini"]["llm_latency_ms"]["p50"] == 600.0
    assert groups["gpt-4o-mini"]["latency_ms"]["p50"] is None
    assert groups[""]["latency_ms"] == CURRENT["latency_ms"]
    assert groups["gpt-4o-mini"]["previous"]["spans"] == 1
    assert groups["claude-sonnet-4-5"]["previous"] is None
    assert body["previous"]["totals"] == PREVIOUS


def test_timeseries_fills_empty_buckets_and_aligns_the_previous_period(seeded: Seeded) -> None:
    body = seeded.ok("/api/v1/metrics/timeseries", **RANGE, interval="3600", compare="true")
    assert body["interval"] == 3600
    (series,) = body["series"]
    assert series["group"] == "all" and series["totals"] == CURRENT
    buckets = series["buckets"]
    assert [b["offset"] for b in buckets] == [0, 1, 2, 3]
    assert [b["time_ns"] for b in buckets] == [
        body["from_ns"] + k * 3_600_000_000_000 for k in range(4)
    ]
    assert [(b["spans"], b["traces"], b["errors"]) for b in buckets] == [
        (3, 1, 0),
        (2, 1, 2),
        (2, 1, 0),
        (0, 0, 0),
    ]
    assert buckets[1]["latency_ms"] == {"p50": 3000.0, "p95": 3000.0, "p99": 3000.0}
    assert buckets[0]["ttft_ms"] == {"p50": 200.0, "p95": 200.0}
    assert buckets[0]["cost_usd"] == pytest.approx(0.01)
    assert {k: v for k, v in buckets[3].items() if k in EMPTY} == EMPTY

    (prev,) = body["previous"]["series"]
    assert prev["totals"] == PREVIOUS
    assert [b["spans"] for b in prev["buckets"]] == [0, 0, 2, 0]  # T0 at A - 2h: offset 2
    assert prev["buckets"][0]["time_ns"] == body["from_ns"] - 4 * 3_600_000_000_000


def test_timeseries_by_group_limits_to_the_top_groups(seeded: Seeded) -> None:
    body = seeded.ok("/api/v1/metrics/timeseries", **RANGE, interval="3600", group_by="model")
    assert [s["group"] for s in body["series"]] == ["", "gpt-4o-mini", "claude-sonnet-4-5"]
    gpt = body["series"][1]
    assert [b["spans"] for b in gpt["buckets"]] == [1, 0, 1, 0]
    assert gpt["totals"]["llm_latency_ms"]["p50"] == 600.0
    top = seeded.ok("/api/v1/metrics/timeseries", **RANGE, interval="3600", group_by="tag", limit=1)
    assert [(s["group"], s["totals"]["spans"]) for s in top["series"]] == [("", 5)]


def test_auto_interval_and_bad_intervals(seeded: Seeded) -> None:
    body = seeded.ok("/api/v1/metrics/timeseries", **RANGE)
    assert body["interval"] == 120  # 4 h / 120 s = 120 buckets
    assert len(body["series"][0]["buckets"]) == 120
    assert sum(b["spans"] for b in body["series"][0]["buckets"]) == 7
    for bad in ({"interval": "7"}, {"interval": "60", "from": "0"}, {"group_by": "nope"}):
        resp = seeded.get("/api/v1/metrics/timeseries", **bad)
        assert resp.status_code == 400, resp.text
    assert (
        "interval"
        in seeded.get("/api/v1/metrics/timeseries", interval="7").json()["error"]["message"]
    )


def test_cost_breakdown(seeded: Seeded) -> None:
    body = seeded.ok("/api/v1/cost", **RANGE)
    assert body["total_cost_usd"] == pytest.approx(0.045)
    assert [(g["group"], g["cost_usd"], g["share"]) for g in body["groups"]] == [
        ("claude-sonnet-4-5", pytest.approx(0.03), pytest.approx(2 / 3)),
        ("gpt-4o-mini", pytest.approx(0.015), pytest.approx(1 / 3)),
        ("", 0.0, 0.0),
    ]
    by_user = seeded.ok("/api/v1/cost", **RANGE, group_by="user")["groups"]
    # the user is an attribute of the trace: all of its spans count for the user
    assert {g["group"]: g["spans"] for g in by_user} == {"alice": 5, "bob": 2}
    assert {g["group"]: g["cost_usd"] for g in by_user} == {
        "alice": pytest.approx(0.015),
        "bob": pytest.approx(0.03),
    }
    by_tag = seeded.ok("/api/v1/cost", **RANGE, group_by="tag")
    assert by_tag["total_cost_usd"] == pytest.approx(0.045)  # not double-counted
    assert seeded.get("/api/v1/cost", group_by="name").status_code == 400


def test_cost_by_tag_counts_each_trace_once_in_totals(seeded: Seeded) -> None:
    """T2 has tags prod and beta: it is in both rows (which overlap, and say so), but
    the totals count its LLM call and its cost once."""
    body = seeded.ok("/api/v1/cost", **RANGE, group_by="tag")
    rows = {g["group"]: g for g in body["groups"]}
    assert {k: (g["traces"], g["llm_calls"]) for k, g in rows.items()} == {
        "prod": (2, 2),
        "beta": (1, 1),
        "": (1, 1),
    }
    assert rows["prod"]["cost_usd"] == pytest.approx(0.04)  # T1 0.01 + T2 0.03
    assert body["groups_overlap"] is True
    totals = body["totals"]
    assert (totals["traces"], totals["llm_calls"], totals["spans"]) == (3, 3, 7)
    assert totals["cost_usd"] == pytest.approx(0.045) == body["total_cost_usd"]
    assert seeded.ok("/api/v1/cost", **RANGE, group_by="model")["groups_overlap"] is False


def test_comparison_says_no_baseline_under_the_minimum_sample(seeded: Seeded) -> None:
    """The previous period holds 1 trace and 2 spans: below the minimum sample, every
    change is null with a reason, never a percentage."""
    body = seeded.ok("/api/v1/metrics/summary", **RANGE, compare="true")
    comparison = body["groups"][0]["comparison"]
    for name in ("latency_p95", "volume", "cost_total", "error_rate"):
        item = comparison[name]
        assert item["change"] is None and item["verdict"] is None, name
        assert item["reason"].startswith("no baseline"), name
    assert comparison["volume"]["baseline_count"] == 2
    assert comparison["volume"]["current_count"] == 7
    assert body["previous"]["samples"]["traces"] == 1
