"""Figure builders: pure functions from API answers to plotly figures."""

from __future__ import annotations

from typing import Any

from llmpulse_dashboard import charts
from llmpulse_dashboard.client import Bucket, EvaluationNameSummary, Span
from llmpulse_dashboard.render import flatten_spans

HOUR_NS = 3_600_000_000_000


def _bucket(i: int, **values: Any) -> Bucket:
    return {"time_ns": 1_800_000_000 * 10**9 + i * HOUR_NS, "offset": i, **values}  # type: ignore[typeddict-item]


def _trace() -> list[tuple[int, Span]]:
    llm: Span = {
        "span_id": "b" * 16, "name": "chat gpt-4o", "span_type": "llm", "offset_ms": 40.0,
        "duration_ms": 1200.0, "status_code": "ERROR", "status_message": "timeout",
        "model": "gpt-4o", "children": [],
    }  # fmt: skip
    docs: Span = {
        "span_id": "c" * 16, "name": "search_docs", "span_type": "retrieval", "offset_ms": 2.0,
        "duration_ms": 0.0001, "status_code": "OK", "children": [],
    }  # fmt: skip
    root: Span = {
        "span_id": "a" * 16, "name": "answer", "span_type": "chain", "offset_ms": 0.0,
        "duration_ms": 1300.0, "status_code": "OK", "children": [llm, docs],
    }  # fmt: skip
    return flatten_spans([root])


def test_waterfall_draws_each_span_from_its_offset_indented_by_depth() -> None:
    fig = charts.waterfall_figure(_trace(), selected="b" * 16)
    bars = {bar.name: bar for bar in fig.data}
    assert set(bars) == {"chain", "retrieval", "llm"}
    assert list(bars["chain"].base) == [0.0] and list(bars["chain"].x) == [1300.0]
    assert list(bars["llm"].base) == [40.0] and list(bars["llm"].y) == [2]
    assert list(bars["llm"].marker.color) == [charts.ERROR_COLOR]  # failed span in red
    assert list(bars["llm"].marker.line.width) == [3]  # the selected span is outlined
    assert list(bars["llm"].customdata) == ["b" * 16]  # clicks map back to span ids
    assert bars["retrieval"].x[0] > 0.0001  # a tiny span stays visible
    labels = list(fig.layout.yaxis.ticktext)
    assert labels[0] == "answer" and labels[1].endswith("└ search_docs")
    assert labels[1].startswith("\u2003")
    assert fig.layout.yaxis.autorange == "reversed"  # the root on top
    assert "timeout" in bars["llm"].hovertext[0]


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
