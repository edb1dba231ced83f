"""The nested-LLM rule over the spans table (``schema.nested_llm_span``): a wrapper LLM
span around an LLM span carrying usage is left out of every total over spans, whichever
insert brings which span, and on a store upgraded from before the id-hash columns
(migration 0013) the same totals come out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmpulse_collector.model import SpanRow
from llmpulse_collector.store import Store
from llmpulse_collector.store.queries import (
    TimeRange,
    cost_breakdown,
    list_users,
    metrics_summary,
    timeseries,
)
from tests.collector.conftest import OldStore

TRACE = "e" * 32
WRAPPER, ROOT = "w" * 16, "r" * 16
_MS = 1_000_000


def _spans(make_span: Callable[..., SpanRow], t0: int) -> dict[str, SpanRow]:
    common: dict[str, Any] = {"trace_id": TRACE, "user_id": "", "session_id": "", "tags": []}
    return {
        "inner": make_span(
            **common, parent_span_id=WRAPPER, start_time=t0 + 2 * _MS, end_time=t0 + 890 * _MS,
            input_tokens=100, output_tokens=40, cost_usd=0.5,
        ),
        "wrapper": make_span(
            **common, span_id=WRAPPER, parent_span_id=ROOT, start_time=t0 + _MS,
            end_time=t0 + 900 * _MS, input_tokens=100, output_tokens=40, cost_usd=0.5,
        ),
        "second": make_span(  # a sibling call, not nested: counted
            **common, parent_span_id=ROOT, start_time=t0 + 901 * _MS, end_time=t0 + 990 * _MS,
            input_tokens=10, output_tokens=5, cost_usd=0.25, model="gpt-4o",
        ),
        "root": make_span(
            **{**common, "user_id": "u-1"}, span_id=ROOT, parent_span_id="", span_type="chain",
            model="", provider="", input_tokens=0, output_tokens=0, cost_usd=None,
            time_to_first_token_ms=None, start_time=t0, end_time=t0 + 1000 * _MS,
        ),
    }  # fmt: skip


ORDERS = {
    "inner-first": [["inner"], ["wrapper", "root"], ["second"]],
    "wrapper-first": [["second"], ["wrapper", "root"], ["inner"]],
    "one-insert": [["inner", "wrapper", "root", "second"]],
}


def _totals(store: Store, time: TimeRange) -> dict[str, Any]:
    """Every total over spans that the rule applies to, from each query that has it."""
    [summary] = metrics_summary(store, "demo", time)["groups"]
    [series] = timeseries(store, "demo", time, 3600)["series"]
    cost = cost_breakdown(store, "demo", time, "model")
    by_model = {g["group"]: g for g in cost["groups"]}
    [user] = list_users(store, "demo", time).items
    return {
        "summary": (summary["input_tokens"], summary["output_tokens"], summary["cost_usd"]),
        "series": (series["totals"]["input_tokens"], series["totals"]["cost_usd"]),
        "cost": (cost["total_cost_usd"], cost["totals"]["llm_calls"]),
        "cost_model": {m: (g["llm_calls"], g["input_tokens"]) for m, g in by_model.items()},
        "user": (user["input_tokens"], user["output_tokens"], user["cost_usd"]),
    }


EXPECTED = {
    "summary": (110, 45, pytest.approx(0.75)),
    "series": (110, pytest.approx(0.75)),
    "cost": (pytest.approx(0.75), 2),
    "cost_model": {"gpt-4o-mini": (1, 100), "gpt-4o": (1, 10), "": (0, 0)},
    "user": (110, 45, pytest.approx(0.75)),
}


@pytest.mark.parametrize("order", ORDERS)
def test_a_wrapper_and_its_call_count_once_in_any_insert_order(
    store: Store, make_span: Callable[..., SpanRow], base_time_ns: int, order: str
) -> None:
    spans = _spans(make_span, base_time_ns)
    for batch in ORDERS[order]:
        store.insert_spans([spans[name] for name in batch])
    time = TimeRange(base_time_ns - 3600 * 10**9, base_time_ns + 3600 * 10**9)
    assert _totals(store, time) == EXPECTED
    store.command(f"OPTIMIZE TABLE {store.local_table('spans')} FINAL")
    assert _totals(store, time) == EXPECTED


def test_a_store_with_data_from_before_the_key_columns_answers_the_same(
    store_before: Callable[[int], OldStore],
    make_span: Callable[..., SpanRow],
    base_time_ns: int,
) -> None:
    """Spans stored before migration 0013 (no ``llm_key`` columns on disk): read while
    the columns are computed on the fly, and after the MATERIALIZE mutations."""
    store, upgrade = store_before(13)
    assert not store.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = 'spans' "
        "AND name LIKE 'llm_%key'",
        {"db": store.database},
    )
    spans = _spans(make_span, base_time_ns)
    for batch in ORDERS["wrapper-first"]:
        store.insert_spans([spans[name] for name in batch])

    assert 13 in upgrade()
    time = TimeRange(base_time_ns - 3600 * 10**9, base_time_ns + 3600 * 10**9)
    assert _totals(store, time) == EXPECTED
    store.command(f"OPTIMIZE TABLE {store.local_table('spans')} FINAL")  # rewrites the parts
    stored = store.query(
        "SELECT llm_key, llm_parent_key, span_type, "
        "cityHash64(trace_id, span_id) AS own, cityHash64(trace_id, parent_span_id) AS parent "
        f"FROM {store.table('spans')} ORDER BY start_time"
    )
    assert [(r["llm_key"], r["llm_parent_key"]) for r in stored] == [
        (0, 0),  # root: a chain span
        (stored[1]["own"], stored[1]["parent"]),  # the wrapper: LLM with usage, a parent
        (stored[2]["own"], stored[2]["parent"]),  # inner
        (stored[3]["own"], stored[3]["parent"]),  # second
    ]
    assert _totals(store, time) == EXPECTED


def _wrapper_keys(store: Store) -> set[str]:
    """The spans of the test trace named by the keys ``llm_wrapper_keys`` holds."""
    names = {key: name for name, key in _keys(store).items()}
    rows = store.query(f"SELECT key FROM {store.table('llm_wrapper_keys')}")
    return {names.get(row["key"], "?") for row in rows}


def _keys(store: Store) -> dict[str, int]:
    """The span keys (``cityHash64(trace_id, span_id)``) of the wrapper and the root."""
    ids = {"wrapper": WRAPPER, "root": ROOT}
    [row] = store.query(
        "SELECT " + ", ".join(f"cityHash64({{t:String}}, {{{n}:String}}) AS {n}" for n in ids),
        {"t": TRACE, **ids},
    )
    return dict(row)


@pytest.mark.parametrize(
    ("order", "keys"),
    [
        # the whole trace in one insert: only the real wrapper (the root is a chain span)
        ("one-insert", {"wrapper"}),
        # each call's parent is decided by the insert that holds it, or left open
        ("inner-first", {"wrapper", "root"}),  # inner's and second's parents: not there
        ("wrapper-first", {"wrapper", "root"}),  # the wrapper's root is in its insert
    ],
)
def test_the_wrapper_keys_hold_only_wrappers_and_parents_an_insert_did_not_show(
    store: Store,
    make_span: Callable[..., SpanRow],
    base_time_ns: int,
    order: str,
    keys: set[str],
) -> None:
    spans = _spans(make_span, base_time_ns)
    for batch in ORDERS[order]:
        store.insert_spans([spans[name] for name in batch])
    assert _wrapper_keys(store) == keys


@pytest.mark.parametrize("before", [1, 2])
@pytest.mark.parametrize("order", ["wrapper-first", "inner-first"])
def test_spans_stored_before_the_wrapper_keys_count_the_same(
    store_before: Callable[[int], OldStore],
    make_span: Callable[..., SpanRow],
    base_time_ns: int,
    order: str,
    before: int,
) -> None:
    """Spans stored before migration 0017 (its table filled from them, every parent
    open), the rest of the trace after it."""
    store, upgrade = store_before(17)
    spans = _spans(make_span, base_time_ns)
    batches = ORDERS[order]
    for batch in batches[:before]:
        store.insert_spans([spans[name] for name in batch])
    assert 17 in upgrade()
    for batch in batches[before:]:
        store.insert_spans([spans[name] for name in batch])
    time = TimeRange(base_time_ns - 3600 * 10**9, base_time_ns + 3600 * 10**9)
    assert _totals(store, time) == EXPECTED
