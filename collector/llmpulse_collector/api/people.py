"""Routes: sessions (and one session's conversation) and users."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from llmpulse_collector.api._params import (
    DAY_NS,
    Cursor,
    FromParam,
    Limit,
    ReadKey,
    ToParam,
    run,
    store,
    time_range,
)
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.api.responses import SessionDetail, SessionPage, UserPage
from llmpulse_collector.store.queries import get_session, list_sessions, list_users

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["sessions and users"])


@router.get(
    "/sessions",
    summary="Sessions active in the range, most recent first",
    response_model=SessionPage,
    response_model_exclude_unset=True,
)
async def sessions(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    user_id: str | None = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="substring of the session id")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await run(
        list_sessions,
        store(request),
        principal.project_id,
        time_range(start, end),
        user_id=user_id,
        q=q,
        limit=limit,
        cursor=cursor,
    )
    return {
        "sessions": page.items,
        "next_cursor": page.next_cursor,
        "total": page.total,
        "totals": page.totals,
    }


@router.get(
    "/sessions/{session_id}",
    summary="One session: its traces as a conversation",
    response_model=SessionDetail,
    response_model_exclude_unset=True,
)
async def session(
    request: Request,
    principal: ReadKey,
    session_id: str,
    start: Annotated[
        str | None, Query(alias="from", description="ISO 8601 or unix seconds; default: to - 30d")
    ] = None,
    end: ToParam = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    found = await run(
        get_session,
        store(request),
        principal.project_id,
        session_id,
        time_range(start, end, default_ns=30 * DAY_NS),
        limit=limit,
        cursor=cursor,
    )
    if found is None:
        raise ApiError(404, f"no session {session_id!r} in this project and time range")
    return found


@router.get(
    "/users",
    summary="Users active in the range",
    response_model=UserPage,
    response_model_exclude_unset=True,
)
async def users(
    request: Request,
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    sort: Literal["last_seen", "traces", "cost_usd", "errors", "total_tokens"] = "last_seen",
    order: Literal["desc", "asc"] = "desc",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await run(
        list_users,
        store(request),
        principal.project_id,
        time_range(start, end),
        sort=sort,
        order=order,
        limit=limit,
        cursor=cursor,
    )
    return {
        "users": page.items,
        "next_cursor": page.next_cursor,
        "total": page.total,
        "totals": page.totals,
    }
