"""Sessions (list, paging, one session as a conversation) and users (every sort,
paging). Data: ``query_seed``: alice has s1 (T1, T3), bob has s2 (T2)."""

from __future__ import annotations

import pytest

from tests.collector.api.query_seed import (
    MESSAGES_IN,
    MESSAGES_OUT,
    RANGE,
    T1,
    T3,
    Seeded,
    seeded_fixture,  # noqa: F401  (the ``seeded`` fixture)
)


def test_sessions_most_recent_first(seeded: Seeded) -> None:
    body = seeded.ok("/api/v1/sessions", **RANGE)
    s1, s2 = body["sessions"]
    assert s1 == {
        "session_id": "s1",
        "user_id": "alice",
        "traces": 2,
        "first_seen": s1["first_seen"],
        "last_seen": s1["last_seen"],
        "duration_ms": 2 * 3600_000 + 500.0,  # T1 start to T3 end
        "input_tokens": 150,
        "output_tokens": 15,
        "total_tokens": 165,
        "cost_usd": pytest.approx(0.015),
        "errors": 0,
    }
    assert (s2["session_id"], s2["traces"], s2["errors"]) == ("s2", 1, 2)
    assert body["next_cursor"] is None


def test_session_filters_and_paging(seeded: Seeded) -> None:
    def names(**params: object) -> list[str]:
        return [
            s["session_id"] for s in seeded.ok("/api/v1/sessions", **RANGE, **params)["sessions"]
        ]

    assert names(user_id="bob") == ["s2"]
    assert names(q="S2") == ["s2"]
    first = seeded.ok("/api/v1/sessions", **RANGE, limit=1)
    second = seeded.ok("/api/v1/sessions", **RANGE, limit=1, cursor=first["next_cursor"])
    assert [s["session_id"] for s in first["sessions"] + second["sessions"]] == ["s1", "s2"]
    assert second["next_cursor"] is None


def test_session_detail_is_the_conversation_in_order(seeded: Seeded) -> None:
    body = seeded.ok("/api/v1/sessions/s1")
    assert (body["session_id"], body["user_id"]) == ("s1", "alice")
    first, second = body["traces"]
    assert (first["trace_id"], second["trace_id"]) == (T1, T3)
    assert (first["input"], first["output"]) == ("How do I get a REFUND?", "Refunds take 5 days.")
    assert first["messages"] == [
        {"role": "user", "content": "How do I get a REFUND?"},
        {"role": "assistant", "content": "Refunds take 5 days."},
    ]
    assert MESSAGES_IN and MESSAGES_OUT
    assert second["messages"] == []  # its LLM span has plain text
    assert seeded.get("/api/v1/sessions/nope").status_code == 404


USERS = {
    "last_seen": ["alice", "bob"],
    "traces": ["alice", "bob"],
    "cost_usd": ["bob", "alice"],
    "errors": ["bob", "alice"],
    "total_tokens": ["bob", "alice"],
}


def test_users_with_their_totals(seeded: Seeded) -> None:
    alice, bob = seeded.ok("/api/v1/users", **RANGE)["users"]
    assert {k: alice[k] for k in ("user_id", "traces", "sessions", "spans", "errors")} == {
        "user_id": "alice",
        "traces": 2,
        "sessions": 1,
        "spans": 5,
        "errors": 0,
    }
    assert (alice["total_tokens"], alice["error_rate"]) == (165, 0.0)
    assert (bob["errors"], bob["error_rate"], bob["cost_usd"]) == (2, 1.0, pytest.approx(0.03))


@pytest.mark.parametrize("sort", list(USERS))
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_users_every_sort_pages(seeded: Seeded, sort: str, order: str) -> None:
    expected = USERS[sort] if order == "desc" else USERS[sort][::-1]
    seen: list[str] = []
    cursor = None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = seeded.ok("/api/v1/users", **RANGE, sort=sort, order=order, limit=1, **extra)
        seen += [u["user_id"] for u in page["users"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


@pytest.mark.parametrize(
    ("path", "key"), [("/api/v1/users", "users"), ("/api/v1/sessions", "sessions")]
)
def test_totals_cover_every_page(seeded: Seeded, path: str, key: str) -> None:
    """``total`` and ``totals`` come from the server over all rows: the same on every
    page of one row, and not a sum of the page (alice + bob: 3 traces, $0.045)."""
    first = seeded.ok(path, **RANGE, limit=1)
    second = seeded.ok(path, **RANGE, limit=1, cursor=first["next_cursor"])
    assert len(first[key]) == len(second[key]) == 1
    for page in (first, second):
        assert page["total"] == 2
        totals = page["totals"]
        assert (totals["traces"], totals["errors"], totals["total_tokens"]) == (3, 2, 465)
        assert totals["cost_usd"] == pytest.approx(0.045)
    if key == "sessions":  # a filter narrows the totals too
        only_s2 = seeded.ok(path, **RANGE, q="s2")
        assert (only_s2["total"], only_s2["totals"]["traces"]) == (1, 1)
