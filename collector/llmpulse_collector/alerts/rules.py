"""The alert rule format, shared by the YAML file, the API and ``llmpulse alerts check``.

See docs/alerts.md. A rule names a metric, filters, a window and a condition:

.. code-block:: yaml

    notifiers:
      - {name: ops, type: slack, url: "https://hooks.slack.com/services/..."}
    rules:
      - name: gpt-4o p95 latency up
        project: shop
        metric: latency_p95
        filters: {model: gpt-4o}
        window: 15m
        condition: {kind: change, baseline: previous, op: ">", value: 0.5}
        min_samples: 50
        severity: critical
        cooldown: 30m
        renotify: 4h
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from llmpulse_collector.analysis.features import CATEGORICAL_FEATURES, FILTERS, NUMERIC_FEATURES
from llmpulse_collector.store.metricdefs import METRICS as METRIC_DEFS
from llmpulse_collector.store.metricdefs import MIN_BASELINE_SAMPLES

__all__ = [
    "EVALUATION_METRICS",
    "METRICS",
    "AlertRule",
    "ChangeCondition",
    "Condition",
    "DriftCondition",
    "NotifierConfig",
    "RuleFile",
    "ThresholdCondition",
    "load_rules_file",
    "parse_duration",
    "parse_rules",
]

#: metric name -> unit (for messages): the registry's alertable metrics, and drift
METRICS: dict[str, str] = {
    **{m.name: m.unit for m in METRIC_DEFS.values() if m.alertable},
    "drift": "",
}
#: metrics over evaluations (they need ``assertion``: the evaluation's name)
EVALUATION_METRICS = frozenset(m.name for m in METRIC_DEFS.values() if m.table == "evaluations")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_NS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
Op = Literal[">", ">=", "<", "<="]


def parse_duration(value: str | int | float) -> int:
    """Nanoseconds from ``30s``, ``15m``, ``1h``, ``1d``, ``1w`` or a number of seconds."""
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"invalid duration {value!r}: use e.g. 30s, 15m, 1h, 1d, 1w")
        seconds = float(match[1]) * _UNIT_NS[match[2]]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return int(seconds * 1_000_000_000)


Duration = Annotated[str | int | float, Field(description="e.g. 30s, 15m, 1h, 1d, 1w")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThresholdCondition(_Strict):
    """Fires when the metric compares to ``value`` with ``op``."""

    kind: Literal["threshold"]
    op: Op = ">"
    value: float


class ChangeCondition(_Strict):
    """Fires when the change against a baseline window compares to ``value`` with ``op``.

    ``relative`` (default): (current - baseline) / |baseline|, so 0.5 is +50%;
    otherwise the difference (current - baseline), e.g. -0.2 for 20 points down.
    """

    kind: Literal["change"]
    baseline: Literal["previous", "day", "week"] = "previous"
    relative: bool = True
    op: Op = ">"
    value: float


class DriftCondition(_Strict):
    """Fires when the drift verdict of ``feature`` reaches ``level``."""

    kind: Literal["drift"]
    baseline: Literal["previous", "day", "week"] = "previous"
    level: Literal["warning", "drift"] = "drift"


Condition = Annotated[
    ThresholdCondition | ChangeCondition | DriftCondition, Field(discriminator="kind")
]


class NotifierConfig(_Strict):
    name: str = Field(min_length=1)
    type: Literal["webhook", "slack"]
    url: str = Field(pattern=r"^https?://")
    headers: dict[str, str] = Field(default_factory=dict)


class AlertRule(_Strict):
    name: str = Field(min_length=1, max_length=200)
    project: str | None = Field(None, description="rules file only: project id or name")
    metric: str
    assertion: str | None = Field(
        None, description="pass_rate, feedback_positive_rate: the evaluation name"
    )
    feature: str | None = Field(None, description="drift: the feature")
    filters: dict[str, str] = Field(default_factory=dict)
    window: Duration = "15m"
    baseline_window: Duration | None = Field(
        None, description="length of the baseline window (default: window)"
    )
    condition: Condition
    min_samples: int = Field(
        MIN_BASELINE_SAMPLES, ge=0, description="samples needed in each window"
    )
    severity: Literal["info", "warning", "critical"] = "warning"
    cooldown: Duration = "0s"
    renotify: Duration | None = None
    notify: list[str] | None = Field(None, description="notifier names (default: all)")
    notifiers: list[NotifierConfig] | None = Field(
        None,
        max_length=10,
        description="the rule's own webhook / Slack notifiers (e.g. set in the dashboard); "
        "with them and no `notify`, only these are used",
    )
    description: str = ""
    enabled: bool = True

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"metric must be one of: {', '.join(METRICS)}")
        return value

    @field_validator("filters")
    @classmethod
    def _known_filters(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {*FILTERS, "source"}
        for key in value:
            if key not in allowed:
                raise ValueError(f"filters must be among: {', '.join(sorted(allowed))}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AlertRule:
        for name in ("window", "baseline_window", "cooldown", "renotify"):
            raw = getattr(self, name)
            if raw is not None:
                parse_duration(raw)
        if self.window_ns <= 0:
            raise ValueError("window must be positive")
        if self.metric in EVALUATION_METRICS and not self.assertion:
            raise ValueError(f"metric {self.metric} needs 'assertion' (the evaluation name)")
        if self.metric not in EVALUATION_METRICS and "source" in self.filters:
            raise ValueError(
                f"the 'source' filter applies to metrics {', '.join(sorted(EVALUATION_METRICS))}"
            )
        if self.metric == "drift":
            features = {*NUMERIC_FEATURES, *CATEGORICAL_FEATURES}
            if self.feature not in features:
                raise ValueError(f"metric drift needs 'feature', one of: {', '.join(features)}")
            if self.condition.kind != "drift":
                raise ValueError("metric drift needs a condition of kind 'drift'")
        elif self.condition.kind == "drift":
            raise ValueError("a condition of kind 'drift' needs metric 'drift'")
        return self

    @property
    def window_ns(self) -> int:
        return parse_duration(self.window)

    @property
    def baseline_window_ns(self) -> int:
        return parse_duration(self.baseline_window) if self.baseline_window else self.window_ns

    @property
    def cooldown_ns(self) -> int:
        return parse_duration(self.cooldown)

    @property
    def renotify_ns(self) -> int | None:
        return parse_duration(self.renotify) if self.renotify else None


class RuleFile(_Strict):
    notifiers: list[NotifierConfig] = Field(default_factory=list)
    rules: list[AlertRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> RuleFile:
        names = [n.name for n in self.notifiers]
        if len(set(names)) != len(names):
            raise ValueError("notifier names must be unique")
        known = set(names)
        for rule in self.rules:
            for name in rule.notify or ():
                if name not in known:
                    raise ValueError(f"rule {rule.name!r} notifies unknown notifier {name!r}")
        keys = [(r.project, r.name) for r in self.rules]
        if len(set(keys)) != len(keys):
            raise ValueError("rule names must be unique per project")
        return self


def parse_rules(text: str) -> RuleFile:
    """Validate YAML text; raises ``ValueError`` (pydantic's says which field)."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML: {exc}") from exc
    if isinstance(data, list):
        data = {"rules": data}
    return RuleFile.model_validate(data)


def load_rules_file(path: Path) -> RuleFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read alert rules from {path}: {exc}") from exc
    return parse_rules(text)
