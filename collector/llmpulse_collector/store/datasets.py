# ruff: noqa: S608 - SQL from fixed fragments and Store.table() names; every value is bound
"""Datasets and their items: the one door to the ``datasets`` and ``dataset_items`` tables.

A dataset is a named, versioned collection of items (input, expected output, metadata,
and the production trace/span an item came from). Items are append-only: each change
(an add of one or many items) writes rows stamped with one ``version_ns``; a dataset's
versions are its distinct ``version_ns`` values in order, numbered from 1. Reading a
dataset "at version N" keeps, per item id, its newest row at or before version N, so an
experiment can pin the items it ran on. Re-adding an item id writes a new version of it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import decode_cursor, encode_cursor, iso
from llmpulse_collector.store.queries.pages import Key, Keyset, ListPage, page_list

__all__ = [
    "Dataset",
    "DatasetExists",
    "DatasetItemsPage",
    "NewItem",
    "UnknownVersion",
    "add_items",
    "create_dataset",
    "find_dataset",
    "has_item",
    "items_from_spans",
    "list_datasets",
    "list_items",
    "list_versions",
    "page_versions",
]

_DATASET_COLUMNS = [
    ("project_id", "String"),
    ("dataset_id", "String"),
    ("name", "String"),
    ("description", "String"),
    ("metadata", "String"),
    ("created_at", "DateTime64(9, 'UTC')"),
    ("updated_at", "DateTime64(9, 'UTC')"),
    ("deleted", "Bool"),
]
_ITEM_COLUMNS = [
    ("project_id", "String"),
    ("dataset_id", "String"),
    ("item_id", "String"),
    ("version_ns", "Int64"),
    ("input", "String"),
    ("expected_output", "String"),
    ("metadata", "String"),
    ("source_trace_id", "String"),
    ("source_span_id", "String"),
    ("deleted", "Bool"),
    ("created_at", "DateTime64(9, 'UTC')"),
]


class _VersionClock:
    """Nanosecond stamps, strictly increasing within this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self) -> int:
        with self._lock:
            self._last = max(time.time_ns(), self._last + 1)
            return self._last


_version_ns = _VersionClock()


class DatasetExists(ValueError):
    """A dataset of that name already exists in the project."""


class UnknownVersion(ValueError):
    """The dataset has no such version."""


@dataclass(frozen=True, slots=True)
class Dataset:
    dataset_id: str
    name: str
    description: str
    metadata: dict[str, Any]
    created_at_ns: int
    item_count: int = 0
    version: int = 0  # latest version number, 0 while empty
    version_ns: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.dataset_id,
            "name": self.name,
            "description": self.description,
            "metadata": self.metadata,
            "created_at": iso(self.created_at_ns),
            "created_at_ns": self.created_at_ns,
            "item_count": self.item_count,
            "version": self.version,
            "version_ns": self.version_ns,
        }


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to add. ``item_id`` set: a new version of that item (or a new item of
    that id); ``deleted``: a tombstone that removes the item from later versions."""

    input: Any
    expected_output: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source_trace_id: str = ""
    source_span_id: str = ""
    item_id: str = ""
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class DatasetItemsPage:
    items: list[dict[str, Any]]
    total: int
    version: int
    version_ns: int
    next_cursor: str | None


def _loads(text: str) -> Any:
    return json.loads(text) if text else None


def create_dataset(
    store: Store,
    project_id: str,
    name: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
) -> Dataset:
    """A new, empty dataset; ``DatasetExists`` when the name is taken in the project."""
    if find_dataset(store, project_id, name) is not None:
        raise DatasetExists(f"a dataset named {name!r} already exists in this project")
    now = time.time_ns()
    dataset_id = uuid.uuid4().hex
    store.insert_rows(
        "datasets",
        _DATASET_COLUMNS,
        [
            [project_id],
            [dataset_id],
            [name],
            [description],
            [json.dumps(metadata or {})],
            [now],
            [now],
            [False],
        ],
    )
    return Dataset(dataset_id, name, description, metadata or {}, now)


_DATASET_SELECT = (
    "SELECT dataset_id, name, description, metadata, "
    "toUnixTimestamp64Nano(created_at) AS created_at_ns "
)


def _dataset_rows(store: Store, project_id: str, ref: str) -> list[dict[str, Any]]:
    datasets = store.query(
        f"{_DATASET_SELECT} FROM {store.table('datasets')} FINAL "
        "WHERE project_id = {project:String} AND NOT deleted "
        "AND (dataset_id = {ref:String} OR name = {ref:String}) ORDER BY name",
        {"project": project_id, "ref": ref},
    )
    return _with_stats(store, project_id, datasets)


def _with_stats(
    store: Store, project_id: str, datasets: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows with their item counts and latest versions."""
    if not datasets:
        return []
    stats = store.query(
        "SELECT dataset_id, count() AS item_count FROM ("
        "SELECT dataset_id, item_id, argMax(deleted, version_ns) AS gone "
        f"FROM {store.table('dataset_items')} "
        "WHERE project_id = {project:String} AND dataset_id IN {ids:Array(String)} "
        "GROUP BY dataset_id, item_id) WHERE NOT gone GROUP BY dataset_id",
        {"project": project_id, "ids": [d["dataset_id"] for d in datasets]},
    )
    versions = store.query(
        "SELECT dataset_id, uniqExact(version_ns) AS version, max(version_ns) AS latest_ns "
        f"FROM {store.table('dataset_items')} "
        "WHERE project_id = {project:String} AND dataset_id IN {ids:Array(String)} "
        "GROUP BY dataset_id",
        {"project": project_id, "ids": [d["dataset_id"] for d in datasets]},
    )
    counts = {r["dataset_id"]: int(r["item_count"]) for r in stats}
    latest = {r["dataset_id"]: (int(r["version"]), int(r["latest_ns"])) for r in versions}
    for d in datasets:
        d["item_count"] = counts.get(d["dataset_id"], 0)
        d["version"], d["version_ns"] = latest.get(d["dataset_id"], (0, 0))
    return datasets


def _dataset(row: dict[str, Any]) -> Dataset:
    return Dataset(
        dataset_id=row["dataset_id"],
        name=row["name"],
        description=row["description"],
        metadata=_loads(row["metadata"]) or {},
        created_at_ns=int(row["created_at_ns"]),
        item_count=row["item_count"],
        version=row["version"],
        version_ns=row["version_ns"],
    )


def list_datasets(
    store: Store, project_id: str, *, limit: int = 100, cursor: str | None = None
) -> ListPage[Dataset]:
    """One page of the project's datasets by name, with item counts and latest
    versions; ``total`` counts all of them."""
    where = "project_id = {project:String} AND NOT deleted"
    params: dict[str, Any] = {"project": project_id}
    keys = Keyset(
        "datasets",
        [Key("name", "name", "String"), Key("dataset_id", "dataset_id", "String")],
        cursor,
    )
    table = f"{store.table('datasets')} FINAL"
    page = keys.fetch(store, _DATASET_SELECT, table, where, params, limit)
    found = _with_stats(store, project_id, page.items)
    return ListPage([_dataset(row) for row in found], page.total, page.next_cursor)


def find_dataset(store: Store, project_id: str, ref: str) -> Dataset | None:
    """The dataset whose id or name is ``ref`` (an id wins over a name)."""
    rows = _dataset_rows(store, project_id, ref)
    rows.sort(key=lambda r: r["dataset_id"] != ref)
    return _dataset(rows[0]) if rows else None


def add_items(
    store: Store, project_id: str, dataset_id: str, items: Sequence[NewItem]
) -> tuple[int, list[str]]:
    """Append ``items`` as one new version; returns ``(version_ns, item ids)``."""
    version = _version_ns()
    # generated ids sort by version then position, so items list in the order added
    salt = uuid.uuid4().hex[:10]
    ids = [item.item_id or f"{version:016x}{i:06x}{salt}" for i, item in enumerate(items)]
    n = len(items)
    store.insert_rows(
        "dataset_items",
        _ITEM_COLUMNS,
        [
            [project_id] * n,
            [dataset_id] * n,
            ids,
            [version] * n,
            [json.dumps(item.input) for item in items],
            [json.dumps(item.expected_output) for item in items],
            [json.dumps(item.metadata) for item in items],
            [item.source_trace_id for item in items],
            [item.source_span_id for item in items],
            [item.deleted for item in items],
            [version] * n,
        ],
    )
    return version, ids


def has_item(store: Store, project_id: str, dataset_id: str, item_id: str) -> bool:
    """Whether the latest version of the dataset holds ``item_id``."""
    rows = store.query(
        "SELECT argMax(deleted, version_ns) AS gone "
        f"FROM {store.table('dataset_items')} "
        "WHERE project_id = {project:String} AND dataset_id = {dataset:String} "
        "AND item_id = {item:String} GROUP BY item_id",
        {"project": project_id, "dataset": dataset_id, "item": item_id},
    )
    return bool(rows) and not rows[0]["gone"]


def list_versions(store: Store, project_id: str, dataset_id: str) -> list[dict[str, Any]]:
    """Every version of the dataset, oldest first: number, time, rows written."""
    rows = store.query(
        "SELECT version_ns, count() AS changed, countIf(deleted) AS deleted "
        f"FROM {store.table('dataset_items')} "
        "WHERE project_id = {project:String} AND dataset_id = {dataset:String} "
        "GROUP BY version_ns ORDER BY version_ns",
        {"project": project_id, "dataset": dataset_id},
    )
    return [
        {
            "version": i + 1,
            "version_ns": int(r["version_ns"]),
            "created_at": iso(int(r["version_ns"])),
            "items_written": int(r["changed"]) - int(r["deleted"]),
            "items_deleted": int(r["deleted"]),
        }
        for i, r in enumerate(rows)
    ]


def page_versions(
    store: Store, project_id: str, dataset_id: str, *, limit: int = 100, cursor: str | None = None
) -> ListPage[dict[str, Any]]:
    """One page of the dataset's versions, oldest first; ``total`` counts all."""
    return page_list(
        list_versions(store, project_id, dataset_id),
        f"dataset-versions:{dataset_id}",
        lambda v: (v["version"],),
        (int,),
        limit=limit,
        cursor=cursor,
    )


def resolve_version(
    store: Store, project_id: str, dataset_id: str, version: int | None
) -> tuple[int, int]:
    """``(number, version_ns)`` of version ``version`` (the latest when ``None``);
    ``(0, 0)`` for an empty dataset; ``UnknownVersion`` when there is no such one."""
    versions = list_versions(store, project_id, dataset_id)
    if version is None:
        return (len(versions), versions[-1]["version_ns"]) if versions else (0, 0)
    if not 1 <= version <= len(versions):
        raise UnknownVersion(f"this dataset has versions 1 to {len(versions)}, not {version}")
    return version, versions[version - 1]["version_ns"]


def list_items(
    store: Store,
    project_id: str,
    dataset_id: str,
    *,
    version: int | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> DatasetItemsPage:
    """The items of the dataset at ``version`` (default: latest), in the order they were
    first added, one page; ``total`` counts all of them."""
    number, version_ns = resolve_version(store, project_id, dataset_id, version)
    kind = f"dataset-items:{dataset_id}:{version_ns}"
    params: dict[str, Any] = {"project": project_id, "dataset": dataset_id, "v": version_ns}
    latest = (
        "SELECT item_id, min(version_ns) AS added_ns, max(version_ns) AS item_version_ns, "
        "argMax(input, version_ns) AS input, "
        "argMax(expected_output, version_ns) AS expected_output, "
        "argMax(metadata, version_ns) AS metadata, "
        "argMax(source_trace_id, version_ns) AS source_trace_id, "
        "argMax(source_span_id, version_ns) AS source_span_id, "
        "argMax(deleted, version_ns) AS gone "
        f"FROM {store.table('dataset_items')} "
        "WHERE project_id = {project:String} AND dataset_id = {dataset:String} "
        "AND version_ns <= {v:Int64} GROUP BY item_id HAVING NOT gone"
    )
    total = store.query(f"SELECT count() AS n FROM ({latest})", params)[0]["n"]
    page_where = "1"
    if cursor:
        c_ns, c_id = decode_cursor(cursor, kind, (int, str))
        page_where = "(added_ns, item_id) > ({c_ns:Int64}, {c_id:String})"
        params.update(c_ns=c_ns, c_id=c_id)
    rows = store.query(
        f"SELECT * FROM ({latest}) WHERE {page_where} "
        "ORDER BY added_ns, item_id LIMIT {limit:UInt32}",
        {**params, "limit": limit + 1},
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_item(row) for row in rows]
    next_cursor = None
    if more and rows:
        next_cursor = encode_cursor(kind, [int(rows[-1]["added_ns"]), rows[-1]["item_id"]])
    return DatasetItemsPage(items, int(total), number, version_ns, next_cursor)


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["item_id"],
        "input": _loads(row["input"]),
        "expected_output": _loads(row["expected_output"]),
        "metadata": _loads(row["metadata"]) or {},
        "source_trace_id": row["source_trace_id"] or None,
        "source_span_id": row["source_span_id"] or None,
        "added_at": iso(int(row["added_ns"])),
        "version_ns": int(row["item_version_ns"]),
    }


def _as_value(text: str) -> Any:
    """Span input/output text as an item value: parsed when it is a JSON object or
    array (what the SDK records for arguments and structured results), else the text."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


def items_from_spans(
    store: Store,
    project_id: str,
    refs: Sequence[tuple[str, str]],
    *,
    output_as_expected: bool = False,
) -> tuple[list[NewItem], list[tuple[str, str]]]:
    """Items holding the input and output of traces' root spans (``span_id == ""``) or
    of given spans, linked to them; returns ``(items, refs not found)``. The production
    output goes to ``metadata.trace_output``, and to ``expected_output`` on request."""
    if not refs:
        return [], []
    trace_ids = sorted({t for t, _ in refs})
    rows = store.query(
        "SELECT trace_id, span_id, parent_span_id, name, input, output, "
        "toUnixTimestamp64Nano(start_time) AS start_ns "
        f"FROM {store.table('spans')} "
        "WHERE project_id = {project:String} AND trace_id IN {traces:Array(String)} "
        "AND (parent_span_id = '' OR span_id IN {spans:Array(String)}) "
        "ORDER BY start_time",
        {"project": project_id, "traces": trace_ids, "spans": sorted({s for _, s in refs if s})},
    )
    roots: dict[str, dict[str, Any]] = {}
    spans: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        spans.setdefault((row["trace_id"], row["span_id"]), row)
        if row["parent_span_id"] == "":
            roots.setdefault(row["trace_id"], row)
    items: list[NewItem] = []
    missing: list[tuple[str, str]] = []
    for trace_id, span_id in refs:
        found = spans.get((trace_id, span_id)) if span_id else roots.get(trace_id)
        if found is None:
            missing.append((trace_id, span_id))
            continue
        output = _as_value(found["output"])
        items.append(
            NewItem(
                input=_as_value(found["input"]),
                expected_output=output if output_as_expected else None,
                metadata={"span_name": found["name"], "trace_output": output},
                source_trace_id=trace_id,
                source_span_id=found["span_id"],
            )
        )
    return items, missing
