""" "Add to dataset" in one action: a trace (or one of its spans) from the trace view, or
every trace matching the Traces list's filter. Both pick a dataset (or name a new one)
in a popover; the items keep the link to the trace they came from."""

from __future__ import annotations

import streamlit as st

from llmpulse_dashboard import nav, paging, ui
from llmpulse_dashboard.api_types import DatasetAddedOut, DatasetOut
from llmpulse_dashboard.client import ApiError, Client, Params

__all__ = ["add_filter_button", "add_trace_button", "choose_dataset"]

_NEW = "\u0000new"  # the "new dataset" choice (no dataset can be named so)
_ADDED = "_lp_dataset_added"  # (key, dataset name, count) of the last add, for the message


def every_dataset(api: Client) -> list[DatasetOut]:
    """Every dataset of the project (a picker offers all of them: every page)."""
    return paging.every_row(
        api,
        lambda api, cursor: api.datasets(limit=paging.PICK_PAGE, cursor=cursor),
        lambda page: page["datasets"],
    )


def choose_dataset(api: Client, key: str, *, label: str = "Dataset") -> str | None:
    """A dataset picker with a "new dataset" choice; the chosen name, or ``None`` when
    a new one is chosen but not named yet. The new dataset is created on use."""
    try:
        names = [d.get("name", "") for d in every_dataset(api)]
    except ApiError as error:
        ui.show_error("datasets", error)
        names = []
    options = [*names, _NEW]
    choice = st.selectbox(
        label,
        options,
        key=f"{key}_dataset",
        format_func=lambda v: "New dataset…" if v == _NEW else v,
    )
    if choice != _NEW:
        return str(choice)
    name = st.text_input("New dataset name", key=f"{key}_new_name").strip()
    return name or None


def _ensure(api: Client, name: str) -> None:
    """Create dataset ``name`` unless it exists."""
    if name not in {d.get("name") for d in every_dataset(api)}:
        api.create_dataset(name)


def _done(key: str, name: str, added: DatasetAddedOut) -> None:
    st.session_state[_ADDED] = (key, name, added.get("added", 0), added.get("version", 0))
    st.rerun()


def _report(key: str) -> None:
    """The message of an add made in the previous run (after its rerun)."""
    last = st.session_state.get(_ADDED)
    if not last or last[0] != key:
        return
    del st.session_state[_ADDED]
    _, name, count, version = last
    st.success(
        f"Added {count} item{'s' if count != 1 else ''} to **{name}** (version {version}).",
        icon=":material/dataset:",
    )
    if st.button(f"Open dataset {name}", key=f"{key}_open", icon=":material/open_in_new:"):
        nav.go("datasets", dataset=name)


def add_trace_button(trace_id: str, span_id: str | None = None) -> None:
    """A popover in the trace view: add this trace (or the span ``span_id``) to a
    dataset; its input becomes the item's input, its output optionally the expected."""
    key = "add_trace"
    _report(key)
    api = ui.client()
    if api is None:
        return
    with st.popover("Add to dataset", icon=":material/playlist_add:"):
        name = choose_dataset(api, key)
        only_span = bool(span_id) and st.checkbox("Only the selected span", key=f"{key}_span")
        as_expected = st.checkbox("Use its output as the expected output", key=f"{key}_expected")
        if not st.button("Add", key=f"{key}_go", type="primary", disabled=name is None):
            return
        assert name is not None
        try:
            _ensure(api, name)
            added = api.add_traces_to_dataset(
                name, [(trace_id, span_id if only_span else None)], output_as_expected=as_expected
            )
        except ApiError as error:
            st.error(f"**Could not add the trace.** {error}", icon=":material/error:")
            return
    _done(key, name, added)


def add_filter_button(filters: Params) -> None:
    """A popover under the Traces list: add every trace matching ``filters`` (with the
    time window's ``from``/``to``) to a dataset, up to a limit."""
    key = "add_filter"
    _report(key)
    api = ui.client()
    if api is None:
        return
    with st.popover("Add all matching traces to a dataset", icon=":material/playlist_add:"):
        st.caption("Every trace that matches the filters above, in the chosen time range.")
        name = choose_dataset(api, key)
        limit = st.number_input(
            "At most", min_value=1, max_value=10_000, value=1000, step=100, key=f"{key}_limit"
        )
        as_expected = st.checkbox("Use their outputs as expected outputs", key=f"{key}_expected")
        if not st.button("Add traces", key=f"{key}_go", type="primary", disabled=name is None):
            return
        assert name is not None
        try:
            _ensure(api, name)
            added = api.add_filtered_traces_to_dataset(
                name, filters, limit=int(limit), output_as_expected=as_expected
            )
        except ApiError as error:
            st.error(f"**Could not add the traces.** {error}", icon=":material/error:")
            return
    _done(key, name, added)
