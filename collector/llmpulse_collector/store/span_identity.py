"""Span identity: a span is (project, trace id, span id), stored once.

A client that lost the answer to a request sends it again, and an OTel exporter may
put the same span in two requests. The batch writer keeps what users see idempotent
by dropping, before each insert, the spans whose identity is already stored or comes
earlier in the same insert (``keep_mask``). The lookup of stored identities reads only
the batch's projects and time range (the sort key starts with project and hour) and
the granules whose trace-id bloom filter may hold one of the batch's traces.

The identities are read from the batch's Arrow table (``identity_table``: its
``project_id``, ``trace_id``, ``span_id`` and ``start_time`` columns, no copy), so no
Python object is made per span: on embedded chDB the lookup query reads that table in
place (``FROM Python(...)``), and ``keep_mask`` answers "keep all" from Arrow when no
identity repeats within the batch and none is stored, which is the common case. Only
ids of lowercase hex (trace ids 32 digits, span ids 16) are looked up, on every
backend: a span with another id is taken as new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from llmpulse_collector.model import EvaluationRow, SpanRow

if TYPE_CHECKING:
    from llmpulse_collector.store.client import Store

__all__ = [
    "IDENTITY_COLUMNS",
    "SpanKey",
    "evaluation_keys",
    "identity_table",
    "keep_mask",
    "span_keys",
    "stored_span_keys",
]

SpanKey = tuple[str, str, str]  # project_id, trace_id, span_id
_KEY_COLUMNS = ("project_id", "trace_id", "span_id")
#: The columns of a spans table that ``identity_table`` keeps.
IDENTITY_COLUMNS = (*_KEY_COLUMNS, "start_time")
_TRACE_HEX = "^[0-9a-f]{32}$"
_SPAN_HEX = "^[0-9a-f]{16}$"


def identity_table(spans: pa.Table) -> pa.Table:
    """The identity columns of an encoded spans table (``IDENTITY_COLUMNS``), no copy."""
    return spans.select(list(IDENTITY_COLUMNS))


def span_keys(identities: pa.Table) -> list[SpanKey]:
    """The identity of each span, in order."""
    columns = [identities.column(name).to_pylist() for name in _KEY_COLUMNS]
    return list(zip(*columns, strict=True))


def evaluation_keys(evaluations: Sequence[EvaluationRow]) -> list[SpanKey]:
    """The span each evaluation is about (``span_id`` '' for a whole trace)."""
    return [(e.project_id, e.trace_id, e.span_id) for e in evaluations]


def _hex_only(identities: pa.Table) -> pa.Table:
    """The rows whose ids can be looked up (lowercase hex of the stored length)."""
    lookable = pc.and_(
        pc.match_substring_regex(identities.column("trace_id"), _TRACE_HEX),
        pc.match_substring_regex(identities.column("span_id"), _SPAN_HEX),
    )
    if pc.all(lookable).as_py():
        return identities
    return identities.filter(lookable)


def stored_span_keys(store: Store, spans: pa.Table | Sequence[SpanRow]) -> set[SpanKey]:
    """The identities among ``spans`` that are already stored (in the batch's time
    range: a span sent again carries the same start time). ``spans`` is an identity
    (or whole spans) table, or rows.

    Embedded chDB reads the identities from the Arrow table itself. A server gets the
    ids as numbers: binding thousands of strings costs clickhouse-connect ~15 µs each
    in Python; numbers cost less. Either way the ``IN (SELECT ...)`` set is built once
    and lets the trace-id bloom filter skip granules.
    """
    if not isinstance(spans, pa.Table):
        from llmpulse_collector.store._arrow import encode

        table = encode(spans, ()).spans
        if table is None:
            return set()
        spans = table
    identities = _hex_only(identity_table(spans))
    if not identities.num_rows:
        return set()
    starts = pc.min_max(identities.column("start_time").cast(pa.int64())).as_py()
    if not store.is_embedded:
        return _stored_on_server(store, identities, starts["min"], starts["max"])
    projects = pa.table({"project_id": pc.unique(identities.column("project_id"))})
    candidates = store.select_with_arrow(
        "SELECT project_id, trace_id, span_id "  # noqa: S608 (table name only)
        f"FROM {store.table('spans')} "
        "WHERE project_id IN (SELECT project_id FROM {projects}) "
        "AND start_time >= fromUnixTimestamp64Nano({first:Int64}, 'UTC') "
        "AND start_time <= fromUnixTimestamp64Nano({last:Int64}, 'UTC') "
        "AND trace_id IN (SELECT trace_id FROM {keys})",
        identities,
        projects,
        {"first": starts["min"], "last": starts["max"]},
    )
    if not candidates.num_rows:
        return set()
    # spans of the batch's traces stored before: the ones with the batch's identities
    found = candidates.join(identities, list(_KEY_COLUMNS), join_type="left semi")
    return set(span_keys(found))


def _stored_on_server(store: Store, identities: pa.Table, first: int, last: int) -> set[SpanKey]:
    keys = span_keys(identities)
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
            "first": first,
            "last": last,
            "traces": sorted({int(key[1], 16) for key in keys}),
            "span_ids": sorted({int(key[2], 16) for key in keys}),
        },
    )
    found = {(row["project_id"], row["trace_id"], row["span_id"]) for row in rows}
    return found.intersection(keys)


def keep_mask(identities: pa.Table, stored: set[SpanKey]) -> list[bool] | None:
    """True for each span to insert: its identity is not stored and not seen earlier.
    ``None`` when every span is kept (nothing stored, no identity repeated)."""
    if not stored:
        distinct = identities.group_by(list(_KEY_COLUMNS)).aggregate([]).num_rows
        if distinct == identities.num_rows:
            return None
    seen = set(stored)
    keep: list[bool] = []
    for key in span_keys(identities):
        keep.append(key not in seen)
        seen.add(key)
    return keep
