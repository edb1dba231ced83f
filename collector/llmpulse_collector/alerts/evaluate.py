"""Evaluate one alert rule at one instant, without state: ``evaluate_rule``.

Windows are half-open and end at ``now``: current ``[now - window, now)``; the
baseline window (length ``baseline_window``, default ``window``) ends where the
current one starts (``previous``), or one day / one week before ``now``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from llmpulse_collector.alerts.metrics import Measurement, measure
from llmpulse_collector.alerts.rules import EVALUATION_METRICS, METRICS, AlertRule
from llmpulse_collector.analysis.drift import DriftQuery, drift_report
from llmpulse_collector.analysis.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from llmpulse_collector.analysis.thresholds import VERDICT_RANK, Thresholds, Verdict
from llmpulse_collector.store.client import Store
from llmpulse_collector.store.metricdefs import METRICS as METRIC_DEFS
from llmpulse_collector.store.metricdefs import direction_verdict

__all__ = ["Evaluation", "Status", "evaluate_rule", "windows"]

Status = Literal["firing", "ok", "insufficient_data"]
_DAY = 86_400_000_000_000
_SHIFT = {"previous": 0, "day": _DAY, "week": 7 * _DAY}
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass
class Evaluation:
    rule_name: str
    metric: str
    status: Status
    value: float | None
    samples: int
    window: tuple[int, int]
    baseline: float | None = None
    baseline_samples: int | None = None
    baseline_window: tuple[int, int] | None = None
    change: float | None = None  # relative or absolute, as the condition says
    threshold: str = ""
    verdict: str | None = None  # drift rules
    message: str = ""
    link: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def windows(rule: AlertRule, now_ns: int) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """The current window and, for change/drift conditions, the baseline window."""
    current = (now_ns - rule.window_ns, now_ns)
    cond = rule.condition
    if cond.kind == "threshold":
        return current, None
    end = current[0] if cond.baseline == "previous" else now_ns - _SHIFT[cond.baseline]
    return current, (end - rule.baseline_window_ns, end)


def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    unit = METRICS.get(metric, "")
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "USD":
        return f"${value:.6g}"
    return f"{value:.4g}{' ' + unit if unit else ''}"


def _subject(rule: AlertRule) -> str:
    what = rule.metric
    if rule.metric in EVALUATION_METRICS:
        what = f"{rule.metric.replace('_', ' ')} of '{rule.assertion}'"
    elif rule.metric == "drift":
        what = f"drift of {rule.feature}"
    scope = ", ".join(f"{k}={v}" for k, v in sorted(rule.filters.items()))
    return f"{what} ({scope})" if scope else what


def _link(
    base: str | None,
    rule: AlertRule,
    rule_id: str,
    cur: tuple[int, int],
    base_win: tuple[int, int] | None,
) -> str | None:
    if not base:
        return None
    query: dict[str, Any] = {"rule": rule_id, "from": cur[0] // 10**9, "to": cur[1] // 10**9}
    page = "alerts"
    if rule.metric == "drift" and base_win is not None:
        page = "drift"
        query.update(
            feature=rule.feature,
            baseline_from=base_win[0] // 10**9,
            baseline_to=base_win[1] // 10**9,
        )
    query.update(rule.filters)
    return f"{base.rstrip('/')}/{page}?{urlencode(query)}"


def _evaluate_drift(
    store: Store, project_id: str, rule: AlertRule, ev: Evaluation, base_win: tuple[int, int]
) -> None:
    assert rule.feature is not None and rule.condition.kind == "drift"
    numeric = [rule.feature] if rule.feature in NUMERIC_FEATURES else []
    categorical = [rule.feature] if rule.feature in CATEGORICAL_FEATURES else []
    report = drift_report(
        store,
        DriftQuery(
            project_id=project_id,
            baseline=base_win,
            current=ev.window,
            filters=rule.filters,
            numeric=numeric,
            categorical=categorical,
            thresholds=Thresholds(min_samples=max(rule.min_samples, 1)),
        ),
    )
    groups = report["groups"]
    feature = groups[0]["features"][0] if groups else None
    if feature is None or feature["verdict"] == Verdict.NOT_ENOUGH_DATA:
        ev.status = "insufficient_data"
        ev.samples = feature["current_count"] if feature else 0
        ev.baseline_samples = feature["baseline_count"] if feature else 0
        ev.message = f"{_subject(rule)}: not enough data"
        return
    verdict = Verdict(feature["verdict"])
    ev.verdict = verdict.value
    ev.samples, ev.baseline_samples = feature["current_count"], feature["baseline_count"]
    score_name = "psi" if feature["kind"] == "numeric" else "js_distance"
    ev.value = feature[score_name]
    ev.details = feature
    wanted = Verdict(rule.condition.level)
    ev.threshold = f"verdict >= {wanted.value}"
    ev.status = "firing" if VERDICT_RANK[verdict] >= VERDICT_RANK[wanted] else "ok"
    extra = ""
    if feature["kind"] == "numeric":
        extra = (
            f", median {feature['median_baseline']:.4g} -> {feature['median_current']:.4g}"
            f" (KS p={feature['ks_p_value']:.2g})"
        )
    else:
        movers = feature.get("top_movers") or []
        if movers:
            m = movers[0]
            extra = (
                f", '{m['category']}' {m['baseline_share'] * 100:.1f}% -> "
                f"{m['current_share'] * 100:.1f}%"
            )
    ev.message = (
        f"{_subject(rule)}: {verdict.value} ({score_name} {ev.value:.3g}{extra}) "
        f"vs the {rule.condition.baseline} window"
    )


def evaluate_rule(
    store: Store,
    project_id: str,
    rule: AlertRule,
    now_ns: int,
    *,
    rule_id: str = "",
    dashboard_url: str | None = None,
) -> Evaluation:
    """Measure the rule's windows and decide: firing, ok or insufficient_data."""
    current, base_win = windows(rule, now_ns)
    ev = Evaluation(rule.name, rule.metric, "ok", None, 0, current, baseline_window=base_win)
    ev.link = _link(dashboard_url, rule, rule_id or rule.name, current, base_win)
    cond = rule.condition
    if cond.kind == "drift":
        assert base_win is not None
        _evaluate_drift(store, project_id, rule, ev, base_win)
        return ev
    cur = measure(store, project_id, rule, *current)
    ev.value, ev.samples = cur.value, cur.samples
    enough = rule.metric == "volume" or cur.samples >= rule.min_samples
    if cond.kind == "threshold":
        ev.threshold = f"{cond.op} {_fmt(cond.value, rule.metric)}"
        if not enough or cur.value is None:
            ev.status = "insufficient_data"
            ev.message = (
                f"{_subject(rule)}: {cur.samples} samples in the window, {rule.min_samples} needed"
            )
            return ev
        ev.status = "firing" if _OPS[cond.op](cur.value, cond.value) else "ok"
        ev.message = (
            f"{_subject(rule)} is {_fmt(cur.value, rule.metric)} over the last "
            f"{rule.window} (threshold {ev.threshold}, {cur.samples} samples)"
        )
        return ev
    assert base_win is not None
    base: Measurement = measure(store, project_id, rule, *base_win)
    ev.baseline, ev.baseline_samples = base.value, base.samples
    base_enough = rule.metric == "volume" or base.samples >= rule.min_samples
    if cond.relative:
        ev.threshold = f"change {cond.op} {cond.value * 100:+.0f}%"
    else:
        ev.threshold = f"change {cond.op} {cond.value:+g}"
    if (
        not (enough and base_enough)
        or cur.value is None
        or base.value is None
        or (cond.relative and base.value == 0)
    ):
        ev.status = "insufficient_data"
        ev.message = (
            f"{_subject(rule)}: {cur.samples} current and {base.samples} baseline "
            f"samples, {rule.min_samples} needed in each"
        )
        return ev
    diff = cur.value - base.value
    ev.change = diff / abs(base.value) if cond.relative else diff
    # better or worse by the metric's direction (None: a neutral metric)
    ev.details["direction"] = direction_verdict(METRIC_DEFS[rule.metric].direction, diff)
    ev.status = "firing" if _OPS[cond.op](ev.change, cond.value) else "ok"
    how = f"{ev.change * 100:+.1f}%" if cond.relative else f"{diff:+.4g}"
    if not cond.relative and METRICS.get(rule.metric) == "ratio":
        how = f"{diff * 100:+.1f} points"
    ev.message = (
        f"{_subject(rule)} is {_fmt(cur.value, rule.metric)}, {how} vs the "
        f"{cond.baseline} window ({_fmt(base.value, rule.metric)}); "
        f"threshold {ev.threshold}"
    )
    return ev
