"""Every metric once: name, population, aggregate, unit, direction.

The query API (``store.queries.metrics``), the alert rules (``alerts.metrics``) and
drift (``analysis.features``) build their SQL from these definitions, and
``GET /api/v1/metrics/definitions`` serves them to the dashboard. A metric is an
aggregate over a *population*: the rows of one table that it measures (traces are
their root spans, whose duration is the trace's latency; LLM spans; assertions; ...).
Grouping and filtering narrow the population, never change it: the p95 latency of
``service=a`` is the same number in the summary, in a ``group_by=service`` row and in
an alert rule.

Percentiles are ``quantileExactInclusive`` (exact, linearly interpolated like numpy's
default and Excel's PERCENTILE.INC), one choice for every percentile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from llmpulse_collector.store.schema import UNPRICED_LLM_SPAN, nested_llm_span

if TYPE_CHECKING:
    from llmpulse_collector.store.client import Store

__all__ = [
    "IS_FEEDBACK",
    "METRICS",
    "MIN_BASELINE_SAMPLES",
    "POPULATIONS",
    "QUANTILE_FUNCTION",
    "Direction",
    "MetricDef",
    "Population",
    "aggregate_select",
    "bind",
    "compare",
    "definitions",
    "direction_verdict",
]

#: The aggregate function of every percentile.
QUANTILE_FUNCTION = "quantileExactInclusive"
_QUANTILES = "quantilesExactInclusive"  # the same, several levels in one pass

#: A comparison with a previous period or baseline window needs at least this many
#: samples (rows of the metric's population) in the baseline; with fewer, the API
#: answers ``change: null`` with a reason ("no baseline") instead of a percentage.
MIN_BASELINE_SAMPLES = 30

#: Human feedback among the evaluations (thumbs): never counted as an assertion.
IS_FEEDBACK = "source = 'feedback'"

#: In a population's condition: "this span's tokens, cost and call count" — every span
#: but a wrapper LLM span (``store.schema.nested_llm_span``: one LLM call counts once
#: when LLM spans nest). ``bind`` puts the condition in for a query over the spans table.
COUNTED = "{counted}"


def bind(sql: str, store: Store) -> str:
    """``sql`` (built from these definitions) ready to run on the store's spans table:
    the ``COUNTED`` condition filled in. The query needs the parameters ``project``,
    ``t0`` and ``t1`` (``queries._where.span_where`` and the alert windows set them)."""
    return sql.replace(COUNTED, f"NOT {nested_llm_span(store.table('llm_wrapper_keys'))}")


Direction = Literal["lower_is_better", "higher_is_better", "neutral"]
Aggregate = Literal["count", "sum", "avg", "rate", "quantile", "uniq"]


@dataclass(frozen=True, slots=True)
class Population:
    """The rows a metric measures: ``where`` is a condition over ``table``'s rows."""

    name: str
    table: Literal["spans", "evaluations"]
    where: str
    doc: str


POPULATIONS: dict[str, Population] = {
    p.name: p
    for p in (
        Population("spans", "spans", "1", "every span"),
        Population(
            "traces",
            "spans",
            "parent_span_id = ''",
            "traces, as their root spans (a root span's duration is the trace's latency)",
        ),
        Population("error_spans", "spans", "status_code = 'ERROR'", "spans with status ERROR"),
        Population(
            "usage",
            "spans",
            COUNTED,
            "spans whose tokens and cost count: all but wrapper LLM spans around an LLM "
            "span that carries usage (one LLM call counts once)",
        ),
        Population("llm_spans", "spans", "span_type = 'llm'", "LLM call spans"),
        Population(
            "llm_calls",
            "spans",
            f"span_type = 'llm' AND {COUNTED}",
            "LLM calls: LLM spans but the wrappers of another LLM span with usage",
        ),
        Population(
            "streamed_calls",
            "spans",
            "time_to_first_token_ms IS NOT NULL",
            "spans with a time to first token (streamed LLM calls)",
        ),
        Population("priced_spans", "spans", "cost_usd IS NOT NULL", "spans with a cost"),
        Population(
            "unpriced_llm_spans",
            "spans",
            f"{UNPRICED_LLM_SPAN} AND {COUNTED}",
            "LLM calls with tokens of a model without a known price (failed calls and "
            "token-less spans are not unpriced)",
        ),
        Population(
            "assertions",
            "evaluations",
            f"NOT {IS_FEEDBACK} AND passed IS NOT NULL",
            "evaluations with a verdict that are not human feedback (SDK assertions, rules, API)",
        ),
        Population(
            "feedback",
            "evaluations",
            f"{IS_FEEDBACK} AND passed IS NOT NULL",
            "human feedback with a verdict (thumbs up/down)",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class MetricDef:
    """One metric. ``value`` is a per-row SQL expression (for ``rate``: a condition;
    for ``count``: unused); ``field`` is where the metric appears in the metrics
    summary and time series objects (``None``: only in alerts)."""

    name: str
    label: str
    population: str
    aggregate: Aggregate
    value: str
    unit: str
    direction: Direction
    doc: str
    level: float | None = None  # the quantile level of a percentile
    field: str | None = None
    alertable: bool = True

    @property
    def table(self) -> str:
        return POPULATIONS[self.population].table

    @property
    def where(self) -> str:
        return POPULATIONS[self.population].where

    @property
    def sql(self) -> str:
        """The metric as one ClickHouse aggregate over ``table``'s rows."""
        where = self.where
        if where == "1":  # every row: no -If combinator
            match self.aggregate:
                case "count":
                    return "count()"
                case "sum" | "avg":
                    return f"{self.aggregate}({self.value})"
                case "rate":
                    return f"avg(toFloat64({self.value}))"
        match self.aggregate:
            case "count":
                return f"countIf({where})"
            case "sum":
                return f"sumIf({self.value}, {where})"
            case "avg":
                return f"avgIf({self.value}, {where})"
            case "rate":
                return f"avgIf(toFloat64({self.value}), {where})"
            case "uniq":
                return f"uniqExactIf({self.value}, {where})"
            case "quantile":
                return f"{QUANTILE_FUNCTION}If({self.level})({self.value}, {where})"

    @property
    def samples_sql(self) -> str:
        """The number of rows the metric rests on."""
        return f"countIf({self.where})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "population": self.population,
            "table": self.table,
            "aggregate": self.aggregate,
            "quantile": self.level,
            "unit": self.unit,
            "direction": self.direction,
            "field": self.field,
            "alertable": self.alertable,
            "doc": self.doc,
            "sql": self.sql,
        }


def _percentiles(
    prefix: str, label: str, population: str, value: str, field: str, levels: Iterable[int]
) -> list[MetricDef]:
    return [
        MetricDef(
            f"{prefix}_p{p}",
            f"{label} p{p}",
            population,
            "quantile",
            value,
            "ms",
            "lower_is_better",
            f"{p}th percentile of {label.lower()}",
            level=p / 100,
            field=f"{field}.p{p}",
        )
        for p in levels
    ]


_LATENCY = "duration_ms"
_TTFT = "assumeNotNull(time_to_first_token_ms)"

METRICS: dict[str, MetricDef] = {
    m.name: m
    for m in (
        MetricDef(
            "volume", "Spans", "spans", "count", "", "spans", "neutral",
            "number of spans", field="spans",
        ),
        MetricDef(
            "traces", "Traces", "traces", "count", "", "traces", "neutral",
            "traces (root spans) in the group: the sample of trace latency", field="traces",
        ),
        MetricDef(
            "errors", "Errors", "error_spans", "count", "", "spans", "lower_is_better",
            "spans with status ERROR", field="errors",
        ),
        MetricDef(
            "error_rate", "Error rate", "spans", "rate", "status_code = 'ERROR'", "ratio",
            "lower_is_better", "share of spans with status ERROR", field="error_rate",
        ),
        *_percentiles("latency", "Trace latency", "traces", _LATENCY, "latency_ms", (50, 95, 99)),
        *_percentiles(
            "llm_latency", "LLM call latency", "llm_spans", _LATENCY, "llm_latency_ms",
            (50, 95, 99),
        ),
        *_percentiles("ttft", "Time to first token", "streamed_calls", _TTFT, "ttft_ms", (50, 95)),
        MetricDef(
            "input_tokens", "Input tokens", "usage", "sum", "input_tokens", "tokens",
            "neutral", "input tokens (one LLM call counts once)", field="input_tokens",
        ),
        MetricDef(
            "output_tokens", "Output tokens", "usage", "sum", "output_tokens", "tokens",
            "neutral", "output tokens (one LLM call counts once)", field="output_tokens",
        ),
        MetricDef(
            "tokens_total", "Tokens", "usage", "sum", "input_tokens + output_tokens", "tokens",
            "neutral", "input + output tokens (one LLM call counts once)", field="total_tokens",
        ),
        MetricDef(
            "tokens_per_call", "Tokens per LLM call", "llm_spans", "avg",
            "input_tokens + output_tokens", "tokens", "lower_is_better",
            "mean input + output tokens per LLM call",
        ),
        MetricDef(
            "cost_total", "Cost", "usage", "sum", "ifNull(cost_usd, 0)", "USD",
            "lower_is_better", "total cost (unpriced spans count 0; one LLM call counts once)",
            field="cost_usd",
        ),
        MetricDef(
            "cost_per_call", "Cost per priced span", "priced_spans", "avg",
            "assumeNotNull(cost_usd)", "USD", "lower_is_better", "mean cost of priced spans",
        ),
        MetricDef(
            "unpriced_llm_spans", "Unpriced LLM spans", "unpriced_llm_spans", "count", "",
            "spans", "lower_is_better", "LLM spans whose model has no known price",
            field="unpriced_llm_spans", alertable=False,
        ),
        MetricDef(
            "pass_rate", "Assertion pass rate", "assertions", "rate", "assumeNotNull(passed)",
            "ratio", "higher_is_better",
            "share of passing assertions (human feedback is not an assertion)",
        ),
        MetricDef(
            "feedback_positive_rate", "Positive feedback rate", "feedback", "rate",
            "assumeNotNull(passed)", "ratio", "higher_is_better",
            "share of human feedback that is positive (thumbs up)",
        ),
    )
}  # fmt: skip


def aggregate_select(metrics: Iterable[MetricDef], prefix: str = "m_") -> str:
    """A select list with one column per metric, named ``prefix`` + the metric's name
    (so no alias shadows a column); percentiles of the same value and population share
    one ``quantilesExactInclusiveIf`` (one sort)."""
    parts: list[str] = []
    shared: dict[tuple[str, str], list[MetricDef]] = {}
    for m in metrics:
        if m.aggregate == "quantile":
            shared.setdefault((m.value, m.population), []).append(m)
        else:
            parts.append(f"{m.sql} AS {prefix}{m.name}")
    for i, ((value, population), group) in enumerate(shared.items()):
        levels = ", ".join(str(m.level) for m in group)
        where = POPULATIONS[population].where
        parts.append(f"{_QUANTILES}If({levels})({value}, {where}) AS {prefix}q{i}")
        parts.extend(f"{prefix}q{i}[{j}] AS {prefix}{m.name}" for j, m in enumerate(group, 1))
    return ",\n    ".join(parts)


def compare(
    metric: MetricDef, current: float | None, baseline: float | None, baseline_samples: int
) -> dict[str, Any]:
    """The change of ``metric`` against a baseline, honestly: ``change`` (relative) is
    ``None`` with a ``reason`` when the baseline has fewer than
    ``MIN_BASELINE_SAMPLES`` samples, no value, or is 0; ``verdict`` says whether the
    change is ``better``, ``worse`` or ``unchanged`` by the metric's direction
    (``None`` for a neutral metric)."""
    out: dict[str, Any] = {
        "baseline": baseline,
        "baseline_count": baseline_samples,
        "change": None,
        "verdict": None,
        "reason": None,
    }
    if baseline_samples < MIN_BASELINE_SAMPLES:
        out["reason"] = (
            f"no baseline: {baseline_samples} {metric.population.replace('_', ' ')} in the "
            f"baseline, {MIN_BASELINE_SAMPLES} needed"
        )
        return out
    if current is None or baseline is None:
        out["reason"] = "no value in one of the periods"
        return out
    if baseline == 0:
        out["reason"] = "the baseline is 0: no relative change"
        return out
    change = (current - baseline) / abs(baseline)
    out["change"] = change
    out["verdict"] = direction_verdict(metric.direction, change)
    return out


def direction_verdict(direction: Direction, change: float) -> str | None:
    """``better``/``worse``/``unchanged`` for a (relative or absolute) change."""
    if direction == "neutral":
        return None
    if change == 0:
        return "unchanged"
    up_is_good = direction == "higher_is_better"
    return "better" if (change > 0) == up_is_good else "worse"


def definitions() -> dict[str, Any]:
    """The registry as served by ``GET /api/v1/metrics/definitions``."""
    return {
        "quantile_function": QUANTILE_FUNCTION,
        "min_baseline_samples": MIN_BASELINE_SAMPLES,
        "populations": [
            {"name": p.name, "table": p.table, "where": p.where, "doc": p.doc}
            for p in POPULATIONS.values()
        ],
        "metrics": [m.as_dict() for m in METRICS.values()],
    }
