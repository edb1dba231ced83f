"""A 161-span agent trace, as a research agent sends it: one agent span, 20 steps, each
step planning (LLM), searching the web (tool → retrieval → embedding), reflecting (LLM,
judged by the ``grounded`` assertion), a guardrail and a grader. Step 13's reflection
fails ``grounded``; step 7's search times out.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from llmpulse import semconv as sc
from tests.collector.api.conftest import otlp_request, otlp_span
from tests.dashboard.seed import MS, _attrs, _evaluation

STEPS = 20
SPANS = 1 + 8 * STEPS  # the agent span and eight per step
FAILING_STEP = 13
ERROR_STEP = 7
ASSERTION = "grounded"


@dataclass(frozen=True)
class AgentTrace:
    trace_id: str
    failing_span: str  # the reflection of step 13 (fails ``grounded``)
    failing_step: str  # step 13's span (its subtree holds the failure)
    retrieval_span: str  # step 1's retrieval (three documents)
    spans: list[Span]


def _id(step: int, part: int) -> str:
    return f"a9{step:06x}{part:08x}"


def agent_trace(start_ns: int, trace_id: str = "a9" * 16) -> AgentTrace:
    """The spans of the trace; ``start_ns`` is when the agent started."""
    root_id = _id(0, 0)
    spans: list[Span] = []
    step_ms = 1000
    root = otlp_span(
        trace_id, root_id, "research agent", start_ns=start_ns, duration_ms=STEPS * step_ms + 50
    )
    _attrs(root, **{sc.ATTR_SPAN_TYPE: "agent", sc.ATTR_INPUT_VALUE: "Compare EU and US AI law",
                    sc.ATTR_USER_ID: "dana", sc.ATTR_SESSION_ID: "sess-dana-1"})  # fmt: skip
    spans.append(root)
    for step in range(1, STEPS + 1):
        at = start_ns + 20 * MS + (step - 1) * step_ms * MS
        ids = [_id(step, part) for part in range(8)]
        step_span = otlp_span(
            trace_id, ids[0], f"step {step}", parent=root_id, start_ns=at, duration_ms=950
        )
        _attrs(step_span, **{sc.ATTR_SPAN_TYPE: "chain"})
        plan = otlp_span(trace_id, ids[1], "plan", parent=ids[0], start_ns=at + MS, duration_ms=300)
        _attrs(plan, **{
            sc.ATTR_SPAN_TYPE: "llm", sc.ATTR_GEN_AI_OPERATION_NAME: "chat",
            sc.ATTR_GEN_AI_PROVIDER_NAME: "openai", sc.ATTR_GEN_AI_REQUEST_MODEL: "gpt-4o",
            sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS: 1000, sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS: 100,
        })  # fmt: skip
        failed = step == ERROR_STEP
        search = otlp_span(
            trace_id, ids[2], "web_search", parent=ids[0], start_ns=at + 310 * MS,
            duration_ms=250, error=failed,
        )  # fmt: skip
        query = json.dumps({"q": f"AI act article {step}"})
        _attrs(search, **{sc.ATTR_SPAN_TYPE: "tool", sc.ATTR_GEN_AI_TOOL_NAME: "web_search",
                          sc.ATTR_INPUT_VALUE: query})  # fmt: skip
        if failed:
            search.status.message = "search API timed out after 250 ms"
        retrieve = otlp_span(
            trace_id, ids[3], "retrieve docs", parent=ids[2], start_ns=at + 320 * MS,
            duration_ms=200,
        )  # fmt: skip
        docs = {
            f"retrieval.documents.{i}.document.{field}": value
            for i, (doc_id, score, text) in enumerate([
                (f"eu-ai-act-art-{step}", 0.91, f"Article {step} of the EU AI Act sets duties."),
                (f"us-eo-14110-sec-{step}", 0.84, "The US executive order asks for reports."),
                ("oecd-principles", 0.62, "The OECD principles ask for transparency."),
            ])
            for field, value in (("id", doc_id), ("score", score), ("content", text))
        }  # fmt: skip
        _attrs(retrieve, **{sc.ATTR_SPAN_TYPE: "retrieval",
                            sc.ATTR_INPUT_VALUE: f"AI act article {step}"}, **docs)  # fmt: skip
        embed = otlp_span(
            trace_id, ids[4], "embed query", parent=ids[3], start_ns=at + 321 * MS, duration_ms=30
        )
        _attrs(embed, **{
            sc.ATTR_SPAN_TYPE: "embedding", sc.ATTR_GEN_AI_OPERATION_NAME: "embeddings",
            sc.ATTR_GEN_AI_PROVIDER_NAME: "openai",
            sc.ATTR_GEN_AI_REQUEST_MODEL: "text-embedding-3-small",
            sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS: 8,
        })  # fmt: skip
        reflect = otlp_span(
            trace_id, ids[5], "reflect", parent=ids[0], start_ns=at + 570 * MS, duration_ms=300
        )
        _attrs(reflect, **{
            sc.ATTR_SPAN_TYPE: "llm", sc.ATTR_GEN_AI_OPERATION_NAME: "chat",
            sc.ATTR_GEN_AI_PROVIDER_NAME: "openai", sc.ATTR_GEN_AI_REQUEST_MODEL: "gpt-4o",
            sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS: 2000, sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS: 200,
        })  # fmt: skip
        grounded = step != FAILING_STEP
        _evaluation(reflect, ASSERTION, grounded,
                    "" if grounded else "cites a source that was not retrieved")  # fmt: skip
        guard = otlp_span(
            trace_id, ids[6], "policy check", parent=ids[0], start_ns=at + 880 * MS,
            duration_ms=20,
        )  # fmt: skip
        _attrs(guard, **{sc.ATTR_SPAN_TYPE: "guardrail"})
        grade = otlp_span(
            trace_id, ids[7], "grade step", parent=ids[0], start_ns=at + 905 * MS, duration_ms=40
        )
        _attrs(grade, **{sc.ATTR_SPAN_TYPE: "evaluator"})
        spans += [step_span, plan, search, retrieve, embed, reflect, guard, grade]
    assert len(spans) == SPANS
    return AgentTrace(
        trace_id=trace_id,
        failing_span=_id(FAILING_STEP, 5),
        failing_step=_id(FAILING_STEP, 0),
        retrieval_span=_id(1, 3),
        spans=spans,
    )


def send_agent_trace(url: str, ingest_key: str, start_ns: int | None = None) -> AgentTrace:
    """Send the agent trace as OTLP protobuf; returns its ids."""
    trace = agent_trace(start_ns if start_ns is not None else time.time_ns() - 3_600_000_000_000)
    body = otlp_request(*trace.spans, service="research-agent").SerializeToString()
    resp = httpx.post(
        f"{url}/v1/traces",
        content=body,
        headers={"Authorization": f"Bearer {ingest_key}", "Content-Type": "application/x-protobuf"},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    return trace
