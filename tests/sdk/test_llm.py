"""GenAI attributes: record_llm(), and automatic extraction from the real openai and
anthropic clients' responses (HTTP mocked with httpx.MockTransport, bodies as the APIs
return them). openai accepts an ``httpx.Client``; this anthropic release only accepts
its successor, ``httpx2.Client`` (same API)."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import httpx2
import openai

import llmpulse
from llmpulse.testing import CapturedSpans

OPENAI_CHAT = {
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "object": "chat.completion",
    "created": 1741569952,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "The capital of France is Paris.",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 1200,
        "completion_tokens": 300,
        "total_tokens": 1500,
        "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 128,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": "fp_fc9f1d7035",
}

OPENAI_RESPONSE = {
    "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
    "object": "response",
    "created_at": 1741476542,
    "status": "completed",
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "max_output_tokens": None,
    "model": "o4-mini-2025-04-16",
    "output": [
        {
            "type": "reasoning",
            "id": "rs_67ccd2bf17f0819081ff3bb2cf6508e6",
            "summary": [{"type": "summary_text", "text": "Thinking about capitals."}],
        },
        {
            "type": "message",
            "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Paris.", "annotations": []}],
        },
    ],
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": "medium", "summary": "auto"},
    "store": True,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": {
        "input_tokens": 36,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 87,
        "output_tokens_details": {"reasoning_tokens": 64},
        "total_tokens": 123,
    },
    "user": None,
    "metadata": {},
}

ANTHROPIC_MESSAGE = {
    "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-20250514",
    "content": [
        {"type": "text", "text": "Let me check the weather."},
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "get_weather",
            "input": {"location": "Paris"},
        },
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 50,
        "cache_creation_input_tokens": 1000,
        "cache_read_input_tokens": 2000,
        "output_tokens": 75,
        "service_tier": "standard",
    },
}


def mock_http(body: dict[str, Any], seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=body)

    return httpx.Client(transport=httpx.MockTransport(handler))


def llm_attrs(spans: CapturedSpans) -> dict[str, object]:
    [span] = spans.as_dicts()
    return {k: v for k, v in span["attributes"].items() if k.startswith(("gen_ai.", "llmpulse.c"))}


def test_openai_chat_completion_is_read_automatically(spans: CapturedSpans):
    seen: list[httpx.Request] = []
    client = openai.OpenAI(
        api_key="sk-test", base_url="http://127.0.0.1/v1", http_client=mock_http(OPENAI_CHAT, seen)
    )

    @llmpulse.observe(span_type="llm")
    def ask(question: str) -> Any:
        return client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": question}]
        )

    assert ask("Capital of France?").choices[0].message.content == "The capital of France is Paris."
    assert seen[0].url.path == "/v1/chat/completions"
    assert llm_attrs(spans) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-2024-08-06",
        "gen_ai.provider.name": "openai",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.usage.cache_read.input_tokens": 1024,
        "gen_ai.usage.reasoning.output_tokens": 128,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.output.messages": json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "The capital of France is Paris."}],
                    "finish_reason": "stop",
                }
            ]
        ),
    }


def test_model_and_messages_arguments_are_the_request(spans: CapturedSpans):
    seen: list[httpx.Request] = []
    client = openai.OpenAI(
        api_key="sk-test", base_url="http://127.0.0.1/v1", http_client=mock_http(OPENAI_CHAT, seen)
    )

    @llmpulse.observe(span_type="llm")
    def chat(model: str, messages: list[dict[str, str]]) -> Any:
        return client.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]

    chat("gpt-4o", [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    attributes = llm_attrs(spans)
    assert attributes["gen_ai.request.model"] == "gpt-4o"
    assert attributes["gen_ai.response.model"] == "gpt-4o-2024-08-06"
    assert json.loads(attributes["gen_ai.input.messages"]) == [  # type: ignore[arg-type]
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]},
    ]


async def test_openai_responses_api_async_client(spans: CapturedSpans):
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=OPENAI_RESPONSE)

    client = openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="http://127.0.0.1/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )

    @llmpulse.observe(span_type="llm")
    async def ask(question: str) -> Any:
        return await client.responses.create(model="o4-mini", input=question)

    assert (await ask("Capital of France?")).output_text == "Paris."
    attributes = llm_attrs(spans)
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "o4-mini-2025-04-16"
    assert attributes["gen_ai.usage.input_tokens"] == 36
    assert attributes["gen_ai.usage.output_tokens"] == 87
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 0
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 64
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert json.loads(attributes["gen_ai.output.messages"]) == [  # type: ignore[arg-type]
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "Thinking about capitals."},
                {"type": "text", "content": "Paris."},
            ],
            "finish_reason": "stop",
        }
    ]


def test_anthropic_message_with_cache_and_tool_use(spans: CapturedSpans):
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=ANTHROPIC_MESSAGE)

    client = anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url="http://127.0.0.1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )

    @llmpulse.observe(span_type="llm")
    def ask(question: str) -> Any:
        return client.messages.create(
            model="claude-sonnet-4-20250514",
            max_tokens=256,
            messages=[{"role": "user", "content": question}],
        )

    assert ask("Weather in Paris?").stop_reason == "tool_use"
    assert seen[0].url.path == "/v1/messages"
    assert llm_attrs(spans) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-sonnet-4-20250514",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.response.model": "claude-sonnet-4-20250514",
        # GenAI semconv: input tokens include the cached ones (Anthropic reports them apart)
        "gen_ai.usage.input_tokens": 3050,
        "gen_ai.usage.output_tokens": 75,
        "gen_ai.usage.cache_read.input_tokens": 2000,
        "gen_ai.usage.cache_creation.input_tokens": 1000,
        "gen_ai.response.finish_reasons": ("tool_use",),
        "gen_ai.output.messages": json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [
                        {"type": "text", "content": "Let me check the weather."},
                        {
                            "type": "tool_call",
                            "id": "toolu_01A09q90qw90lq917835lq9",
                            "name": "get_weather",
                            "arguments": {"location": "Paris"},
                        },
                    ],
                    "finish_reason": "tool_use",
                }
            ]
        ),
    }


def test_dict_shaped_responses_work_too(spans: CapturedSpans):
    @llmpulse.observe(name="raw", span_type="llm")
    def raw() -> dict[str, Any]:
        return ANTHROPIC_MESSAGE

    raw()
    assert llm_attrs(spans)["gen_ai.usage.output_tokens"] == 75


def test_only_llm_spans_extract(spans: CapturedSpans):
    @llmpulse.observe(name="chain")
    def chain() -> dict[str, Any]:
        return OPENAI_CHAT

    chain()
    assert llm_attrs(spans) == {}


def test_record_llm_sets_genai_attributes_on_the_current_span(spans: CapturedSpans):
    @llmpulse.observe(name="call", span_type="llm")
    def call() -> str:
        llmpulse.record_llm(
            model="my-model",
            provider="vllm",
            input_tokens=10,
            output_tokens=5,
            cache_read_tokens=2,
            cache_write_tokens=1,
            reasoning_tokens=3,
            input_messages=[{"role": "user", "content": "hi"}],
            output_messages=[{"role": "assistant", "content": "hello"}],
            finish_reason="stop",
            response_model="my-model-v2",
            cost_usd=0.0012,
        )
        return "hello"

    call()
    assert llm_attrs(spans) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "my-model",
        "gen_ai.provider.name": "vllm",
        "gen_ai.response.model": "my-model-v2",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.usage.cache_read.input_tokens": 2,
        "gen_ai.usage.cache_creation.input_tokens": 1,
        "gen_ai.usage.reasoning.output_tokens": 3,
        "gen_ai.response.finish_reasons": ("stop",),
        "llmpulse.cost_usd": 0.0012,
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]',
        "gen_ai.output.messages": (
            '[{"role": "assistant", "parts": [{"type": "text", "content": "hello"}]}]'
        ),
    }


def test_explicit_record_llm_wins_over_extraction(spans: CapturedSpans):
    @llmpulse.observe(name="call", span_type="llm")
    def call() -> dict[str, Any]:
        llmpulse.record_llm(model="gpt-4o", input_tokens=1, cost_usd=0.5)
        return OPENAI_CHAT

    call()
    attributes = llm_attrs(spans)
    assert attributes["gen_ai.usage.input_tokens"] == 1
    assert attributes["gen_ai.request.model"] == "gpt-4o"
    assert attributes["gen_ai.usage.output_tokens"] == 300


def test_record_llm_without_a_span_or_configure_is_a_no_op(spans: CapturedSpans):
    llmpulse.record_llm(model="m", input_tokens=1)
    assert spans.spans == []
