"""Realistic synthetic OTLP trace exports for benchmarks.

Each trace has four spans, as a RAG-style support bot would emit them:

- a root ``chain`` span written by the llmpulse SDK (input/output, session, tags),
- a retrieval span from OpenInference (``openinference.span.kind=RETRIEVER``, documents),
- an LLM call with OTel GenAI attributes and JSON chat messages,
- a tool call (``gen_ai.operation.name=execute_tool``).

``make_requests`` cuts them into export requests of ``spans_per_request`` spans (the
OTel batch processor's default is 512); ``to_otlp_json`` gives the OTLP/JSON body.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

__all__ = ["make_requests", "to_otlp_json"]

_QUESTIONS = (
    "How do I reset my password?",
    "Can I change the billing e-mail on my account?",
    "What is your refund policy for annual plans?",
    "The export to CSV fails with a timeout, what can I do?",
    "Where can I download last month's invoice?",
)
_DOCS = (
    "Passwords can be reset from Settings, Security, Reset password.",
    "Billing contacts are managed under Billing, Contacts.",
    "Annual plans are refundable within 30 days of purchase.",
    "Large exports run in the background; you get an e-mail with a link.",
    "Invoices are listed under Billing, Invoices as PDF files.",
)
_MODELS = (("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5"))


def _value(value: object) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_value(v) for v in value]))
    return AnyValue(string_value=str(value))


def _attrs(items: dict[str, object]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_value(v)) for k, v in items.items()]


def _span(
    rng: random.Random,
    trace_id: bytes,
    parent: bytes,
    name: str,
    start: int,
    duration_ms: float,
    attributes: dict[str, object],
    kind: int = Span.SPAN_KIND_INTERNAL,
) -> Span:
    return Span(
        trace_id=trace_id,
        span_id=rng.randbytes(8),
        parent_span_id=parent,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(duration_ms * 1e6),
        attributes=_attrs(attributes),
        status=Status(code=Status.STATUS_CODE_OK),
    )


def _trace(rng: random.Random, start: int) -> list[Span]:
    trace_id = rng.randbytes(16)
    n = rng.randrange(len(_QUESTIONS))
    question, doc = _QUESTIONS[n], _DOCS[n]
    provider, model = rng.choice(_MODELS)
    answer = f"{doc} If that does not help, reply here and a person will follow up."
    input_tokens = rng.randint(300, 1500)
    output_tokens = rng.randint(20, 300)
    root = _span(
        rng,
        trace_id,
        b"",
        "answer_question",
        start,
        1500.0,
        {
            "llmpulse.span_type": "chain",
            "input.value": question,
            "output.value": answer,
            "session.id": f"sess-{rng.randrange(10_000):05d}",
            "user.id": f"user-{rng.randrange(1000):04d}",
            "llmpulse.tags": ["support", "v2"],
            "llmpulse.metadata.plan": "team",
            "llmpulse.metadata.request_id": f"req-{rng.getrandbits(64):016x}",
        },
    )
    retrieval = _span(
        rng,
        trace_id,
        root.span_id,
        "retrieve_docs",
        start + 1_000_000,
        80.0,
        {
            "openinference.span.kind": "RETRIEVER",
            "input.value": question,
            "retrieval.documents.0.document.id": f"kb-{n}",
            "retrieval.documents.0.document.score": 0.82,
            "retrieval.documents.0.document.content": doc,
            "retrieval.documents.1.document.id": f"kb-{(n + 1) % len(_DOCS)}",
            "retrieval.documents.1.document.score": 0.41,
            "retrieval.documents.1.document.content": _DOCS[(n + 1) % len(_DOCS)],
        },
    )
    messages_in = [
        {"role": "system", "parts": [{"type": "text", "content": "Answer from the docs."}]},
        {"role": "user", "parts": [{"type": "text", "content": f"{doc}\n\nQ: {question}"}]},
    ]
    messages_out = [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": answer}],
            "finish_reason": "stop",
        }
    ]
    llm = _span(
        rng,
        trace_id,
        root.span_id,
        f"chat {model}",
        start + 90_000_000,
        1200.0,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            "gen_ai.response.model": model,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.max_tokens": 512,
            "server.address": "api.openai.com" if provider == "openai" else "api.anthropic.com",
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": output_tokens,
            "gen_ai.usage.cache_read.input_tokens": input_tokens // 4,
            "gen_ai.response.finish_reasons": ["stop"],
            "gen_ai.response.id": f"chatcmpl-{rng.getrandbits(64):016x}",
            "gen_ai.input.messages": json.dumps(messages_in),
            "gen_ai.output.messages": json.dumps(messages_out),
        },
        kind=Span.SPAN_KIND_CLIENT,
    )
    tool = _span(
        rng,
        trace_id,
        root.span_id,
        "execute_tool lookup_account",
        start + 1_300_000_000,
        40.0,
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "lookup_account",
            "gen_ai.tool.call.id": f"call_{rng.getrandbits(48):012x}",
            "input.value": json.dumps({"user_id": f"user-{n:04d}"}),
            "output.value": json.dumps({"plan": "team", "seats": 10, "status": "active"}),
        },
    )
    return [root, retrieval, llm, tool]


def make_requests(
    n_spans: int,
    *,
    spans_per_request: int = 512,
    seed: int = 0,
    start_ns: int = 1_750_000_000_000_000_000,
) -> list[ExportTraceServiceRequest]:
    """``n_spans`` spans (whole 4-span traces) in export requests of ``spans_per_request``."""
    rng = random.Random(seed)
    spans: list[Span] = []
    while len(spans) < n_spans:
        spans.extend(_trace(rng, start_ns + len(spans) * 1_000_000))
    resource = _attrs(
        {
            "service.name": "support-bot",
            "deployment.environment.name": "production",
            "telemetry.sdk.language": "python",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.version": "1.38.0",
        }
    )
    requests = []
    for i in range(0, n_spans, spans_per_request):
        request = ExportTraceServiceRequest()
        resource_spans: ResourceSpans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(resource)
        scope_spans: ScopeSpans = resource_spans.scope_spans.add()
        scope_spans.scope.name = "llmpulse"
        scope_spans.scope.version = "0.1.0"
        scope_spans.spans.extend(spans[i : min(i + spans_per_request, n_spans)])
        requests.append(request)
    return requests


def to_otlp_json(request: ExportTraceServiceRequest) -> bytes:
    """The OTLP/JSON body of ``request``: hex ids, as the OTLP/HTTP spec wants."""
    document: dict[str, Any] = json_format.MessageToDict(request)
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(document).encode()
