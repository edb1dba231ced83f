"""View state that lives in the URL's query parameters, so a view can be shared as a link.

Two kinds of state:

- **widget state** (``bind``): a widget with ``key=name`` is seeded from ``?name=``
  the first time it is drawn; its value is written back to the URL at the end of the
  run (``publish``) when it differs from the default.
- **plain parameters** (``param`` / ``set_param``): the URL itself is the truth, e.g.
  the selected trace (``?trace=<id>``).

Parameters not used on the page drawn in this run are dropped from the URL, so
each page's link carries exactly its own view. Time windows are pure functions here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import streamlit as st

__all__ = [
    "DEFAULT_RANGE",
    "RANGES",
    "TimeWindow",
    "begin_run",
    "bind",
    "keep",
    "param",
    "publish",
    "set_param",
    "time_window",
]

RANGES: dict[str, tuple[str, timedelta]] = {
    "15m": ("Last 15 minutes", timedelta(minutes=15)),
    "1h": ("Last hour", timedelta(hours=1)),
    "6h": ("Last 6 hours", timedelta(hours=6)),
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
}
DEFAULT_RANGE = "24h"
_ROUND_SECONDS = 10  # `to` is rounded up to this, so repeated runs ask the same question

_BOUND = "_lp_bound"  # widget key -> default, for widgets drawn in this run
_PLAIN = "_lp_plain"  # plain parameters used in this run
_DEFAULTS = "_lp_defaults"  # widget key -> default, remembered across runs


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """``[start, end)`` in UTC; ``key`` is the preset it came from."""

    key: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return RANGES[self.key][0] if self.key in RANGES else "Custom range"

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def params(self) -> dict[str, str | int | float | bool | None]:
        """The API's ``from`` / ``to`` parameters."""
        return {"from": _iso(self.start), "to": _iso(self.end)}

    def previous(self) -> TimeWindow:
        """The period of equal length just before this one."""
        return TimeWindow(self.key, self.start - self.duration, self.start)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def time_window(key: str, now: datetime | None = None) -> TimeWindow:
    """The window of preset ``key`` (unknown keys: the default) ending now, rounded up."""
    if key not in RANGES:
        key = DEFAULT_RANGE
    moment = now or datetime.now(UTC)
    epoch = int(moment.timestamp())
    end = datetime.fromtimestamp(epoch - epoch % _ROUND_SECONDS + _ROUND_SECONDS, UTC)
    return TimeWindow(key, end - RANGES[key][1], end)


# ---- URL binding (needs a running Streamlit script) ------------------------------------


def begin_run() -> None:
    """Forget which parameters the previous run used; call first in every full run."""
    st.session_state[_BOUND] = {}
    st.session_state[_PLAIN] = set()


def _parse(raw: str, default: str | bool) -> str | bool:
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    return raw


def bind(key: str, default: str | bool = "", options: Sequence[str] | None = None) -> None:
    """Seed the widget state ``key`` from ``?key=`` and publish it at the end of the run.

    Call right before drawing the widget with ``key=key`` (and no default value of its
    own). A URL value outside ``options`` falls back to ``default``.
    """
    st.session_state.setdefault(_BOUND, {})[key] = default
    st.session_state.setdefault(_DEFAULTS, {})[key] = default
    if key in st.session_state:
        current = st.session_state[key]
        if options is None or current in options:
            return
    raw = st.query_params.get(key)
    value = default if raw is None else _parse(raw, default)
    if options is not None and value not in options:
        value = default
    st.session_state[key] = value


def keep(keys: Sequence[str]) -> None:
    """Keep widget states ``keys`` in the URL this run although their widgets are hidden
    (drawn with ``persist_state="page"``, e.g. the trace filters while a trace is open)."""
    bound = st.session_state.setdefault(_BOUND, {})
    defaults: dict[str, str | bool] = st.session_state.get(_DEFAULTS, {})
    for key in keys:
        bound.setdefault(key, defaults.get(key, ""))


def param(key: str) -> str:
    """The plain URL parameter ``key`` ("" when absent); kept in the URL this run."""
    st.session_state.setdefault(_PLAIN, set()).add(key)
    return st.query_params.get(key, "")


def set_param(key: str, value: str | None) -> None:
    """Set (or with ``None``/"" remove) the plain URL parameter ``key``."""
    st.session_state.setdefault(_PLAIN, set()).add(key)
    if value:
        st.query_params[key] = value
    elif key in st.query_params:
        del st.query_params[key]


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def publish() -> None:
    """Write this run's view state to the URL (only when it changed)."""
    desired: dict[str, str] = {}
    bound: dict[str, str | bool] = st.session_state.get(_BOUND, {})
    for key, default in bound.items():
        value = st.session_state.get(key)
        if value is None or value in ("", default):
            continue
        desired[key] = _encode(value)
    for key in sorted(st.session_state.get(_PLAIN, set())):
        value = st.query_params.get(key)
        if value:
            desired[key] = value
    if st.query_params.to_dict() != desired:
        st.query_params.from_dict(desired)
