"""The alert rule format: durations, validation messages, windows."""

from __future__ import annotations

import pytest

from llmpulse_collector.alerts.evaluate import windows
from llmpulse_collector.alerts.rules import AlertRule, parse_duration, parse_rules

MIN = 60_000_000_000


def test_durations() -> None:
    assert parse_duration("15m") == 15 * MIN
    assert parse_duration("1.5h") == 90 * MIN
    assert parse_duration(30) == 30_000_000_000
    with pytest.raises(ValueError, match=r"use e\.g\. 30s"):
        parse_duration("15 minutes")


def test_a_full_file_parses() -> None:
    parsed = parse_rules(
        """
notifiers:
  - {name: ops, type: slack, url: "https://hooks.slack.com/services/T/B/X"}
rules:
  - name: p95 up
    project: shop
    metric: latency_p95
    filters: {model: gpt-4o, service: api}
    window: 15m
    condition: {kind: change, baseline: week, op: ">", value: 0.5}
    notify: [ops]
    renotify: 4h
"""
    )
    [rule] = parsed.rules
    assert rule.renotify_ns == 240 * MIN and rule.cooldown_ns == 0
    now = 1_000_000 * MIN
    current, baseline = windows(rule, now)
    assert current == (now - 15 * MIN, now)
    assert baseline == (now - 7 * 24 * 60 * MIN - 15 * MIN, now - 7 * 24 * 60 * MIN)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"metric": "vibes"}, "metric must be one of"),
        ({"metric": "pass_rate"}, "needs 'assertion'"),
        ({"metric": "drift", "feature": "latency"}, "condition of kind 'drift'"),
        ({"metric": "drift", "feature": "mood", "condition": {"kind": "drift"}}, "needs 'feature'"),
        ({"filters": {"user": "u"}}, "filters must be among"),
        ({"window": "soon"}, "invalid duration"),
        ({"condition": {"kind": "drift"}}, "needs metric 'drift'"),
    ],
)
def test_invalid_rules_say_what_to_fix(rule: dict[str, object], message: str) -> None:
    base = {"name": "r", "metric": "error_rate", "condition": {"kind": "threshold", "value": 0.1}}
    with pytest.raises(ValueError, match=message):
        AlertRule.model_validate({**base, **rule})


def test_unknown_notifier_and_duplicates() -> None:
    with pytest.raises(ValueError, match="unknown notifier 'pager'"):
        parse_rules(
            "rules: [{name: r, metric: volume, condition: {kind: threshold, value: 1}, "
            "notify: [pager]}]"
        )
    with pytest.raises(ValueError, match="unique"):
        parse_rules(
            "rules: [{name: r, metric: volume, condition: {kind: threshold, value: 1}}, "
            "{name: r, metric: volume, condition: {kind: threshold, value: 2}}]"
        )
