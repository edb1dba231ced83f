"""Experiments: the runs of a dataset (``?dataset=<name>``) and two of them side by side
(``?baseline=<run>&candidate=<run>``): per-evaluator pass rate and mean score, latency
and cost, the gate's verdict, and the items item by item, regressed ones first."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import streamlit as st

from llmpulse_dashboard import dataset_actions, nav, paging, state, ui
from llmpulse_dashboard.api_types import (
    CompareOut,
    EvaluatorCompareOut,
    ItemDiffOut,
    RunDetailOut,
    RunSummaryOut,
    ScoreOut,
    SideOut,
)
from llmpulse_dashboard.client import Client
from llmpulse_dashboard.render import fmt_change, fmt_cost, fmt_ms, fmt_pct, fmt_points, fmt_time

_ALL = ""  # runs of every dataset


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _run_label(run: RunSummaryOut) -> str:
    return f"{run.get('name', '')} · {fmt_time(run.get('created_at'))}"


def _runs_table(runs: list[RunSummaryOut]) -> None:
    names = sorted({e.get("name", "") for r in runs for e in r.get("evaluators", [])})
    rows = []
    for run in runs:
        stats = {e.get("name", ""): e for e in run.get("evaluators", [])}
        row: dict[str, Any] = {
            "Run": run.get("name", ""),
            "Status": run.get("status", ""),
            "Dataset": run.get("dataset_name") or "",
            "Items": run.get("items", 0),
            "Errors": run.get("errors", 0),
            "p50 latency": fmt_ms(run.get("latency_ms", {}).get("p50")),
            "Cost": fmt_cost(run.get("cost_usd")),
            "Created (UTC)": fmt_time(run.get("created_at")),
        }
        for name in names:
            e = stats.get(name)
            rate, mean = (e["pass_rate"], e["mean_score"]) if e else (None, None)
            if rate is not None:
                row[name] = fmt_pct(rate)
            else:
                row[name] = "–" if mean is None else f"{mean:.2f}"
        rows.append(row)
    st.dataframe(rows, hide_index=True, key="runs_table")


# ---- the comparison ------------------------------------------------------------------


def _gate(cmp: CompareOut) -> None:
    gate = cmp.get("gate", {})
    shared = cmp.get("shared_items", 0)
    if shared == 0:
        st.warning("The two runs share no items: nothing to compare.", icon=":material/warning:")
    elif gate.get("failed"):
        st.error(
            f"**Gate: regression.** {', '.join(gate.get('regressed_evaluators', []))} dropped "
            f"beyond the allowed margin. {gate.get('rule', '')}",
            icon=":material/block:",
        )
    else:
        st.success(
            "**Gate: pass.** No evaluator dropped beyond the allowed margin. "
            + gate.get("rule", ""),
            icon=":material/check_circle:",
        )
    base, cand = cmp["baseline"], cmp["candidate"]
    cols = st.columns(5)
    cols[0].metric("Shared items", shared, border=True)
    cols[1].metric("Regressed items", cmp.get("regressed_items", 0), border=True)
    cols[2].metric("Improved items", cmp.get("improved_items", 0), border=True)
    b_p50, c_p50 = base["latency_ms"]["p50"], cand["latency_ms"]["p50"]
    cols[3].metric(
        "p50 latency",
        fmt_ms(c_p50),
        delta=fmt_change(c_p50, b_p50),
        delta_color="inverse",
        help=f"baseline {fmt_ms(b_p50)}",
        border=True,
    )
    b_cost, c_cost = base.get("cost_usd"), cand.get("cost_usd")
    cols[4].metric(
        "Cost",
        fmt_cost(c_cost),
        delta=fmt_change(c_cost, b_cost),
        delta_color="inverse",
        help=f"baseline {fmt_cost(b_cost)}",
        border=True,
    )


def _evaluator_rows(evaluators: list[EvaluatorCompareOut]) -> list[dict[str, Any]]:
    rows = []
    for e in evaluators:
        base, cand = e["baseline"], e["candidate"]  # None: the evaluator is not in that run
        base_rate, cand_rate = (
            (base["pass_rate"] if base else None),
            (cand["pass_rate"] if cand else None),
        )
        low, high = e.get("drop_ci_low"), e.get("drop_ci_high")
        rows.append(
            {
                "Evaluator": e.get("name", ""),
                "Verdict": "REGRESSED" if e.get("regressed") else "ok",
                "Baseline pass rate": fmt_pct(base_rate),
                "Candidate pass rate": fmt_pct(cand_rate),
                "Change": fmt_points(cand_rate, base_rate) or "–",
                "Baseline mean score": base["mean_score"] if base else None,
                "Candidate mean score": cand["mean_score"] if cand else None,
                "Drop": e.get("drop"),
                "Drop interval": "–" if low is None or high is None else f"[{low:.3f}, {high:.3f}]",
                "Paired items": e.get("paired", 0),
            }
        )
    return rows


def _scores(side: SideOut | None) -> str:
    if side is None:
        return ""
    parts = []
    for name, score in sorted(side.get("scores", {}).items()):
        parts.append(f"{name} {_score(score)}")
    return " · ".join(parts)


def _score(score: ScoreOut) -> str:
    if score.get("passed") is not None:
        return "pass" if score.get("passed") else "FAIL"
    value = score.get("score")
    return "–" if value is None else f"{value:.2f}"


def _output(side: SideOut | None) -> str:
    if side is None:
        return "(not in this run)"
    if side.get("error"):
        return f"ERROR: {side.get('error')}"
    return _text(side.get("output"))


def _item_rows(items: list[ItemDiffOut]) -> list[dict[str, Any]]:
    return [
        {
            "Item": i.get("item_id", ""),
            "Regressed": "▼ " + ", ".join(i.get("regressed_evaluators", []))
            if i.get("regressed")
            else "",
            "Score change": i.get("score_delta"),
            "Input": _text(i.get("input")),
            "Baseline output": _output(i.get("baseline")),
            "Candidate output": _output(i.get("candidate")),
            "Baseline scores": _scores(i.get("baseline")),
            "Candidate scores": _scores(i.get("candidate")),
            "Expected": _text(i.get("expected_output")),
        }
        for i in items
    ]


def _item_detail(item: ItemDiffOut) -> None:
    st.markdown(f"#### Item `{item.get('item_id', '')}`")
    st.markdown("**Input**")
    st.code(_text(item.get("input")), language=None, wrap_lines=True)
    if item.get("expected_output") is not None:
        st.markdown("**Expected**")
        st.code(_text(item.get("expected_output")), language=None, wrap_lines=True)
    cols = st.columns(2)
    sides = (("baseline", item["baseline"]), ("candidate", item["candidate"]))
    for col, (which, side) in zip(cols, sides, strict=True):
        with col, st.container(border=True):
            st.markdown(f"**{which.title()}** · {fmt_ms(side['latency_ms'] if side else None)}")
            st.code(_output(side), language=None, wrap_lines=True)
            for name, score in sorted(side["scores"].items() if side else ()):
                reason = f" — {score['reason']}" if score["reason"] else ""
                st.markdown(f"- **{name}**: {_score(score)}{reason}")
            trace = side["trace_id"] if side else None
            if trace and st.button(
                "Open trace", key=f"trace_{which}", icon=":material/account_tree:"
            ):
                nav.go("traces", trace=trace)


def _comparison(baseline: str, candidate: str) -> None:
    state.bind("max_drop", "0.0")
    left, right = st.columns([1, 3])
    left.text_input(
        "Allowed drop",
        key="max_drop",
        help="The gate fails when an evaluator's mean drops by more than this, beyond noise",
    )
    try:
        max_drop = float(str(st.session_state.get("max_drop") or "0"))
    except ValueError:
        st.warning("The allowed drop is a number, e.g. 0.02.")
        return
    state.bind("regressed_only", default=False)
    right.toggle("Regressed items only", key="regressed_only")
    loaded = paging.load(
        "the comparison",
        "items_table",
        ("compare", baseline, candidate, max_drop),
        lambda api, cursor: api.compare_experiments(
            baseline, candidate, max_drop=max_drop, limit=paging.PAGE_SIZE, cursor=cursor
        ),
        lambda page: page["items"],
    )
    if loaded is None:
        return
    cmp = loaded.first  # the gate, evaluators and counts are over every item
    _gate(cmp)
    st.subheader("Evaluators")
    st.dataframe(
        _evaluator_rows(cmp.get("evaluators", [])), hide_index=True, key="evaluators_table"
    )
    items = loaded.rows
    if st.session_state.get("regressed_only"):
        items = [i for i in items if i.get("regressed")]
    st.subheader("Items", help="Regressed items first, the largest drop first")
    if not items:
        st.caption("No items to show.")
        paging.load_more("items_table", loaded, cmp.get("total"), "items")
        return
    st.caption(
        f"{cmp.get('regressed_items', 0)} regressed · {cmp.get('improved_items', 0)} improved · "
        "select an item to read both outputs"
    )
    chosen = ui.pick(
        _item_rows(items),
        [i.get("item_id", "") for i in items],
        "items_table",
        column_config={
            "Input": st.column_config.TextColumn(width="medium"),
            "Baseline output": st.column_config.TextColumn(width="large"),
            "Candidate output": st.column_config.TextColumn(width="large"),
            "Score change": st.column_config.NumberColumn(format="%+.2f"),
        },
    )
    paging.load_more("items_table", loaded, cmp.get("total"), "items")
    if chosen:
        _item_detail(next(i for i in items if i.get("item_id") == chosen))


def _one_run(api: Client, *, ref: str) -> RunDetailOut:
    return api.experiment(ref, limit=1)


def _linked_runs(loaded: list[RunSummaryOut]) -> list[RunSummaryOut]:
    """Runs a link names (``?baseline=``/``?candidate=``, by id or name) that are not
    among the loaded pages: asked for one by one, so the link still opens them."""
    known = {r.get("id", "") for r in loaded} | {r.get("name", "") for r in loaded}
    out: list[RunSummaryOut] = []
    for key in ("baseline", "candidate"):
        ref = st.query_params.get(key, "")
        if ref and ref not in known:
            found = ui.call(f"run {ref}", partial(_one_run, ref=ref))
            if found is not None:
                out.append(found)
                known |= {found.get("id", ""), found.get("name", "")}
    return out


def main() -> None:
    st.title("Experiments")
    datasets = ui.call("datasets", dataset_actions.every_dataset)
    if datasets is None:
        return
    names = [d.get("name", "") for d in datasets]
    state.bind("dataset", _ALL, options=[_ALL, *names])
    st.selectbox(
        "Dataset", [_ALL, *names], key="dataset", format_func=lambda v: v or "All datasets"
    )
    dataset = str(st.session_state.get("dataset") or "") or None
    loaded = paging.load(
        "experiments",
        "runs_table",
        ("runs", dataset),
        lambda api, cursor: api.experiments(dataset=dataset, limit=paging.PAGE_SIZE, cursor=cursor),
        lambda page: page["experiments"],
    )
    if loaded is None:
        return
    runs = loaded.rows
    if not runs:
        st.info(
            "No experiment runs yet. Run one from code:\n\n"
            "```python\nimport llmpulse\n\n"
            'llmpulse.experiment("my-dataset", my_task, evaluators=[...], name="baseline")\n```'
            "\n\nor `llmpulse experiments run`.",
            icon=":material/science:",
        )
        return
    st.subheader("Runs", help="Newest first; evaluator columns show the pass rate (or mean score)")
    _runs_table(runs)
    paging.load_more("runs_table", loaded, loaded.first.get("total"), "runs")
    if len(runs) < 2:
        st.caption("Run another experiment on this dataset to compare the two.")
        return
    runs = [*runs, *_linked_runs(runs)]
    ids = [r.get("id", "") for r in runs]
    labels = {r.get("id", ""): _run_label(r) for r in runs}
    for key, default in (("baseline", ids[1]), ("candidate", ids[0])):
        by_name = {r.get("name", ""): r.get("id", "") for r in reversed(runs)}
        raw = st.query_params.get(key, "")
        if raw in by_name and raw not in ids:  # a link may name runs by name: the newest
            st.query_params[key] = by_name[raw]
        state.bind(key, default, options=ids)
    st.subheader("Compare")
    cols = st.columns(2)
    cols[0].selectbox("Baseline", ids, key="baseline", format_func=labels.__getitem__)
    cols[1].selectbox("Candidate", ids, key="candidate", format_func=labels.__getitem__)
    baseline, candidate = str(st.session_state["baseline"]), str(st.session_state["candidate"])
    if baseline == candidate:
        st.info("Pick two different runs.")
        return
    _comparison(baseline, candidate)


main()
