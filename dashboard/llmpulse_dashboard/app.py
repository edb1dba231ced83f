"""The llmpulse dashboard: ``streamlit run llmpulse_dashboard/app.py`` (or ``llmpulse
dashboard``). Navigation and the sidebar every page shares: project, time range and
auto-refresh, all kept in the URL so a view can be shared as a link.

Configuration: environment variables, see ``llmpulse_dashboard.config``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import streamlit as st

import llmpulse_dashboard.warmup  # noqa: F401  (imports complete before anything renders)
from llmpulse_dashboard import describe, nav, state, ui
from llmpulse_dashboard.config import DashboardConfig, load_config

_FULL_RUN_AT = "_lp_full_run_at"
# a file served by the dashboard itself: a ":material/...:" page icon makes the browser
# fetch the favicon from fonts.gstatic.com, which an offline deployment cannot reach
_FAVICON = Path(__file__).with_name("static") / "favicon.png"


def _auto_refresh(seconds: float) -> None:
    """Rerun the whole app every ``seconds`` with fresh data (a timed fragment)."""

    @st.fragment(run_every=seconds)
    def tick() -> None:
        if time.monotonic() - st.session_state.get(_FULL_RUN_AT, 0.0) >= seconds * 0.9:
            ui.clear_caches()
            st.rerun()
        st.caption(f"Refreshing every {seconds:g}s · updated {datetime.now(UTC):%H:%M:%S} UTC")

    tick()


def _custom_range() -> None:
    """From/to pickers in the viewer's time zone, kept in the URL as ``start``/``end``
    (unix seconds); the chosen window is what ``ui.window()`` answers."""
    zone = ui.timezone()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = describe.parse_time(state.param("start")) or now - timedelta(hours=24)
    end = describe.parse_time(state.param("end")) or now
    keys = {"_lp_range_start": start, "_lp_range_end": end}
    for key, moment in keys.items():
        if key not in st.session_state or state.navigated():
            st.session_state[key] = moment.astimezone(zone).replace(tzinfo=None, microsecond=0)
    label = ui.timezone_name()
    st.datetime_input(f"From ({label})", key="_lp_range_start", step=timedelta(minutes=5))
    st.datetime_input(f"To ({label})", key="_lp_range_end", step=timedelta(minutes=5))
    chosen = [
        st.session_state[key].replace(tzinfo=zone).astimezone(UTC) for key in keys
    ]  # fmt: skip
    if chosen[0] >= chosen[1]:
        st.error("The range's start must be before its end.", icon=":material/error:")
        chosen = [start, end] if start < end else [now - timedelta(hours=24), now]
    state.set_param("start", str(int(chosen[0].timestamp())))
    state.set_param("end", str(int(chosen[1].timestamp())))
    st.session_state[ui.CUSTOM_WINDOW] = (chosen[0], chosen[1])


def _sidebar(config: DashboardConfig) -> None:
    with st.sidebar:
        st.markdown("### :material/monitoring: llmpulse")
        found = ui.projects(config)
        if len(found) > 1:
            ids = [p.project_id for p in found]
            labels = {p.project_id: p.label for p in found}
            state.bind("project", ids[0], options=ids)
            st.selectbox("Project", ids, key="project", format_func=labels.__getitem__)
        elif found:
            st.caption(f"Project: **{found[0].label}**")
        ranges = [*state.RANGES, state.CUSTOM]
        state.bind("range", state.DEFAULT_RANGE, options=ranges)
        st.selectbox(
            "Time range",
            ranges,
            key="range",
            format_func=lambda key: state.RANGES[key][0] if key in state.RANGES else "Custom…",
        )
        if st.session_state.get("range") == state.CUSTOM:
            _custom_range()
        state.bind("refresh", default=False)
        st.toggle(
            "Auto-refresh",
            key="refresh",
            help=f"Reload the data every {config.refresh_seconds:g} seconds",
        )
        if st.button("Reload data", icon=":material/refresh:", width="stretch"):
            ui.clear_caches()
        if st.session_state.get("refresh"):
            _auto_refresh(config.refresh_seconds)
        st.caption(f"Collector: `{config.api_url}` · times in {ui.timezone_name()}")


def _refused_parameters() -> None:
    """Say which URL values were not understood (instead of silently replacing them)."""
    for key, raw, valid in state.invalid():
        if key == "range":
            choices = ", ".join(
                f"`{k}` ({state.RANGES[k][0].lower()})" if k in state.RANGES else f"`{k}`"
                for k in valid
            )
        else:
            choices = ", ".join(f"`{v}`" for v in valid if v) or "none"
        st.warning(
            f"The link's `{key}={raw}` is not a valid value, so the default is shown. "
            f"Valid values of `{key}`: {choices}.",
            icon=":material/link_off:",
        )


def main() -> None:
    st.set_page_config(page_title="llmpulse", page_icon=str(_FAVICON), layout="wide")
    state.begin_run()
    st.session_state[_FULL_RUN_AT] = time.monotonic()
    config = load_config()
    current = st.navigation(nav.pages())
    notices = st.container()
    _sidebar(config)
    current.run()
    with notices:
        _refused_parameters()
    state.publish()


main()
