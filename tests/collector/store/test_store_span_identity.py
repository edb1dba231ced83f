"""Span identity: the lookup of already stored (project, trace id, span id) and the
mask of spans to insert."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from llmpulse_collector.model import SpanBatch, SpanRow
from llmpulse_collector.store import Store
from llmpulse_collector.store.span_identity import keep_mask, span_keys


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


def test_keep_mask_drops_stored_and_repeated_identities(make_span: Callable[..., SpanRow]) -> None:
    a, b, c = make_span(), make_span(), make_span()
    keys = span_keys([a, b, a, c, b])
    assert keep_mask(keys, {span_keys([c])[0]}) == [True, True, False, False, False]
