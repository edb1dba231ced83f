"""Realistic demo traffic that tells a story a new user finds in a minute.

A support chatbot with three routes, a week of history, and four things to find:

- **a deploy** ``DEPLOY_HOURS_AGO`` hours ago (``service.version`` 1.4.0 -> 1.5.0, prompt
  ``support-v7`` -> ``support-v8`` with twice the retrieved context): every LLM call
  since is ``DEPLOY_LATENCY_FACTOR`` times slower, retrieval twice as slow. The
  Overview's latency steps up, Drift's default windows (the last 24 h against the
  24 h before) say *drift* on latency, and ``DEMO_ALERT_RULE`` (p95 latency of
  traces against the same hour a day earlier, the latency the Overview charts, which
  marks the regression), which ``llmpulse up --demo`` installs, fires;
- **failing assertions on one route**: ``cites_docs`` fails on ~45 % of
  ``refund_request`` traces and ~3 % elsewhere (Evaluations);
- **a cost spike from one user**: ``SPIKE_USER`` pastes whole ticket histories into
  ``summarize_ticket`` on the most expensive model for two hours (Cost, Users);
- ~4 % of calls time out (errors).

``backfill`` sends the history (timestamps in the past, the last two days first so the
default views fill first) through the real OpenTelemetry SDK and OTLP/HTTP exporter;
``start_live`` keeps sending fresh, post-deploy traces made with ``@llmpulse.observe``
so the dashboard moves. Both talk to the collector over HTTP like a user's app would.
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

__all__ = [
    "DEMO_ALERT_RULE",
    "DEPLOY_HOURS_AGO",
    "DEPLOY_LATENCY_FACTOR",
    "MODELS",
    "ROUTES",
    "SPIKE_USER",
    "DemoModel",
    "Route",
    "backfill",
    "install_alert_rule",
    "start_live",
]


@dataclass(frozen=True)
class DemoModel:
    provider: str
    model: str
    latency_ms: float  # typical latency of one call (before the deploy)
    weight: float


MODELS: tuple[DemoModel, ...] = (
    DemoModel("openai", "gpt-4o-mini", 900.0, 0.45),
    DemoModel("openai", "gpt-4o", 2200.0, 0.2),
    DemoModel("anthropic", "claude-3-5-haiku-latest", 1100.0, 0.2),
    DemoModel("anthropic", "claude-sonnet-4-5", 2600.0, 0.15),
)


@dataclass(frozen=True)
class Route:
    name: str  # the root span's name
    weight: float
    fail_rate: float  # of the ``cites_docs`` assertion


ROUTES: tuple[Route, ...] = (
    Route("answer_question", 0.7, 0.03),
    Route("refund_request", 0.2, 0.45),
    Route("summarize_ticket", 0.1, 0.03),
)

DEPLOY_HOURS_AGO = 16.0
DEPLOY_LATENCY_FACTOR = 2.2
_VERSIONS = {False: ("1.4.0", "support-v7"), True: ("1.5.0", "support-v8")}  # deployed?
SPIKE_USER = "user-017"
_SPIKE_HOURS_AGO = (8.0, 6.0)  # from, to
_SPIKE_TRACES = 60
_SPIKE_MODEL = MODELS[3]  # the most expensive

# installed by ``llmpulse up --demo``: fires on the deploy's latency regression. Trace
# latency (not ``llm_latency_p95``): the Overview's latency chart is of traces, and marks
# the regressions of the rules on its own metrics only
DEMO_ALERT_RULE: dict[str, Any] = {
    "name": "p95 latency vs a day earlier",
    "metric": "latency_p95",
    "window": "1h",
    "baseline_window": "1h",
    "condition": {"kind": "change", "baseline": "day", "op": ">", "value": 0.5},
    "min_samples": 50,
    "severity": "critical",
}

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


def _pick_route(rng: random.Random) -> Route:
    return rng.choices(ROUTES, weights=[r.weight for r in ROUTES])[0]


def _provider(endpoint: str, api_key: str, service: str, version: str) -> TracerProvider:
    # no flush at interpreter exit: stopping `llmpulse up` mid-backfill must not wait
    # for exports to the collector that just stopped
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": service, "service.version": version, sc.ATTR_ENVIRONMENT: "demo"}
        ),
        shutdown_on_exit=False,
    )
    exporter = OTLPSpanExporter(
        endpoint=f"{endpoint.rstrip('/')}/v1/traces",
        headers={"Authorization": f"Bearer {api_key}"},
    )
    provider.add_span_processor(
        BatchSpanProcessor(exporter, max_queue_size=200_000, max_export_batch_size=2_000)
    )
    return provider


@dataclass(frozen=True)
class _Turn:
    """What one backfilled trace is: who asks what, where, and on which side of the deploy."""

    route: Route
    model: DemoModel
    user: str
    deployed: bool
    context_tokens: int = 0  # pasted ticket history (the cost spike)


def _chat_trace(tracer: Tracer, rng: random.Random, start_ns: int, turn: _Turn) -> None:
    """One support-bot turn: chain → retrieval → llm → tool, sometimes failing."""
    model = turn.model
    question_i = 2 if turn.route.name == "refund_request" else rng.randrange(len(_QUESTIONS))
    question = _QUESTIONS[question_i]
    user = turn.user
    session = f"sess-{user}-{rng.randrange(3)}"
    tags = [rng.choice(_TAGS)]
    prompt_version = _VERSIONS[turn.deployed][1]
    common = {
        sc.ATTR_SESSION_ID: session,
        sc.ATTR_USER_ID: user,
        sc.ATTR_TAGS: tags,
        f"{sc.ATTR_METADATA_PREFIX}prompt_version": prompt_version,
    }
    fails = rng.random() < 0.04

    t = start_ns
    root = tracer.start_span(turn.route.name, start_time=t)
    root.set_attributes({**common, sc.ATTR_SPAN_TYPE: "chain"})
    root.set_attribute(sc.ATTR_INPUT_VALUE, json.dumps({"question": question}))
    ctx_parent = _ctx(root)

    t += int(rng.uniform(2, 8) * 1e6)
    retrieval = tracer.start_span("search_docs", context=ctx_parent, start_time=t)
    retrieval.set_attributes({**common, sc.ATTR_SPAN_TYPE: "retrieval"})
    k = 6 if turn.deployed else 3  # the new prompt retrieves twice the context
    retrieval.set_attribute(sc.ATTR_INPUT_VALUE, json.dumps({"query": question, "k": k}))
    t += int(rng.lognormvariate(3.6, 0.4) * (k / 2) * 1e6)  # fetching k documents
    retrieval.set_attribute(sc.ATTR_OUTPUT_VALUE, json.dumps([_DOCS[question_i]]))
    retrieval.end(end_time=t)

    llm = tracer.start_span(f"chat {model.model}", context=ctx_parent, start_time=t)
    in_tokens = rng.randint(350, 1400) * (2 if turn.deployed else 1) + turn.context_tokens
    out_tokens = rng.randint(40, 420)
    messages = [
        {"role": "system", "content": f"You are a helpful support assistant ({prompt_version})."},
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
    latency = _llm_latency_ms(rng, model, deployed=turn.deployed)
    latency += turn.context_tokens / 20  # reading a long history takes its time
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

    # the route's assertion, on the route's (root) span: Evaluations shows where it fails
    passed = rng.random() >= turn.route.fail_rate
    root.add_event(
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
    root.set_attribute(sc.ATTR_OUTPUT_VALUE, json.dumps({"answer": answer}))
    root.end(end_time=t + 1_000_000)


def _llm_latency_ms(rng: random.Random, model: DemoModel, *, deployed: bool) -> float:
    factor = DEPLOY_LATENCY_FACTOR if deployed else 1.0
    return rng.lognormvariate(0, 0.35) * model.latency_ms * factor


def _ctx(span: Span) -> Context:
    return set_span_in_context(span)


def _starts(rng: random.Random, from_ns: int, to_ns: int, count: int) -> list[int]:
    return sorted(rng.randint(from_ns, to_ns - int(10e9)) for _ in range(count))


def _history(
    rng: random.Random, days: float, per_hour: int, older_per_hour: int, now_ns: int
) -> Iterator[tuple[int, _Turn]]:
    """The traces of the history: the last two days first (the default views), then the
    older days, each in time order; the cost spike within the last day."""
    hour = int(3600e9)
    deploy_ns = now_ns - int(DEPLOY_HOURS_AGO * hour)
    recent_ns = now_ns - min(48, int(days * 24)) * hour
    oldest_ns = now_ns - int(days * 24 * hour)
    spans = [(recent_ns, now_ns, per_hour), (oldest_ns, recent_ns, older_per_hour)]
    for from_ns, to_ns, rate in spans:
        count = int((to_ns - from_ns) / hour * rate)
        for start in _starts(rng, from_ns, to_ns, count):
            turn = _Turn(_pick_route(rng), _pick_model(rng), rng.choice(_USERS), start >= deploy_ns)
            yield start, turn
        if from_ns == recent_ns:
            spike = [now_ns - int(h * hour) for h in _SPIKE_HOURS_AGO]
            for start in _starts(rng, spike[0], spike[1], _SPIKE_TRACES):
                tokens = rng.randint(90_000, 120_000)
                yield start, _Turn(ROUTES[2], _SPIKE_MODEL, SPIKE_USER, True, tokens)


def backfill(
    endpoint: str,
    api_key: str,
    *,
    days: float = 7.0,
    per_hour: int = 120,
    older_per_hour: int = 40,
    seed: int = 7,
) -> int:
    """Send ``days`` of history (``per_hour`` traces an hour over the last two days,
    ``older_per_hour`` before); returns the number of traces sent."""
    rng = random.Random(seed)
    providers = {
        deployed: _provider(endpoint, api_key, "support-bot", version)
        for deployed, (version, _) in _VERSIONS.items()
    }
    tracers = {deployed: p.get_tracer("llmpulse.demo") for deployed, p in providers.items()}
    sent = 0
    for start, turn in _history(rng, days, per_hour, older_per_hour, time.time_ns()):
        _chat_trace(tracers[turn.deployed], rng, start, turn)
        sent += 1
    for provider in providers.values():
        provider.force_flush(timeout_millis=60_000)
        provider.shutdown()
    return sent


def install_alert_rule(endpoint: str, admin_key: str) -> bool:
    """Create ``DEMO_ALERT_RULE`` through the API unless a rule of its name exists;
    True when it was created."""
    import httpx

    url = f"{endpoint.rstrip('/')}/api/v1/alerts/rules"
    headers = {"Authorization": f"Bearer {admin_key}"}
    existing = httpx.get(url, headers=headers, timeout=30)
    existing.raise_for_status()
    if any(r["rule"]["name"] == DEMO_ALERT_RULE["name"] for r in existing.json()["rules"]):
        return False
    httpx.post(url, json=DEMO_ALERT_RULE, headers=headers, timeout=30).raise_for_status()
    return True


def _live_app(rng: random.Random, *, time_scale: float = 1.0) -> Callable[[], None]:
    """The demo chatbot written with the llmpulse SDK, as a user would write it: the
    deployed version (its latency is real time, times ``time_scale``)."""
    import llmpulse
    from llmpulse import checks

    prompt = _VERSIONS[True][1]

    @llmpulse.observe(span_type="retrieval")
    def search_docs(query: str, k: int = 3) -> list[str]:
        time.sleep(rng.lognormvariate(3.0, 0.3) / 1000)
        return [_DOCS[_QUESTIONS.index(query)]]

    @llmpulse.observe(name="chat", span_type="llm", checks=[checks.max_chars(600)])
    def call_model(model: DemoModel, messages: list[dict[str, str]]) -> dict[str, Any]:
        time.sleep(_llm_latency_ms(rng, model, deployed=True) / 1000 * time_scale)
        if rng.random() < 0.04:
            raise TimeoutError(f"{model.provider} request timed out")
        answer = f"{messages[-1]['content'].split('Context: ')[-1]} Anything else?"
        usage_in, usage_out = rng.randint(700, 2800), rng.randint(40, 420)
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
            {"role": "system", "content": f"You are a helpful support assistant ({prompt})."},
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
            session_id=f"sess-{user}-live",
            user_id=user,
            tags=[rng.choice(_TAGS)],
            metadata={"prompt_version": prompt},
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
    version = _VERSIONS[True][0]
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": "support-bot", "service.version": version, sc.ATTR_ENVIRONMENT: "demo"}
        )
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
