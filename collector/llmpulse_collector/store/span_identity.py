"""Span identity: a span is (project, trace id, span id), stored once.

A client that lost the answer to a request sends it again, and an OTel exporter may
put the same span in two requests. The batch writer keeps what users see idempotent
by dropping, before each insert, the spans whose identity is already stored or comes
earlier in the same insert (``keep_mask``). The lookup of stored identities reads only
the batch's projects and time range (the sort key starts with project and hour) and
the granules whose trace-id bloom filter may hold one of the batch's traces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from llmpulse_collector.model import EvaluationRow, SpanBatch, SpanRow

if TYPE_CHECKING:
    from llmpulse_collector.store.client import Store

__all__ = ["SpanKey", "evaluation_keys", "keep_mask", "span_keys", "stored_span_keys"]

SpanKey = tuple[str, str, str]  # project_id, trace_id, span_id
_HEX = re.compile(r"[0-9a-f]+")


def span_keys(spans: Sequence[SpanRow]) -> list[SpanKey]:
    """The identity of each span, in order."""
    if isinstance(spans, SpanBatch):
        return list(zip(spans.project_id, spans.trace_id, spans.span_id, strict=True))
    return [(span.project_id, span.trace_id, span.span_id) for span in spans]


def evaluation_keys(evaluations: Sequence[EvaluationRow]) -> list[SpanKey]:
    """The span each evaluation is about (``span_id`` '' for a whole trace)."""
    return [(e.project_id, e.trace_id, e.span_id) for e in evaluations]


def _start_times(spans: Sequence[SpanRow]) -> list[int]:
    if isinstance(spans, SpanBatch):
        return spans.start_time
    return [span.start_time for span in spans]


def stored_span_keys(store: Store, spans: Sequence[SpanRow]) -> set[SpanKey]:
    """The identities among ``spans`` that are already stored (in the batch's time
    range: a span sent again carries the same start time).

    Ids go to the database as numbers (``SpanRow``: trace ids are 32 and span ids 16
    lowercase hex digits): binding thousands of strings costs clickhouse-connect
    ~15 µs each in Python; numbers cost next to nothing. The ``IN (SELECT ...)`` set is
    built once and lets the trace-id bloom filter skip granules. An id that is not hex
    cannot be looked up: its span is taken as new.
    """
    keys = span_keys(spans)
    traces = {number for key in keys if (number := _hex_number(key[1], 32)) is not None}
    span_ids = {number for key in keys if (number := _hex_number(key[2], 16)) is not None}
    if not traces or not span_ids:
        return set()
    starts = _start_times(spans)
    rows = store.query(
        "SELECT project_id, trace_id, span_id "  # noqa: S608 (table name; values bound)
        f"FROM {store.table('spans')} "
        "WHERE project_id IN {projects:Array(String)} "
        "AND start_time >= fromUnixTimestamp64Nano({first:Int64}, 'UTC') "
        "AND start_time <= fromUnixTimestamp64Nano({last:Int64}, 'UTC') "
        "AND trace_id IN (SELECT leftPad(lower(hex(arrayJoin({traces:Array(UInt128)}))), 32, '0')) "
        "AND span_id IN (SELECT leftPad(lower(hex(arrayJoin({span_ids:Array(UInt64)}))), 16, '0'))",
        {
            "projects": sorted({key[0] for key in keys}),
            "first": min(starts),
            "last": max(starts),
            "traces": sorted(traces),
            "span_ids": sorted(span_ids),
        },
    )
    found = {(row["project_id"], row["trace_id"], row["span_id"]) for row in rows}
    return found.intersection(keys)


def _hex_number(value: str, digits: int) -> int | None:
    if len(value) != digits or not _HEX.fullmatch(value):
        return None
    return int(value, 16)


def keep_mask(keys: Sequence[SpanKey], stored: set[SpanKey]) -> list[bool]:
    """True for each span to insert: its identity is not stored and not seen earlier."""
    seen = set(stored)
    keep: list[bool] = []
    for key in keys:
        keep.append(key not in seen)
        seen.add(key)
    return keep
