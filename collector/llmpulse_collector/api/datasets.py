"""Datasets (``/api/v1/datasets``): create, list, get, add items (JSON, traces, a trace
filter), delete an item, list items at a version, export JSONL/CSV.

Reads need a ``read`` key; writes accept ``ingest`` and ``read`` keys too (like
feedback: the dashboard holds read keys, CI jobs and apps hold ingest keys).
Every change is a new version of the dataset (see ``store.datasets``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from llmpulse_collector.api._params import Cursor, Limit, ReadKey, TraceFilterParams, run, store
from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.contract import CONFLICT
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.store.datasets import (
    Dataset,
    DatasetExists,
    NewItem,
    UnknownVersion,
    add_items,
    create_dataset,
    find_dataset,
    has_item,
    items_from_spans,
    list_datasets,
    list_items,
    list_versions,
    page_versions,
)
from llmpulse_collector.store.queries import list_traces

__all__ = ["DatasetOut", "ItemIn", "router"]

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"])

WriteKey = Annotated[Principal, Depends(require("feedback"))]
MAX_ITEMS = 10_000
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_WIDTH = {"trace_id": 32, "source_trace_id": 32, "span_id": 16, "source_span_id": 16}


class DatasetIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\s/][^/]*$")
    description: str = Field("", max_length=10_000)
    metadata: dict[str, Any] = Field(default_factory=dict)


class DatasetOut(BaseModel):
    id: str
    name: str
    description: str
    metadata: dict[str, Any]
    created_at: str
    created_at_ns: int
    item_count: int
    version: int = Field(description="latest version number (0 while empty)")
    version_ns: int = Field(description="time of the latest version, unix ns (0 while empty)")


class VersionOut(BaseModel):
    version: int
    version_ns: int
    created_at: str
    items_written: int
    items_deleted: int


class DatasetDetailOut(DatasetOut):
    versions: list[VersionOut] = Field(description="one page of the versions, oldest first")
    total: int = Field(description="versions across all pages")
    next_cursor: str | None = Field(None, description="the next page of versions; null: last page")


class DatasetListOut(BaseModel):
    datasets: list[DatasetOut]
    total: int = Field(description="datasets across all pages")
    next_cursor: str | None = Field(None, description="the next page's cursor; null: last page")


class ItemIn(BaseModel):
    input: Any = Field(description="any JSON value")
    expected_output: Any = Field(None, description="any JSON value (the reference answer)")
    metadata: dict[str, Any] = Field(default_factory=dict)
    id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="an existing item's id writes a new version of that item",
    )
    source_trace_id: str | None = Field(None, description="32 hex characters")
    source_span_id: str | None = Field(None, description="16 hex characters")


class DatasetItemsIn(BaseModel):
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class DatasetTraceRef(BaseModel):
    trace_id: str = Field(description="32 hex characters")
    span_id: str | None = Field(
        None, description="16 hex characters; default: the trace's root span"
    )


class FromTracesIn(BaseModel):
    traces: list[DatasetTraceRef] = Field(min_length=1, max_length=MAX_ITEMS)
    output_as_expected: bool = Field(
        False, description="use the production output as the expected output"
    )


class DatasetAddedOut(BaseModel):
    dataset_id: str
    added: int
    version: int = Field(description="the dataset's version after this change")
    version_ns: int
    item_ids: list[str]


class ItemOut(BaseModel):
    id: str
    input: Any
    expected_output: Any
    metadata: dict[str, Any]
    source_trace_id: str | None
    source_span_id: str | None
    added_at: str
    version_ns: int = Field(description="the version this item's content comes from")


class DatasetItemsPageOut(BaseModel):
    dataset_id: str
    version: int
    version_ns: int
    total: int
    items: list[ItemOut]
    next_cursor: str | None


def _out(d: Dataset) -> DatasetOut:
    return DatasetOut(**d.as_dict())


async def _dataset(request: Request, principal: Principal, ref: str) -> Dataset:
    found = await run(find_dataset, store(request), principal.project_id, ref)
    if found is None:
        raise ApiError(404, f"no dataset {ref!r} in this project")
    return found


def _hex(value: str | None, pattern: re.Pattern[str], what: str) -> str:
    text = (value or "").strip().lower()
    if text and not pattern.match(text):
        raise ApiError(400, f"{what} must be {_WIDTH[what]} hexadecimal characters")
    return text


async def _append(
    request: Request, principal: Principal, dataset: Dataset, items: list[NewItem]
) -> DatasetAddedOut:
    if not items:
        return DatasetAddedOut(
            dataset_id=dataset.dataset_id,
            added=0,
            version=dataset.version,
            version_ns=dataset.version_ns,
            item_ids=[],
        )
    version_ns, ids = await run(
        add_items, store(request), principal.project_id, dataset.dataset_id, items
    )
    versions = await run(list_versions, store(request), principal.project_id, dataset.dataset_id)
    number = next((v["version"] for v in versions if v["version_ns"] == version_ns), len(versions))
    return DatasetAddedOut(
        dataset_id=dataset.dataset_id,
        added=len(items),
        version=number,
        version_ns=version_ns,
        item_ids=ids,
    )


@router.post("", summary="Create a dataset", status_code=201, responses=CONFLICT)
async def create(request: Request, body: DatasetIn, principal: WriteKey) -> DatasetOut:
    try:
        created = await run(
            create_dataset,
            store(request),
            principal.project_id,
            body.name,
            body.description,
            body.metadata,
        )
    except DatasetExists as exc:
        raise ApiError(409, str(exc)) from exc
    return _out(created)


@router.get("", summary="Datasets of this project, by name (cursor-paged)")
async def list_all(
    request: Request, principal: ReadKey, limit: Limit = 100, cursor: Cursor = None
) -> DatasetListOut:
    page = await run(
        list_datasets, store(request), principal.project_id, limit=limit, cursor=cursor
    )
    return DatasetListOut(
        datasets=[_out(d) for d in page.items], total=page.total, next_cursor=page.next_cursor
    )


@router.get("/{ref}", summary="One dataset (by id or name) with a page of its versions")
async def get_one(
    request: Request, ref: str, principal: ReadKey, limit: Limit = 100, cursor: Cursor = None
) -> DatasetDetailOut:
    dataset = await _dataset(request, principal, ref)
    page = await run(
        page_versions,
        store(request),
        principal.project_id,
        dataset.dataset_id,
        limit=limit,
        cursor=cursor,
    )
    return DatasetDetailOut(
        **dataset.as_dict(),
        versions=[VersionOut(**v) for v in page.items],
        total=page.total,
        next_cursor=page.next_cursor,
    )


@router.post("/{ref}/items", summary="Add items (a new version)", status_code=201)
async def add(
    request: Request, ref: str, body: DatasetItemsIn, principal: WriteKey
) -> DatasetAddedOut:
    dataset = await _dataset(request, principal, ref)
    items = [
        NewItem(
            input=item.input,
            expected_output=item.expected_output,
            metadata=item.metadata,
            source_trace_id=_hex(item.source_trace_id, _HEX32, "source_trace_id"),
            source_span_id=_hex(item.source_span_id, _HEX16, "source_span_id"),
            item_id=item.id or "",
        )
        for item in body.items
    ]
    return await _append(request, principal, dataset, items)


@router.post(
    "/{ref}/items/from-traces",
    summary="Add traces (their root span) or spans as items, linked to them",
    status_code=201,
)
async def add_from_traces(
    request: Request, ref: str, body: FromTracesIn, principal: WriteKey
) -> DatasetAddedOut:
    dataset = await _dataset(request, principal, ref)
    refs = [
        (_hex(t.trace_id, _HEX32, "trace_id"), _hex(t.span_id, _HEX16, "span_id"))
        for t in body.traces
    ]
    if any(not trace for trace, _ in refs):
        raise ApiError(400, "trace_id must be 32 hexadecimal characters")
    items, missing = await run(
        items_from_spans,
        store(request),
        principal.project_id,
        refs,
        output_as_expected=body.output_as_expected,
    )
    if missing:
        shown = ", ".join(f"{t}/{s}" if s else t for t, s in missing[:5])
        raise ApiError(404, f"not found in this project (nothing was added): {shown}")
    return await _append(request, principal, dataset, items)


@router.post(
    "/{ref}/items/from-filter",
    summary="Add every trace matching a traces filter (the /traces parameters) as an item",
    status_code=201,
)
async def add_from_filter(
    request: Request,
    ref: str,
    f: TraceFilterParams,
    principal: WriteKey,
    limit: Annotated[int, Query(ge=1, le=MAX_ITEMS, description="at most this many traces")] = 1000,
    output_as_expected: bool = False,
) -> DatasetAddedOut:
    dataset = await _dataset(request, principal, ref)
    if f.project_id != principal.project_id:  # pragma: no cover - both come from the key
        raise ApiError(403, "the filter and the dataset belong to different projects")
    refs: list[tuple[str, str]] = []
    cursor: str | None = None
    while len(refs) < limit:
        page = await run(
            list_traces,
            store(request),
            f,
            limit=min(1000, limit - len(refs)),
            cursor=cursor,
            previews=False,
        )
        refs += [(t["trace_id"], "") for t in page.traces]
        cursor = page.next_cursor
        if cursor is None:
            break
    items, _ = await run(
        items_from_spans,
        store(request),
        principal.project_id,
        refs,
        output_as_expected=output_as_expected,
    )
    return await _append(request, principal, dataset, items)


@router.delete("/{ref}/items/{item_id}", summary="Remove an item (a new version without it)")
async def delete_item(
    request: Request, ref: str, item_id: str, principal: WriteKey
) -> DatasetAddedOut:
    dataset = await _dataset(request, principal, ref)
    if not await run(has_item, store(request), principal.project_id, dataset.dataset_id, item_id):
        raise ApiError(404, f"no item {item_id!r} in dataset {dataset.name!r}")
    added = await _append(
        request, principal, dataset, [NewItem(input=None, item_id=item_id, deleted=True)]
    )
    return added.model_copy(update={"added": 0})


VersionParam = Annotated[
    int | None, Query(ge=1, description="a version number; default: the latest")
]


@router.get("/{ref}/items", summary="Items at a version, in the order they were added")
async def items(
    request: Request,
    ref: str,
    principal: ReadKey,
    version: VersionParam = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> DatasetItemsPageOut:
    dataset = await _dataset(request, principal, ref)
    try:
        page = await run(
            list_items,
            store(request),
            principal.project_id,
            dataset.dataset_id,
            version=version,
            limit=limit,
            cursor=cursor,
        )
    except UnknownVersion as exc:
        raise ApiError(404, str(exc)) from exc
    return DatasetItemsPageOut(
        dataset_id=dataset.dataset_id,
        version=page.version,
        version_ns=page.version_ns,
        total=page.total,
        items=[ItemOut(**item) for item in page.items],
        next_cursor=page.next_cursor,
    )


CSV_COLUMNS = ["id", "input", "expected_output", "metadata", "source_trace_id", "source_span_id"]


def _csv_cell(value: Any) -> str:
    """Strings as they are, anything else as JSON (how the CLI reads them back)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _export_lines(items: list[dict[str, Any]], fmt: str) -> Iterator[str]:
    if fmt == "jsonl":
        for item in items:
            yield json.dumps({k: item[k] for k in CSV_COLUMNS}) + "\n"
        return
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow([_csv_cell(item[k]) for k in CSV_COLUMNS])
    yield buf.getvalue()


@router.get("/{ref}/export", summary="All items at a version as JSONL or CSV")
async def export(
    request: Request,
    ref: str,
    principal: ReadKey,
    format: Literal["jsonl", "csv"] = "jsonl",
    version: VersionParam = None,
) -> StreamingResponse:
    dataset = await _dataset(request, principal, ref)
    try:
        page = await run(
            list_items,
            store(request),
            principal.project_id,
            dataset.dataset_id,
            version=version,
            limit=1_000_000,
        )
    except UnknownVersion as exc:
        raise ApiError(404, str(exc)) from exc
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    filename = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', dataset.name)}-v{page.version}.{format}"
    return StreamingResponse(
        _export_lines(page.items, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
