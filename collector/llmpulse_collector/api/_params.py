"""Shared pieces of the query API routes: time parameters, the read key, the trace
filter parameters, and running store queries off the event loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal, ParamSpec, TypeVar

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.api.auth import Principal, require
from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.runtime import Runtime
from llmpulse_collector.store import Store
from llmpulse_collector.store.queries import AUTO_INTERVALS, InvalidCursor, TimeRange, TraceFilter
from llmpulse_collector.store.queries import auto_interval as _auto_interval
from llmpulse_collector.store.traffic import Experiments

__all__ = [
    "DAY_NS",
    "Cursor",
    "FromParam",
    "Limit",
    "ReadKey",
    "ToParam",
    "TraceFilterParams",
    "interval_seconds",
    "parse_time",
    "run",
    "store",
    "time_range",
]

DAY_NS = 86_400 * 1_000_000_000
MAX_BUCKETS = 1500

P = ParamSpec("P")
T = TypeVar("T")


def parse_time(value: str | None, default_ns: int, what: str) -> int:
    """Unix nanoseconds from ISO 8601 (``2026-11-27T10:00:00Z``) or unix seconds/ms."""
    if value is None or value == "":
        return default_ns
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        # unix seconds, milliseconds, microseconds or nanoseconds, told by magnitude
        for limit, scale in ((1e11, 1e9), (1e14, 1e6), (1e17, 1e3)):
            if abs(number) < limit:
                return int(number * scale)
        return int(number)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(
            400, f"'{what}' must be ISO 8601 (2026-11-27T10:00:00Z) or unix seconds, got {value!r}"
        ) from exc
    if parsed.tzinfo is None:
        raise ApiError(400, f"'{what}' needs a time zone, e.g. {value}Z")
    return int(parsed.timestamp() * 1_000_000) * 1000


def time_range(start: str | None, end: str | None, default_ns: int = DAY_NS) -> TimeRange:
    """``[from, to)``; ``to`` defaults to now and ``from`` to ``to - default_ns``."""
    t1 = parse_time(end, time.time_ns(), "to")
    t0 = parse_time(start, t1 - default_ns, "from")
    if t0 >= t1:
        raise ApiError(400, "'from' must be before 'to'")
    return TimeRange(t0, t1)


def interval_seconds(value: str, time: TimeRange) -> int:
    """Bucket width from ``auto`` or a number of seconds (one of ``AUTO_INTERVALS``)."""
    if value == "auto":
        return _auto_interval(time)
    allowed = ", ".join(str(s) for s in AUTO_INTERVALS)
    if not value.isdigit() or int(value) not in AUTO_INTERVALS:
        raise ApiError(400, f"interval must be 'auto' or one of {allowed} (seconds)")
    seconds = int(value)
    if time.length_ns / (seconds * 1e9) > MAX_BUCKETS:
        raise ApiError(
            400,
            f"interval {seconds}s gives more than {MAX_BUCKETS} buckets for this range: "
            "use a larger interval, a shorter range or 'auto'",
        )
    return seconds


def store(request: Request) -> Store:
    runtime: Runtime = request.app.state.runtime
    return runtime.store


async def run(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a store query in the thread pool; a bad cursor is a 400."""
    try:
        return await run_in_threadpool(func, *args, **kwargs)
    except InvalidCursor as exc:
        raise ApiError(400, str(exc)) from exc


FromParam = Annotated[
    str | None, Query(alias="from", description="ISO 8601 or unix seconds; default: to - 24h")
]
ToParam = Annotated[
    str | None, Query(alias="to", description="ISO 8601 or unix seconds; default: now")
]
ReadKey = Annotated[Principal, Depends(require("read"))]
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


MAX_METADATA_FILTERS = 10


def _check_bounds(low: float | None, high: float | None, what: str) -> None:
    if low is not None and high is not None and low > high:
        raise ApiError(400, f"min_{what} must not be greater than max_{what}")


def _trace_filter(
    principal: ReadKey,
    start: FromParam = None,
    end: ToParam = None,
    service: Annotated[
        str | None, Query(description="a span's service anywhere in the trace")
    ] = None,
    name: Annotated[str | None, Query(description="a span name anywhere in the trace")] = None,
    model: Annotated[str | None, Query(description="a model used in the trace")] = None,
    version: Annotated[
        str | None, Query(description="a span's service version (service.version) in the trace")
    ] = None,
    prompt_version: Annotated[
        str | None, Query(description="a span's prompt version in the trace")
    ] = None,
    environment: str | None = None,
    status: Literal["ok", "error"] | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    tag: str | None = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="case-insensitive substring of some span's input or output",
        ),
    ] = None,
    min_latency_ms: Annotated[float | None, Query(ge=0)] = None,
    max_latency_ms: Annotated[float | None, Query(ge=0)] = None,
    min_cost_usd: Annotated[float | None, Query(ge=0)] = None,
    max_cost_usd: Annotated[float | None, Query(ge=0)] = None,
    has_failing_assertion: Annotated[
        bool | None, Query(description="some evaluation of the trace failed (passed = false)")
    ] = None,
    has_feedback: Annotated[bool | None, Query(description="the trace has human feedback")] = None,
    user_id_contains: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="case-insensitive part of the user id"),
    ] = None,
    session_id_contains: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="case-insensitive part of the session id"),
    ] = None,
    assertion: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="the trace has a result of this assertion"),
    ] = None,
    assertion_result: Annotated[
        Literal["pass", "fail"] | None,
        Query(description="...that passed / failed (without `assertion`: any assertion's)"),
    ] = None,
    metadata: Annotated[
        list[str] | None,
        Query(
            max_length=MAX_METADATA_FILTERS,
            description="key=value (repeatable): some span carries metadata `key` "
            "(llmpulse.metadata.key, or an attribute named key) with this value",
        ),
    ] = None,
    experiments: Annotated[
        Experiments,
        Query(
            description="experiment runs (traces tagged `experiment:<name>`, as "
            "llmpulse.experiment tags them): left out of production listings by default "
            "(a `tag` filter naming one shows it), shown too, or shown alone"
        ),
    ] = "exclude",
) -> TraceFilter:
    _check_bounds(min_latency_ms, max_latency_ms, "latency_ms")
    _check_bounds(min_cost_usd, max_cost_usd, "cost_usd")
    return TraceFilter(
        project_id=principal.project_id,
        time=time_range(start, end),
        service=service,
        name=name,
        model=model,
        version=version,
        prompt_version=prompt_version,
        environment=environment,
        status=status,
        session_id=session_id,
        user_id=user_id,
        tag=tag,
        q=q,
        min_latency_ms=min_latency_ms,
        max_latency_ms=max_latency_ms,
        min_cost_usd=min_cost_usd,
        max_cost_usd=max_cost_usd,
        has_failing_assertion=has_failing_assertion,
        has_feedback=has_feedback,
        user_id_contains=user_id_contains,
        experiments=experiments,
        session_id_contains=session_id_contains,
        assertion=assertion,
        assertion_result=assertion_result,
        metadata=tuple(_metadata_pair(raw) for raw in metadata or []),
    )


def _metadata_pair(raw: str) -> tuple[str, str]:
    """``key=value`` (the value may hold ``=``); both parts needed."""
    key, sep, value = raw.partition("=")
    if not sep or not key.strip() or not value:
        raise ApiError(400, f"metadata must be key=value with both parts, got {raw!r}")
    if len(raw) > 500:
        raise ApiError(400, "a metadata filter is at most 500 characters")
    return key.strip(), value


TraceFilterParams = Annotated[TraceFilter, Depends(_trace_filter)]
