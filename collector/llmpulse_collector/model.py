"""The canonical rows the collector stores: one wide span row, one evaluation row.

The normalizer produces these; the writer inserts them; the migrations create tables
with exactly these columns. ``SPAN_COLUMNS`` / ``EVALUATION_COLUMNS`` give the column
names and ClickHouse types in insert order (the order of the dataclass fields).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

__all__ = ["EVALUATION_COLUMNS", "SPAN_COLUMNS", "EvaluationRow", "SpanRow"]


@dataclass(slots=True)
class SpanRow:
    project_id: str
    trace_id: str  # 32 lowercase hex chars
    span_id: str  # 16 lowercase hex chars
    parent_span_id: str  # "" for a root span
    name: str
    kind: str  # INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER, UNSPECIFIED
    service_name: str
    scope_name: str
    environment: str
    start_time: int  # unix nanoseconds (stored as DateTime64(9))
    end_time: int  # unix nanoseconds
    duration_ms: float
    status_code: str  # UNSET, OK, ERROR
    status_message: str
    span_type: str  # llm, chain, tool, retrieval, embedding, agent, evaluator, guardrail, other
    model: str
    provider: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: float | None  # None: unknown (unpriced model, or not an LLM span)
    time_to_first_token_ms: float | None
    finish_reason: str
    tool_name: str
    session_id: str
    user_id: str
    tags: list[str]
    input: str  # bounded text
    output: str  # bounded text
    attributes: dict[str, str]  # raw span attributes, values as strings (JSON for non-str)
    resource_attributes: dict[str, str]
    events: str  # JSON array of {name, time_ns, attributes}
    ingested_at: int = 0


@dataclass(slots=True)
class EvaluationRow:
    project_id: str
    trace_id: str
    span_id: str  # "" when the evaluation is about the whole trace
    name: str
    source: str  # sdk, feedback, rule, api
    passed: bool | None
    score: float | None
    label: str
    comment: str  # explanation of an assertion, or a human comment
    value: str  # raw value as given (JSON), e.g. feedback value
    created_at: int
    evaluation_id: str = field(default="")  # UUID string; writer fills it when empty


_SPAN_TYPES: dict[str, str] = {
    "project_id": "LowCardinality(String)",
    "trace_id": "String",
    "span_id": "String",
    "parent_span_id": "String",
    "name": "LowCardinality(String)",
    "kind": "LowCardinality(String)",
    "service_name": "LowCardinality(String)",
    "scope_name": "LowCardinality(String)",
    "environment": "LowCardinality(String)",
    "start_time": "DateTime64(9, 'UTC')",
    "end_time": "DateTime64(9, 'UTC')",
    "duration_ms": "Float64",
    "status_code": "LowCardinality(String)",
    "status_message": "String",
    "span_type": "LowCardinality(String)",
    "model": "LowCardinality(String)",
    "provider": "LowCardinality(String)",
    "input_tokens": "UInt64",
    "output_tokens": "UInt64",
    "cache_read_tokens": "UInt64",
    "cache_write_tokens": "UInt64",
    "reasoning_tokens": "UInt64",
    "cost_usd": "Nullable(Float64)",
    "time_to_first_token_ms": "Nullable(Float64)",
    "finish_reason": "LowCardinality(String)",
    "tool_name": "LowCardinality(String)",
    "session_id": "String",
    "user_id": "String",
    "tags": "Array(LowCardinality(String))",
    "input": "String",
    "output": "String",
    "attributes": "Map(LowCardinality(String), String)",
    "resource_attributes": "Map(LowCardinality(String), String)",
    "events": "String",
    "ingested_at": "DateTime64(9, 'UTC')",
}

_EVALUATION_TYPES: dict[str, str] = {
    "project_id": "LowCardinality(String)",
    "trace_id": "String",
    "span_id": "String",
    "name": "LowCardinality(String)",
    "source": "LowCardinality(String)",
    "passed": "Nullable(Bool)",
    "score": "Nullable(Float64)",
    "label": "LowCardinality(String)",
    "comment": "String",
    "value": "String",
    "created_at": "DateTime64(9, 'UTC')",
    "evaluation_id": "UUID",
}

SPAN_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (f.name, _SPAN_TYPES[f.name]) for f in fields(SpanRow)
)
EVALUATION_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (f.name, _EVALUATION_TYPES[f.name]) for f in fields(EvaluationRow)
)
