"""Lists longer than one page of the API: the first page, and the next on "Load more".

The API pages by cursor (an answer's ``next_cursor`` is the next call's ``cursor``). A
list keeps how many pages the user loaded and fetches them again in every run, from the
first, with this run's parameters (the client caches the answers): the rows on screen
are one query's even when a relative time window moved on. Another question (a range,
a sort order, a filter) starts again at one page.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, NotRequired, TypedDict, TypeVar

import streamlit as st

from llmpulse_dashboard import state, ui
from llmpulse_dashboard.client import Client

__all__ = ["PAGE_SIZE", "Loaded", "every_row", "load", "load_more", "question"]

PAGE_SIZE = 100  # rows per page of a table (and per "Load more")
PICK_PAGE = 1000  # rows per call when a picker needs every row (the API's largest page)


class _Paged(TypedDict):
    next_cursor: NotRequired[str | None]


P = TypeVar("P", bound=_Paged)
T = TypeVar("T")

_PAGES = "_lp_pages_"  # + list key: (question, pages loaded)


@dataclass(frozen=True)
class Loaded(Generic[P, T]):
    first: P  # the first page's answer: the server's totals of the whole list
    rows: list[T]  # every loaded page's rows, in order
    more: bool  # the list goes on after these rows


def question(window: state.TimeWindow, *parts: Hashable) -> tuple[Hashable, ...]:
    """What a list shows: a preset range by name (its end moves with the clock, the
    question stays), a custom range by its times, and the list's own parameters."""
    scope = repr(window.params()) if window.key == state.CUSTOM else window.key
    return (scope, *parts)


def _next(page: _Paged) -> str | None:
    return page.get("next_cursor")


def _pages(key: str, asked: Hashable) -> int:
    found = st.session_state.get(_PAGES + key)
    pages = found[1] if isinstance(found, tuple) and found[0] == asked else 1
    st.session_state[_PAGES + key] = (asked, pages)
    return pages


def load(
    what: str,
    key: str,
    asked: Hashable,
    fetch: Callable[[Client, str | None], P],
    rows_of: Callable[[P], list[T]],
) -> Loaded[P, T] | None:
    """The pages of list ``key`` the user loaded for question ``asked``: ``fetch(api,
    cursor)`` gets one page, ``rows_of`` its rows. ``None`` after showing an error."""
    pages = _pages(key, asked)

    def every_page(api: Client) -> Loaded[P, T]:
        first = fetch(api, None)
        rows, cursor = list(rows_of(first)), _next(first)
        for _ in range(pages - 1):
            if not cursor:
                break
            page = fetch(api, cursor)
            rows += rows_of(page)
            cursor = _next(page)
        return Loaded(first, rows, bool(cursor))

    return ui.call(what, every_page)


def every_row(
    api: Client, fetch: Callable[[Client, str | None], P], rows_of: Callable[[P], list[T]]
) -> list[T]:
    """Every row of a list, following ``next_cursor`` to the last page: for a picker
    (names of datasets, queues, rules) that must offer all of them, not for a table."""
    page = fetch(api, None)
    rows = list(rows_of(page))
    cursor = _next(page)
    while cursor:
        page = fetch(api, cursor)
        rows += rows_of(page)
        cursor = _next(page)
    return rows


def _one_more(key: str) -> None:
    asked, pages = st.session_state[_PAGES + key]
    st.session_state[_PAGES + key] = (asked, pages + 1)


def load_more(key: str, loaded: Loaded[P, T], total: int | None, noun: str) -> None:
    """How many rows of how many are on screen, and a "Load more" button while the list
    goes on (the next run draws one page more)."""
    shown = f"{len(loaded.rows):,} of {total:,}" if total is not None else f"{len(loaded.rows):,}"
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(f"Showing {shown} {noun}")
        if loaded.more:
            st.button(
                "Load more",
                key=f"{key}_more",
                icon=":material/expand_more:",
                on_click=_one_more,
                args=(key,),
            )
