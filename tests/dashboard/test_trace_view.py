"""The trace view on a 161-span agent trace (project ``agents``) and on the support bot's
small traces (project ``shop``), run with AppTest against a real collector."""

from __future__ import annotations

import re

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from llmpulse_dashboard.render import fmt_cost
from tests.dashboard.agent_trace import ASSERTION, SPANS, STEPS, AgentTrace
from tests.dashboard.conftest import Collector, RunApp


@pytest.fixture
def run_agents(run_page: RunApp, collector: Collector, monkeypatch: pytest.MonkeyPatch) -> RunApp:
    """``run_page`` reading project ``agents``."""
    monkeypatch.setenv("LLMPULSE_API_KEY", collector.agents_key)
    monkeypatch.delenv("LLMPULSE_API_KEYS", raising=False)
    return run_page


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _tree(at: AppTest) -> list[str]:
    """Span ids of the tree's rows, top to bottom."""
    return [str(b.key)[5:] for b in at.button if str(b.key).startswith("span_")]


def _rows(at: AppTest) -> dict[str, str]:
    """The text of each tree row's figures (duration, tokens, cost, badges), by span id."""
    rows = {}
    for element in at.get("html"):
        found = re.match(r'<div class="lp-row" data-span="([0-9a-f]+)">', element.proto.body)
        if found:
            rows[found[1]] = " ".join(re.sub(r"<[^>]+>", " ", element.proto.body).split())
    return rows


def _detail(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.error)]
    return "\n".join(str(p) for p in parts)


def _step(n: int) -> str:
    return f"a9{n:06x}{0:08x}"


def _child(n: int, part: int) -> str:
    return f"a9{n:06x}{part:08x}"


def _subtree_cost(span: dict[str, object]) -> float:
    children = span.get("children") or []
    assert isinstance(children, list)
    own = span.get("cost_usd")
    return (float(own) if isinstance(own, int | float) else 0.0) + sum(
        _subtree_cost(c) for c in children
    )


def test_a_large_agent_trace_opens_as_a_collapsed_tree_with_rolled_up_totals(
    run_agents: RunApp, collector: Collector
) -> None:
    agent: AgentTrace = collector.agent
    at = run_agents("traces", trace=agent.trace_id)
    _no_exception(at)
    assert {m.label: m.value for m in at.metric}["Spans"] == str(SPANS)
    assert at.get("plotly_chart") == []  # the timeline is part of the tree's rows
    tree = _tree(at)
    # level 1 shows; below it only the way to the failed assertion (step 13) is open
    steps = [_step(n) for n in range(1, STEPS + 1)]
    assert tree[0] == _child(0, 0) and [s for s in tree if s in steps] == steps
    assert agent.failing_span in tree and _child(1, 1) not in tree
    assert len(tree) < SPANS / 4
    assert at.button(key=f"toggle_{_step(1)}").proto.help.startswith("Show the 5 spans")

    # totals rolled up: the agent holds every token, each step its eight spans' tokens
    trace = httpx.get(
        f"{collector.url}/api/v1/traces/{agent.trace_id}",
        headers={"Authorization": f"Bearer {collector.agents_key}"},
        timeout=10,
    ).json()
    (root,) = trace["roots"]
    rows = _rows(at)
    assert rows[_child(0, 0)].startswith("20.05 s 66.2k")  # 20 x (1100 + 2200 + 8) tokens
    assert fmt_cost(_subtree_cost(root)) in rows[_child(0, 0)]
    step1 = next(c for c in root["children"] if c["span_id"] == _step(1))
    assert fmt_cost(_subtree_cost(step1)) in rows[_step(1)] and "3.31k" in rows[_step(1)]
    assert _subtree_cost(step1) > (step1.get("cost_usd") or 0)  # the step itself costs nothing
    assert "✗1 ✓19" in rows[_child(0, 0)]  # evaluation badges of the whole trace
    assert "✗1" in rows[_step(13)] and "✓1" in rows[_step(1)]

    # open step 1, then close it again
    at.button(key=f"toggle_{_step(1)}").click().run()
    _no_exception(at)
    assert {_child(1, p) for p in (1, 2, 5, 6, 7)} <= set(_tree(at))
    assert _child(1, 3) not in _tree(at)  # the search's retrieval stays folded
    at.button(key=f"toggle_{_step(1)}").click().run()
    assert _child(1, 1) not in _tree(at)

    at.button(key="tree_expand").click().run()
    assert len(_tree(at)) == SPANS
    at.button(key=f"toggle_{_child(0, 0)}").click().run()
    assert _tree(at) == [_child(0, 0)]


def test_selecting_a_span_shows_it_beside_the_tree(
    run_agents: RunApp, collector: Collector
) -> None:
    agent = collector.agent
    at = run_agents("traces", trace=agent.trace_id)
    at.button(key=f"toggle_{_step(7)}").click().run()
    at.button(key=f"span_{_child(7, 2)}").click().run()  # step 7's web search (timed out)
    _no_exception(at)
    assert at.query_params["span"] in (_child(7, 2), [_child(7, 2)])
    assert at.button(key=f"span_{_child(7, 2)}").proto.type == "secondary"
    assert "web_search" in _detail(at)
    assert any("timed out" in e.value for e in at.error)


def test_retrieved_documents_are_cards(run_agents: RunApp, collector: Collector) -> None:
    agent = collector.agent
    at = run_agents("traces", trace=agent.trace_id, span=agent.retrieval_span)
    _no_exception(at)
    assert agent.retrieval_span in _tree(at)  # its folded parents opened
    assert at.tabs[0].label == "Documents (3)"
    cards = [md.value for md in at.markdown if md.value.startswith("**#")]
    assert cards == [
        "**#1 eu-ai-act-art-1** :blue-badge[score 0.91]",
        "**#2 us-eo-14110-sec-1** :blue-badge[score 0.84]",
        "**#3 oecd-principles** :blue-badge[score 0.62]",
    ]
    assert "Article 1 of the EU AI Act sets duties." in _detail(at)


def test_failed_assertions_are_on_top_and_an_evaluations_link_selects_them(
    run_agents: RunApp, collector: Collector
) -> None:
    agent = collector.agent
    at = run_agents("traces", trace=agent.trace_id)
    banner = _detail(at)
    assert "1 failed assertion** in this trace" in banner
    assert f"**{ASSERTION}** on `reflect`: cites a source that was not retrieved" in banner
    assert at.button(key="failure_0").label == "Show span"
    at.button(key="failure_0").click().run()
    assert at.query_params["span"] in (agent.failing_span, [agent.failing_span])

    # from the Evaluations page: ?assertion=<name> selects the span that failed it
    at = run_agents("traces", trace=agent.trace_id, assertion=ASSERTION)
    _no_exception(at)
    assert at.button(key="failure_0").label == "Selected"
    assert at.button(key=f"span_{agent.failing_span}").proto.type == "secondary"
    (failed,) = at.error
    assert failed.value == f"Failed **{ASSERTION}**: cites a source that was not retrieved"
    assert at.tabs[-1].label == "Evaluations (1)"


def test_small_trace_tree_details_and_conversation(run_page: RunApp, collector: Collector) -> None:
    at = run_page("traces", trace=collector.data.chat)
    _no_exception(at)
    assert not at.error
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Spans"] == "4" and tiles["Errors"] == "0"
    tree = _tree(at)
    assert len(tree) == 4  # a small trace opens fully
    labels = [at.button(key=f"span_{s}").label for s in tree]
    assert labels[:2] == ["answer_question", "search_docs"]
    assert at.button(key=f"span_{tree[1]}").proto.help.startswith("retrieval")
    assert any("answer_question" in m.value for m in at.subheader)

    at.button(key=f"span_{collector.data.llm_span}").click().run()
    _no_exception(at)
    assert at.query_params["span"] in (collector.data.llm_span, [collector.data.llm_span])
    details = {m.label: m.value for m in at.metric}
    assert (details["Input tokens"], details["Output tokens"]) == ("421", "85")
    roles = [m.name for m in at.chat_message]
    assert roles[:3] == ["system", "user", "assistant"]  # input messages, then output
    said = "\n".join(md.value for m in at.chat_message for md in m.markdown)
    assert "How do I reset my password?" in said and "Reset password" in said
    evaluations = at.dataframe[-1].value
    assert list(evaluations["Name"]) == ["cites_docs"] and list(evaluations["Result"]) == ["pass"]


def test_a_failed_span_shows_its_error(run_page: RunApp, collector: Collector) -> None:
    at = run_page("traces", trace=collector.data.failing)
    _no_exception(at)
    llm = next(b for b in at.button if str(b.key).startswith("span_") and "claude" in b.label)
    assert llm.label.endswith("⚠")
    llm.click().run()
    assert any("timed out" in e.value for e in at.error)
