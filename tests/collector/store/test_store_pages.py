"""``page_list``: pages of a list in memory by a keyset cursor."""

from __future__ import annotations

import pytest

from llmpulse_collector.store.queries import InvalidCursor
from llmpulse_collector.store.queries.pages import Key, Keyset, page_list


def _walk(rows: list[tuple[str, int]], limit: int) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    cursor = None
    while True:
        page = page_list(rows, "things", lambda r: r, (str, int), limit=limit, cursor=cursor)
        assert page.total == len(rows)
        out += page.items
        cursor = page.next_cursor
        if cursor is None:
            return out


def test_every_row_once_in_key_order() -> None:
    rows = [("b", 2), ("a", 1), ("c", 0), ("a", 0), ("b", 1)]
    assert _walk(rows, 2) == sorted(rows)
    assert _walk(rows, 5) == sorted(rows)
    assert _walk([], 3) == []


def test_a_row_removed_between_pages_shifts_no_other() -> None:
    rows = [(f"r{i}", i) for i in range(6)]
    first = page_list(rows, "things", lambda r: r, (str, int), limit=3, cursor=None)
    assert first.items == rows[:3]
    del rows[1]  # a row of the first page goes away
    rest = page_list(rows, "things", lambda r: r, (str, int), limit=3, cursor=first.next_cursor)
    assert rest.items == [("r3", 3), ("r4", 4), ("r5", 5)] and rest.next_cursor is None


def test_cursors_of_other_lists_and_garbage_are_refused() -> None:
    rows = [("a", 1), ("b", 2)]
    other = page_list(rows, "others", lambda r: r, (str, int), limit=1, cursor=None)
    for bad in (str(other.next_cursor), "garbage", "W10"):
        with pytest.raises(InvalidCursor):
            page_list(rows, "things", lambda r: r, (str, int), limit=1, cursor=bad)


def test_keyset_clause_compares_each_key_in_its_direction() -> None:
    first = Keyset("k", [Key("t", "t", "Int64", "desc"), Key("id", "id", "String")], None)
    assert first.sql == "1" and first.params == {}
    assert first.order_by == "t DESC, id ASC"
    page = first.page([{"t": 9, "id": "a"}, {"t": 8, "id": "b"}, {"t": 8, "id": "c"}], 2, 3)
    assert [r["id"] for r in page.items] == ["a", "b"]
    after = Keyset("k", first.keys, page.next_cursor)
    assert after.params == {"_after0": 8, "_after1": "b"}
    assert after.sql == "(t < {_after0:Int64} OR (t = {_after0:Int64} AND (id > {_after1:String})))"
