"""Drift statistics against SciPy / NumPy on the same samples, and the verdicts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from llmpulse_collector.analysis import DriftQuery, Thresholds, drift_report
from llmpulse_collector.model import SpanRow
from llmpulse_collector.store import Store, render_migrations
from llmpulse_collector.store.metricdefs import METRICS, MIN_BASELINE_SAMPLES, compare
from tests.collector.conftest import BASE_TIME_NS, make_span

HOUR = 3_600_000_000_000
T0 = BASE_TIME_NS - 6 * HOUR
BASELINE = (T0, T0 + HOUR)
CURRENT = (T0 + 2 * HOUR, T0 + 3 * HOUR)


def _spans(window: tuple[int, int], latencies: Any, **fields: Any) -> list[SpanRow]:
    step = (window[1] - window[0]) // (len(latencies) + 1)
    out = []
    for i, x in enumerate(latencies):
        start = window[0] + (i + 1) * step
        values = {k: v[i] if isinstance(v, list) else v for k, v in fields.items()}
        out.append(
            make_span(
                start_time=start, end_time=start + int(x * 1e6), duration_ms=float(x), **values
            )
        )
    return out


def _numpy_psi(base: np.ndarray, cur: np.ndarray, edges: list[float], eps: float) -> float:
    e = np.asarray(edges)
    b = np.bincount(np.searchsorted(e, base, side="left"), minlength=len(e) + 1) / len(base)
    c = np.bincount(np.searchsorted(e, cur, side="left"), minlength=len(e) + 1) / len(cur)
    b, c = np.maximum(b, eps), np.maximum(c, eps)
    return float(np.sum((c - b) * np.log(c / b)))


def _feature(report: dict[str, Any], name: str, group: int = 0) -> dict[str, Any]:
    [found] = [f for f in report["groups"][group]["features"] if f["feature"] == name]
    return found


@pytest.mark.parametrize(("shift", "seed"), [(0.0, 1), (0.05, 2), (0.3, 3)])
def test_numeric_statistics_match_scipy(store: Store, shift: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.lognormal(6.0, 0.5, 1500)
    cur = rng.lognormal(6.0 + shift, 0.5, 1100)
    store.insert_spans(_spans(BASELINE, base) + _spans(CURRENT, cur))

    report = drift_report(
        store, DriftQuery("demo", BASELINE, CURRENT, numeric=["latency"], categorical=[])
    )
    f = _feature(report, "latency")

    assert (f["baseline_count"], f["current_count"]) == (1500, 1100)
    # bin edges: the baseline deciles (NumPy's default, linear interpolation)
    assert f["bin_edges"] == pytest.approx(np.quantile(base, np.arange(1, 10) / 10), rel=1e-6)
    assert f["psi"] == pytest.approx(_numpy_psi(base, cur, f["bin_edges"], 1e-4), abs=1e-5)
    ks = stats.ks_2samp(base, cur, method="asymp")
    assert f["ks_statistic"] == pytest.approx(ks.statistic, abs=1e-6)
    if ks.pvalue > 1e-3:
        assert f["ks_p_value"] == pytest.approx(ks.pvalue, abs=0.02)
    elif f["ks_p_value"] > 0:  # tails: the same order of magnitude
        assert abs(np.log10(f["ks_p_value"]) - np.log10(ks.pvalue)) < 0.3
    else:  # ClickHouse rounds far tails to 0
        assert ks.pvalue < 1e-12
    assert f["median_baseline"] == pytest.approx(np.median(base), rel=1e-6)
    assert f["median_current"] == pytest.approx(np.median(cur), rel=1e-6)
    assert f["median_shift"] == pytest.approx(np.median(cur) - np.median(base), rel=1e-4)
    assert sum(f["baseline_counts"]) == 1500 and sum(f["current_counts"]) == 1100
    expected = {0.0: "stable", 0.05: "stable", 0.3: "drift"}[shift]
    assert f["verdict"] == expected


def test_categorical_distance_matches_scipy(store: Store) -> None:
    base_reasons = ["stop"] * 700 + ["length"] * 200 + ["tool_calls"] * 100
    cur_reasons = ["stop"] * 450 + ["length"] * 450 + ["content_filter"] * 100
    store.insert_spans(
        _spans(BASELINE, [100.0] * 1000, finish_reason=base_reasons)
        + _spans(CURRENT, [100.0] * 1000, finish_reason=cur_reasons)
    )
    report = drift_report(
        store, DriftQuery("demo", BASELINE, CURRENT, numeric=[], categorical=["finish_reason"])
    )
    f = _feature(report, "finish_reason")
    cats = ["stop", "length", "tool_calls", "content_filter"]
    p = [base_reasons.count(c) / 1000 for c in cats]
    q = [cur_reasons.count(c) / 1000 for c in cats]
    assert f["js_distance"] == pytest.approx(jensenshannon(p, q, base=2), abs=1e-6)
    assert f["verdict"] == "drift"
    movers = {m["category"]: m for m in f["top_movers"]}
    assert f["top_movers"][0]["category"] == "length"
    assert movers["length"]["change"] == pytest.approx(0.25)
    assert movers["content_filter"]["baseline_share"] == 0.0


def test_output_descriptors_are_computed_on_insert(store: Store) -> None:
    outputs = ['{"answer": 42}', "I'm sorry, but I can't help with that.", "你好，世界", "Привет"]
    store.insert_spans([make_span(output=o) for o in outputs])
    rows = store.query(
        "SELECT output_chars, output_is_json, output_refusal, output_script "
        f"FROM {store.table('spans')} ORDER BY start_time"
    )
    assert [tuple(r.values()) for r in rows] == [
        (14, 1, 0, "latin"),
        (38, 0, 1, "latin"),
        (5, 0, 0, "han"),
        (6, 0, 0, "cyrillic"),
    ]
    stored = store.query(
        "SELECT DISTINCT column FROM system.parts_columns WHERE database = {db:String} "
        "AND table = 'spans' AND active AND column IN ('output_chars', 'output_is_json', "
        "'output_refusal', 'output_script')",
        {"db": store.database},
    )
    assert {r["column"] for r in stored} == {
        "output_chars",
        "output_is_json",
        "output_refusal",
        "output_script",
    }


def test_text_descriptor_drift_is_visible(store: Store) -> None:
    store.insert_spans(
        _spans(BASELINE, [100.0] * 400, output="Here is your answer.")
        + _spans(CURRENT, [100.0] * 200, output="Here is your answer.")
        + _spans((CURRENT[0] + 1, CURRENT[1]), [100.0] * 200, output="I'm sorry, but I cannot.")
    )
    report = drift_report(
        store,
        DriftQuery(
            "demo", BASELINE, CURRENT, numeric=["output_chars"], categorical=["output_refusal"]
        ),
    )
    refusal = _feature(report, "output_refusal")
    assert refusal["verdict"] == "drift"
    assert {m["category"]: m["current_share"] for m in refusal["top_movers"]}["refusal"] == 0.5


def test_below_min_samples_there_is_no_verdict(store: Store) -> None:
    store.insert_spans(_spans(BASELINE, [100.0] * 50) + _spans(CURRENT, [900.0] * 50))
    report = drift_report(store, DriftQuery("demo", BASELINE, CURRENT))
    [group] = report["groups"]
    assert group["verdict"] == "not_enough_data"
    for f in group["features"]:
        assert f["verdict"] == "not_enough_data"
        assert "psi" not in f and "js_distance" not in f
        if f["feature"] == "latency":
            assert "not enough data: 50 baseline and 50 current samples" in f["message"]
    low = drift_report(
        store,
        DriftQuery(
            "demo",
            BASELINE,
            CURRENT,
            numeric=["latency"],
            categorical=[],
            thresholds=Thresholds(min_samples=20),
        ),
    )
    assert _feature(low, "latency")["verdict"] == "drift"


def test_groups_by_model_find_the_drifted_one(store: Store) -> None:
    rng = np.random.default_rng(4)
    spans = []
    for model, factor in (("gpt-4o", 2.0), ("gpt-4o-mini", 1.0)):
        spans += _spans(BASELINE, rng.lognormal(6, 0.4, 600), model=model)
        spans += _spans(CURRENT, rng.lognormal(6, 0.4, 600) * factor, model=model)
    store.insert_spans(spans)
    report = drift_report(
        store,
        DriftQuery(
            "demo", BASELINE, CURRENT, group_by=["model"], numeric=["latency"], categorical=[]
        ),
    )
    verdicts = {g["group"]["model"]: g["verdict"] for g in report["groups"]}
    assert verdicts == {"gpt-4o": "drift", "gpt-4o-mini": "stable"}
    only = drift_report(
        store,
        DriftQuery(
            "demo",
            BASELINE,
            CURRENT,
            filters={"model": "gpt-4o-mini"},
            numeric=["latency"],
            categorical=[],
        ),
    )
    assert [g["baseline_count"] for g in only["groups"]] == [600]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"current": (T0, T0 + 2 * HOUR)}, "must not overlap"),
        ({"group_by": ["nope"]}, "group_by must be among"),
        ({"numeric": ["nope"]}, "numeric features are"),
        ({"filters": {"user": "x"}}, "filters must be among"),
    ],
)
def test_invalid_queries_say_what_to_fix(changes: dict[str, Any], message: str) -> None:
    q = DriftQuery(**{"project_id": "demo", "baseline": BASELINE, "current": CURRENT, **changes})
    with pytest.raises(ValueError, match=message):
        q.validate()


def test_descriptor_columns_exist_on_local_and_distributed_tables_in_a_cluster() -> None:
    [statements] = [s for n, s in render_migrations("llmpulse", "c1", 30) if n == 5]
    alters = [s for s in statements if s.startswith("ALTER TABLE")]
    assert [a.split("\n")[0] for a in alters] == [
        "ALTER TABLE llmpulse.spans_local ON CLUSTER c1",
        "ALTER TABLE llmpulse.spans ON CLUSTER c1",
    ]
    for alter in alters:
        assert "output_script LowCardinality(String) MATERIALIZED" in alter
    [single] = [s for n, s in render_migrations("llmpulse", None, 30) if n == 5]
    assert sum(s.startswith("ALTER TABLE llmpulse.spans\n") for s in single) == 1


def test_a_feature_with_values_in_one_window_only_is_not_enough_data(store: Store) -> None:
    """A model new in the current window, and spans without time to first token: the
    report still answers, with "not enough data" where a sample is empty."""
    rng = np.random.default_rng(7)
    store.insert_spans(
        _spans(BASELINE, rng.lognormal(6, 0.5, 400), model="gpt-4o", time_to_first_token_ms=None)
        + _spans(CURRENT, rng.lognormal(6, 0.5, 400), model="gpt-4o", time_to_first_token_ms=None)
        + _spans(CURRENT, rng.lognormal(6, 0.5, 400), model="gpt-5")
    )
    report = drift_report(
        store,
        DriftQuery(
            "demo", BASELINE, CURRENT, group_by=["model"],
            numeric=["latency", "time_to_first_token"], categorical=[],
        ),
    )  # fmt: skip
    verdicts = {
        (g["group"]["model"], f["feature"]): f["verdict"]
        for g in report["groups"]
        for f in g["features"]
    }
    assert verdicts == {
        ("gpt-4o", "latency"): "stable",
        ("gpt-4o", "time_to_first_token"): "not_enough_data",
        ("gpt-5", "latency"): "not_enough_data",
        ("gpt-5", "time_to_first_token"): "not_enough_data",
    }


def test_a_latency_improvement_is_drift_in_the_better_direction(store: Store) -> None:
    """46% faster is drift, but ``better``; its KS p-value underflows in ClickHouse and
    is reported as ``< 1e-300`` with a finite log10, never as a bare 0."""
    rng = np.random.default_rng(7)
    base = rng.normal(1000, 50, 2000)
    cur = base[:1500] * 0.54
    store.insert_spans(_spans(BASELINE, base) + _spans(CURRENT, cur))
    report = drift_report(
        store, DriftQuery("demo", BASELINE, CURRENT, numeric=["latency"], categorical=[])
    )
    f = _feature(report, "latency")
    assert f["verdict"] == "drift"
    assert (f["direction"], f["metric_direction"]) == ("better", "lower_is_better")
    assert f["median_shift_pct"] == pytest.approx(-46, abs=1)
    assert f["ks_p_value_log10"] < -300  # D = 1 with n0 n1 / (n0 + n1) = 857: ~ -744
    if f["ks_p_value"] == 0:
        assert f["ks_p_value_text"] == "< 1e-300"


def test_compare_reports_direction_by_metric() -> None:
    """A 46% latency drop is better, not a regression; a pass rate drop is worse; under
    the minimum sample there is no baseline."""
    n = MIN_BASELINE_SAMPLES
    faster = compare(METRICS["latency_p95"], 540.0, 1000.0, n)
    assert (faster["change"], faster["verdict"]) == (pytest.approx(-0.46), "better")
    worse = compare(METRICS["pass_rate"], 0.5, 0.9, n)
    assert worse["verdict"] == "worse"
    thin = compare(METRICS["latency_p95"], 540.0, 1000.0, n - 1)
    assert (thin["change"], thin["verdict"]) == (None, None)
    assert thin["reason"].startswith("no baseline")
