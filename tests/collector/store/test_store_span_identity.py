"""Span identity: the lookup of already stored (project, trace id, span id) and the
mask of spans to insert."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pyarrow as pa

from llmpulse_collector.model import SpanBatch, SpanRow
from llmpulse_collector.store import Store
from llmpulse_collector.store._arrow import encode
from llmpulse_collector.store.span_identity import identity_table, keep_mask, span_keys


def test_stored_identities_are_found_by_project_trace_and_span(
    store: Store, make_span: Callable[..., SpanRow]
) -> None:
    stored = [make_span(project_id="a"), make_span(project_id="a"), make_span(project_id="b")]
    store.insert_spans(stored)
    same = stored[0]
    other_project = dataclasses.replace(stored[1], project_id="b")
    other_span = dataclasses.replace(stored[2], span_id="f" * 16)
    new = make_span(project_id="a")
    batch = SpanBatch.from_rows([same, other_project, other_span, new, stored[2]])

    assert store.stored_span_keys(batch) == {
        ("a", same.trace_id, same.span_id),
        ("b", stored[2].trace_id, stored[2].span_id),
    }
    assert store.stored_span_keys([]) == set()


def test_ids_that_are_not_lowercase_hex_are_taken_as_new(
    store: Store, make_span: Callable[..., SpanRow]
) -> None:
    odd = make_span(trace_id="not-a-hex-trace-id-of-32-chars!!", span_id="ABCDEF0123456789")
    store.insert_spans([odd])
    assert store.stored_span_keys([odd]) == set()


def _identities(rows: list[SpanRow]) -> pa.Table:
    table = encode(rows, ()).spans
    assert table is not None
    return identity_table(table)


def test_stored_identities_are_found_from_the_encoded_table(
    store: Store, make_span: Callable[..., SpanRow]
) -> None:
    """What the batch writer passes: the identity columns of the encoded batch."""
    stored = [make_span(project_id="a"), make_span(project_id="b")]
    store.insert_spans(stored)
    new = make_span(project_id="a")
    identities = _identities([new, stored[1], stored[0]])
    assert store.stored_span_keys(identities) == {
        ("a", stored[0].trace_id, stored[0].span_id),
        ("b", stored[1].trace_id, stored[1].span_id),
    }
    assert store.stored_span_keys(_identities([new])) == set()


def test_a_stored_span_outside_the_batch_time_range_is_not_looked_up(
    store: Store, make_span: Callable[..., SpanRow]
) -> None:
    """The lookup reads the batch's time range: a span sent again keeps its start time."""
    span = make_span()
    store.insert_spans([span])
    moved = dataclasses.replace(span, start_time=span.start_time + 3_600_000_000_000)
    assert store.stored_span_keys(_identities([moved])) == set()


def test_keep_mask_drops_stored_and_repeated_identities(make_span: Callable[..., SpanRow]) -> None:
    a, b, c = make_span(), make_span(), make_span()
    identities = _identities([a, b, a, c, b])
    assert span_keys(identities)[3] == (c.project_id, c.trace_id, c.span_id)
    stored_c = {span_keys(_identities([c]))[0]}
    assert keep_mask(identities, stored_c) == [True, True, False, False, False]
    assert keep_mask(identities, set()) == [True, True, False, True, False]


def test_keep_mask_keeps_all_when_nothing_is_stored_or_repeated(
    make_span: Callable[..., SpanRow],
) -> None:
    a, b = make_span(), make_span()
    same_ids_other_project = dataclasses.replace(a, project_id="other")
    assert keep_mask(_identities([a, b, same_ids_other_project]), set()) is None
