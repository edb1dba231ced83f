"""Datasets: the project's versioned test sets, and one dataset (``?dataset=<name>``)
with its items, each linked to the production trace it came from, and its export."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from llmpulse_dashboard import nav, paging, state, ui
from llmpulse_dashboard.api_types import DatasetDetailOut, DatasetOut, ItemOut
from llmpulse_dashboard.client import ApiError, Client
from llmpulse_dashboard.render import fmt_time

_PAGE_SIZE = 100
_CURSORS = "_lp_dataset_cursors"


def _text(value: Any) -> str:
    """An item's input or expected output as one line of text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _list_rows(datasets: list[DatasetOut]) -> list[dict[str, Any]]:
    return [
        {
            "Name": d.get("name", ""),
            "Items": d.get("item_count", 0),
            "Version": d.get("version", 0),
            "Created (UTC)": fmt_time(d.get("created_at") or d.get("created_at_ns")),
            "Updated (UTC)": fmt_time(d.get("version_ns") or None),
            "Description": d.get("description", ""),
        }
        for d in datasets
    ]


def _create_form() -> None:
    with st.expander("New dataset", icon=":material/add:"):
        with st.form("new_dataset", clear_on_submit=True, border=False):
            name = st.text_input("Name", key="new_dataset_name")
            description = st.text_input("Description (optional)", key="new_dataset_description")
            created = st.form_submit_button("Create dataset", icon=":material/add:")
        if not created:
            return
        api = ui.client()
        if api is None:
            return
        if not name.strip():
            st.warning("Give the dataset a name.")
            return
        try:
            api.create_dataset(name.strip(), description=description.strip())
        except ApiError as error:
            st.error(f"**Could not create the dataset.** {error}", icon=":material/error:")
            return
        state.set_param("dataset", name.strip())
        st.rerun()


def _list() -> None:
    st.title("Datasets")
    loaded = paging.load(
        "datasets",
        "datasets_table",
        ("datasets",),
        lambda api, cursor: api.datasets(limit=paging.PAGE_SIZE, cursor=cursor),
        lambda page: page["datasets"],
    )
    if loaded is None:
        return
    datasets = loaded.rows
    if not datasets:
        st.info(
            "No datasets yet. Add a trace from the trace view (**Add to dataset**), all "
            "traces matching a filter from the Traces page, create one below, or from code: "
            "`llmpulse.Dataset.create(...)` / `llmpulse datasets create`.",
            icon=":material/dataset:",
        )
    else:
        st.caption("Select a dataset to see its items")
        chosen = ui.pick(
            _list_rows(datasets), [d.get("name", "") for d in datasets], "datasets_table"
        )
        paging.load_more("datasets_table", loaded, loaded.first.get("total"), "datasets")
        if chosen:
            state.set_param("dataset", chosen)
            st.rerun()
    _create_form()


def _item_rows(items: list[ItemOut]) -> list[dict[str, Any]]:
    return [
        {
            "Input": _text(item.get("input")),
            "Expected output": _text(item.get("expected_output")),
            "Metadata": _text(item.get("metadata") or None),
            "Source trace": f"traces?trace={item['source_trace_id']}"
            if item.get("source_trace_id")
            else None,
            "Added (UTC)": fmt_time(item.get("added_at")),
            "Id": item.get("id", ""),
        }
        for item in items
    ]


def _exports(api: Client, detail: DatasetDetailOut) -> None:
    name = detail.get("name", "")
    version = detail.get("version", 0)
    with st.container(horizontal=True):
        for fmt, mime in (("jsonl", "application/jsonl"), ("csv", "text/csv")):
            st.download_button(
                f"Export {fmt.upper()}",
                data=lambda fmt=fmt: api.export_dataset(name, format=fmt),  # type: ignore[misc]
                file_name=f"{name}-v{version}.{fmt}",
                mime=mime,
                key=f"export_{fmt}",
                icon=":material/download:",
                on_click="ignore",
            )


def _items(api: Client, name: str) -> None:
    cursors: list[str] = st.session_state.setdefault(_CURSORS, [])
    if st.session_state.get("_lp_dataset_items_of") != name:
        st.session_state["_lp_dataset_items_of"] = name
        cursors.clear()
    page = ui.call(
        f"the items of {name}",
        lambda api: api.dataset_items(
            name, limit=_PAGE_SIZE, cursor=cursors[-1] if cursors else None
        ),
    )
    if page is None:
        return
    items = page.get("items", [])
    if not items:
        st.info(
            "This dataset has no items yet: add traces from the trace view or the Traces page.",
            icon=":material/inbox:",
        )
        return
    st.caption(
        f"{page.get('total', len(items))} items at version {page.get('version', 0)} · "
        "select an item with a source trace to open the trace"
    )
    traces = [item.get("source_trace_id") or "" for item in items]
    chosen = ui.pick(
        _item_rows(items),
        traces,
        "dataset_items",
        column_config={
            "Input": st.column_config.TextColumn(width="large"),
            "Expected output": st.column_config.TextColumn(width="large"),
            "Source trace": st.column_config.LinkColumn(display_text=r"trace=([0-9a-f]{8})"),
        },
    )
    if chosen:
        nav.go("traces", trace=chosen)
    with st.container(horizontal=True):
        if cursors and st.button("← Previous", key="items_previous"):
            cursors.pop()
            st.rerun()
        if page.get("next_cursor") and st.button("Next →", key="items_next"):
            cursors.append(str(page["next_cursor"]))
            st.rerun()


def _detail(name: str) -> None:
    if st.button("← All datasets", key="back"):
        state.set_param("dataset", None)
        st.rerun()
    api = ui.client()
    if api is None:
        ui.no_keys()
        return
    loaded = paging.load(
        f"dataset {name}",
        "versions_table",
        ("versions", name),
        lambda api, cursor: api.dataset(name, limit=paging.PAGE_SIZE, cursor=cursor),
        lambda page: page["versions"],
    )
    if loaded is None:
        return
    detail = loaded.first
    st.title(f"Dataset {detail.get('name', name)}")
    if detail.get("description"):
        st.caption(detail.get("description", ""))
    cols = st.columns(4)
    cols[0].metric("Items", detail.get("item_count", 0), border=True)
    cols[1].metric("Version", detail.get("version", 0), border=True)
    cols[2].metric("Created", fmt_time(detail.get("created_at")), border=True)
    cols[3].metric("Updated", fmt_time(detail.get("version_ns") or None), border=True)
    with st.container(horizontal=True):
        _exports(api, detail)
        if st.button("Experiments on it", key="to_experiments", icon=":material/science:"):
            nav.go("experiments", dataset=detail.get("name", name))
    _items(api, name)
    versions = loaded.rows
    if versions:
        total = detail.get("total", len(versions))
        with st.expander(f"Versions ({total:,})"):
            st.dataframe(
                [
                    {
                        "Version": v.get("version"),
                        "When (UTC)": fmt_time(v.get("created_at") or v.get("version_ns")),
                        "Items written": v.get("items_written", 0),
                        "Items deleted": v.get("items_deleted", 0),
                    }
                    for v in versions
                ],
                hide_index=True,
            )
            paging.load_more("versions_table", loaded, total, "versions (oldest first)")


def main() -> None:
    name = state.param("dataset")
    if name:
        _detail(name)
    else:
        _list()


main()
