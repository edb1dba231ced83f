"""The query API (``/api/v1``), documented in docs/api.md: one router of the routers
below. Every route authenticates a bearer key and reads only the key's project.

- ``traces``: the trace list and search, one trace as a tree
- ``metrics``: summary, time series, cost
- ``people``: sessions and users
- ``evaluations``: pass rates, failing evaluations, feedback
- ``values``: distinct values for filters; ``export``: JSONL/CSV export
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from llmpulse_collector.api import evaluations, export, metrics, people, traces, values
from llmpulse_collector.api._params import ReadKey, parse_time, run, store
from llmpulse_collector.api.responses import MeAnswer
from llmpulse_collector.store.keys import list_projects

__all__ = ["parse_time", "router"]

router = APIRouter()
_me = APIRouter(prefix="/api/v1", tags=["query"])


@_me.get(
    "/me",
    summary="The key's project and scope",
    response_model=MeAnswer,
    response_model_exclude_unset=True,
)
async def me(request: Request, principal: ReadKey) -> dict[str, Any]:
    projects = await run(list_projects, store(request))
    name = next((p.name for p in projects if p.project_id == principal.project_id), "")
    return {"project_id": principal.project_id, "project_name": name, "scope": principal.scope}


for _module in (traces, metrics, people, evaluations, values, export):
    router.include_router(_module.router)
router.include_router(_me)
