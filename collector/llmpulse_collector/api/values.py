"""Route: distinct values of a dimension, for filter widgets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from llmpulse_collector.api._params import FromParam, ReadKey, ToParam, run, store, time_range
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.api.responses import ValuesAnswer
from llmpulse_collector.store.queries import VALUE_FIELDS, distinct_values

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["values"])

_FIELDS = ", ".join(VALUE_FIELDS)


@router.get(
    "/values/{field}",
    summary="Distinct values in the range, most frequent first",
    response_model=ValuesAnswer,
    response_model_exclude_unset=True,
)
async def values(
    request: Request,
    principal: ReadKey,
    field: str,
    start: FromParam = None,
    end: ToParam = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> dict[str, Any]:
    if field not in VALUE_FIELDS:
        raise ApiError(400, f"field must be one of: {_FIELDS}")
    found = await run(
        distinct_values, store(request), principal.project_id, field, time_range(start, end), limit
    )
    return {"field": field, "values": found}
