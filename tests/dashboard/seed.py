"""Realistic traces for the dashboard tests, sent to a collector as OTLP protobuf.

A support bot (chain → retrieval → llm → tool) with chat messages, tokens, evaluation
events, sessions and users; a failing LLM call; a failed assertion; a search service;
and one trace in the previous 24 hours (for period-over-period deltas). Carol's trace
carries the metadata ``plan=enterprise``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from llmpulse import semconv as sc
from tests.collector.api.conftest import otlp_request, otlp_span
from tests.otlp import attributes as otlp_attributes

HOUR = 3_600_000_000_000
MS = 1_000_000


@dataclass(frozen=True)
class Seeded:
    chat: str  # first turn of alice's session (passes its assertion)
    second_turn: str  # second turn of the same session
    failing: str  # bob's trace whose LLM call timed out
    failed_assertion: str  # carol's trace whose answer failed "cites_docs"
    search: str  # the doc-search service
    old: str  # 30 hours ago: the previous period
    session: str  # alice's session id
    llm_span: str  # span id of the LLM call in ``chat``

    @property
    def recent(self) -> list[str]:
        return [self.chat, self.second_turn, self.failing, self.failed_assertion, self.search]


def _attrs(span: Span, **attributes: Any) -> Span:
    span.attributes.extend(otlp_attributes(attributes))
    return span


def _evaluation(span: Span, name: str, passed: bool, explanation: str = "") -> None:
    event = span.events.add()
    event.name = sc.EVENT_EVALUATION_RESULT
    event.time_unix_nano = span.end_time_unix_nano
    event.attributes.extend(
        otlp_attributes(
            {
                sc.ATTR_EVALUATION_NAME: name,
                sc.ATTR_EVALUATION_PASSED: passed,
                sc.ATTR_EVALUATION_SCORE_LABEL: "pass" if passed else "fail",
                sc.ATTR_EVALUATION_SCORE_VALUE: 1.0 if passed else 0.0,
                sc.ATTR_EVALUATION_EXPLANATION: explanation,
            }
        )
    )


def _support_turn(
    n: int,
    start: int,
    *,
    question: str,
    answer: str,
    user: str,
    session: str,
    model: str = "gpt-4o-mini",
    provider: str = "openai",
    fails: bool = False,
    passed: bool = True,
    metadata: dict[str, str] | None = None,
    tags: tuple[str, ...] = ("production",),
) -> list[Span]:
    trace = f"{0xD0 + n:032x}"
    root_id, docs_id, llm_id, tool_id = (f"{n:04x}{i:012x}" for i in (1, 2, 3, 4))
    common = {sc.ATTR_SESSION_ID: session, sc.ATTR_USER_ID: user, sc.ATTR_TAGS: list(tags)}
    docs_end = start + 45 * MS
    llm_end = docs_end + 1200 * MS
    end = llm_end + 70 * MS
    root = otlp_span(
        trace,
        root_id,
        "answer_question",
        start_ns=start,
        duration_ms=(end - start) / MS,
        error=fails,
    )
    _attrs(
        root,
        **common,
        **{sc.ATTR_SPAN_TYPE: "chain", sc.ATTR_INPUT_VALUE: json.dumps({"question": question})},
        **{sc.ATTR_METADATA_PREFIX + k: v for k, v in (metadata or {}).items()},
    )
    docs = otlp_span(
        trace, docs_id, "search_docs", parent=root_id, start_ns=start + 2 * MS, duration_ms=43
    )
    _attrs(
        docs,
        **common,
        **{
            sc.ATTR_SPAN_TYPE: "retrieval",
            sc.ATTR_INPUT_VALUE: json.dumps({"query": question, "k": 3}),
            sc.ATTR_OUTPUT_VALUE: json.dumps(["Passwords are reset in Settings."]),
        },
    )
    messages = [
        {"role": "system", "content": "You are a helpful support assistant."},
        {"role": "user", "content": question},
    ]
    llm = otlp_span(
        trace,
        llm_id,
        f"chat {model}",
        parent=root_id,
        start_ns=docs_end,
        duration_ms=1200,
        error=fails,
    )
    _attrs(
        llm,
        **common,
        **{
            sc.ATTR_SPAN_TYPE: "llm",
            sc.ATTR_GEN_AI_OPERATION_NAME: "chat",
            sc.ATTR_GEN_AI_PROVIDER_NAME: provider,
            sc.ATTR_GEN_AI_REQUEST_MODEL: model,
            sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS: 420 + n,
            sc.ATTR_GEN_AI_INPUT_MESSAGES: json.dumps(messages),
        },
    )
    spans = [root, docs, llm]
    if fails:
        llm.status.message = f"{provider} request timed out after 1.2s"
        root.status.message = llm.status.message
        return spans
    _attrs(
        llm,
        **{
            sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS: 85,
            sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS: ["stop"],
            sc.ATTR_GEN_AI_OUTPUT_MESSAGES: json.dumps([{"role": "assistant", "content": answer}]),
        },
    )
    _evaluation(llm, "cites_docs", passed, "" if passed else "answer does not quote the docs")
    _attrs(root, **{sc.ATTR_OUTPUT_VALUE: json.dumps({"answer": answer})})
    tool = otlp_span(
        trace, tool_id, "create_ticket", parent=root_id, start_ns=llm_end + 2 * MS, duration_ms=60
    )
    _attrs(
        tool,
        **common,
        **{
            sc.ATTR_SPAN_TYPE: "tool",
            sc.ATTR_GEN_AI_TOOL_NAME: "create_ticket",
            sc.ATTR_INPUT_VALUE: json.dumps({"user": user}),
            sc.ATTR_OUTPUT_VALUE: json.dumps({"ticket": 4711}),
        },
    )
    return [*spans, tool]


def _search(n: int, start: int) -> list[Span]:
    trace = f"{0xD0 + n:032x}"
    root_id, embed_id = f"{n:04x}{1:012x}", f"{n:04x}{2:012x}"
    root = otlp_span(trace, root_id, "search", start_ns=start, duration_ms=180)
    _attrs(
        root,
        **{
            sc.ATTR_SPAN_TYPE: "retrieval",
            sc.ATTR_INPUT_VALUE: "refund policy",
            sc.ATTR_TAGS: ["beta"],
        },
    )
    embed = otlp_span(
        trace, embed_id, "embed query", parent=root_id, start_ns=start + MS, duration_ms=90
    )
    _attrs(
        embed,
        **{
            sc.ATTR_SPAN_TYPE: "embedding",
            sc.ATTR_GEN_AI_OPERATION_NAME: "embeddings",
            sc.ATTR_GEN_AI_PROVIDER_NAME: "openai",
            sc.ATTR_GEN_AI_REQUEST_MODEL: "text-embedding-3-small",
            sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS: 5,
        },
    )
    return [root, embed]


def seed(url: str, ingest_key: str) -> Seeded:
    """Send the traces; returns their ids."""
    now = time.time_ns()
    session = "sess-alice-1"
    chat = _support_turn(
        1,
        now - HOUR,
        question="How do I reset my password?",
        answer="Go to Settings → Security → Reset password.",
        user="alice",
        session=session,
    )
    second = _support_turn(
        2,
        now - HOUR + 10 * 60 * 1000 * MS,
        question="And how do I rotate an API key?",
        answer="Keys are rotated under Settings → API keys → Rotate.",
        user="alice",
        session=session,
    )
    failing = _support_turn(
        3,
        now - 2 * HOUR,
        question="Where is my invoice?",
        answer="",
        user="bob",
        session="sess-bob-1",
        model="claude-sonnet-4-5",
        provider="anthropic",
        fails=True,
    )
    failed_assertion = _support_turn(
        4,
        now - 3 * HOUR,
        question="What is the refund policy?",
        answer="I think refunds are possible sometimes.",
        user="carol",
        session="sess-carol-1",
        model="gpt-4o",
        passed=False,
        metadata={"plan": "enterprise"},
    )
    search = _search(5, now - 4 * HOUR)
    old = _support_turn(
        6,
        now - 30 * HOUR,
        question="How many seats are in the Team plan?",
        answer="The Team plan includes 10 seats.",
        user="alice",
        session="sess-alice-0",
    )
    headers = {"Authorization": f"Bearer {ingest_key}", "Content-Type": "application/x-protobuf"}
    for spans, service in (
        ([*chat, *second, *failing, *failed_assertion, *old], "support-bot"),
        (search, "doc-search"),
    ):
        body = otlp_request(*spans, service=service).SerializeToString()
        resp = httpx.post(f"{url}/v1/traces", content=body, headers=headers, timeout=30)
        assert resp.status_code == 200, resp.text
    ids = [
        spans[0].trace_id.hex() for spans in (chat, second, failing, failed_assertion, search, old)
    ]
    return Seeded(*ids, session=session, llm_span=chat[2].span_id.hex())


def newer_traffic(url: str, ingest_key: str) -> str:
    """One more trace, just now: a new user and session, the priciest call (gpt-4o,
    the most input tokens), a failed assertion and thumbs down: the newest (and most
    expensive) row of every list. Returns its trace id."""
    spans = _support_turn(
        7,
        time.time_ns() - 2_000 * MS,
        question="Why was I charged twice?",
        answer="You were not charged twice.",
        user="dave",
        session="sess-dave-1",
        model="gpt-4o",
        passed=False,
    )
    headers = {"Authorization": f"Bearer {ingest_key}", "Content-Type": "application/x-protobuf"}
    body = otlp_request(*spans, service="support-bot").SerializeToString()
    resp = httpx.post(f"{url}/v1/traces", content=body, headers=headers, timeout=30)
    assert resp.status_code == 200, resp.text
    return spans[0].trace_id.hex()


def fast_history(url: str, ingest_key: str, count: int) -> None:
    """``count`` quick searches (180 ms, no errors) a day and a bit ago: a previous
    period large enough to compare with, faster than the seeded day."""
    now = time.time_ns()
    spans = [
        span for n in range(count) for span in _search(100 + n, now - 30 * HOUR + n * 60_000 * MS)
    ]
    headers = {"Authorization": f"Bearer {ingest_key}", "Content-Type": "application/x-protobuf"}
    body = otlp_request(*spans, service="doc-search").SerializeToString()
    resp = httpx.post(f"{url}/v1/traces", content=body, headers=headers, timeout=30)
    assert resp.status_code == 200, resp.text


def crowd(url: str, ingest_key: str, count: int) -> None:
    """``count`` one-call traces of their own user and session, a minute apart and newest
    first by number: ``user-000`` / ``sess-000`` are the most recent; every tenth fails;
    each fails the assertion ``polite``."""
    now = time.time_ns()
    spans = []
    for n in range(count):
        span = otlp_span(
            f"{0xC0DE0000 + n:032x}",
            f"{0xC0DE0000 + n:016x}",
            "chat gpt-4o-mini",
            start_ns=now - (n + 1) * 60_000 * MS,
            duration_ms=300,
            error=n % 10 == 0,
        )
        attrs = {
            sc.ATTR_USER_ID: f"user-{n:03d}",
            sc.ATTR_SESSION_ID: f"sess-{n:03d}",
            sc.ATTR_SPAN_TYPE: "llm",
            sc.ATTR_GEN_AI_PROVIDER_NAME: "openai",
            sc.ATTR_GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
            sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS: 100,
            sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS: 10,
        }
        _evaluation(span, "polite", False, f"reply {n:03d} was curt")
        spans.append(_attrs(span, **attrs))
    headers = {"Authorization": f"Bearer {ingest_key}", "Content-Type": "application/x-protobuf"}
    body = otlp_request(*spans, service="support-bot").SerializeToString()
    resp = httpx.post(f"{url}/v1/traces", content=body, headers=headers, timeout=30)
    assert resp.status_code == 200, resp.text


def experiment_item(url: str, ingest_key: str) -> str:
    """One item of an offline experiment run (tagged ``experiment:terse``, as
    ``llmpulse.experiment`` tags it) just now, whose answer fails ``cites_docs``: not
    production traffic. Returns its trace id."""
    spans = _support_turn(
        8,
        time.time_ns() - 1_000 * MS,
        question="What is the refund policy?",
        answer="No idea.",
        user="",
        session="",
        passed=False,
        tags=("experiment:terse",),
    )
    headers = {"Authorization": f"Bearer {ingest_key}", "Content-Type": "application/x-protobuf"}
    body = otlp_request(*spans, service="support-bot").SerializeToString()
    resp = httpx.post(f"{url}/v1/traces", content=body, headers=headers, timeout=30)
    assert resp.status_code == 200, resp.text
    return spans[0].trace_id.hex()


def deployed_turn(url: str, ingest_key: str, version: str, prompt: str) -> str:
    """One support turn just now from a deploy: resource ``service.version`` and the
    metadata ``prompt_version`` (as the demo sets them). Returns its trace id."""
    spans = _support_turn(
        9,
        time.time_ns() - 3_000 * MS,
        question="Can I change my plan?",
        answer="Yes, under Settings → Plan.",
        user="erin",
        session="sess-erin-1",
        metadata={"prompt_version": prompt},
    )
    message = otlp_request(*spans, service="support-bot")
    message.resource_spans[0].resource.attributes.extend(
        otlp_attributes({"service.version": version})
    )
    headers = {"Authorization": f"Bearer {ingest_key}", "Content-Type": "application/x-protobuf"}
    resp = httpx.post(f"{url}/v1/traces", content=message.SerializeToString(), headers=headers)
    assert resp.status_code == 200, resp.text
    return spans[0].trace_id.hex()
