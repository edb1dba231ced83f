"""Human review queues (``/api/v1/review-queues``): create a queue, fill it (by hand, or
from a traces filter with a sample rate), take the next item with its trace, label it.

A label is an evaluation of the trace (or span) with source ``human``; the reviewer,
the queue and any corrected output are kept in its ``value`` (JSON). A corrected
output can go straight into a dataset as the expected answer of a new item linked to
the trace. Reads need a ``read`` key; writes accept ``ingest`` and ``read`` keys too.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, model_validator

from llmpulse_collector.api._params import Cursor, Limit, ReadKey, TraceFilterParams, run, store
from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.contract import CONFLICT
from llmpulse_collector.api.errors import ApiError, write_error
from llmpulse_collector.api.responses import TraceDetail
from llmpulse_collector.model import EvaluationRow
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store import StorageUnavailable, WriterOverloaded
from llmpulse_collector.store.datasets import add_items, find_dataset, items_from_spans
from llmpulse_collector.store.queries import list_traces
from llmpulse_collector.store.queries.traces import get_trace
from llmpulse_collector.store.review_queues import (
    QueueExists,
    add_review_items,
    create_queue,
    find_queue,
    get_review_item,
    list_queues,
    list_review_items,
    next_review_item,
    set_item_status,
)

__all__ = ["QueueOut", "router"]

router = APIRouter(prefix="/api/v1/review-queues", tags=["review queues"])

WriteKey = Annotated[Principal, Depends(require("feedback"))]
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_WIDTH = {"trace_id": 32, "source_trace_id": 32, "span_id": 16, "source_span_id": 16}
MAX_ITEMS = 10_000


class QueueIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\s/][^/]*$")
    description: str = Field("", max_length=10_000)
    label_kind: Literal["pass_fail", "numeric", "categorical"] = "pass_fail"
    categories: list[str] = Field(default_factory=list, max_length=100)
    min_score: float = 0.0
    max_score: float = 1.0
    evaluation_name: str | None = Field(
        None, min_length=1, max_length=200, description="default: the queue's name"
    )
    dataset: str | None = Field(None, description="where corrected outputs go (id or name)")

    @model_validator(mode="after")
    def _check(self) -> QueueIn:
        if self.label_kind == "categorical" and not self.categories:
            raise ValueError("a categorical queue needs categories")
        if self.min_score >= self.max_score:
            raise ValueError("min_score must be below max_score")
        return self


class QueueOut(BaseModel):
    id: str
    name: str
    description: str
    label_kind: Literal["pass_fail", "numeric", "categorical"]
    categories: list[str]
    min_score: float
    max_score: float
    evaluation_name: str
    dataset_id: str | None
    created_at: str
    pending: int
    done: int
    skipped: int


class QueueListOut(BaseModel):
    queues: list[QueueOut]
    total: int = Field(description="queues across all pages")
    next_cursor: str | None = Field(None, description="the next page's cursor; null: last page")


class QueueTraceRef(BaseModel):
    trace_id: str
    span_id: str | None = None


class QueueItemsIn(BaseModel):
    traces: list[QueueTraceRef] = Field(min_length=1, max_length=MAX_ITEMS)


class QueueAddedOut(BaseModel):
    queue_id: str
    added: int = Field(description="new items (traces already queued are not added again)")
    item_ids: list[str]


class ReviewItemOut(BaseModel):
    id: str
    trace_id: str
    span_id: str | None
    status: Literal["pending", "done", "skipped"]
    reviewer: str | None
    evaluation_id: str | None
    added_at: str
    updated_at: str


class QueueItemsPageOut(BaseModel):
    queue_id: str
    total: int
    items: list[ReviewItemOut]
    next_cursor: str | None


class NextOut(BaseModel):
    item: ReviewItemOut | None = Field(description="None when nothing is pending")
    trace: TraceDetail | None = Field(description="the trace, as GET /api/v1/traces/{id}")
    pending: int


class LabelIn(BaseModel):
    reviewer: str = Field(min_length=1, max_length=200)
    passed: bool | None = None
    score: float | None = None
    label: str | None = Field(None, max_length=200)
    comment: str | None = Field(None, max_length=10_000)
    corrected_output: Any = None
    add_to_dataset: bool = Field(
        False, description="add the trace's input with corrected_output as expected output"
    )


class LabelOut(BaseModel):
    item: ReviewItemOut
    evaluation_id: str
    dataset_item_id: str | None


class SkipIn(BaseModel):
    reviewer: str = Field("", max_length=200)


def _hex(value: str | None, pattern: re.Pattern[str], what: str) -> str:
    text = (value or "").strip().lower()
    if text and not pattern.match(text):
        raise ApiError(400, f"{what} must be {_WIDTH[what]} hexadecimal characters")
    return text


async def _queue(request: Request, principal: Principal, ref: str) -> dict[str, Any]:
    found = await run(find_queue, store(request), principal.project_id, ref)
    if found is None:
        raise ApiError(404, f"no review queue {ref!r} in this project")
    return found


@router.post("", summary="Create a review queue", status_code=201, responses=CONFLICT)
async def create(request: Request, body: QueueIn, principal: WriteKey) -> QueueOut:
    dataset_id = None
    if body.dataset:
        found = await run(find_dataset, store(request), principal.project_id, body.dataset)
        if found is None:
            raise ApiError(404, f"no dataset {body.dataset!r} in this project")
        dataset_id = found.dataset_id
    definition = {
        "label_kind": body.label_kind,
        "categories": body.categories,
        "min_score": body.min_score,
        "max_score": body.max_score,
        "evaluation_name": body.evaluation_name or body.name,
        "dataset_id": dataset_id,
    }
    try:
        created = await run(
            create_queue,
            store(request),
            principal.project_id,
            body.name,
            body.description,
            definition,
        )
    except QueueExists as exc:
        raise ApiError(409, str(exc)) from exc
    return QueueOut(**created)


@router.get("", summary="Review queues of this project by name, with item counts (cursor-paged)")
async def list_all(
    request: Request, principal: ReadKey, limit: Limit = 100, cursor: Cursor = None
) -> QueueListOut:
    page = await run(list_queues, store(request), principal.project_id, limit=limit, cursor=cursor)
    return QueueListOut(
        queues=[QueueOut(**q) for q in page.items], total=page.total, next_cursor=page.next_cursor
    )


@router.get("/{ref}", summary="One review queue (id or name)")
async def get_one(request: Request, ref: str, principal: ReadKey) -> QueueOut:
    return QueueOut(**await _queue(request, principal, ref))


@router.post("/{ref}/items", summary="Queue traces or spans by hand", status_code=201)
async def add(request: Request, ref: str, body: QueueItemsIn, principal: WriteKey) -> QueueAddedOut:
    queue = await _queue(request, principal, ref)
    refs = []
    for t in body.traces:
        trace = _hex(t.trace_id, _HEX32, "trace_id")
        if not trace:
            raise ApiError(400, "trace_id must be hexadecimal (32 characters)")
        refs.append((trace, _hex(t.span_id, _HEX16, "span_id")))
    ids = await run(add_review_items, store(request), principal.project_id, queue["id"], refs)
    return QueueAddedOut(queue_id=queue["id"], added=len(ids), item_ids=ids)


def _sampled(trace_id: str, rate: float) -> bool:
    """Deterministic: the same trace is in or out of a sample of the same rate."""
    return int(hashlib.sha256(trace_id.encode()).hexdigest()[:8], 16) < rate * 0x1_0000_0000


@router.post(
    "/{ref}/items/from-filter",
    summary="Queue traces matching a traces filter (the /traces parameters), sampled",
    status_code=201,
)
async def add_from_filter(
    request: Request,
    ref: str,
    f: TraceFilterParams,
    principal: WriteKey,
    sample_rate: Annotated[float, Query(gt=0, le=1, description="share of matches queued")] = 1.0,
    limit: Annotated[int, Query(ge=1, le=MAX_ITEMS, description="at most this many")] = 1000,
) -> QueueAddedOut:
    queue = await _queue(request, principal, ref)
    refs: list[tuple[str, str]] = []
    cursor: str | None = None
    scanned = 0
    while len(refs) < limit and scanned < 10 * MAX_ITEMS:
        page = await run(list_traces, store(request), f, limit=1000, cursor=cursor, previews=False)
        scanned += len(page.traces)
        refs += [(t["trace_id"], "") for t in page.traces if _sampled(t["trace_id"], sample_rate)]
        cursor = page.next_cursor
        if cursor is None:
            break
    ids = await run(
        add_review_items, store(request), principal.project_id, queue["id"], refs[:limit]
    )
    return QueueAddedOut(queue_id=queue["id"], added=len(ids), item_ids=ids)


@router.get("/{ref}/items", summary="Items of the queue in the order added")
async def items(
    request: Request,
    ref: str,
    principal: ReadKey,
    status: Literal["pending", "done", "skipped"] | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> QueueItemsPageOut:
    queue = await _queue(request, principal, ref)
    found, total, next_cursor = await run(
        list_review_items,
        store(request),
        principal.project_id,
        queue["id"],
        status=status,
        limit=limit,
        cursor=cursor,
    )
    return QueueItemsPageOut(
        queue_id=queue["id"],
        total=total,
        items=[ReviewItemOut(**i) for i in found],
        next_cursor=next_cursor,
    )


@router.get(
    "/{ref}/next",
    summary="The next pending item with its trace",
    response_model_exclude_unset=True,  # the trace as GET /api/v1/traces/{id} answers it
)
async def next_item(
    request: Request,
    ref: str,
    principal: ReadKey,
    after: Annotated[str | None, Query(description="an item id: the next one after it")] = None,
) -> NextOut:
    queue = await _queue(request, principal, ref)
    found = await run(next_review_item, store(request), principal.project_id, queue["id"], after)
    if found is None:
        return NextOut(item=None, trace=None, pending=queue["pending"])
    trace = await run(get_trace, store(request), principal.project_id, found["trace_id"])
    return NextOut(item=ReviewItemOut(**found), trace=trace, pending=queue["pending"])


def _label_row(
    project_id: str, queue: dict[str, Any], item: dict[str, Any], body: LabelIn
) -> EvaluationRow:
    kind = queue["label_kind"]
    passed, score, label = body.passed, body.score, (body.label or "")
    if kind == "pass_fail":
        if passed is None:
            raise ApiError(400, "this queue labels pass/fail: send 'passed': true or false")
        score = 1.0 if passed else 0.0 if score is None else score
    elif kind == "numeric":
        if score is None or not queue["min_score"] <= score <= queue["max_score"]:
            raise ApiError(
                400,
                f"this queue labels with a score from {queue['min_score']} to "
                f"{queue['max_score']}: send 'score'",
            )
    elif label not in queue["categories"]:
        raise ApiError(400, f"this queue labels with one of {queue['categories']}: send 'label'")
    value = {"reviewer": body.reviewer, "queue": queue["name"], "passed": passed, "score": score,
             "label": label or None}  # fmt: skip
    if body.corrected_output is not None:
        value["corrected_output"] = body.corrected_output
    return EvaluationRow(
        project_id=project_id,
        trace_id=item["trace_id"],
        span_id=item["span_id"] or "",
        name=queue["evaluation_name"],
        source="human",
        passed=passed,
        score=score,
        label=label[:200],
        comment=body.comment or "",
        value=json.dumps(value),
        created_at=time.time_ns(),
        evaluation_id=str(uuid.uuid4()),
    )


async def _item(request: Request, principal: Principal, queue: dict[str, Any], item_id: str) -> Any:
    found = await run(get_review_item, store(request), principal.project_id, queue["id"], item_id)
    if found is None:
        raise ApiError(404, f"no item {item_id!r} in review queue {queue['name']!r}")
    return found


@router.post(
    "/{ref}/items/{item_id}/label",
    summary="Label an item (an evaluation, 'human')",
    responses=CONFLICT,
)
async def label(
    request: Request, ref: str, item_id: str, body: LabelIn, principal: WriteKey
) -> LabelOut:
    queue = await _queue(request, principal, ref)
    item = await _item(request, principal, queue, item_id)
    row = _label_row(principal.project_id, queue, item, body)
    dataset_item: str | None = None
    if body.add_to_dataset:
        if body.corrected_output is None:
            raise ApiError(400, "add_to_dataset needs a corrected_output")
        if not queue["dataset_id"]:
            raise ApiError(409, "this queue has no dataset: create it with 'dataset'")
        if (
            await run(find_dataset, store(request), principal.project_id, queue["dataset_id"])
            is None
        ):
            raise ApiError(404, "the queue's dataset no longer exists")
        found, missing = await run(
            items_from_spans,
            store(request),
            principal.project_id,
            [(item["trace_id"], item["span_id"] or "")],
        )
        if missing:
            raise ApiError(404, f"trace {item['trace_id']} is not stored (any more)")
        new = found[0]
        corrected = type(new)(
            input=new.input,
            expected_output=body.corrected_output,
            metadata={**new.metadata, "review_queue": queue["name"], "reviewer": body.reviewer},
            source_trace_id=new.source_trace_id,
            source_span_id=new.source_span_id,
        )
        _, ids = await run(
            add_items, store(request), principal.project_id, queue["dataset_id"], [corrected]
        )
        dataset_item = ids[0]
    runtime: Runtime = request.app.state.runtime
    try:
        await runtime.writer.write([], [row])
    except (WriterOverloaded, StorageUnavailable) as exc:
        raise write_error(exc) from exc
    updated = await run(
        set_item_status,
        store(request),
        principal.project_id,
        queue["id"],
        item,
        "done",
        body.reviewer,
        row.evaluation_id,
    )
    return LabelOut(
        item=ReviewItemOut(**updated), evaluation_id=row.evaluation_id, dataset_item_id=dataset_item
    )


@router.post("/{ref}/items/{item_id}/skip", summary="Skip an item (no label)")
async def skip(
    request: Request, ref: str, item_id: str, body: SkipIn, principal: WriteKey
) -> ReviewItemOut:
    queue = await _queue(request, principal, ref)
    item = await _item(request, principal, queue, item_id)
    updated = await run(
        set_item_status, store(request), principal.project_id, queue["id"], item, "skipped",
        body.reviewer,
    )  # fmt: skip
    return ReviewItemOut(**updated)
