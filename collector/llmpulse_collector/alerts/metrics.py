"""The value of an alert metric over one window, as a ClickHouse aggregate.

``measure`` returns the value and the sample count it rests on (the size of the
metric's population in the window). Both expressions come from the metric registry
(``store.metricdefs``), so a rule measures exactly what the query API shows; filters
come from ``analysis.features.FILTERS``; every value is a bound parameter. Rules
watch production traffic: experiment runs are left out (``store.traffic``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from llmpulse_collector.alerts.rules import AlertRule
from llmpulse_collector.analysis.features import FILTERS
from llmpulse_collector.store.client import Store
from llmpulse_collector.store.metricdefs import METRICS, bind
from llmpulse_collector.store.traffic import PRODUCTION_SPAN, production_evaluation

__all__ = ["Measurement", "measure"]


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float | None  # None: no data
    samples: int


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
    metric = METRICS.get(rule.metric)
    if metric is None or not metric.alertable:
        raise ValueError(f"metric {rule.metric!r} is not measured over one window")
    params: dict[str, Any] = {"project": project_id, "t0": t0, "t1": t1}
    where = ["project_id = {project:String}"]
    if metric.table == "evaluations":
        where += ["name = {assertion:String}", _window("created_at")]
        where.append(production_evaluation(store.table("traces")))
        params["assertion"] = rule.assertion
        if "source" in rule.filters:
            where.append("source = {source:String}")
            params["source"] = rule.filters["source"]
    else:
        where += [_window("start_time"), PRODUCTION_SPAN]
        for i, (name, wanted) in enumerate(sorted(rule.filters.items())):
            where.append(f"{FILTERS[name]} = {{f{i}:String}}")
            params[f"f{i}"] = wanted
    sql = (
        f"SELECT {metric.sql} AS value, {metric.samples_sql} AS samples "  # noqa: S608
        f"FROM {store.table(metric.table)} WHERE {' AND '.join(where)}"
    )
    [row] = store.query(bind(sql, store), params)
    count = int(row["samples"])
    return Measurement(value=_finite(row["value"]) if count else None, samples=count)
