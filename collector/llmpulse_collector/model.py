"""The canonical rows the collector stores: one wide span row, one evaluation row.

The normalizer produces these; the writer inserts them; the migrations create tables
with exactly these columns. ``SPAN_COLUMNS`` / ``EVALUATION_COLUMNS`` give the column
names and ClickHouse types in insert order (the order of the dataclass fields).

``SpanBatch`` holds many spans column by column: the normalizer appends to its lists
directly (no per-span object, no rows-to-columns transposition before the Arrow
encoding); it is also a read-only sequence of ``SpanRow`` for code and tests that
want rows, and ``SpanBatch.from_rows`` converts the other way.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, overload

__all__ = ["EVALUATION_COLUMNS", "SPAN_COLUMNS", "EvaluationRow", "SpanBatch", "SpanRow"]


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
    # raw span attributes, values as strings (JSON for non-str), except the content
    # attribute whose text is stored verbatim in input / output (e.g. input.value)
    attributes: dict[str, str]
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


# SpanRow fields stored as one plain list each in a SpanBatch (all but the nested ones).
SCALAR_SPAN_FIELDS: tuple[str, ...] = tuple(
    name for name, _ in SPAN_COLUMNS if name not in ("tags", "attributes", "resource_attributes")
)


class SpanBatch(Sequence[SpanRow]):
    """Spans column by column; see the module docstring.

    Scalar fields are one list each, named as in ``SpanRow``. Nested fields are flat
    lists plus a per-span count: ``tags``/``tag_counts``, ``attribute_keys``/
    ``attribute_values``/``attribute_counts`` and the same for ``resource_*``. A
    ``ingested_at`` of 0 means "when inserted" (the encoder sets it).
    """

    __slots__ = (
        *SCALAR_SPAN_FIELDS,
        "attribute_counts",
        "attribute_keys",
        "attribute_values",
        "resource_counts",
        "resource_keys",
        "resource_values",
        "tag_counts",
        "tags",
    )

    project_id: list[str]
    trace_id: list[str]
    span_id: list[str]
    parent_span_id: list[str]
    name: list[str]
    kind: list[str]
    service_name: list[str]
    scope_name: list[str]
    environment: list[str]
    start_time: list[int]
    end_time: list[int]
    duration_ms: list[float]
    status_code: list[str]
    status_message: list[str]
    span_type: list[str]
    model: list[str]
    provider: list[str]
    input_tokens: list[int]
    output_tokens: list[int]
    cache_read_tokens: list[int]
    cache_write_tokens: list[int]
    reasoning_tokens: list[int]
    cost_usd: list[float | None]
    time_to_first_token_ms: list[float | None]
    finish_reason: list[str]
    tool_name: list[str]
    session_id: list[str]
    user_id: list[str]
    input: list[str]
    output: list[str]
    events: list[str]
    ingested_at: list[int]
    tags: list[str]
    tag_counts: list[int]
    attribute_keys: list[str]
    attribute_values: list[str]
    attribute_counts: list[int]
    resource_keys: list[str]
    resource_values: list[str]
    resource_counts: list[int]

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, [])

    @classmethod
    def from_rows(cls, rows: Iterable[SpanRow]) -> SpanBatch:
        batch = cls()
        columns = [getattr(batch, name) for name in SCALAR_SPAN_FIELDS]
        for row in rows:
            for name, column in zip(SCALAR_SPAN_FIELDS, columns, strict=True):
                column.append(getattr(row, name))
            batch.tags.extend(row.tags)
            batch.tag_counts.append(len(row.tags))
            batch.attribute_keys.extend(row.attributes)
            batch.attribute_values.extend(row.attributes.values())
            batch.attribute_counts.append(len(row.attributes))
            batch.resource_keys.extend(row.resource_attributes)
            batch.resource_values.extend(row.resource_attributes.values())
            batch.resource_counts.append(len(row.resource_attributes))
        return batch

    @classmethod
    def concat(cls, batches: Iterable[SpanBatch]) -> SpanBatch:
        """One batch holding the spans of ``batches`` in order."""
        result = cls()
        names = cls.__slots__
        for batch in batches:
            for name in names:
                getattr(result, name).extend(getattr(batch, name))
        return result

    def __len__(self) -> int:
        return len(self.span_id)

    @overload
    def __getitem__(self, index: int) -> SpanRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[SpanRow]: ...

    def __getitem__(self, index: int | slice) -> SpanRow | list[SpanRow]:
        if isinstance(index, slice):
            return list(self)[index]
        i = range(len(self))[index]  # IndexError, negative indexes
        tag = sum(self.tag_counts[:i])
        attr = sum(self.attribute_counts[:i])
        res = sum(self.resource_counts[:i])
        tag_end = tag + self.tag_counts[i]
        attr_end = attr + self.attribute_counts[i]
        res_end = res + self.resource_counts[i]
        fields_: dict[str, Any] = {name: getattr(self, name)[i] for name in SCALAR_SPAN_FIELDS}
        return SpanRow(
            **fields_,
            tags=self.tags[tag:tag_end],
            attributes=dict(
                zip(
                    self.attribute_keys[attr:attr_end],
                    self.attribute_values[attr:attr_end],
                    strict=True,
                )
            ),
            resource_attributes=dict(
                zip(self.resource_keys[res:res_end], self.resource_values[res:res_end], strict=True)
            ),
        )

    def __iter__(self) -> Iterator[SpanRow]:
        tags = _split(self.tags, self.tag_counts)
        attributes = _split_map(self.attribute_keys, self.attribute_values, self.attribute_counts)
        resources = _split_map(self.resource_keys, self.resource_values, self.resource_counts)
        scalars = zip(*(getattr(self, name) for name in SCALAR_SPAN_FIELDS), strict=True)
        for values, row_tags, row_attributes, row_resource in zip(
            scalars, tags, attributes, resources, strict=True
        ):
            fields_: dict[str, Any] = dict(zip(SCALAR_SPAN_FIELDS, values, strict=True))
            yield SpanRow(
                **fields_,
                tags=row_tags,
                attributes=row_attributes,
                resource_attributes=row_resource,
            )

    def __repr__(self) -> str:
        return f"SpanBatch({len(self)} spans)"


def _split(values: list[str], counts: list[int]) -> Iterator[list[str]]:
    for start, count in zip(itertools.accumulate(counts, initial=0), counts, strict=False):
        yield values[start : start + count]


def _split_map(keys: list[str], values: list[str], counts: list[int]) -> Iterator[dict[str, str]]:
    for start, count in zip(itertools.accumulate(counts, initial=0), counts, strict=False):
        yield dict(zip(keys[start : start + count], values[start : start + count], strict=True))
