"""Review: human labels, one item at a time. Choose a queue (``?queue=<name>``), read the
item's conversation, label it as the queue asks (pass/fail, a score or a category),
with a comment and a corrected output that can go into a dataset, then on to the next.
New queues are filled from a traces filter with a sample rate."""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from llmpulse_dashboard import dataset_actions, nav, paging, state, ui
from llmpulse_dashboard.api_types import QueueOut, ReviewItemOut, SpanNode, TraceDetail
from llmpulse_dashboard.client import ApiError, Client
from llmpulse_dashboard.dataset_actions import every_dataset
from llmpulse_dashboard.render import (
    chat_text,
    flatten_spans,
    fmt_ms,
    fmt_time,
    parse_json,
    show_payload,
)

_KINDS = {"pass_fail": "Pass / fail", "numeric": "Numeric score", "categorical": "Category"}
_SAVED = "_lp_review_saved"
_NO_DATASET = ""


def _queue_label(queue: QueueOut) -> str:
    return f"{queue.get('name', '')} · {queue.get('pending', 0)} to review"


# ---- the item ------------------------------------------------------------------------


def _conversation_span(trace: TraceDetail) -> SpanNode | None:
    """The span whose input/output is the conversation: the last LLM call, else the root."""
    rows = flatten_spans(trace.get("roots", []))
    if not rows:
        return None
    llm = [s for _, s in rows if s.get("span_type") == "llm" and s.get("input")]
    return llm[-1] if llm else rows[0][1]


def _show_item(item: ReviewItemOut, trace: TraceDetail) -> None:
    rows = flatten_spans(trace.get("roots", []))
    root = rows[0][1] if rows else None
    by_id = {s["span_id"]: s for _, s in rows}
    focus = by_id.get(item["span_id"]) if item["span_id"] else None
    st.markdown(f"#### {trace.get('name') or (root['name'] if root else 'trace')}")
    facts = [
        f"trace `{item.get('trace_id', '')}`",
        fmt_time(trace.get("start_time_ns")),
        fmt_ms(trace.get("duration_ms")),
        trace.get("user_id") and f"user {trace.get('user_id')}",
        trace.get("errors") and f"{trace.get('errors')} errors",
    ]
    st.caption(" · ".join(str(f) for f in facts if f))
    if st.button("Open the trace", key="open_trace", icon=":material/account_tree:"):
        nav.go("traces", trace=item.get("trace_id", ""))
    span = focus or _conversation_span(trace)
    if span is None:
        st.info("This trace has no spans.")
        return
    root_input, root_output = (root.get("input", ""), root.get("output", "")) if root else ("", "")
    if span is not root and root_input:
        st.markdown("**Question**")
        st.markdown(chat_text(root_input))
    st.markdown(f"**Conversation** · {span.get('name', '')}")
    show_payload(span.get("input", ""))
    st.markdown("**Answer**")
    show_payload(span.get("output", "") or root_output)
    given = [ev for ev in trace.get("evaluations", []) if ev.get("source") != "human"]
    for _, s in rows:
        given += s.get("evaluations", [])
    if given:
        with st.expander(f"Evaluations and feedback ({len(given)})"):
            st.dataframe(
                [
                    {
                        "Name": ev.get("name", ""),
                        "Source": ev.get("source", ""),
                        "Passed": ev.get("passed"),
                        "Score": ev.get("score"),
                        "Label": ev.get("label", ""),
                        "Comment": ev.get("comment", ""),
                    }
                    for ev in given
                ],
                hide_index=True,
            )


# ---- the label -------------------------------------------------------------------------


def _input_of(trace: TraceDetail, span_id: str | None) -> Any:
    """The input of the reviewed trace (or span), as a dataset item's input."""
    rows = flatten_spans(trace.get("roots", []))
    span = next((s for _, s in rows if s.get("span_id") == span_id), None) if span_id else None
    span = span or (rows[0][1] if rows else None)
    text = span.get("input", "") if span else ""
    value = parse_json(text)
    return text if value is None else value


def _label_widgets(queue: QueueOut) -> dict[str, Any]:
    kind = queue.get("label_kind", "pass_fail")
    if kind == "numeric":
        low, high = float(queue.get("min_score", 0.0)), float(queue.get("max_score", 1.0))
        score = st.slider("Score", min_value=low, max_value=high, value=low, key="review_score")
        return {"score": float(score)}
    if kind == "categorical":
        label = st.radio("Label", queue.get("categories", []), key="review_label", index=None)
        return {"label": label}
    verdict = st.segmented_control(
        "Verdict", ["Pass", "Fail"], key="review_verdict", selection_mode="single"
    )
    return {"passed": None if verdict is None else verdict == "Pass"}


def _dataset_choice(api: Client, queue: QueueOut) -> str:
    """The dataset a corrected output goes to ("" for none); the queue's by default."""
    try:
        datasets = every_dataset(api)
    except ApiError as error:
        ui.show_error("datasets", error)
        datasets = []
    ids = [d.get("id", "") for d in datasets]
    names = {d.get("id", ""): d.get("name", "") for d in datasets}
    options = [_NO_DATASET, *ids]
    own = queue.get("dataset_id") or _NO_DATASET
    return str(
        st.selectbox(
            "Add the corrected output to dataset",
            options,
            index=options.index(own) if own in options else 0,
            key="review_dataset",
            format_func=lambda v: "(don't add)" if v == _NO_DATASET else names.get(v, v),
        )
    )


def _save(
    api: Client,
    queue: QueueOut,
    item: ReviewItemOut,
    trace: TraceDetail,
    label: dict[str, Any],
    *,
    reviewer: str,
    comment: str,
    corrected: str,
    dataset: str,
) -> None:
    ref = queue.get("id", "")
    own = dataset and dataset == queue.get("dataset_id")
    result = api.label_review_item(
        ref,
        item.get("id", ""),
        reviewer=reviewer,
        comment=comment,
        corrected_output=corrected,
        add_to_dataset=bool(corrected and own),
        **label,
    )
    added_to = ""
    if corrected and dataset and not own:  # another dataset than the queue's: add it here
        api.add_dataset_items(
            dataset,
            [
                {
                    "input": _input_of(trace, item.get("span_id")),
                    "expected_output": corrected,
                    "source_trace_id": item.get("trace_id"),
                    "source_span_id": item.get("span_id") or None,
                    "metadata": {"reviewer": reviewer, "review_queue": queue.get("name", "")},
                }
            ],
        )
        added_to = dataset
    elif result.get("dataset_item_id"):
        added_to = str(queue.get("dataset_id"))
    st.session_state[_SAVED] = (item.get("id", ""), added_to)


def _review(api: Client, queue: QueueOut, item: ReviewItemOut, trace: TraceDetail) -> None:
    st.markdown("#### Your label")
    state.bind("reviewer", os.environ.get("LLMPULSE_REVIEWER", ""))
    reviewer = st.text_input("Reviewer", key="reviewer", placeholder="your name or email")
    item_id = item.get("id", "")
    with st.form(f"review_{item_id}", border=False, clear_on_submit=True):
        label = _label_widgets(queue)
        comment = st.text_area("Comment (optional)", key="review_comment", height=80)
        corrected = st.text_area(
            "Corrected output (optional)",
            key="review_corrected",
            height=100,
            help="What the answer should have been",
        )
        dataset = _dataset_choice(api, queue)
        with st.container(horizontal=True):
            save = st.form_submit_button("Save and next", type="primary", icon=":material/check:")
            skip = st.form_submit_button("Skip", icon=":material/skip_next:")
    if skip:
        try:
            api.skip_review_item(queue.get("id", ""), item_id, reviewer=reviewer.strip())
        except ApiError as error:
            st.error(f"**Could not skip the item.** {error}", icon=":material/error:")
            return
        st.rerun()
    if not save:
        return
    if not reviewer.strip():
        st.warning("Enter your name as the reviewer first.")
        return
    if all(value is None for value in label.values()):
        st.warning("Choose a label first.")
        return
    try:
        _save(
            api,
            queue,
            item,
            trace,
            label,
            reviewer=reviewer.strip(),
            comment=comment.strip(),
            corrected=corrected.strip(),
            dataset=dataset,
        )
    except ApiError as error:
        st.error(f"**Could not store the label.** {error}", icon=":material/error:")
        return
    st.rerun()


# ---- a new queue -----------------------------------------------------------------------


def _create_queue(api: Client) -> None:
    with st.expander("New review queue", icon=":material/add:"):
        name = st.text_input("Name", key="new_queue_name")
        kind = st.selectbox(
            "Label", list(_KINDS), key="new_queue_kind", format_func=_KINDS.__getitem__
        )
        categories: list[str] = []
        low, high = 0.0, 1.0
        if kind == "categorical":
            raw = st.text_input("Categories (comma-separated)", key="new_queue_categories")
            categories = [c.strip() for c in raw.split(",") if c.strip()]
        elif kind == "numeric":
            lowest, highest = st.columns(2)
            low = lowest.number_input("Lowest score", value=0.0, key="new_queue_min")
            high = highest.number_input("Highest score", value=1.0, key="new_queue_max")
        dataset = dataset_actions.choose_dataset(
            api, "new_queue", label="Dataset for corrected outputs"
        )
        st.markdown(f"**Fill it** with traces of {ui.window().label.lower()} (sidebar) that…")
        cols = st.columns(3)
        feedback = cols[0].checkbox("have feedback", key="new_queue_feedback")
        failing = cols[1].checkbox("failed an assertion or got 👎", key="new_queue_failing")
        tag = cols[2].text_input("have the tag", key="new_queue_tag")
        sample, most = st.columns(2)
        rate = sample.slider("Sample rate", 0.01, 1.0, 1.0, 0.01, key="new_queue_rate")
        limit = most.number_input("At most", 1, 10_000, 100, key="new_queue_limit")
        if not st.button("Create queue", key="new_queue_go", type="primary"):
            return
        if not name.strip():
            st.warning("Give the queue a name.")
            return
        filters = {
            **ui.window().params(),
            "has_feedback": feedback or None,
            "has_failing_assertion": failing or None,
            "tag": tag.strip(),
        }
        try:
            if dataset and dataset not in {d.get("name") for d in every_dataset(api)}:
                api.create_dataset(dataset)
            queue = api.create_review_queue(
                name.strip(),
                label_kind=kind,  # type: ignore[arg-type]
                categories=categories,
                min_score=float(low),
                max_score=float(high),
                dataset=dataset,
            )
            added = api.fill_review_queue(
                queue.get("id", ""), filters, sample_rate=float(rate), limit=int(limit)
            )
        except ApiError as error:
            st.error(f"**Could not create the queue.** {error}", icon=":material/error:")
            return
        st.session_state["_lp_queue_created"] = (name.strip(), added.get("added", 0))
        state.set_param("queue", name.strip())
        st.session_state.pop("queue", None)
        st.rerun()


# ---- the page --------------------------------------------------------------------------


def _messages() -> None:
    created = st.session_state.pop("_lp_queue_created", None)
    if created:
        st.success(f"Queue **{created[0]}** created with {created[1]} items.")
    saved = st.session_state.pop(_SAVED, None)
    if saved:
        where = " and added the corrected output to the dataset" if saved[1] else ""
        st.toast(f"Label saved{where}.", icon=":material/check:")


def main() -> None:
    st.title("Review")
    api = ui.client()
    if api is None:
        ui.no_keys()
        return
    _messages()
    queues = ui.call(
        "review queues",
        lambda api: paging.every_row(  # a picker offers every queue
            api,
            lambda api, cursor: api.review_queues(limit=paging.PICK_PAGE, cursor=cursor),
            lambda page: page["queues"],
        ),
    )
    if queues is None:
        return
    if not queues:
        st.info(
            "No review queues yet. Create one below: it fills with a sample of the traces "
            "that match a filter, and shows them to reviewers one at a time.",
            icon=":material/rate_review:",
        )
        _create_queue(api)
        return
    names = [q.get("name", "") for q in queues]
    by_name = {q.get("name", ""): q for q in queues}
    state.bind("queue", names[0], options=names)
    st.selectbox("Queue", names, key="queue", format_func=lambda n: _queue_label(by_name[n]))
    queue = by_name[str(st.session_state.get("queue"))]
    kind = _KINDS.get(queue.get("label_kind", ""), "")
    st.caption(
        f"{kind} · {queue.get('done', 0)} done · {queue.get('skipped', 0)} skipped · "
        f"labels are stored as the evaluation **{queue.get('evaluation_name', '')}** "
        "(source human)" + (f" · {queue.get('description')}" if queue.get("description") else "")
    )
    nxt = ui.call("the next item", lambda api: api.next_review_item(queue.get("id", "")))
    if nxt is not None:
        item, trace = nxt.get("item"), nxt.get("trace")
        if item is None or trace is None:
            st.success("Nothing left to review in this queue.", icon=":material/task_alt:")
        else:
            st.progress(
                queue.get("done", 0) / max(1, queue.get("done", 0) + nxt.get("pending", 0)),
                text=f"{nxt.get('pending', 0)} left to review",
            )
            left, right = st.columns([3, 2], gap="medium")
            with left, st.container(border=True):
                _show_item(item, trace)
            with right, st.container(border=True):
                _review(api, queue, item, trace)
    _create_queue(api)


main()
