"""A trace as a tree of spans for the trace view: per-node totals rolled up from the
subtree, which nodes a collapsed tree shows, and the failing evaluations of a trace.

Pure functions (unit-tested); ``trace_view`` draws them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from llmpulse_dashboard.api_types import EvaluationRecord, SpanNode, TraceDetail
from llmpulse_dashboard.render import flatten_spans

__all__ = [
    "SPAN_ICONS",
    "Failure",
    "Node",
    "Totals",
    "ancestors",
    "build_tree",
    "collapsible",
    "failures",
    "span_for_assertion",
    "visible_nodes",
]

SPAN_ICONS: dict[str, str] = {
    "agent": ":material/support_agent:",
    "chain": ":material/link:",
    "llm": ":material/smart_toy:",
    "tool": ":material/build:",
    "retrieval": ":material/find_in_page:",
    "embedding": ":material/scatter_plot:",
    "evaluator": ":material/fact_check:",
    "guardrail": ":material/shield:",
    "other": ":material/radio_button_unchecked:",
}


@dataclass(frozen=True, slots=True)
class Totals:
    """What a span and everything below it used and how its evaluations went."""

    spans: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None  # None: no span of the subtree has a known cost
    passed: int = 0
    failed: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Totals) -> Totals:
        costs = [c for c in (self.cost_usd, other.cost_usd) if c is not None]
        return Totals(
            spans=self.spans + other.spans,
            errors=self.errors + other.errors,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=sum(costs) if costs else None,
            passed=self.passed + other.passed,
            failed=self.failed + other.failed,
        )


def _assertions(evaluations: Iterable[EvaluationRecord]) -> list[EvaluationRecord]:
    """Pass/fail results that are not human feedback (a thumb is not an assertion)."""
    return [
        ev for ev in evaluations if ev.get("passed") is not None and ev.get("source") != "feedback"
    ]


def _own(span: SpanNode) -> Totals:
    checked = _assertions(span.get("evaluations", []))
    return Totals(
        spans=1,
        errors=int(span.get("status_code") == "ERROR"),
        input_tokens=int(span.get("input_tokens") or 0),
        output_tokens=int(span.get("output_tokens") or 0),
        cost_usd=span.get("cost_usd"),
        passed=sum(ev.get("passed") is True for ev in checked),
        failed=sum(ev.get("passed") is False for ev in checked),
    )


@dataclass(frozen=True, slots=True)
class Node:
    """One span in tree order: its depth, parent, children and subtree totals."""

    span: SpanNode
    depth: int
    parent: str
    children: tuple[str, ...]
    own: Totals
    totals: Totals  # the span and all its descendants

    @property
    def span_id(self) -> str:
        return self.span.get("span_id", "")


def build_tree(roots: Iterable[SpanNode]) -> dict[str, Node]:
    """Nodes by span id, in depth-first start order, totals rolled up to every parent."""
    rows = flatten_spans(roots)
    parents: dict[str, str] = {}
    children: dict[str, list[str]] = {}
    stack: list[tuple[int, str]] = []  # the path from the root to the current row
    for depth, span in rows:
        while stack and stack[-1][0] >= depth:
            stack.pop()
        span_id = span.get("span_id", "")
        parent = stack[-1][1] if stack else ""
        parents[span_id] = parent
        children.setdefault(span_id, [])
        if parent:
            children[parent].append(span_id)
        stack.append((depth, span_id))
    totals: dict[str, Totals] = {}
    for _, span in reversed(rows):  # children before their parents
        span_id = span.get("span_id", "")
        total = _own(span)
        for child in children[span_id]:
            total = total + totals[child]
        totals[span_id] = total
    return {
        span.get("span_id", ""): Node(
            span=span,
            depth=depth,
            parent=parents[span.get("span_id", "")],
            children=tuple(children[span.get("span_id", "")]),
            own=_own(span),
            totals=totals[span.get("span_id", "")],
        )
        for depth, span in rows
    }


def visible_nodes(nodes: Mapping[str, Node], collapsed: set[str]) -> list[Node]:
    """The nodes a tree shows when the nodes in ``collapsed`` hide their descendants."""
    shown: list[Node] = []
    hidden_below: int | None = None  # depth of the collapsed node being skipped
    for node in nodes.values():
        if hidden_below is not None:
            if node.depth > hidden_below:
                continue
            hidden_below = None
        shown.append(node)
        if node.span_id in collapsed and node.children:
            hidden_below = node.depth
    return shown


def collapsible(nodes: Mapping[str, Node], from_depth: int = 0) -> set[str]:
    """Ids of the nodes with children at ``from_depth`` or deeper."""
    return {n.span_id for n in nodes.values() if n.children and n.depth >= from_depth}


def ancestors(nodes: Mapping[str, Node], span_id: str) -> list[str]:
    """The parents of ``span_id`` up to its root (nearest first)."""
    found: list[str] = []
    current = nodes[span_id].parent if span_id in nodes else ""
    while current and current in nodes and len(found) < len(nodes):
        found.append(current)
        current = nodes[current].parent
    return found


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed assertion: the evaluation and the span it judged ("" for the trace)."""

    evaluation: EvaluationRecord
    span_id: str
    span_name: str


def failures(trace: TraceDetail, nodes: Mapping[str, Node]) -> list[Failure]:
    """The trace's failed assertions, in tree order, trace-level ones first."""
    found = [
        Failure(ev, "", str(trace.get("name", "")))
        for ev in _assertions(trace.get("evaluations", []))
        if ev.get("passed") is False
    ]
    for node in nodes.values():
        found += [
            Failure(ev, node.span_id, node.span.get("name", "?"))
            for ev in _assertions(node.span.get("evaluations", []))
            if ev.get("passed") is False
        ]
    return found


def span_for_assertion(trace: TraceDetail, nodes: Mapping[str, Node], name: str) -> str | None:
    """The span an assertion called ``name`` judged: the first that failed it, else the
    first that has it; the root for a trace-level result; ``None`` when absent."""
    root = next(iter(nodes), None)
    for failure in failures(trace, nodes):
        if failure.evaluation.get("name") == name:
            return failure.span_id or root
    for node in nodes.values():
        if any(ev.get("name") == name for ev in node.span.get("evaluations", [])):
            return node.span_id
    if any(ev.get("name") == name for ev in trace.get("evaluations", [])):
        return root
    return None
