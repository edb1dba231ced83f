# ruff: noqa: S608 - SQL from fixed fragments and Store.table() names; every value is bound
"""Human review queues and their items: the one door to ``review_queues`` and
``review_items``.

A queue holds traces (or spans) to review and how to label them (its definition:
pass/fail, a number in a range, or one of some categories). An item is ``pending``
until a reviewer labels it (``done``) or skips it (``skipped``); each change is a row
(ReplacingMergeTree on ``updated_at``). Labels themselves are evaluations (source
``human``), written by the API through the batch writer.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import decode_cursor, encode_cursor, iso
from llmpulse_collector.store.queries.pages import Key, Keyset, ListPage

__all__ = [
    "QueueExists",
    "add_review_items",
    "create_queue",
    "find_queue",
    "get_review_item",
    "list_queues",
    "list_review_items",
    "next_review_item",
    "set_item_status",
]

_QUEUE_COLUMNS = [
    ("project_id", "String"),
    ("queue_id", "String"),
    ("name", "String"),
    ("description", "String"),
    ("definition", "String"),
    ("created_at", "DateTime64(9, 'UTC')"),
    ("updated_at", "DateTime64(9, 'UTC')"),
    ("deleted", "Bool"),
]
_ITEM_COLUMNS = [
    ("project_id", "String"),
    ("queue_id", "String"),
    ("item_id", "String"),
    ("trace_id", "String"),
    ("span_id", "String"),
    ("status", "String"),
    ("reviewer", "String"),
    ("evaluation_id", "String"),
    ("added_at", "DateTime64(9, 'UTC')"),
    ("updated_at", "DateTime64(9, 'UTC')"),
]


class QueueExists(ValueError):
    """A queue of that name already exists in the project."""


def create_queue(
    store: Store, project_id: str, name: str, description: str, definition: dict[str, Any]
) -> dict[str, Any]:
    if find_queue(store, project_id, name) is not None:
        raise QueueExists(f"a review queue named {name!r} already exists in this project")
    now = time.time_ns()
    queue_id = uuid.uuid4().hex
    store.insert_rows(
        "review_queues",
        _QUEUE_COLUMNS,
        [[project_id], [queue_id], [name], [description], [json.dumps(definition)], [now],
         [now], [False]],
    )  # fmt: skip
    found = find_queue(store, project_id, queue_id)
    assert found is not None
    return found


_QUEUE_SELECT = (
    "SELECT queue_id, name, description, definition, "
    "toUnixTimestamp64Nano(created_at) AS created_at_ns "
)
_LIVE = "project_id = {project:String} AND NOT deleted"


def _queues(store: Store, project_id: str, ref: str) -> list[dict[str, Any]]:
    rows = store.query(
        f"{_QUEUE_SELECT} FROM {store.table('review_queues')} FINAL WHERE {_LIVE} "
        "AND (queue_id = {ref:String} OR name = {ref:String}) ORDER BY name",
        {"project": project_id, "ref": ref},
    )
    return _with_counts(store, project_id, rows)


def _with_counts(store: Store, project_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The queues of ``rows`` with their items counted by status."""
    if not rows:
        return []
    counts = store.query(
        "SELECT queue_id, status, count() AS n "
        f"FROM {store.table('review_items')} FINAL "
        "WHERE project_id = {project:String} AND queue_id IN {ids:Array(String)} "
        "GROUP BY queue_id, status",
        {"project": project_id, "ids": [r["queue_id"] for r in rows]},
    )
    by_queue: dict[str, dict[str, int]] = {}
    for c in counts:
        by_queue.setdefault(c["queue_id"], {})[c["status"]] = int(c["n"])
    out = []
    for r in rows:
        n = by_queue.get(r["queue_id"], {})
        out.append(
            {
                "id": r["queue_id"],
                "name": r["name"],
                "description": r["description"],
                **json.loads(r["definition"]),
                "created_at": iso(int(r["created_at_ns"])),
                "pending": n.get("pending", 0),
                "done": n.get("done", 0),
                "skipped": n.get("skipped", 0),
            }
        )
    return out


def list_queues(
    store: Store, project_id: str, *, limit: int = 100, cursor: str | None = None
) -> ListPage[dict[str, Any]]:
    """One page of the project's queues by name, with their item counts; ``total``
    counts all of them."""
    params = {"project": project_id}
    keys = Keyset(
        "review-queues",
        [Key("name", "name", "String"), Key("queue_id", "queue_id", "String")],
        cursor,
    )
    table = f"{store.table('review_queues')} FINAL"
    page = keys.fetch(store, _QUEUE_SELECT, table, _LIVE, params, limit)
    return ListPage(_with_counts(store, project_id, page.items), page.total, page.next_cursor)


def find_queue(store: Store, project_id: str, ref: str) -> dict[str, Any] | None:
    """The queue whose id or name is ``ref`` (an id wins), with its item counts."""
    rows = _queues(store, project_id, ref)
    rows.sort(key=lambda r: r["id"] != ref)
    return rows[0] if rows else None


def add_review_items(
    store: Store, project_id: str, queue_id: str, refs: Sequence[tuple[str, str]]
) -> list[str]:
    """Queue ``(trace_id, span_id)`` pairs not queued yet; returns the new item ids."""
    existing = store.query(
        f"SELECT trace_id, span_id FROM {store.table('review_items')} FINAL "
        "WHERE project_id = {project:String} AND queue_id = {queue:String}",
        {"project": project_id, "queue": queue_id},
    )
    seen = {(r["trace_id"], r["span_id"]) for r in existing}
    fresh = []
    for ref in refs:
        if ref not in seen:
            seen.add(ref)
            fresh.append(ref)
    if not fresh:
        return []
    now = time.time_ns()
    n = len(fresh)
    salt = uuid.uuid4().hex[:10]
    ids = [f"{now:016x}{i:06x}{salt}" for i in range(n)]  # sort in the order added
    store.insert_rows(
        "review_items",
        _ITEM_COLUMNS,
        [[project_id] * n, [queue_id] * n, ids, [t for t, _ in fresh], [s for _, s in fresh],
         ["pending"] * n, [""] * n, [""] * n, [now] * n, [now] * n],
    )  # fmt: skip
    return ids


_ITEM_SELECT = (
    "SELECT item_id, trace_id, span_id, status, reviewer, evaluation_id, "
    "toUnixTimestamp64Nano(added_at) AS added_at_ns, "
    "toUnixTimestamp64Nano(updated_at) AS updated_at_ns "
)


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["item_id"],
        "trace_id": row["trace_id"],
        "span_id": row["span_id"] or None,
        "status": row["status"],
        "reviewer": row["reviewer"] or None,
        "evaluation_id": row["evaluation_id"] or None,
        "added_at": iso(int(row["added_at_ns"])),
        "updated_at": iso(int(row["updated_at_ns"])),
        "added_at_ns": int(row["added_at_ns"]),
    }


def list_review_items(
    store: Store,
    project_id: str,
    queue_id: str,
    *,
    status: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], int, str | None]:
    """Items in the order they were added, one page; ``(items, total, next_cursor)``."""
    kind = f"review-items:{queue_id}:{status or ''}"
    where = "project_id = {project:String} AND queue_id = {queue:String}"
    params: dict[str, Any] = {"project": project_id, "queue": queue_id}
    if status:
        where += " AND status = {status:String}"
        params["status"] = status
    total = store.query(
        f"SELECT count() AS n FROM {store.table('review_items')} FINAL WHERE {where}", params
    )[0]["n"]
    if cursor:
        (c_id,) = decode_cursor(cursor, kind, (str,))
        where += " AND item_id > {c_id:String}"
        params["c_id"] = c_id
    rows = store.query(
        f"{_ITEM_SELECT} FROM {store.table('review_items')} FINAL WHERE {where} "
        "ORDER BY item_id LIMIT {limit:UInt32}",
        {**params, "limit": limit + 1},
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(kind, [rows[-1]["item_id"]]) if more and rows else None
    return [_item(r) for r in rows], int(total), next_cursor


def get_review_item(
    store: Store, project_id: str, queue_id: str, item_id: str
) -> dict[str, Any] | None:
    rows = store.query(
        f"{_ITEM_SELECT} FROM {store.table('review_items')} FINAL "
        "WHERE project_id = {project:String} AND queue_id = {queue:String} "
        "AND item_id = {item:String}",
        {"project": project_id, "queue": queue_id, "item": item_id},
    )
    return _item(rows[0]) if rows else None


def next_review_item(
    store: Store, project_id: str, queue_id: str, after: str | None = None
) -> dict[str, Any] | None:
    """The oldest pending item (after item ``after``, when given)."""
    params: dict[str, Any] = {"project": project_id, "queue": queue_id, "after": after or ""}
    rows = store.query(
        f"{_ITEM_SELECT} FROM {store.table('review_items')} FINAL "
        "WHERE project_id = {project:String} AND queue_id = {queue:String} "
        "AND status = 'pending' AND item_id > {after:String} ORDER BY item_id LIMIT 1",
        params,
    )
    return _item(rows[0]) if rows else None


def set_item_status(
    store: Store,
    project_id: str,
    queue_id: str,
    item: dict[str, Any],
    status: str,
    reviewer: str,
    evaluation_id: str = "",
) -> dict[str, Any]:
    now = time.time_ns()
    store.insert_rows(
        "review_items",
        _ITEM_COLUMNS,
        [[project_id], [queue_id], [item["id"]], [item["trace_id"]], [item["span_id"] or ""],
         [status], [reviewer], [evaluation_id], [item["added_at_ns"]], [now]],
    )  # fmt: skip
    return {**item, "status": status, "reviewer": reviewer or None,
            "evaluation_id": evaluation_id or None, "updated_at": iso(now)}  # fmt: skip
