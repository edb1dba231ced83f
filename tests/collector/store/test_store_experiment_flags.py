"""Experiment runs are told apart by their tags (``store.traffic``); the spans and
traces tables keep the answer as ``is_experiment`` (migration 0018). A trace whose
experiment tag arrives on a later span, and a store with spans from before the
columns, read the same as the tags say."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmpulse_collector.model import SpanRow
from llmpulse_collector.store import Store
from llmpulse_collector.store.queries import (
    TimeRange,
    TraceFilter,
    list_traces,
    list_users,
    metrics_summary,
)
from tests.collector.conftest import OldStore

_S = 1_000_000_000


def _traffic(make_span: Callable[..., SpanRow], t0: int) -> list[list[SpanRow]]:
    """Two inserts: production traces of users a and b, an experiment trace, and a
    trace whose root says nothing while its later child is tagged ``experiment:``."""
    late = "f" * 32
    root: dict[str, Any] = {"parent_span_id": "", "span_type": "chain", "input_tokens": 0,
                            "output_tokens": 0, "cost_usd": None}  # fmt: skip
    first = [
        make_span(user_id="a", tags=["prod"], start_time=t0, **root),
        make_span(user_id="b", tags=[], start_time=t0 + _S, **root),
        make_span(user_id="x", tags=["experiment:terse"], start_time=t0 + 2 * _S, **root),
        make_span(
            trace_id=late, span_id="1" * 16, user_id="y", tags=[], start_time=t0 + 3 * _S, **root
        ),
    ]
    second = [
        make_span(
            trace_id=late,
            parent_span_id="1" * 16,
            user_id="",
            start_time=t0 + 4 * _S,
            tags=["experiment:terse"],
        ),
    ]
    return [first, second]


def _production(store: Store, time: TimeRange) -> dict[str, Any]:
    [summary] = metrics_summary(store, "demo", time)["groups"]
    f = TraceFilter(project_id="demo", time=time)
    only = TraceFilter(project_id="demo", time=time, experiments="only")
    return {
        "spans": summary["spans"],
        "users": sorted(u["user_id"] for u in list_users(store, "demo", time).items),
        "traces": len(list_traces(store, f).traces),
        "experiment traces": len(list_traces(store, only).traces),
    }


# span totals leave out the tagged spans (the late trace's untagged root counts);
# trace listings the whole trace
EXPECTED = {"spans": 3, "users": ["a", "b"], "traces": 2, "experiment traces": 2}


def test_production_reads_leave_out_every_trace_an_experiment_tag_touches(
    store: Store, make_span: Callable[..., SpanRow], base_time_ns: int
) -> None:
    for batch in _traffic(make_span, base_time_ns):
        store.insert_spans(batch)
    time = TimeRange(base_time_ns - 60 * _S, base_time_ns + 60 * _S)
    assert _production(store, time) == EXPECTED
    store.command(f"OPTIMIZE TABLE {store.local_table('traces')} FINAL")  # merged rows
    assert _production(store, time) == EXPECTED


@pytest.mark.parametrize("before", [1, 2])
def test_a_store_with_spans_from_before_the_flags_reads_the_same(
    store_before: Callable[[int], OldStore],
    make_span: Callable[..., SpanRow],
    base_time_ns: int,
    before: int,
) -> None:
    """Inserts before migration 0018 (the columns computed from the tags when read,
    then by the mutations) and after it."""
    store, upgrade = store_before(18)
    batches = _traffic(make_span, base_time_ns)
    for batch in batches[:before]:
        store.insert_spans(batch)
    assert 18 in upgrade()
    for batch in batches[before:]:
        store.insert_spans(batch)
    time = TimeRange(base_time_ns - 60 * _S, base_time_ns + 60 * _S)
    assert _production(store, time) == EXPECTED
    for table in ("spans", "traces"):
        store.command(f"OPTIMIZE TABLE {store.local_table(table)} FINAL")
    assert _production(store, time) == EXPECTED
