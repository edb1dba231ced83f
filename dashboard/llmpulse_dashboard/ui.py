"""What every page shares: the current project's client, the time window, API calls
that turn failures into messages, and the "send your first trace" empty state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from llmpulse_dashboard import state
from llmpulse_dashboard.client import ApiError, Client, EndpointMissing
from llmpulse_dashboard.config import DashboardConfig, load_config

__all__ = [
    "Project",
    "call",
    "client",
    "empty_state",
    "local_time",
    "pick",
    "projects",
    "show_error",
    "timezone",
    "timezone_name",
    "window",
]

T = TypeVar("T")
CACHE_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class Project:
    """One read key and the project it reads (``project_id`` from ``/me``)."""

    key: str
    project_id: str
    label: str


@st.cache_resource(show_spinner=False)
def _client(api_url: str, api_key: str) -> Client:
    return Client(api_url, api_key, cache_ttl=CACHE_SECONDS)


def _project(config: DashboardConfig, index: int, key: str) -> Project:
    fallback = f"project {index + 1} (key {key[:12]}…)"
    try:
        me = _client(config.api_url, key).me()
    except ApiError:
        return Project(key=key, project_id=f"key{index + 1}", label=fallback)
    name = me.get("project_name") or me.get("project_id") or fallback
    return Project(key=key, project_id=me.get("project_id") or f"key{index + 1}", label=name)


def projects(config: DashboardConfig | None = None) -> list[Project]:
    """The projects of the configured read keys, in configuration order."""
    config = config or load_config()
    return [_project(config, i, key) for i, key in enumerate(config.api_keys)]


def current_project() -> Project | None:
    found = projects()
    chosen = st.session_state.get("project")
    return next((p for p in found if p.project_id == chosen), found[0] if found else None)


def client() -> Client | None:
    """The client of the project chosen in the sidebar (None without keys)."""
    project = current_project()
    if project is None:
        return None
    return _client(load_config().api_url, project.key)


def clear_caches() -> None:
    config = load_config()
    for key in config.api_keys:
        _client(config.api_url, key).clear_cache()


CUSTOM_WINDOW = "_lp_custom_window"  # (start, end) of the sidebar's custom range


def window() -> state.TimeWindow:
    """The time window chosen in the sidebar (a preset ending now, or a custom range)."""
    key = str(st.session_state.get("range", state.DEFAULT_RANGE))
    custom = st.session_state.get(CUSTOM_WINDOW)
    if key == state.CUSTOM and custom is not None:
        return state.TimeWindow(state.CUSTOM, custom[0], custom[1])
    return state.time_window(key)


def timezone() -> tzinfo:
    """The viewer's time zone (the browser's), UTC when unknown."""
    name = getattr(st.context, "timezone", None)
    if name:
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def timezone_name() -> str:
    zone = timezone()
    return str(getattr(zone, "key", None) or "UTC")


def local_time(value: str | int | None) -> str:
    """ISO 8601 text or unix nanoseconds as ``2026-11-27 11:00:05`` in the viewer's zone."""
    if value is None or value == "":
        return "–"
    if isinstance(value, int):
        moment = datetime.fromtimestamp(value / 1e9, UTC)
    else:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(timezone()).strftime("%Y-%m-%d %H:%M:%S")


def show_error(what: str, error: ApiError) -> None:
    """A failed call, said plainly: what could not be loaded and the server's reason."""
    if isinstance(error, EndpointMissing):
        st.info(f"**{what}** is not available: {error.message}.", icon=":material/info:")
    else:
        st.error(f"**Could not load {what}.** {error}", icon=":material/error:")


def call(what: str, fn: Callable[[Client], T]) -> T | None:
    """``fn(client)``, or ``None`` after showing why it failed (never a stack trace)."""
    api = client()
    if api is None:
        no_keys()
        return None
    try:
        return fn(api)
    except ApiError as error:
        show_error(what, error)
        return None


_DRAWN = "_lp_drawn_"  # + table key: ids of the rows the table showed in the last run
_SHOWN = "_lp_shown_"  # + table key: the selected rows it showed in the last run


def _selected_rows(value: Any) -> list[int]:
    """The selected row positions of a dataframe's selection state ([] when none)."""
    selection = value.get("selection") if isinstance(value, Mapping) else None
    rows = selection.get("rows") if isinstance(selection, Mapping) else None
    return [int(r) for r in rows] if isinstance(rows, list) else []


def pick(
    rows: list[dict[str, Any]],
    ids: list[str],
    key: str,
    *,
    selected: str | None = None,
    **options: Any,
) -> str | None:
    """A table whose rows can be selected; returns the id of the selected row.

    A click names a row *position*, and it arrives in the run after the one that drew
    the table, when the list may have been fetched again (new traffic, an expired
    cache). So a click is resolved against the ids of the rows that were on screen
    (kept in the session by the run that drew them), never against this run's list.
    ``selected`` is the id chosen before (e.g. from the URL); the highlight follows
    that id to its row in this draw. Returns the clicked id after a click (``None``
    when the click cleared the selection), else ``selected``.
    """
    drawn: list[str] = st.session_state.get(_DRAWN + key, [])
    shown: list[int] = st.session_state.get(_SHOWN + key, [])
    chosen = selected or None
    if key in st.session_state:
        now = _selected_rows(st.session_state[key])
        if now != shown:  # a click on the rows drawn in the last run
            chosen = drawn[now[0]] if now and now[0] < len(drawn) else None
    highlight = [ids.index(chosen)] if chosen in ids else []
    st.session_state[key] = {"selection": {"rows": highlight, "columns": [], "cells": []}}
    st.session_state[_DRAWN + key] = list(ids)
    st.session_state[_SHOWN + key] = highlight
    st.dataframe(
        rows, hide_index=True, key=key, on_select="rerun", selection_mode="single-row", **options
    )
    return chosen


def no_keys() -> None:
    st.warning(
        "No API key is configured. Start the dashboard with a read key:\n\n"
        "```bash\n"
        "llmpulse keys create --project NAME --scope read   # prints a key\n"
        "LLMPULSE_API_KEY=lp_read_... llmpulse dashboard\n"
        "```\n"
        "Several projects: `LLMPULSE_API_KEYS=key1,key2`.",
        icon=":material/key:",
    )


_EXAMPLE = """import llmpulse

llmpulse.configure(service_name="my-app")

@llmpulse.observe(span_type="llm")
def ask(question: str) -> str:
    return my_llm(question)  # your model call"""


def empty_state(what: str = "traces") -> None:
    """No data in the window: say so, and how to send the first trace."""
    config = load_config()
    ingest = config.ingest_key or "<an ingest key: llmpulse keys create --project NAME>"
    st.info(
        f"No {what} in {window().label.lower()}. Pick a longer time range in the sidebar, "
        "or send your first trace:",
        icon=":material/inbox:",
    )
    st.code(
        f"export OTEL_EXPORTER_OTLP_ENDPOINT={config.api_url}\nexport LLMPULSE_API_KEY={ingest}",
        language="bash",
    )
    st.code(_EXAMPLE, language="python")
    st.caption("Any OpenTelemetry SDK works too: send OTLP/HTTP to the same endpoint.")
