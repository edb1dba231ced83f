"""The listings that aggregate many traces group the ``traces`` summary by ``trace_key``
(the trace id's hash, migration 0019) and count a user's sessions by their ids' hashes:
the same answers as per trace id, for traces split over inserts (a late span included),
on a store upgraded with data, and for users with several sessions. ``cost_breakdown``
by user or tag runs its two queries at once, ``list_traces`` its count and scores beside
its page: an error in any of them reaches the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmpulse_collector.model import SpanRow
from llmpulse_collector.store import Store, migrations
from llmpulse_collector.store.errors import StoreError
from llmpulse_collector.store.queries import (
    TimeRange,
    TraceFilter,
    cost_breakdown,
    list_sessions,
    list_traces,
    list_users,
)
from llmpulse_collector.store.queries.traces import count_traces
from tests.collector.conftest import OldStore

_MS = 1_000_000
_HOUR = 3_600_000 * _MS


def _batches(make_span: Callable[..., SpanRow], t0: int) -> list[list[SpanRow]]:
    """Seven traces of three users over two inserts. u-1: traces 1 and 2 in session
    s-a, trace 3 in s-b, trace 4 in none; u-2: trace 5 in s-c, trace 6 in s-a (another
    user's session id); trace 7 has no user. The second insert holds a late span of
    trace 1 (starting before its root) and the rest of traces 2 and 5."""

    def span(trace: int, sid: str, at: int, **kw: Any) -> SpanRow:
        return make_span(
            trace_id=f"{trace:032x}",
            span_id=f"{trace:08x}{sid * 8}",
            parent_span_id=kw.pop("parent", ""),
            start_time=t0 + trace * 60_000 * _MS + at * _MS,
            end_time=t0 + trace * 60_000 * _MS + (at + 500) * _MS,
            **kw,
        )

    def root(trace: int, user: str, session: str, **kw: Any) -> SpanRow:
        return span(trace, "a", 0, user_id=user, session_id=session, **kw)

    def child(trace: int, sid: str, at: int, **kw: Any) -> SpanRow:
        return span(trace, sid, at, parent=f"{trace:08x}{'a' * 8}", user_id="", session_id="",
                    span_type="tool", model="", **kw)  # fmt: skip

    return [
        [
            root(1, "u-1", "s-a", cost_usd=0.5, tags=["prod"]),
            root(2, "u-1", "s-a", cost_usd=0.25, tags=["prod", "beta"]),
            root(3, "u-1", "s-b", cost_usd=0.125, tags=[]),
            root(4, "u-1", "", cost_usd=0.0625, status_code="ERROR", tags=["beta"]),
            root(5, "u-2", "s-c", cost_usd=1.0, tags=["prod"]),
            root(6, "u-2", "s-a", cost_usd=2.0, tags=[]),
            root(7, "", "s-d", cost_usd=4.0, tags=["prod"]),
        ],
        [
            child(1, "b", -30_000, cost_usd=0.03125, input_tokens=7, tags=["late"]),
            child(2, "b", 10, cost_usd=8.0, status_code="ERROR", tags=[]),
            child(5, "b", 20, cost_usd=16.0, output_tokens=3, tags=[]),
        ],
    ]


def _groups(
    traces: dict[str, dict[str, Any]], keys: Callable[[dict[str, Any]], list[str]]
) -> dict[str, list[dict[str, Any]]]:
    """The traces of each group (a trace is in every group ``keys`` names)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for t in traces.values():
        for key in keys(t):
            out.setdefault(key, []).append(t)
    return out


def _check(store: Store, batches: list[list[SpanRow]], time: TimeRange) -> None:
    spans = [s for batch in batches for s in batch]
    traces: dict[str, dict[str, Any]] = {}
    for s in spans:
        t = traces.setdefault(
            s.trace_id,
            {"user": "", "session": "", "spans": 0, "errors": 0, "in": 0, "out": 0,
             "cost": 0.0, "tags": set()},
        )  # fmt: skip
        t["user"], t["session"] = max(t["user"], s.user_id), max(t["session"], s.session_id)
        t["spans"] += 1
        t["errors"] += s.status_code == "ERROR"
        t["in"] += s.input_tokens
        t["out"] += s.output_tokens
        t["cost"] += s.cost_usd or 0.0
        t["tags"] |= set(s.tags)

    users = {u["user_id"]: u for u in list_users(store, "demo", time).items}
    expected_users = {}
    for name in sorted({t["user"] for t in traces.values()} - {""}):
        mine = [t for t in traces.values() if t["user"] == name]
        expected_users[name] = {
            "traces": len(mine),
            "sessions": len({t["session"] for t in mine} - {""}),
            "spans": sum(t["spans"] for t in mine),
            "errors": sum(t["errors"] for t in mine),
            "input_tokens": sum(t["in"] for t in mine),
            "output_tokens": sum(t["out"] for t in mine),
            "cost_usd": pytest.approx(sum(t["cost"] for t in mine)),
        }
    assert {name: {k: u[k] for k in expected_users["u-1"]} for name, u in users.items()} == (
        expected_users
    )
    assert expected_users["u-1"]["sessions"] == 2  # s-a (two traces) and s-b
    assert expected_users["u-2"]["sessions"] == 2  # s-c and s-a (u-1 has one too)

    sessions = {s["session_id"]: s for s in list_sessions(store, "demo", time).items}
    assert {name: (s["traces"], s["cost_usd"]) for name, s in sessions.items()} == {
        name: (len(mine), pytest.approx(sum(t["cost"] for t in mine)))
        for name, mine in _groups(traces, lambda t: [t["session"]]).items()
        if name
    }

    by_user = cost_breakdown(store, "demo", time, "user")
    assert {g["group"]: (g["traces"], g["spans"], g["cost_usd"]) for g in by_user["groups"]} == {
        name: (len(ts), sum(t["spans"] for t in ts), pytest.approx(sum(t["cost"] for t in ts)))
        for name, ts in _groups(traces, lambda t: [t["user"]]).items()
    }
    assert by_user["totals"]["cost_usd"] == pytest.approx(sum(s.cost_usd or 0 for s in spans))
    assert by_user["totals"]["spans"] == len(spans)
    by_tag = cost_breakdown(store, "demo", time, "tag")
    assert {g["group"]: (g["traces"], g["cost_usd"]) for g in by_tag["groups"]} == {
        tag: (len(mine), pytest.approx(sum(t["cost"] for t in mine)))
        for tag, mine in _groups(traces, lambda t: sorted(t["tags"]) or [""]).items()
    }

    assert count_traces(store, TraceFilter("demo", time)) == len(traces)
    assert count_traces(store, TraceFilter("demo", time, user_id="u-1")) == 4
    by_cost = list_traces(store, TraceFilter("demo", time), sort="cost_usd", previews=False)
    assert [t["trace_id"] for t in by_cost.traces] == sorted(
        traces, key=lambda t: (traces[t]["cost"], t), reverse=True
    )


def test_trace_keys_answer_as_trace_ids(
    store: Store, make_span: Callable[..., SpanRow], base_time_ns: int
) -> None:
    batches = _batches(make_span, base_time_ns)
    for batch in batches:
        store.insert_spans(batch)
    time = TimeRange(base_time_ns - _HOUR, base_time_ns + _HOUR)
    _check(store, batches, time)
    _check_started_before(store, base_time_ns)
    store.command(f"OPTIMIZE TABLE {store.local_table('traces')} FINAL")
    _check(store, batches, time)
    _check_started_before(store, base_time_ns)


def _check_started_before(store: Store, t0: int) -> None:
    """From between trace 1's late span (t0 + 30 s) and its root (t0 + 60 s): trace 1
    started before the range, so no listing counts it, though a row of it is in range."""
    time = TimeRange(t0 + 45_000 * _MS, t0 + _HOUR)
    first = f"{1:032x}"
    assert count_traces(store, TraceFilter("demo", time)) == 6
    listed = list_traces(store, TraceFilter("demo", time), previews=False).traces
    assert first not in {t["trace_id"] for t in listed} and len(listed) == 6
    by_cost = list_traces(store, TraceFilter("demo", time), sort="cost_usd", previews=False)
    assert first not in {t["trace_id"] for t in by_cost.traces}
    [u1] = [u for u in list_users(store, "demo", time).items if u["user_id"] == "u-1"]
    assert (u1["traces"], u1["sessions"]) == (3, 2)  # traces 2, 3, 4; s-a and s-b
    [s_a] = [s for s in list_sessions(store, "demo", time).items if s["session_id"] == "s-a"]
    assert s_a["traces"] == 2  # traces 2 and 6
    by_user = cost_breakdown(store, "demo", time, "user")
    assert {g["group"]: g["traces"] for g in by_user["groups"]} == {"u-1": 3, "u-2": 2, "": 1}


def test_a_store_upgraded_with_data_answers_the_same(
    store_before: Callable[[int], OldStore],
    make_span: Callable[..., SpanRow],
    base_time_ns: int,
) -> None:
    """The first insert goes in before the trace keys migration, the late spans after:
    traces mix rows whose key the migration computed with rows keyed at insert."""
    [keys] = [m.number for m in migrations.load() if m.name == "trace_keys"]
    store, upgrade = store_before(keys)
    batches = _batches(make_span, base_time_ns)
    store.insert_spans(batches[0])
    assert keys in upgrade()
    store.insert_spans(batches[1])
    assert store.query(
        f"SELECT countIf(trace_key != cityHash64(trace_id)) AS wrong, count() AS n "
        f"FROM {store.table('traces')}"
    ) == [{"wrong": 0, "n": 10}]
    time = TimeRange(base_time_ns - _HOUR, base_time_ns + _HOUR)
    _check(store, batches, time)
    store.command(f"OPTIMIZE TABLE {store.local_table('traces')} FINAL")
    _check(store, batches, time)


@pytest.mark.parametrize("group_by", ["user", "tag"])
@pytest.mark.parametrize("failing", ["spans", "traces"])
def test_cost_by_trace_groups_raises_the_error_of_either_query(
    store: Store,
    make_span: Callable[..., SpanRow],
    base_time_ns: int,
    monkeypatch: pytest.MonkeyPatch,
    group_by: str,
    failing: str,
) -> None:
    """The totals (over spans) and the groups (over the traces summary) run at once:
    the one that fails raises in the caller, whichever it is."""
    for batch in _batches(make_span, base_time_ns):
        store.insert_spans(batch)
    real = store.query
    table = store.table(failing)

    def query(sql: str, params: Any = None, **kw: Any) -> Any:
        if f"FROM {table} WHERE" in sql and "AS found" not in sql:  # not the probe
            raise StoreError(f"boom in {failing}")
        return real(sql, params, **kw)

    monkeypatch.setattr(store, "query", query)
    with pytest.raises(StoreError, match=f"boom in {failing}"):
        cost_breakdown(store, "demo", TimeRange(base_time_ns - _HOUR, base_time_ns + _HOUR),
                       group_by)  # fmt: skip


@pytest.mark.parametrize("failing", ["count() AS n FROM", "FROM {evaluations}"])
def test_trace_list_raises_the_error_of_a_query_run_beside_the_page(
    store: Store,
    make_span: Callable[..., SpanRow],
    base_time_ns: int,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    """The count (``with_total``) and the page's scores run beside the page: their
    errors reach the caller too."""
    for batch in _batches(make_span, base_time_ns):
        store.insert_spans(batch)
    time = TimeRange(base_time_ns - _HOUR, base_time_ns + _HOUR)
    page = list_traces(store, TraceFilter("demo", time), with_total=True, previews=False)
    assert (page.total, len(page.traces)) == (7, 7)
    real = store.query
    needle = failing.format(evaluations=store.table("evaluations"))

    def query(sql: str, params: Any = None, **kw: Any) -> Any:
        if needle in sql:
            raise StoreError("boom")
        return real(sql, params, **kw)

    monkeypatch.setattr(store, "query", query)
    with pytest.raises(StoreError, match="boom"):
        list_traces(store, TraceFilter("demo", time), with_total=True, previews=False)
