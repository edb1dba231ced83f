"""Trace list pages by start time, read in growing windows, equal the whole-range query.

``list_traces(sort="start_time")`` reads the newest (or oldest) end of the range first
and widens the window until it holds a page. The reference is the single query over
the whole range (``_page``, the query the list ran before), on traces whose spans
arrive in several inserts: a late span that starts before its root moves the trace
to an older time, and a late span can carry the text a search looks for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pytest

from llmpulse_collector.model import SpanRow
from llmpulse_collector.store import Store
from llmpulse_collector.store.queries._where import TimeRange, TraceFilter
from llmpulse_collector.store.queries.traces import _page, list_traces

MIN_NS = 60_000_000_000
TRACES = 60


@pytest.fixture
def seeded(store: Store, make_span: Callable[..., SpanRow], base_time_ns: int) -> TimeRange:
    """60 traces, one every 6 minutes back from the base time; every 7th has an
    error, every 5th says "damaged" in its LLM span. Then, in later inserts: trace 3
    gets a span starting 100 minutes before its root, trace 40 a late span saying
    "damaged" (its LLM span says so too)."""
    spans: list[SpanRow] = []
    for i in range(TRACES):
        trace = f"{0xB000 + i:032x}"
        start = base_time_ns - i * 6 * MIN_NS
        root = f"{0xB000 + i:016x}"
        spans.append(
            make_span(
                trace_id=trace, span_id=root, start_time=start, end_time=start + MIN_NS,
                span_type="chain", input=f"question {i}", output="answer",
                status_code="ERROR" if i % 7 == 0 else "OK",
            )
        )  # fmt: skip
        spans.append(
            make_span(
                trace_id=trace, span_id=f"{0xC000 + i:016x}", parent_span_id=root,
                start_time=start + 1000, end_time=start + 2000,
                input="the item arrived DAMAGED" if i % 5 == 0 else "the item is fine",
                output="noted",
                session_id="", user_id="", tags=[],
            )
        )  # fmt: skip
    store.insert_spans(spans[: len(spans) // 2])
    store.insert_spans(spans[len(spans) // 2 :])
    late = [
        make_span(
            trace_id=f"{0xB000 + 3:032x}", span_id=f"{0xD003:016x}",
            parent_span_id=f"{0xB000 + 3:016x}",
            start_time=base_time_ns - (3 * 6 + 100) * MIN_NS, session_id="", user_id="",
            tags=[], input="early", output="",
        ),
        make_span(
            trace_id=f"{0xB000 + 40:032x}", span_id=f"{0xD040:016x}",
            parent_span_id=f"{0xB000 + 40:016x}",
            start_time=base_time_ns - 40 * 6 * MIN_NS + 5 * MIN_NS, session_id="", user_id="",
            tags=[], input="late note: damaged box", output="",
        ),
    ]  # fmt: skip
    store.insert_spans(late)
    return TimeRange(base_time_ns - 7 * 60 * MIN_NS, base_time_ns + 30 * MIN_NS)


def _all_pages(store: Store, f: TraceFilter, order: Literal["desc", "asc"]) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = list_traces(store, f, order=order, limit=4, cursor=cursor, previews=False)
        ids += [t["trace_id"] for t in page.traces]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize(
    "filters",
    [{}, {"q": "damaged"}, {"status": "error"}, {"q": "late note"}, {"q": "early"}],
    ids=["all", "search", "errors", "search-late-span", "search-early-span"],
)
def test_windowed_pages_equal_the_whole_range_query(
    store: Store, seeded: TimeRange, order: Literal["desc", "asc"], filters: dict[str, Any]
) -> None:
    f = TraceFilter(project_id="demo", time=seeded, **filters)
    reference = [row["trace_id"] for row in _page(store, f, "start_time", order, 1000, None)]

    assert _all_pages(store, f, order) == reference
    assert reference  # every filter matches some traces
    first = list_traces(store, f, order=order, limit=4, previews=False)
    assert [t["trace_id"] for t in first.traces] == reference[:4]


def test_a_late_early_span_moves_its_trace_back(store: Store, seeded: TimeRange) -> None:
    ids = _all_pages(store, TraceFilter(project_id="demo", time=seeded), "desc")

    assert len(ids) == TRACES
    # trace 3 now starts 100 minutes before its root: between traces 19 and 20
    assert ids.index(f"{0xB000 + 3:032x}") == 19
    searched = _all_pages(store, TraceFilter(project_id="demo", time=seeded, q="damaged"), "desc")
    assert searched == [f"{0xB000 + i:032x}" for i in range(0, TRACES, 5)]
