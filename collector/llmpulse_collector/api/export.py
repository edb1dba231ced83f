"""Route: streamed export of traces (JSONL or CSV) for eval and fine-tuning datasets."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from llmpulse_collector.api._params import TraceFilterParams, store
from llmpulse_collector.api.traces import TraceOrder, TraceSort
from llmpulse_collector.store.queries import export_csv, export_jsonl, export_records

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["export"])

_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@router.get(
    "/export",
    summary="Stream matching traces with root input/output, evaluations and feedback",
    response_class=StreamingResponse,
)
async def export(
    request: Request,
    f: TraceFilterParams,
    format: Literal["jsonl", "csv"] = "jsonl",
    sort: TraceSort = "start_time",
    order: TraceOrder = "desc",
    limit: Annotated[int, Query(ge=1, le=1_000_000, description="at most this many traces")] = (
        100_000
    ),
) -> StreamingResponse:
    records = export_records(store(request), f, sort=sort, order=order, limit=limit)
    body = export_jsonl(records) if format == "jsonl" else export_csv(records)
    return StreamingResponse(
        body,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="llmpulse-traces.{format}"'},
    )
