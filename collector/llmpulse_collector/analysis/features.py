"""The fixed maps of drift features, group keys and filters over the ``spans`` table.

These SQL fragments are the only identifiers/expressions spliced into drift SQL; user
input selects entries by name and never reaches SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmpulse_collector.store.metricdefs import METRICS, Direction

__all__ = [
    "CATEGORICAL_FEATURES",
    "FILTERS",
    "GROUP_KEYS",
    "NUMERIC_FEATURES",
    "Feature",
]


@dataclass(frozen=True, slots=True)
class Feature:
    """``expr`` is the value of a span; ``where`` says which spans have the feature.
    Categorical expressions are ``LowCardinality(String)`` (fast to group by).
    ``direction`` says whether a higher value is better or worse (for drift's
    ``direction``: a shift is ``better`` or ``worse``)."""

    expr: str
    where: str
    doc: str
    direction: Direction = "neutral"


def _metric(name: str, doc: str) -> Feature:
    """The feature of a registry metric: its value over its population."""
    m = METRICS[name]
    return Feature(m.value, m.where, doc, m.direction)


_LLM = "span_type = 'llm'"

#: Numeric features: PSI on baseline-quantile bins, Kolmogorov-Smirnov, median shift.
NUMERIC_FEATURES: dict[str, Feature] = {
    "latency": _metric("latency_p50", "trace latency in ms (root spans)"),
    "llm_latency": _metric("llm_latency_p50", "LLM call latency in ms (LLM spans)"),
    "time_to_first_token": _metric("ttft_p50", "time to first token in ms (streamed LLM calls)"),
    "input_tokens": Feature("toFloat64(input_tokens)", _LLM, "input tokens per LLM call"),
    "output_tokens": Feature("toFloat64(output_tokens)", _LLM, "output tokens per LLM call"),
    "cost_per_call": _metric("cost_per_call", "cost in USD per priced span"),
    "output_chars": Feature(
        "toFloat64(output_chars)", _LLM, "output length in characters per LLM call"
    ),
}

#: Categorical features: Jensen-Shannon distance and the categories that moved most.
CATEGORICAL_FEATURES: dict[str, Feature] = {
    "model": Feature("model", "model != ''", "model of LLM spans"),
    "finish_reason": Feature("finish_reason", _LLM, "finish reason of LLM calls"),
    "status": Feature("status_code", "1", "span status (UNSET, OK, ERROR)"),
    "tool_name": Feature("tool_name", "span_type = 'tool'", "tool name of tool spans"),
    "span_type": Feature("span_type", "1", "span type"),
    "output_is_json": Feature(
        "toLowCardinality(if(output_is_json = 1, 'json', 'text'))",
        _LLM,
        "LLM outputs that are valid JSON",
    ),
    "output_refusal": Feature(
        "toLowCardinality(if(output_refusal = 1, 'refusal', 'answer'))",
        _LLM,
        "LLM outputs with a refusal phrase",
    ),
    "output_script": Feature(
        "output_script", _LLM, "writing system of LLM outputs (latin, han, ...)"
    ),
    "version": Feature(
        "service_version", "service_version != ''", "service version (resource service.version)"
    ),
    "prompt_version": Feature(
        "prompt_version", "prompt_version != ''", "prompt version of spans that carry one"
    ),
}

#: group_by names -> span columns (``version``: the resource's ``service.version``,
#: ``prompt_version``: the span's prompt version; migration 0016)
GROUP_KEYS: dict[str, str] = {
    "name": "name",
    "model": "model",
    "service": "service_name",
    "span_type": "span_type",
    "environment": "environment",
    "version": "service_version",
    "prompt_version": "prompt_version",
}

#: equality filters (query parameter -> span column)
FILTERS: dict[str, str] = {
    "service": "service_name",
    "name": "name",
    "model": "model",
    "span_type": "span_type",
    "environment": "environment",
    "version": "service_version",
    "prompt_version": "prompt_version",
}
