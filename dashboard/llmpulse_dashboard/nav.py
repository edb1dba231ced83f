"""The pages, in one place, so any page can link to another (``st.switch_page``).

Page scripts live in ``views/``, not ``pages/``: a ``pages/`` folder next to the entry
script switches Streamlit to its old multipage mode, which runs ``/traces`` without
the entry script (no shared sidebar, no ``st.navigation``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import streamlit as st

from llmpulse_dashboard import state

__all__ = ["PAGES", "PageName", "go", "page", "pages"]

PageName = Literal[
    "overview", "traces", "sessions", "users", "evaluations", "cost", "drift", "alerts",
    "datasets", "review", "experiments",
]  # fmt: skip

_DIR = Path(__file__).parent / "views"
PAGES: dict[PageName, tuple[str, str]] = {
    "overview": ("Overview", ":material/monitoring:"),
    "traces": ("Traces", ":material/account_tree:"),
    "sessions": ("Sessions", ":material/forum:"),
    "users": ("Users", ":material/group:"),
    "evaluations": ("Evaluations", ":material/fact_check:"),
    "cost": ("Cost", ":material/payments:"),
    # alert notifications link to <dashboard_url>/alerts?... and /drift?...
    "drift": ("Drift", ":material/difference:"),
    "alerts": ("Alerts", ":material/notifications_active:"),
    # the evaluation loop: test sets from production, human review, offline experiments
    "datasets": ("Datasets", ":material/dataset:"),
    "review": ("Review", ":material/rate_review:"),
    "experiments": ("Experiments", ":material/science:"),
}


def page(name: PageName) -> Any:
    """The ``st.Page`` of ``name`` (its URL path is the name)."""
    title, icon = PAGES[name]
    return st.Page(
        _DIR / f"{name}.py", title=title, icon=icon, url_path=name, default=name == "overview"
    )


def pages() -> list[Any]:
    return [page(name) for name in PAGES]


def go(name: PageName, **params: str) -> None:
    """Open page ``name`` with view parameters (e.g. ``trace=<id>``); does not return.

    The link carries the sidebar's project, time range and refresh along; on the new
    page its parameters win over whatever its widgets held before (``state.bind``).
    """
    wanted = {**state.carried(), **params}
    st.switch_page(page(name), query_params={k: v for k, v in wanted.items() if v})
