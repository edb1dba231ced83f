"""The ``traces`` summary: one row per trace, however its spans were batched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from llmpulse_collector.model import SpanRow
from llmpulse_collector.store import Store
from llmpulse_collector.store.schema import TRACE_SUMMARY

TRACE = "a" * 32


def _summaries(store: Store, **where: Any) -> list[dict[str, Any]]:
    return store.query(
        f"SELECT trace_id, {TRACE_SUMMARY} FROM {store.table('traces')} "
        "WHERE traces.project_id = {project:String} "
        "AND traces.start_time >= {since:DateTime64(9, 'UTC')} - INTERVAL 1 DAY "
        "GROUP BY trace_id HAVING start_time_ns >= {since_ns:Int64} "
        "ORDER BY start_time_ns DESC",
        {"project": "demo", "since": datetime.fromtimestamp(0, UTC), "since_ns": 0, **where},
    )


@pytest.fixture
def at(base_time_ns: int) -> Callable[[int], int]:
    """Milliseconds after the base time, as unix nanoseconds."""
    return lambda ms: base_time_ns + ms * 1_000_000


def test_summary_across_batches(
    store: Store, make_span: Callable[..., SpanRow], at: Callable[[int], int]
) -> None:
    def span(**kw: Any) -> SpanRow:
        return make_span(**{"trace_id": TRACE, "session_id": "", "user_id": "", "tags": [], **kw})

    # Children first, in two batches; the root arrives last, in a batch of its own.
    store.insert_spans(
        [
            span(
                parent_span_id="r" * 16,
                start_time=at(10),
                end_time=at(900),
                model="gpt-4o",
                cost_usd=0.25,
                tags=["beta"],
                session_id="s-1",
            ),
            span(
                parent_span_id="r" * 16,
                name="search",
                span_type="tool",
                model="",
                input_tokens=0,
                output_tokens=0,
                start_time=at(20),
                end_time=at(40),
                cost_usd=None,
                status_code="ERROR",
            ),
        ]
    )
    store.insert_spans(
        [
            span(
                parent_span_id="r" * 16,
                start_time=at(950),
                end_time=at(1200),
                model="claude-sonnet-4",
                cost_usd=0.5,
                tags=["beta", "eu"],
                user_id="u-7",
            ),
        ]
    )
    store.insert_spans(
        [
            span(
                span_id="r" * 16,
                name="POST /chat",
                span_type="chain",
                service_name="api",
                model="",
                input_tokens=0,
                output_tokens=0,
                cost_usd=None,
                start_time=at(0),
                end_time=at(1500),
                tags=["prod"],
            )
        ]
    )

    [summary] = _summaries(store)
    assert summary == {
        "trace_id": TRACE,
        "start_time_ns": at(0),
        "end_time_ns": at(1500),
        "name": "POST /chat",
        "service_name": "api",
        "environment": "test",
        "spans": 4,
        "errors": 1,
        "llm_calls": 2,
        "input_tokens": 240,
        "output_tokens": 90,
        "cost_usd": 0.75,
        "session_id": "s-1",
        "user_id": "u-7",
        "tags": summary["tags"],
        "models": summary["models"],
    }
    assert sorted(summary["tags"]) == ["beta", "eu", "prod"]
    assert sorted(summary["models"]) == ["claude-sonnet-4", "gpt-4o"]


def test_summary_is_the_same_after_merges(
    store: Store, make_span: Callable[..., SpanRow], at: Callable[[int], int]
) -> None:
    for i in range(3):
        store.insert_spans([make_span(trace_id=TRACE, start_time=at(i), cost_usd=1.0)])
    before = _summaries(store)
    store.command(f"OPTIMIZE TABLE {store.local_table('traces')} FINAL")
    assert _summaries(store) == before
    assert before[0]["spans"] == 3
    assert before[0]["cost_usd"] == 3.0


def test_summaries_are_per_project(store: Store, make_span: Callable[..., SpanRow]) -> None:
    store.insert_spans([make_span(project_id="demo"), make_span(project_id="other")])
    assert len(_summaries(store)) == 1
    assert len(_summaries(store, project="other")) == 1


@pytest.mark.parametrize("inner_first", [True, False], ids=["inner-first", "wrapper-first"])
def test_nested_llm_spans_count_one_call(
    store: Store, make_span: Callable[..., SpanRow], at: Callable[[int], int], inner_first: bool
) -> None:
    """An @observe(span_type="llm") span around the anthropic SDK's own "chat" span is
    one call: the wrapper's tokens, cost and call are left out, whichever batch brings
    which span, before and after merges."""
    wrapper = make_span(
        trace_id=TRACE,
        span_id="w" * 16,
        parent_span_id="r" * 16,
        start_time=at(1),
        end_time=at(900),
        input_tokens=100,
        output_tokens=40,
        cost_usd=0.5,
    )
    inner = make_span(
        trace_id=TRACE,
        parent_span_id="w" * 16,
        start_time=at(2),
        end_time=at(890),
        input_tokens=100,
        output_tokens=40,
        cost_usd=0.5,
    )
    second = make_span(  # a sibling call that is not nested: counted
        trace_id=TRACE,
        parent_span_id="r" * 16,
        start_time=at(901),
        end_time=at(990),
        input_tokens=10,
        output_tokens=5,
        cost_usd=0.25,
    )
    root = make_span(
        trace_id=TRACE,
        span_id="r" * 16,
        parent_span_id="",
        span_type="chain",
        model="",
        input_tokens=0,
        output_tokens=0,
        cost_usd=None,
        start_time=at(0),
        end_time=at(1000),
    )
    batches = [[inner], [wrapper, root], [second]]
    for batch in batches if inner_first else batches[::-1]:
        store.insert_spans(batch)
    [summary] = _summaries(store)
    totals = {k: summary[k] for k in ("spans", "llm_calls", "input_tokens", "output_tokens")}
    assert totals == {"spans": 4, "llm_calls": 2, "input_tokens": 110, "output_tokens": 45}
    assert summary["cost_usd"] == pytest.approx(0.75)
    store.command(f"OPTIMIZE TABLE {store.local_table('traces')} FINAL")
    assert _summaries(store) == [summary]


def test_wrapper_without_usage_around_llm_span_counts_one_call(
    store: Store, make_span: Callable[..., SpanRow], at: Callable[[int], int]
) -> None:
    wrapper = make_span(
        trace_id=TRACE,
        span_id="w" * 16,
        parent_span_id="",
        input_tokens=0,
        output_tokens=0,
        cost_usd=None,
        start_time=at(0),
        end_time=at(10),
    )
    inner = make_span(trace_id=TRACE, parent_span_id="w" * 16, start_time=at(1), end_time=at(9))
    store.insert_spans([inner])
    store.insert_spans([wrapper])
    [summary] = _summaries(store)
    assert (summary["llm_calls"], summary["input_tokens"]) == (1, inner.input_tokens)
