"""The value of an alert metric over one window, as a ClickHouse aggregate.

``measure`` returns the value and the sample count it rests on (spans, priced spans,
LLM calls or evaluations). Expressions come from the fixed ``_SPAN_METRICS`` map;
filters from ``analysis.features.FILTERS``; every value is a bound parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from llmpulse_collector.alerts.rules import AlertRule
from llmpulse_collector.analysis.features import FILTERS
from llmpulse_collector.store.client import Store
from llmpulse_collector.store.schema import nested_llm_span

__all__ = ["Measurement", "measure"]


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float | None  # None: no data
    samples: int


# metric -> (value expression, sample-count expression) over spans
_SPAN_METRICS: dict[str, tuple[str, str]] = {
    "latency_p50": ("quantileExact(0.5)(duration_ms)", "count()"),
    "latency_p95": ("quantileExact(0.95)(duration_ms)", "count()"),
    "latency_p99": ("quantileExact(0.99)(duration_ms)", "count()"),
    "error_rate": ("countIf(status_code = 'ERROR') / count()", "count()"),
    # {counted}: one LLM call counts once when LLM spans nest (store.schema.nested_llm_span)
    "cost_total": ("sumIf(ifNull(cost_usd, 0), {counted})", "count()"),
    "cost_per_call": (
        "avgIf(cost_usd, cost_usd IS NOT NULL AND {counted})",
        "countIf(cost_usd IS NOT NULL AND {counted})",
    ),
    "tokens_total": ("sumIf(input_tokens + output_tokens, {counted})", "count()"),
    "tokens_per_call": (
        "avgIf(input_tokens + output_tokens, span_type = 'llm' AND {counted})",
        "countIf(span_type = 'llm' AND {counted})",
    ),
    "input_tokens": ("sumIf(input_tokens, {counted})", "count()"),
    "output_tokens": ("sumIf(output_tokens, {counted})", "count()"),
    "volume": ("count()", "count()"),
}


def _window(column: str) -> str:
    return (
        f"{column} >= fromUnixTimestamp64Nano({{t0:Int64}}) "
        f"AND {column} < fromUnixTimestamp64Nano({{t1:Int64}})"
    )


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def measure(store: Store, project_id: str, rule: AlertRule, t0: int, t1: int) -> Measurement:
    """The rule's metric over ``[t0, t1)`` (unix ns). Not for ``drift``."""
    params: dict[str, Any] = {"project": project_id, "t0": t0, "t1": t1}
    if rule.metric == "pass_rate":
        where = [
            "project_id = {project:String}",
            "name = {assertion:String}",
            _window("created_at"),
        ]
        params["assertion"] = rule.assertion
        if "source" in rule.filters:
            where.append("source = {source:String}")
            params["source"] = rule.filters["source"]
        sql = (
            "SELECT avgIf(toFloat64(assumeNotNull(passed)), passed IS NOT NULL) AS value, "  # noqa: S608
            "countIf(passed IS NOT NULL) AS samples "
            f"FROM {store.table('evaluations')} WHERE {' AND '.join(where)}"
        )
    elif rule.metric in _SPAN_METRICS:
        value, samples = _SPAN_METRICS[rule.metric]
        counted = f"NOT {nested_llm_span(store.table('spans'))}"
        value, samples = value.format(counted=counted), samples.format(counted=counted)
        where = ["project_id = {project:String}", _window("start_time")]
        for i, (name, wanted) in enumerate(sorted(rule.filters.items())):
            where.append(f"{FILTERS[name]} = {{f{i}:String}}")
            params[f"f{i}"] = wanted
        sql = (
            f"SELECT {value} AS value, {samples} AS samples "  # noqa: S608
            f"FROM {store.table('spans')} WHERE {' AND '.join(where)}"
        )
    else:
        raise ValueError(f"metric {rule.metric!r} is not measured over one window")
    [row] = store.query(sql, params)
    count = int(row["samples"])
    return Measurement(value=_finite(row["value"]) if count else None, samples=count)
