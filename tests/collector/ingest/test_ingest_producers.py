"""One span per producer, in the shape that producer really emits (attribute and event
names captured from the real instrumentation packages), and every canonical field it
should fill: model, provider, tokens, cost, finish reason, time to first token, content.
"""

from __future__ import annotations

import json

import pytest

from llmpulse_collector.ingest import compute_cost, normalize
from tests.collector.ingest.otlp_builders import (
    NOW,
    START,
    make_request,
    make_span,
    normalize_one,
)

MS = 1_000_000


def _price(provider: str, model: str, **tokens: int) -> float:
    cost = compute_cost(provider, model, at_ns=START, **tokens)  # type: ignore[arg-type]
    assert cost is not None and cost > 0
    return cost


def test_openllmetry_streamed_chat():
    """traceloop's opentelemetry-instrumentation-openai, stream=True."""
    row = normalize_one(
        {
            "llm.request.type": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "llm.is_streaming": True,
            "gen_ai.prompt.0.role": "user",
            "gen_ai.prompt.0.content": "Hi",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "Hello!",
            "gen_ai.completion.0.finish_reason": "stop",
            "gen_ai.usage.prompt_tokens": 9,
            "gen_ai.usage.completion_tokens": 3,
            "llm.usage.total_tokens": 12,
        },
        name="openai.chat",
        events=[
            ("gen_ai.content.completion.chunk", START + 180 * MS, {}),
            ("gen_ai.content.completion.chunk", START + 200 * MS, {}),
        ],
    )
    assert (row.span_type, row.provider, row.model) == ("llm", "openai", "gpt-4o-mini-2024-07-18")
    assert (row.input_tokens, row.output_tokens, row.finish_reason) == (9, 3, "stop")
    assert row.cost_usd == pytest.approx(
        _price("openai", "gpt-4o-mini-2024-07-18", input_tokens=9, output_tokens=3)
    )
    assert row.time_to_first_token_ms == pytest.approx(180.0)
    assert json.loads(row.input) == [{"role": "user", "content": "Hi"}]
    assert json.loads(row.output)[0]["content"] == "Hello!"


def test_openinference_openai_streamed_chat():
    """openinference-instrumentation-openai, stream=True."""
    row = normalize_one(
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini-2024-07-18",
            "llm.provider": "openai",
            "llm.system": "openai",
            "llm.invocation_parameters": '{"model": "gpt-4o-mini", "stream": true}',
            "input.value": '{"messages": [{"role": "user", "content": "Hi"}], "stream": true}',
            "input.mime_type": "application/json",
            "output.value": '{"choices": [{"message": {"content": "Hello!"}}]}',
            "output.mime_type": "application/json",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "Hi",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "Hello!",
            "llm.finish_reason": "stop",
            "llm.token_count.prompt": 9,
            "llm.token_count.completion": 3,
            "llm.token_count.total": 12,
        },
        name="ChatCompletion",
        events=[("First Token Stream Event", START + 240 * MS, {})],
    )
    assert (row.span_type, row.provider, row.model) == ("llm", "openai", "gpt-4o-mini-2024-07-18")
    assert (row.input_tokens, row.output_tokens, row.finish_reason) == (9, 3, "stop")
    assert row.cost_usd == pytest.approx(
        _price("openai", "gpt-4o-mini-2024-07-18", input_tokens=9, output_tokens=3)
    )
    assert row.time_to_first_token_ms == pytest.approx(240.0)
    assert json.loads(row.input) == [{"role": "user", "content": "Hi"}]
    assert json.loads(row.output) == [{"role": "assistant", "content": "Hello!"}]


LANGCHAIN_INPUT = json.dumps(
    {
        "messages": [
            [
                {
                    "lc": 1,
                    "type": "constructor",
                    "id": ["langchain", "schema", "messages", "HumanMessage"],
                    "kwargs": {"content": "What is 2+2?", "type": "human"},
                }
            ]
        ]
    }
)


def test_openinference_langchain_prefers_structured_messages():
    """openinference-instrumentation-langchain around ChatOpenAI: ``input.value`` holds
    LangChain's serialization; the structured messages are what a person reads."""
    row = normalize_one(
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.provider": "openai",
            "llm.system": "openai",
            "input.value": LANGCHAIN_INPUT,
            "input.mime_type": "application/json",
            "output.value": '{"generations": [[{"text": "4", "type": "ChatGeneration"}]]}',
            "output.mime_type": "application/json",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "What is 2+2?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "4",
            "llm.token_count.prompt": 14,
            "llm.token_count.completion": 1,
            "llm.token_count.total": 15,
            "metadata": '{"ls_provider": "openai", "ls_model_name": "gpt-4o-mini"}',
        },
        name="ChatOpenAI",
    )
    assert json.loads(row.input) == [{"role": "user", "content": "What is 2+2?"}]
    assert json.loads(row.output) == [{"role": "assistant", "content": "4"}]
    assert row.attributes["input.value"] == LANGCHAIN_INPUT  # kept, not lost
    assert (row.model, row.input_tokens, row.output_tokens) == ("gpt-4o-mini", 14, 1)
    assert row.cost_usd == pytest.approx(
        _price("openai", "gpt-4o-mini", input_tokens=14, output_tokens=1)
    )


def test_openinference_input_value_stays_without_structured_messages():
    row = normalize_one({"openinference.span.kind": "CHAIN", "input.value": '{"q": 1}'})
    assert row.input == '{"q": 1}'


def test_openinference_embeddings():
    row = normalize_one(
        {
            "openinference.span.kind": "EMBEDDING",
            "embedding.model_name": "text-embedding-3-small",
            "llm.system": "openai",
            "input.value": '{"input": "hello", "model": "text-embedding-3-small"}',
            "embedding.embeddings.0.embedding.text": "hello",
            "llm.token_count.prompt": 8,
            "llm.token_count.total": 8,
        },
        name="CreateEmbeddingResponse",
    )
    assert (row.span_type, row.model, row.provider) == (
        "embedding",
        "text-embedding-3-small",
        "openai",
    )
    assert row.input_tokens == 8
    assert row.cost_usd == pytest.approx(
        _price("openai", "text-embedding-3-small", input_tokens=8, output_tokens=0)
    )


def test_openlit_chat_with_zero_cost_and_event_content():
    """OpenLIT reports cost 0 when its price list is unavailable: priced here instead.
    Its time to first token is in seconds."""
    row = normalize_one(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 10,
            "gen_ai.usage.total_tokens": 110,
            "gen_ai.usage.cost": 0,
            "gen_ai.response.finish_reasons": ["stop"],
            "gen_ai.server.time_to_first_token": 0.25,
            "gen_ai.server.time_per_output_token": 0.01,
            "gen_ai.request.is_stream": True,
        },
        name="chat gpt-4o",
        events=[
            ("gen_ai.content.prompt", START, {"gen_ai.prompt": "user: Hi"}),
            ("gen_ai.content.completion", START + 1, {"gen_ai.completion": "Hello!"}),
        ],
    )
    assert (row.span_type, row.provider, row.model) == ("llm", "openai", "gpt-4o-2024-08-06")
    assert (row.input_tokens, row.output_tokens, row.finish_reason) == (100, 10, "stop")
    assert row.cost_usd == pytest.approx(
        _price("openai", "gpt-4o-2024-08-06", input_tokens=100, output_tokens=10)
    )
    assert row.time_to_first_token_ms == pytest.approx(250.0)
    assert (row.input, row.output) == ("user: Hi", "Hello!")


def test_a_reported_cost_is_kept_and_zero_without_tokens_is_zero():
    kept = normalize_one(
        {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 5, "gen_ai.usage.cost": 0.5}
    )
    assert kept.cost_usd == 0.5
    free = normalize_one({"gen_ai.request.model": "gpt-4o", "gen_ai.usage.cost": 0})
    assert free.cost_usd == 0


def test_anthropic_sdk_own_chat_span():
    """The ``anthropic`` package's own tracing (a TracerProvider registered): stop
    reason, cache writes and time to first chunk (seconds) under its own names."""
    tokens = {"input_tokens": 20, "output_tokens": 50, "cache_read": 1000, "cache_write": 300}
    row = normalize_one(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-sonnet-4-5",
            "gen_ai.response.model": "claude-sonnet-4-5-20250929",
            "gen_ai.usage.input_tokens": tokens["input_tokens"],
            "gen_ai.usage.output_tokens": tokens["output_tokens"],
            "gen_ai.usage.cache_read.input_tokens": tokens["cache_read"],
            "gen_ai.usage.cache_write.input_tokens": tokens["cache_write"],
            "anthropic.message.stop_reason": "end_turn",
            "gen_ai.response.time_to_first_chunk": 0.31,
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
            ),
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}]}]
            ),
        },
        name="chat claude-sonnet-4-5",
    )
    assert (row.span_type, row.provider, row.model) == (
        "llm",
        "anthropic",
        "claude-sonnet-4-5-20250929",
    )
    # Anthropic counts input without the cache; the row counts it in.
    assert (row.input_tokens, row.cache_read_tokens, row.cache_write_tokens) == (1320, 1000, 300)
    assert row.finish_reason == "end_turn"
    assert row.time_to_first_token_ms == pytest.approx(310.0)
    without_writes = _price(
        "anthropic",
        "claude-sonnet-4-5-20250929",
        input_tokens=1320,
        output_tokens=50,
        cache_read_tokens=1000,
    )
    assert row.cost_usd == pytest.approx(
        _price(
            "anthropic",
            "claude-sonnet-4-5-20250929",
            input_tokens=1320,
            output_tokens=50,
            cache_read_tokens=1000,
            cache_write_tokens=300,
        )
    )
    assert row.cost_usd > without_writes  # cache writes cost more than plain input
    assert json.loads(row.output)[0]["parts"][0]["content"] == "Hello"


def test_otel_openai_v2_chat_span():
    """opentelemetry-instrumentation-openai-v2: attributes only (content goes to log
    events, see the /v1/logs tests)."""
    row = normalize_one(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.response.id": "chatcmpl-1",
            "gen_ai.response.finish_reasons": ["tool_calls"],
            "gen_ai.usage.input_tokens": 30,
            "gen_ai.usage.output_tokens": 12,
            "server.address": "api.openai.com",
        },
        name="chat gpt-4o-mini",
    )
    assert (row.provider, row.model, row.finish_reason) == (
        "openai",
        "gpt-4o-mini-2024-07-18",
        "tool_calls",
    )
    assert row.cost_usd == pytest.approx(
        _price("openai", "gpt-4o-mini-2024-07-18", input_tokens=30, output_tokens=12)
    )


def test_logfire_openai_span():
    """logfire.instrument_openai(): GenAI attributes plus its request/response data."""
    row = normalize_one(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.usage.input_tokens": 40,
            "gen_ai.usage.output_tokens": 8,
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
            ),
            "gen_ai.output.messages": json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": "Hey"}],
                        "finish_reason": "stop",
                    }
                ]
            ),
            "gen_ai.response.finish_reasons": ["stop"],
            "request_data": '{"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}',
            "logfire.span_type": "span",
            "logfire.msg": "Chat Completion with 'gpt-4o'",
        },
        name="Chat Completion with {request_data[model]!r}",
    )
    assert (row.span_type, row.provider, row.model, row.finish_reason) == (
        "llm",
        "openai",
        "gpt-4o-2024-08-06",
        "stop",
    )
    assert json.loads(row.input)[0]["parts"][0]["content"] == "Hi"
    assert row.cost_usd == pytest.approx(
        _price("openai", "gpt-4o-2024-08-06", input_tokens=40, output_tokens=8)
    )


def test_unpriced_counts_only_calls_with_tokens_that_did_not_fail():
    spans = [
        make_span({"gen_ai.request.model": "my-own-model", "gen_ai.usage.input_tokens": 5}),
        make_span(  # failed call: not "unpriced"
            {"gen_ai.request.model": "my-own-model", "gen_ai.usage.input_tokens": 5},
            span_id=b"\x01" * 8,
            status=2,
        ),
        make_span(  # a request span without tokens
            {"gen_ai.operation.name": "chat", "gen_ai.request.model": "my-own-model"},
            span_id=b"\x02" * 8,
        ),
    ]
    batch = normalize(make_request(*spans), project_id="p", now_ns=NOW)
    assert len(batch.spans) == 3
    assert batch.unpriced == 1
