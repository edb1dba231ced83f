"""The trace tree: totals rolled up to parents, what a collapsed tree shows, failures."""

from __future__ import annotations

from llmpulse_dashboard.api_types import EvaluationRecord, SpanNode, TraceDetail
from llmpulse_dashboard.trace_tree import (
    Totals,
    ancestors,
    build_tree,
    collapsible,
    failures,
    span_for_assertion,
    visible_nodes,
)


def _span(span_id: str, offset: float, *children: SpanNode, **fields: object) -> SpanNode:
    return {"span_id": span_id, "name": span_id, "offset_ms": offset,
            "children": list(children), **fields}  # type: ignore[typeddict-item]  # fmt: skip


def _ev(name: str, passed: bool | None, source: str = "sdk") -> EvaluationRecord:
    return {"name": name, "passed": passed, "source": source}


def _trace() -> list[SpanNode]:
    llm = _span("llm", 5, input_tokens=100, output_tokens=10, cost_usd=0.5,
                evaluations=[_ev("grounded", False), _ev("rating", True, "feedback")])  # fmt: skip
    embed = _span("embed", 2, input_tokens=3, cost_usd=None)
    tool = _span("tool", 1, embed, status_code="ERROR", evaluations=[_ev("fast", True)])
    step = _span("step", 1, llm, tool)  # children out of start order
    return [_span("root", 0, step, _span("late", 9, cost_usd=0.25))]


def test_totals_roll_up_to_every_parent() -> None:
    nodes = build_tree(_trace())
    assert list(nodes) == ["root", "step", "tool", "embed", "llm", "late"]
    assert nodes["root"].totals == Totals(
        spans=6, errors=1, input_tokens=103, output_tokens=10, cost_usd=0.75, passed=1, failed=1
    )  # the feedback thumb is not an assertion
    assert nodes["step"].totals.cost_usd == 0.5 and nodes["step"].own.cost_usd is None
    assert nodes["tool"].totals.cost_usd is None  # nothing below it has a known cost
    assert nodes["tool"].totals.tokens == 3
    assert (nodes["llm"].depth, nodes["llm"].parent, nodes["step"].children) == (
        2, "step", ("tool", "llm"),
    )  # fmt: skip


def test_a_collapsed_node_hides_its_descendants_only() -> None:
    nodes = build_tree(_trace())
    assert collapsible(nodes) == {"root", "step", "tool"}
    assert collapsible(nodes, 1) == {"step", "tool"}
    shown = [n.span_id for n in visible_nodes(nodes, {"step"})]
    assert shown == ["root", "step", "late"]
    shown = [n.span_id for n in visible_nodes(nodes, {"tool", "llm"})]  # a leaf: no effect
    assert shown == ["root", "step", "tool", "llm", "late"]
    assert ancestors(nodes, "embed") == ["tool", "step", "root"]
    assert ancestors(nodes, "nope") == []


def test_failures_and_the_span_an_assertion_judged() -> None:
    trace: TraceDetail = {"name": "t", "roots": _trace(), "evaluations": [_ev("polite", False)]}
    nodes = build_tree(trace["roots"])
    found = failures(trace, nodes)
    assert [(f.evaluation["name"], f.span_id) for f in found] == [
        ("polite", ""),
        ("grounded", "llm"),
    ]
    assert span_for_assertion(trace, nodes, "grounded") == "llm"
    assert span_for_assertion(trace, nodes, "fast") == "tool"  # passed: still its span
    assert span_for_assertion(trace, nodes, "polite") == "root"  # trace level: the root
    assert span_for_assertion(trace, nodes, "missing") is None
