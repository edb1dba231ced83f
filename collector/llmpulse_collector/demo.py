"""Realistic demo traffic: a support chatbot and a document search service.

``backfill`` sends a day of history (timestamps in the past) through the real
OpenTelemetry SDK and OTLP/HTTP exporter; ``live`` keeps sending fresh traces made
with ``@llmpulse.observe`` so the dashboard moves. Both talk to the collector over
HTTP exactly like a user's app would.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, Status, StatusCode, Tracer, set_span_in_context

from llmpulse import semconv as sc

__all__ = ["MODELS", "DemoModel", "backfill", "start_live"]


@dataclass(frozen=True)
class DemoModel:
    provider: str
    model: str
    latency_ms: float  # typical latency of one call
    weight: float


MODELS: tuple[DemoModel, ...] = (
    DemoModel("openai", "gpt-4o-mini", 900.0, 0.45),
    DemoModel("openai", "gpt-4o", 2200.0, 0.2),
    DemoModel("anthropic", "claude-3-5-haiku-latest", 1100.0, 0.2),
    DemoModel("anthropic", "claude-sonnet-4-5", 2600.0, 0.15),
)

_QUESTIONS = (
    "How do I reset my password?",
    "Can I change the billing e-mail on my account?",
    "What is your refund policy for annual plans?",
    "The export to CSV fails with a timeout, what can I do?",
    "How many seats are included in the Team plan?",
    "Where can I download last month's invoice?",
    "Does the API support streaming responses?",
    "How do I rotate an API key?",
)
_DOCS = (
    "Passwords can be reset from Settings → Security → Reset password.",
    "Billing contacts are managed under Billing → Contacts.",
    "Annual plans are refundable within 30 days of purchase.",
    "Large exports run in the background; you get an e-mail with a link.",
    "The Team plan includes 10 seats; more can be added at any time.",
    "Invoices are listed under Billing → Invoices as PDF files.",
    "Streaming is supported with stream=true on the completions endpoint.",
    "Keys are rotated under Settings → API keys → Rotate.",
)
_USERS = tuple(f"user-{i:03d}" for i in range(1, 41))
_TAGS = ("production", "beta", "mobile", "web", "enterprise")


def _pick_model(rng: random.Random) -> DemoModel:
    return rng.choices(MODELS, weights=[m.weight for m in MODELS])[0]


def _provider(endpoint: str, api_key: str, service: str) -> TracerProvider:
    provider = TracerProvider(
        resource=Resource.create({"service.name": service, sc.ATTR_ENVIRONMENT: "demo"})
    )
    exporter = OTLPSpanExporter(
        endpoint=f"{endpoint.rstrip('/')}/v1/traces",
        headers={"Authorization": f"Bearer {api_key}"},
    )
    provider.add_span_processor(
        BatchSpanProcessor(exporter, max_queue_size=200_000, max_export_batch_size=2_000)
    )
    return provider


def _chat_trace(tracer: Tracer, rng: random.Random, start_ns: int) -> None:
    """One support-bot turn: chain → retrieval → llm → tool, sometimes failing."""
    model = _pick_model(rng)
    question_i = rng.randrange(len(_QUESTIONS))
    question = _QUESTIONS[question_i]
    user = rng.choice(_USERS)
    session = f"sess-{user}-{rng.randrange(3)}"
    tags = [rng.choice(_TAGS)]
    common = {sc.ATTR_SESSION_ID: session, sc.ATTR_USER_ID: user, sc.ATTR_TAGS: tags}
    fails = rng.random() < 0.04

    t = start_ns
    root = tracer.start_span("answer_question", start_time=t)
    root.set_attributes({**common, sc.ATTR_SPAN_TYPE: "chain"})
    root.set_attribute(sc.ATTR_INPUT_VALUE, json.dumps({"question": question}))
    ctx_parent = _ctx(root)

    t += int(rng.uniform(2, 8) * 1e6)
    retrieval = tracer.start_span("search_docs", context=ctx_parent, start_time=t)
    retrieval.set_attributes({**common, sc.ATTR_SPAN_TYPE: "retrieval"})
    retrieval.set_attribute(sc.ATTR_INPUT_VALUE, json.dumps({"query": question, "k": 3}))
    t += int(rng.lognormvariate(3.6, 0.4) * 1e6)
    retrieval.set_attribute(sc.ATTR_OUTPUT_VALUE, json.dumps([_DOCS[question_i]]))
    retrieval.end(end_time=t)

    llm = tracer.start_span(f"chat {model.model}", context=ctx_parent, start_time=t)
    in_tokens = rng.randint(350, 1400)
    out_tokens = rng.randint(40, 420)
    messages = [
        {"role": "system", "content": "You are a helpful support assistant."},
        {"role": "user", "content": f"{question}\n\nContext: {_DOCS[question_i]}"},
    ]
    answer = f"{_DOCS[question_i]} Let me know if there is anything else I can help with."
    llm.set_attributes(
        {
            **common,
            sc.ATTR_SPAN_TYPE: "llm",
            sc.ATTR_GEN_AI_OPERATION_NAME: "chat",
            sc.ATTR_GEN_AI_PROVIDER_NAME: model.provider,
            sc.ATTR_GEN_AI_REQUEST_MODEL: model.model,
            sc.ATTR_GEN_AI_RESPONSE_MODEL: model.model,
            sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS: in_tokens,
            sc.ATTR_GEN_AI_USAGE_CACHE_READ_TOKENS: rng.choice((0, 0, 256, 512)),
            sc.ATTR_GEN_AI_INPUT_MESSAGES: json.dumps(messages),
        }
    )
    latency = rng.lognormvariate(0, 0.35) * model.latency_ms
    t_first = t + int(latency * 0.25 * 1e6)
    t += int(latency * 1e6)
    if fails:
        err = TimeoutError(f"{model.provider} request timed out after {latency / 1000:.1f}s")
        llm.record_exception(err, timestamp=t)
        llm.set_status(Status(StatusCode.ERROR, str(err)))
        llm.end(end_time=t)
        root.record_exception(err, timestamp=t)
        root.set_status(Status(StatusCode.ERROR, str(err)))
        root.end(end_time=t + 1_000_000)
        return
    llm.set_attributes(
        {
            sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS: out_tokens,
            sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS: ["stop"],
            sc.ATTR_TIME_TO_FIRST_TOKEN_MS: (t_first - (t - int(latency * 1e6))) / 1e6,
            sc.ATTR_GEN_AI_OUTPUT_MESSAGES: json.dumps([{"role": "assistant", "content": answer}]),
        }
    )
    passed = rng.random() > 0.08
    llm.add_event(
        sc.EVENT_EVALUATION_RESULT,
        {
            sc.ATTR_EVALUATION_NAME: "cites_docs",
            sc.ATTR_EVALUATION_PASSED: passed,
            sc.ATTR_EVALUATION_SCORE_LABEL: "pass" if passed else "fail",
            sc.ATTR_EVALUATION_SCORE_VALUE: 1.0 if passed else 0.0,
            sc.ATTR_EVALUATION_EXPLANATION: "" if passed else "answer does not quote the docs",
        },
        timestamp=t,
    )
    llm.end(end_time=t)

    t += int(rng.uniform(1, 4) * 1e6)
    tool = tracer.start_span("create_ticket", context=ctx_parent, start_time=t)
    tool.set_attributes(
        {**common, sc.ATTR_SPAN_TYPE: "tool", sc.ATTR_GEN_AI_TOOL_NAME: "create_ticket"}
    )
    tool.set_attribute(sc.ATTR_INPUT_VALUE, json.dumps({"user": user, "topic": question[:40]}))
    t += int(rng.lognormvariate(4.0, 0.3) * 1e6)
    tool.set_attribute(sc.ATTR_OUTPUT_VALUE, json.dumps({"ticket": rng.randint(1000, 9999)}))
    tool.end(end_time=t)

    root.set_attribute(sc.ATTR_OUTPUT_VALUE, json.dumps({"answer": answer}))
    root.end(end_time=t + 1_000_000)


def _ctx(span: Span) -> Context:
    return set_span_in_context(span)


def _trace_starts(rng: random.Random, hours: float, per_hour: int, end_ns: int) -> Iterator[int]:
    start_ns = end_ns - int(hours * 3600e9)
    count = int(hours * per_hour)
    for _ in range(count):
        yield rng.randint(start_ns, end_ns - int(10e9))


def backfill(
    endpoint: str, api_key: str, *, hours: float = 24.0, per_hour: int = 120, seed: int = 7
) -> int:
    """Send ``hours`` of history; returns the number of traces sent."""
    rng = random.Random(seed)
    provider = _provider(endpoint, api_key, "support-bot")
    tracer = provider.get_tracer("llmpulse.demo")
    sent = 0
    for start in sorted(_trace_starts(rng, hours, per_hour, time.time_ns())):
        _chat_trace(tracer, rng, start)
        sent += 1
    provider.force_flush(timeout_millis=60_000)
    provider.shutdown()
    return sent


def _live_app(rng: random.Random) -> Callable[[], None]:
    """The demo chatbot written with the llmpulse SDK, as a user would write it."""
    import llmpulse
    from llmpulse import checks

    @llmpulse.observe(span_type="retrieval")
    def search_docs(query: str, k: int = 3) -> list[str]:
        time.sleep(rng.lognormvariate(3.0, 0.3) / 1000)
        return [_DOCS[_QUESTIONS.index(query)]]

    @llmpulse.observe(
        name="chat", span_type="llm", checks=[checks.max_chars(600), checks.contains("Settings")]
    )
    def call_model(model: DemoModel, messages: list[dict[str, str]]) -> dict[str, Any]:
        time.sleep(rng.lognormvariate(0, 0.35) * model.latency_ms / 10_000)
        if rng.random() < 0.04:
            raise TimeoutError(f"{model.provider} request timed out")
        answer = f"{messages[-1]['content'].split('Context: ')[-1]} Anything else?"
        usage_in, usage_out = rng.randint(350, 1400), rng.randint(40, 420)
        if model.provider == "anthropic":
            return {
                "id": "msg_demo", "type": "message", "role": "assistant", "model": model.model,
                "content": [{"type": "text", "text": answer}], "stop_reason": "end_turn",
                "usage": {"input_tokens": usage_in, "output_tokens": usage_out},
            }  # fmt: skip
        return {
            "id": "chatcmpl-demo", "object": "chat.completion", "model": model.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer}}],
            "usage": {"prompt_tokens": usage_in, "completion_tokens": usage_out},
        }  # fmt: skip

    @llmpulse.observe(span_type="tool")
    def create_ticket(user: str, topic: str) -> dict[str, int]:
        return {"ticket": rng.randint(1000, 9999)}

    @llmpulse.observe
    def answer_question(question: str, user: str) -> str:
        docs = search_docs(question)
        messages = [
            {"role": "system", "content": "You are a helpful support assistant."},
            {"role": "user", "content": f"{question}\n\nContext: {docs[0]}"},
        ]
        reply = call_model(_pick_model(rng), messages)
        text = (
            reply["content"][0]["text"]
            if "content" in reply
            else (reply["choices"][0]["message"]["content"])
        )
        create_ticket(user, question[:40])
        return str(text)

    def one_turn() -> None:
        user = rng.choice(_USERS)
        context = llmpulse.context(
            session_id=f"sess-{user}-live", user_id=user, tags=[rng.choice(_TAGS)]
        )
        # a timeout is recorded on the spans as an error, and the demo goes on
        with context, contextlib.suppress(TimeoutError):
            answer_question(rng.choice(_QUESTIONS), user)

    return one_turn


def start_live(endpoint: str, api_key: str, *, interval_s: float = 2.0) -> threading.Event:
    """Run the SDK-instrumented demo app every ``interval_s`` until the event is set."""
    import llmpulse

    # A provider of the demo's own, not the global one: the collector's web framework
    # traces its requests through the global provider, and those must not be sent to
    # the collector itself (each export would trace another request).
    provider = TracerProvider(
        resource=Resource.create({"service.name": "support-bot", sc.ATTR_ENVIRONMENT: "demo"})
    )
    llmpulse.configure(endpoint=endpoint, api_key=api_key, tracer_provider=provider)
    stop = threading.Event()
    one_turn = _live_app(random.Random())

    def run() -> None:
        while not stop.wait(interval_s):
            one_turn()
        llmpulse.flush()

    threading.Thread(target=run, name="llmpulse-demo", daemon=True).start()
    return stop
