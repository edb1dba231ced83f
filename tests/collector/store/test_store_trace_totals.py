"""A trace's totals on the ``traces`` summary (``schema.TRACE_*``): wrappers decided at
insert when the insert holds both spans, from the open arrays otherwise (migration
0014), and the listings that aggregate the open arrays only for the traces with an open
parent (``schema.only_open_traces``) answer as the rule applied to the raw spans does,
on a store upgraded from before migration 0014 too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmpulse_collector.model import SpanRow
from llmpulse_collector.store import Store
from llmpulse_collector.store.queries import (
    TimeRange,
    TraceFilter,
    cost_breakdown,
    list_sessions,
    list_traces,
    list_users,
)
from llmpulse_collector.store.schema import TRACE_SUMMARY
from tests.collector.conftest import OldStore

_MS = 1_000_000
_HOUR = 3_600_000 * _MS


def _batches(make_span: Callable[..., SpanRow], t0: int) -> list[list[SpanRow]]:
    """Six traces over three inserts: a wrapper and its call in one insert, the call
    first, the wrapper first, a wrapper with a call in each of two inserts, a late span
    that moves its trace's start back, a usage-less wrapper whose call comes later."""

    def span(trace: int, sid: str, parent: str = "", **kw: Any) -> SpanRow:
        values: dict[str, Any] = {
            "trace_id": f"{trace:032x}",
            "span_id": sid * 16,
            "parent_span_id": parent * 16 if parent else "",
            "start_time": t0 + trace * 60_000 * _MS + kw.pop("at", 1) * _MS,
            "user_id": "",
            "session_id": "",
            "tags": [],
            "input_tokens": 100,
            "output_tokens": 40,
            "cost_usd": 0.5,
            **kw,
        }
        values["end_time"] = values["start_time"] + 500 * _MS
        return make_span(**values)

    def root(trace: int, user: str) -> SpanRow:
        return span(
            trace, "a", span_type="chain", model="", provider="", input_tokens=0,
            output_tokens=0, cost_usd=None, at=0, user_id=user, session_id=f"s-{trace}",
            tags=["prod"] if trace % 2 else [],
        )  # fmt: skip

    def call(trace: int, sid: str, parent: str, **kw: Any) -> SpanRow:
        return span(trace, sid, parent, **kw)

    return [
        [
            root(1, "u-1"), call(1, "b", "a"), call(1, "c", "b"), call(1, "d", "a", cost_usd=0.25),
            call(2, "c", "b", at=3),
            root(3, "u-1"), call(3, "b", "a"),
            root(4, "u-2"), call(4, "b", "a"), call(4, "c", "b", input_tokens=7),
            root(5, "u-2"),
            root(6, "u-3"), call(6, "b", "a", input_tokens=0, output_tokens=0, cost_usd=None),
        ],
        [
            root(2, "u-1"), call(2, "b", "a", at=2),
            call(3, "c", "b", at=2, input_tokens=11, cost_usd=0.125),
            call(5, "b", "a", input_tokens=3, output_tokens=1, cost_usd=0.0625),
        ],
        [
            call(4, "d", "b", at=5, input_tokens=13, cost_usd=0.03125),
            span(5, "e", "a", at=-30_000, span_type="tool", model="", input_tokens=0,
                 output_tokens=0, cost_usd=None),
            call(6, "c", "b", at=2, output_tokens=9),
        ],
    ]  # fmt: skip


def _expected(batches: list[list[SpanRow]]) -> dict[str, dict[str, Any]]:
    """Per trace: the rule applied to the raw spans (one LLM call counts once)."""
    spans = [s for batch in batches for s in batch]
    wrappers = {
        (c.trace_id, c.parent_span_id)
        for c in spans
        if c.span_type == "llm"
        and c.parent_span_id
        and (c.input_tokens > 0 or c.output_tokens > 0 or (c.cost_usd or 0) > 0)
    }
    out: dict[str, dict[str, Any]] = {}
    for s in spans:
        t = out.setdefault(
            s.trace_id,
            {"llm_calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0, "user": ""},
        )
        t["user"] = max(t["user"], s.user_id)
        if s.span_type == "llm" and (s.trace_id, s.span_id) in wrappers:
            continue
        t["llm_calls"] += s.span_type == "llm"
        t["input_tokens"] += s.input_tokens
        t["output_tokens"] += s.output_tokens
        t["cost_usd"] += s.cost_usd or 0.0
    return out


def _check(store: Store, batches: list[list[SpanRow]], time: TimeRange) -> None:
    expected = _expected(batches)
    keys = ("llm_calls", "input_tokens", "output_tokens", "cost_usd")
    summaries = store.query(
        f"SELECT trace_id, {TRACE_SUMMARY} FROM {store.table('traces')} "
        "WHERE traces.project_id = 'demo' GROUP BY trace_id"
    )
    assert {r["trace_id"]: {k: r[k] for k in keys} for r in summaries} == {
        t: {k: pytest.approx(v[k]) for k in keys} for t, v in expected.items()
    }
    by_cost = list_traces(store, TraceFilter("demo", time), sort="cost_usd", previews=False)
    assert [t["trace_id"] for t in by_cost.traces] == sorted(
        expected, key=lambda t: (expected[t]["cost_usd"], t), reverse=True
    )
    assert [t["cost_usd"] for t in by_cost.traces] == pytest.approx(
        sorted((v["cost_usd"] for v in expected.values()), reverse=True)
    )
    per_user: dict[str, dict[str, Any]] = {}
    for v in expected.values():
        u = per_user.setdefault(v["user"], {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
        for k in ("input_tokens", "output_tokens", "cost_usd"):
            u[k] += v[k]
    users = list_users(store, "demo", time).items
    assert {u["user_id"]: {k: u[k] for k in per_user["u-1"]} for u in users} == {
        name: {k: pytest.approx(x) for k, x in u.items()} for name, u in per_user.items()
    }
    sessions = list_sessions(store, "demo", time).items
    assert sum(s["input_tokens"] for s in sessions) == sum(
        v["input_tokens"] for v in expected.values()
    )
    by_user = {g["group"]: g for g in cost_breakdown(store, "demo", time, "user")["groups"]}
    assert {name: by_user[name]["cost_usd"] for name in per_user} == {
        name: pytest.approx(u["cost_usd"]) for name, u in per_user.items()
    }
    cheap = list_traces(store, TraceFilter("demo", time, max_cost_usd=0.6), previews=False)
    assert {t["trace_id"] for t in cheap.traces} == {
        t for t, v in expected.items() if v["cost_usd"] <= 0.6
    }


def test_totals_follow_the_rule_however_the_spans_were_inserted(
    store: Store, make_span: Callable[..., SpanRow], base_time_ns: int
) -> None:
    batches = _batches(make_span, base_time_ns)
    for batch in batches:
        store.insert_spans(batch)
    time = TimeRange(base_time_ns - _HOUR, base_time_ns + _HOUR)
    _check(store, batches, time)
    store.command(f"OPTIMIZE TABLE {store.local_table('traces')} FINAL")
    _check(store, batches, time)


def test_totals_when_every_insert_held_its_wrappers_and_calls(
    store: Store, make_span: Callable[..., SpanRow], base_time_ns: int
) -> None:
    """No open parent in the range: the listings read no open arrays at all."""
    whole = [s for s in _batches(make_span, base_time_ns)[0] if s.trace_id != f"{2:032x}"]
    store.insert_spans(whole)
    assert store.query(
        f"SELECT count() AS n FROM {store.table('traces')} WHERE notEmpty(llm_parents_open)"
    ) == [{"n": 0}]
    _check(store, [whole], TimeRange(base_time_ns - _HOUR, base_time_ns + _HOUR))


def test_an_insert_resolves_its_own_wrappers(
    store: Store, make_span: Callable[..., SpanRow], base_time_ns: int
) -> None:
    """Only parents outside their insert stay open: a trace inserted whole has none."""
    batches = _batches(make_span, base_time_ns)
    store.insert_spans(batches[0])
    rows = store.query(
        "SELECT trace_id, wrapped_llm_calls, length(llm_usage_open) AS usage_open, "
        f"length(llm_parents_open) AS parents_open FROM {store.table('traces')} "
        "ORDER BY trace_id"
    )
    assert [(r["wrapped_llm_calls"], r["usage_open"], r["parents_open"]) for r in rows] == [
        (1, 2, 0),  # whole: the wrapper decided, the call and its sibling open
        (0, 1, 1),  # the call alone: its parent (the wrapper) is open
        (0, 1, 0),  # the wrapper and the root: nothing open yet
        (1, 1, 0),
        (0, 0, 0),
        (0, 1, 0),
    ]


def test_a_store_upgraded_with_data_answers_the_same(
    store_before: Callable[[int], OldStore],
    make_span: Callable[..., SpanRow],
    base_time_ns: int,
) -> None:
    """The first insert goes in before migration 0014 (the summary rows it makes have no
    insert-time decisions), the others after: traces mix both kinds of rows."""
    store, upgrade = store_before(14)
    batches = _batches(make_span, base_time_ns)
    store.insert_spans(batches[0])
    assert 14 in upgrade()
    for batch in batches[1:]:
        store.insert_spans(batch)
    time = TimeRange(base_time_ns - _HOUR, base_time_ns + _HOUR)
    _check(store, batches, time)
    store.command(f"OPTIMIZE TABLE {store.local_table('traces')} FINAL")
    _check(store, batches, time)
