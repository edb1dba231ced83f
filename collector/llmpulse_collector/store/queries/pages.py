"""One way to page a list: a keyset cursor, at most ``limit`` rows, the total.

The cursor is ``encode_cursor`` of the last row's sort key (``decode_cursor`` checks
it: another listing's cursor, or a forged one, is ``InvalidCursor``, a 400 at the
API). The next page starts after that key, so a row added or removed between two
calls never shifts the others: every row is on exactly one page.

- ``Keyset`` pages a SQL query: its ``sql`` clause (``WHERE`` or ``HAVING``) keeps the
  rows after the cursor, ``order_by`` sorts them, and ``page`` cuts the ``limit + 1``
  rows fetched into a page.
- ``page_list`` pages a list already in memory (rules merged from the API and a file,
  versions numbered from the first): the same cursor over a key of each row.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import decode_cursor, encode_cursor

__all__ = ["Key", "Keyset", "ListPage", "page_list"]

T = TypeVar("T")

_PY_TYPES: dict[str, type] = {
    "String": str,
    "Int64": int,
    "UInt8": int,
    "UInt32": int,
    "UInt64": int,
    "Float64": float,
}


@dataclass(frozen=True, slots=True)
class ListPage(Generic[T]):
    items: list[T]
    total: int  # rows across all pages
    next_cursor: str | None  # null: the last page


@dataclass(frozen=True, slots=True)
class Key:
    """One column of a sort key: the SQL expression compared, the result column that
    holds its value, its ClickHouse type and the direction."""

    expr: str
    column: str
    type: str
    order: Literal["asc", "desc"] = "asc"


class Keyset:
    """The rows of a SQL listing after ``cursor`` in the order of ``keys`` (the last
    key must be unique per row, so the order is total)."""

    def __init__(self, kind: str, keys: Sequence[Key], cursor: str | None) -> None:
        self.kind = kind
        self.keys = list(keys)
        types = tuple(_PY_TYPES[k.type] for k in self.keys)
        self.after = decode_cursor(cursor, kind, types) if cursor else None

    @property
    def order_by(self) -> str:
        return ", ".join(f"{k.expr} {k.order.upper()}" for k in self.keys)

    @property
    def params(self) -> dict[str, Any]:
        if self.after is None:
            return {}
        return {f"_after{i}": v for i, v in enumerate(self.after)}

    @property
    def sql(self) -> str:
        """``1`` on the first page, else the rows after the cursor's key:
        ``a > x OR (a = x AND (b > y OR ...))`` with ``<`` for descending keys."""
        if self.after is None:
            return "1"
        clause = ""
        for i in reversed(range(len(self.keys))):
            k = self.keys[i]
            value = f"{{_after{i}:{k.type}}}"
            past = f"{k.expr} {'<' if k.order == 'desc' else '>'} {value}"
            clause = past if not clause else f"{past} OR ({k.expr} = {value} AND ({clause}))"
        return f"({clause})"

    def page(self, rows: list[dict[str, Any]], limit: int, total: int) -> ListPage[dict[str, Any]]:
        """The page from ``rows`` (fetched with ``LIMIT limit + 1``, holding the keys'
        columns)."""
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = None
        if more and rows:
            cursor = encode_cursor(self.kind, [rows[-1][k.column] for k in self.keys])
        return ListPage(rows, total, cursor)

    def fetch(
        self,
        store: Store,
        select: str,
        table: str,
        where: str,
        params: dict[str, Any],
        limit: int,
    ) -> ListPage[dict[str, Any]]:
        """The page of ``select FROM table WHERE where`` after the cursor, with the
        count of every row ``where`` keeps as its total."""
        count = f"SELECT count() AS n FROM {table} WHERE {where}"
        total = store.query(count, params)[0]["n"]
        rows = store.query(
            f"{select} FROM {table} WHERE {where} AND {self.sql} "
            f"ORDER BY {self.order_by} LIMIT {{limit:UInt32}}",
            {**params, **self.params, "limit": limit + 1},
        )
        return self.page(rows, limit, int(total))


def page_list(
    rows: Sequence[T],
    kind: str,
    key: Callable[[T], tuple[Any, ...]],
    types: tuple[type, ...],
    *,
    limit: int,
    cursor: str | None,
) -> ListPage[T]:
    """A page of ``rows`` sorted by ``key`` (ascending, unique per row; ``types`` are
    its values' types) starting after the cursor's key."""
    ordered = sorted(rows, key=key)
    start = 0
    if cursor:
        after = tuple(decode_cursor(cursor, kind, types))
        start = bisect_right([key(r) for r in ordered], after)
    page = ordered[start : start + limit]
    more = start + limit < len(ordered)
    next_cursor = encode_cursor(kind, list(key(page[-1]))) if more and page else None
    return ListPage(page, len(ordered), next_cursor)
