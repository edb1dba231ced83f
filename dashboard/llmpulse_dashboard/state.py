"""View state that lives in the URL's query parameters, so a view can be shared as a link.

Two kinds of state:

- **widget state** (``bind``): a widget with ``key=name`` is seeded from ``?name=``
  the first time it is drawn, and again whenever the URL was changed from outside
  (a link, a page switch with parameters, the address bar): then the URL wins, and
  a parameter it lacks means the default. Otherwise (the user changed a widget) the
  widget wins. Its value is written back to the URL at the end of the run
  (``publish``) when it differs from the default. A URL value that is not one of the
  widget's options is reported (``invalid``) instead of silently replaced.
- **plain parameters** (``param`` / ``set_param``): the URL itself is the truth, e.g.
  the selected trace (``?trace=<id>``).

Parameters not used on the page drawn in this run are dropped from the URL, so
each page's link carries exactly its own view. Time windows are pure functions here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import streamlit as st

__all__ = [
    "CUSTOM",
    "DEFAULT_RANGE",
    "RANGES",
    "TimeWindow",
    "begin_run",
    "bind",
    "carried",
    "invalid",
    "keep",
    "navigated",
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
CUSTOM = "custom"  # the sidebar's own from/to (``?start=&end=``, unix seconds)
_ROUND_SECONDS = 10  # `to` is rounded up to this, so repeated runs ask the same question

_BOUND = "_lp_bound"  # widget key -> default, for widgets drawn in this run
_PLAIN = "_lp_plain"  # plain parameters used in this run
_DEFAULTS = "_lp_defaults"  # widget key -> default, remembered across runs
_PUBLISHED = "_lp_published"  # the URL's parameters as the last publish() left them
_NAVIGATED = "_lp_navigated"  # this run's URL was changed from outside the app
_INVALID = "_lp_invalid"  # (key, URL value, valid values) refused in this run
#: the sidebar's view state, carried along when a link opens another page
CARRIED = ("project", "range", "refresh")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """``[start, end)`` in UTC; ``key`` is the preset it came from."""

    key: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        if self.key in RANGES:
            return RANGES[self.key][0]
        return f"{self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M} UTC"

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
    """Forget which parameters the previous run used, and tell whether the URL was
    changed from outside since the last run; call first in every full run."""
    st.session_state[_BOUND] = {}
    st.session_state[_PLAIN] = set()
    st.session_state[_INVALID] = []
    st.session_state[_NAVIGATED] = st.query_params.to_dict() != st.session_state.get(_PUBLISHED)


def _parse(raw: str, default: str | bool) -> str | bool:
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    return raw


def bind(key: str, default: str | bool = "", options: Sequence[str] | None = None) -> None:
    """Seed the widget state ``key`` from ``?key=`` and publish it at the end of the run.

    Call right before drawing the widget with ``key=key`` (and no default value of its
    own). The widget's own state wins unless the URL was changed from outside since
    the last run (a link): then the URL's value does, or the default when the URL
    has none. A URL value outside ``options`` falls back to ``default`` and is
    reported by ``invalid()``.
    """
    st.session_state.setdefault(_BOUND, {})[key] = default
    st.session_state.setdefault(_DEFAULTS, {})[key] = default
    navigated = st.session_state.get(_NAVIGATED, True)
    if key in st.session_state and not navigated:
        current = st.session_state[key]
        if options is None or current in options:
            return
    raw = st.query_params.get(key)
    value = default if raw is None else _parse(raw, default)
    if options is not None and value not in options:
        if raw is not None:
            st.session_state.setdefault(_INVALID, []).append((key, raw, list(options)))
        value = default
    st.session_state[key] = value


def navigated() -> bool:
    """Whether this run's URL was changed from outside (a link): view state that is
    not a bound widget re-reads the URL then."""
    return bool(st.session_state.get(_NAVIGATED, True))


def invalid() -> list[tuple[str, str, list[str]]]:
    """``(parameter, URL value, valid values)`` of URL values refused in this run."""
    return list(st.session_state.get(_INVALID, []))


def keep(defaults: Mapping[str, str | bool]) -> None:
    """Keep widget states (``key -> default``) in the URL this run although their
    widgets are hidden (e.g. the trace filters while a trace is open). A link that
    opens with the widgets hidden seeds them from the URL, so they are there when
    the widgets are drawn again."""
    bound = st.session_state.setdefault(_BOUND, {})
    remembered = st.session_state.setdefault(_DEFAULTS, {})
    navigated = st.session_state.get(_NAVIGATED, True)
    for key, default in defaults.items():
        bound[key] = remembered[key] = default
        if key not in st.session_state or navigated:
            raw = st.query_params.get(key)
            st.session_state[key] = default if raw is None else _parse(raw, default)


def carried() -> dict[str, str]:
    """The sidebar's view state (project, time range, refresh) as URL parameters, for
    links to other pages."""
    bound: dict[str, str | bool] = st.session_state.get(_BOUND, {})
    out: dict[str, str] = {}
    for key in CARRIED:
        value = st.session_state.get(key)
        if key in bound and value is not None and value not in ("", bound[key]):
            out[key] = _encode(value)
    return out


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
    st.session_state[_PUBLISHED] = desired
