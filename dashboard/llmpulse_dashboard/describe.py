"""Pure descriptions shared by the Drift and Alerts pages: URL times, drift results
ranked worst first, and alert rules, conditions and values in words (no Streamlit)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from llmpulse_dashboard.api_types import DriftAnswer, DriftFeature, DriftGroup
from llmpulse_dashboard.render import fmt_cost, fmt_count, fmt_ms, fmt_pct

__all__ = [
    "DRIFT_FEATURES",
    "UNITS",
    "VERDICTS",
    "describe_condition",
    "describe_filters",
    "describe_metric",
    "drift_details",
    "fmt_number",
    "fmt_value",
    "group_label",
    "parse_time",
    "ranked",
    "rule_form_definition",
    "score",
]

#: drift verdict -> label (the colour is in the emoji)
VERDICTS = {
    "drift": "🔴 drift",
    "warning": "🟠 warning",
    "stable": "🟢 stable",
    "not_enough_data": "⚪ not enough data",
}
RANK = {"drift": 0, "warning": 1, "stable": 2, "not_enough_data": 3}
#: numeric drift feature -> unit
UNITS = {
    "latency": "ms",
    "time_to_first_token": "ms",
    "cost_per_call": "USD",
    "input_tokens": "tokens",
    "output_tokens": "tokens",
    "output_chars": "characters",
}

#: The features of the drift report (``GET /api/v1/drift``), in the API's order.
DRIFT_FEATURES = [
    "latency",
    "time_to_first_token",
    "input_tokens",
    "output_tokens",
    "cost_per_call",
    "output_chars",
    "model",
    "finish_reason",
    "status",
    "tool_name",
    "span_type",
    "output_is_json",
    "output_refusal",
    "output_script",
    "version",
    "prompt_version",
]


def parse_time(raw: str) -> datetime | None:
    """A URL time: unix seconds (as alert links carry) or ISO 8601; None if unreadable."""
    text = raw.strip()
    if not text:
        return None
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def group_label(group: DriftGroup) -> str:
    keys = group.get("group") or {}
    return ", ".join(f"{k}={v or '(none)'}" for k, v in keys.items()) or "all spans"


def score(feature: DriftFeature) -> float | None:
    """PSI (numeric) or Jensen-Shannon distance (categorical)."""
    value = feature.get("psi") if feature.get("kind") == "numeric" else feature.get("js_distance")
    return None if value is None else float(value)


def fmt_number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    if unit == "USD":
        return f"${value:.6g}"
    text = f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return f"{text} {unit}".strip() if unit and unit != "characters" else text


def drift_details(feature: DriftFeature) -> str:
    if feature.get("verdict") == "not_enough_data":
        return str(feature.get("message") or "not enough data")
    if feature.get("kind") == "numeric":
        pct = feature.get("median_shift_pct")
        shift = "" if pct is None else f" ({pct:+.1f}%)"
        unit = UNITS.get(feature.get("feature", ""), "")
        return (
            f"median {fmt_number(feature.get('median_baseline'), unit)} → "
            f"{fmt_number(feature.get('median_current'), unit)}{shift}"
        )
    movers = feature.get("top_movers") or []
    # the two that moved most, the one that gained first (a new version, then the old)
    shown = sorted(movers[:2], key=lambda m: -m["change"])
    return ", ".join(
        f"'{m['category'] or '(empty)'}' {fmt_pct(m['baseline_share'])} → "
        f"{fmt_pct(m['current_share'])}"
        for m in shown
    )


def ranked(report: DriftAnswer) -> list[tuple[DriftGroup, DriftFeature]]:
    """Every (group, feature), worst first: drift, warning, stable, not enough data;
    within a verdict the largest score first."""
    pairs = [(g, f) for g in report.get("groups", []) for f in g.get("features", [])]
    return sorted(
        pairs, key=lambda p: (RANK.get(p[1].get("verdict", ""), 9), -(score(p[1]) or 0.0))
    )


def fmt_value(value: float | None, metric: str) -> str:
    """A metric's value in its unit (drift: the PSI or JS distance)."""
    if value is None:
        return "–"
    # the units of docs/api.md's metric table: ms for every latency (traces, LLM calls,
    # time to first token), a ratio for every rate
    if "latency" in metric or metric.startswith("ttft"):
        return fmt_ms(value)
    if metric.endswith("_rate"):
        return fmt_pct(value)
    if metric.startswith("cost"):
        return fmt_cost(value)
    if metric == "drift":
        return f"{value:.3g}"
    return fmt_count(value)


def describe_metric(rule: dict[str, Any]) -> str:
    metric = str(rule.get("metric", ""))
    if metric == "pass_rate" and rule.get("assertion"):
        return f"pass_rate of {rule['assertion']}"
    if metric == "drift" and rule.get("feature"):
        return f"drift of {rule['feature']}"
    return metric


def describe_filters(rule: dict[str, Any]) -> str:
    filters = rule.get("filters") or {}
    return ", ".join(f"{k}={v}" for k, v in sorted(filters.items())) or "all spans"


def describe_condition(rule: dict[str, Any]) -> str:
    """``> 5.0%``, ``change > +50% vs previous``, ``drift ≥ warning vs week``."""
    cond = rule.get("condition") or {}
    metric = str(rule.get("metric", ""))
    kind = cond.get("kind")
    op = cond.get("op", ">")
    against = f" vs {cond.get('baseline', 'previous')}"
    if rule.get("baseline_window"):
        against += f" ({rule['baseline_window']})"
    if kind == "threshold":
        return f"{op} {fmt_value(float(cond.get('value', 0)), metric)}"
    if kind == "change":
        value = float(cond.get("value", 0))
        if cond.get("relative", True):
            return f"change {op} {value * 100:+.0f}%{against}"
        if metric in ("error_rate", "pass_rate"):
            return f"change {op} {value * 100:+.1f} points{against}"
        return f"change {op} {value:+g}{against}"
    if kind == "drift":
        return f"verdict ≥ {cond.get('level', 'drift')}{against}"
    return str(cond)


def rule_form_definition(values: dict[str, Any]) -> dict[str, Any]:
    """The API rule body of the create form's values (only the fields its kind uses)."""
    kind = values["kind"]
    condition: dict[str, Any] = {"kind": kind}
    if kind == "threshold":
        condition |= {"op": values["op"], "value": values["value"]}
    elif kind == "change":
        relative = bool(values["relative"])
        value = values["value"] / 100 if relative else values["value"]
        condition |= {"baseline": values["baseline"], "relative": relative, "op": values["op"]}
        condition["value"] = value
    else:
        condition |= {"baseline": values["baseline"], "level": values["level"]}
    rule: dict[str, Any] = {
        "name": values["name"].strip(),
        "metric": values["metric"],
        "window": values["window"].strip() or "15m",
        "condition": condition,
        "min_samples": int(values["min_samples"]),
        "severity": values["severity"],
        "filters": {k: v.strip() for k, v in values["filters"].items() if v and v.strip()},
    }
    if values["metric"] == "pass_rate":
        rule["assertion"] = values["assertion"].strip()
    if values["metric"] == "drift":
        rule["feature"] = values["feature"]
    if values.get("description"):
        rule["description"] = values["description"]
    return rule
