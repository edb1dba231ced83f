"""Alerting on regressions: rules, their evaluation, state, history and notifications.

- ``rules``: the rule format (YAML file, API bodies, ``llmpulse alerts check``).
- ``metrics`` / ``evaluate``: a rule's value over its windows, and the decision.
- ``engine``: the scheduled evaluation with state, history and notifications.
- ``notifiers``: generic JSON webhook and Slack incoming webhook, with retries.
- ``state``: the ``alert_state`` and ``alert_events`` tables.
"""

from __future__ import annotations

from llmpulse_collector.alerts.engine import AlertEngine, build_payload
from llmpulse_collector.alerts.evaluate import Evaluation, evaluate_rule
from llmpulse_collector.alerts.notifiers import Notifier
from llmpulse_collector.alerts.rules import AlertRule, RuleFile, load_rules_file, parse_rules

__all__ = [
    "AlertEngine",
    "AlertRule",
    "Evaluation",
    "Notifier",
    "RuleFile",
    "build_payload",
    "evaluate_rule",
    "load_rules_file",
    "parse_rules",
]
