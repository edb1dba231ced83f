"""``llmpulse.instrument_openai()`` / ``instrument_anthropic()`` with the real ``openai``
and ``anthropic`` clients over a mocked HTTP transport (bodies and event streams as
the APIs send them)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest
from opentelemetry.trace import StatusCode

import llmpulse
from llmpulse.testing import CapturedSpans
from tests.sdk.test_llm import ANTHROPIC_MESSAGE, OPENAI_CHAT, OPENAI_RESPONSE

_TARGETS = (
    ("openai.resources.chat.completions", "Completions"),
    ("openai.resources.responses", "Responses"),
    ("openai.resources.embeddings", "Embeddings"),
    ("anthropic.resources.messages", "Messages"),
)


@pytest.fixture(autouse=True)
def restore_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Instrumenting patches the client classes: put them back after each test."""
    for module_name, name in _TARGETS:
        module = importlib.import_module(module_name)
        for cls in (getattr(module, name), getattr(module, f"Async{name}")):
            monkeypatch.setattr(cls, "create", cls.create)


@pytest.fixture(autouse=True)
def no_anthropic_own_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "false")


Handler = Callable[[httpx.Request], httpx.Response]


def openai_client(handler: Handler, **kw: Any) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://127.0.0.1/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        max_retries=0,
        **kw,
    )


def async_openai_client(handler: Handler) -> openai.AsyncOpenAI:
    async def respond(request: httpx.Request) -> httpx.Response:
        return handler(request)

    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="http://127.0.0.1/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(respond)),
        max_retries=0,
    )


def json_body(body: dict[str, Any]) -> Handler:
    return lambda request: httpx.Response(200, json=body)


def sse(events: list[tuple[str | None, Any]]) -> bytes:
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(out).encode()


def sse_body(events: list[tuple[str | None, Any]]) -> Handler:
    body = sse(events)
    return lambda request: httpx.Response(
        200, content=body, headers={"content-type": "text/event-stream"}
    )


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


OPENAI_STREAM = [
    (None, chunk({"role": "assistant", "content": ""})),
    (None, chunk({"content": "Hel"})),
    (None, chunk({"content": "lo!"})),
    (None, chunk({}, "stop")),
    (
        None,
        {
            **chunk({}),
            "choices": [],
            "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
        },
    ),
    (None, "[DONE]"),
]
OPENAI_TOOL_STREAM = [
    (
        None,
        chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ],
            }
        ),
    ),
    (None, chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]})),
    (None, chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]})),
    (None, chunk({}, "tool_calls")),
    (None, "[DONE]"),
]
HI = [{"role": "user", "content": "Hi"}]


def attrs(span: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in span["attributes"].items() if k.startswith(("gen_ai.", "llmpulse."))}


def test_chat_completion_sync(spans: CapturedSpans) -> None:
    llmpulse.instrument_openai()
    client = openai_client(json_body(OPENAI_CHAT))
    reply = client.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "The capital of France is Paris."
    [span] = spans.as_dicts()
    assert span["name"] == "chat gpt-4o"
    a = attrs(span)
    assert a["llmpulse.span_type"] == "llm"
    assert (a["gen_ai.request.model"], a["gen_ai.response.model"]) == (
        "gpt-4o",
        "gpt-4o-2024-08-06",
    )
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (1200, 300)
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert json.loads(a["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}
    ]
    assert "Paris" in a["gen_ai.output.messages"]


def test_chat_completion_stream_records_ttft_and_final_chunk_usage(spans: CapturedSpans) -> None:
    llmpulse.instrument_openai()
    client = openai_client(sse_body(OPENAI_STREAM))
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=HI, stream=True, stream_options={"include_usage": True}
    )  # type: ignore[call-overload]
    assert spans.as_dicts() == []  # recorded when the stream ends
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Hello!"
    [span] = spans.as_dicts()
    a = attrs(span)
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (9, 3)
    assert a["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert a["llmpulse.time_to_first_token_ms"] >= 0
    assert json.loads(a["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": "Hello!"}
    ]


def test_streamed_tool_calls_are_assembled(spans: CapturedSpans) -> None:
    llmpulse.instrument_openai()
    client = openai_client(sse_body(OPENAI_TOOL_STREAM))
    with client.chat.completions.create(model="gpt-4o-mini", messages=HI, stream=True) as stream:  # type: ignore[call-overload]
        for _ in stream:
            pass
    [span] = spans.as_dicts()
    a = attrs(span)
    assert a["gen_ai.response.finish_reasons"] == ("tool_calls",)
    [message] = json.loads(a["gen_ai.output.messages"])
    assert message["parts"][-1] == {
        "type": "tool_call",
        "id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
    }


async def test_async_chat_and_async_stream(spans: CapturedSpans) -> None:
    llmpulse.instrument_openai()
    client = async_openai_client(json_body(OPENAI_CHAT))
    await client.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    streaming = async_openai_client(sse_body(OPENAI_STREAM))
    stream = await streaming.chat.completions.create(
        model="gpt-4o-mini", messages=HI, stream=True, stream_options={"include_usage": True}
    )  # type: ignore[call-overload]
    async for _ in stream:
        pass
    first, second = spans.as_dicts()
    assert attrs(first)["gen_ai.usage.input_tokens"] == 1200
    assert attrs(second)["gen_ai.usage.input_tokens"] == 9
    assert "llmpulse.time_to_first_token_ms" in attrs(second)


def test_responses_api_and_embeddings(spans: CapturedSpans) -> None:
    llmpulse.instrument_openai()
    client = openai_client(json_body(OPENAI_RESPONSE))
    client.responses.create(model="o4-mini", input="Capital of France?", instructions="Be brief.")
    embeddings = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8},
    }
    openai_client(json_body(embeddings)).embeddings.create(
        model="text-embedding-3-small", input="hello"
    )
    response, embedding = spans.as_dicts()
    a = attrs(response)
    assert response["name"] == "chat o4-mini"
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (36, 87)
    assert json.loads(a["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]},
    ]
    e = attrs(embedding)
    assert embedding["name"] == "embeddings text-embedding-3-small"
    assert (e["llmpulse.span_type"], e["gen_ai.operation.name"]) == ("embedding", "embeddings")
    assert (e["gen_ai.usage.input_tokens"], e["gen_ai.response.model"]) == (
        8,
        "text-embedding-3-small",
    )


def test_errors_are_recorded_and_raised_unchanged(spans: CapturedSpans) -> None:
    llmpulse.instrument_openai()
    client = openai_client(
        lambda request: httpx.Response(400, json={"error": {"message": "bad model"}})
    )
    with pytest.raises(openai.BadRequestError, match="bad model"):
        client.chat.completions.create(model="nope", messages=HI)  # type: ignore[arg-type]
    [span] = spans.spans
    assert span.status.status_code is StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]


def test_one_client_only(spans: CapturedSpans) -> None:
    traced = openai_client(json_body(OPENAI_CHAT))
    other = openai_client(json_body(OPENAI_CHAT))
    llmpulse.instrument_openai(traced)
    llmpulse.instrument_openai(traced)  # twice: still one span per call
    traced.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    other.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    assert len(spans.spans) == 1


def test_inside_observe_the_call_is_a_child_llm_span(spans: CapturedSpans) -> None:
    """Both spans carry the usage; the collector counts the inner one (see
    tests/collector/api/test_nested_llm_totals.py for the totals)."""
    llmpulse.instrument_openai()
    client = openai_client(json_body(OPENAI_CHAT))

    @llmpulse.observe(span_type="llm")
    def ask() -> Any:
        return client.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]

    ask()
    inner, outer = spans.spans
    assert inner.parent is not None and inner.parent.span_id == outer.context.span_id
    assert inner.attributes["gen_ai.usage.input_tokens"] == 1200  # type: ignore[index]


def test_not_configured_is_a_plain_call() -> None:
    llmpulse.instrument_openai()
    client = openai_client(json_body(OPENAI_CHAT))
    reply = client.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    assert reply.usage is not None and reply.usage.prompt_tokens == 1200


def anthropic_client(handler: Callable[[httpx2.Request], httpx2.Response]) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url="http://127.0.0.1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


ANTHROPIC_STREAM = [
    (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-20250514",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 50,
                    "cache_creation_input_tokens": 1000,
                    "cache_read_input_tokens": 2000,
                    "output_tokens": 1,
                },
            },
        },
    ),
    (
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    ),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}},
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {},
            },
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"location": "Paris"}'},
        },
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 75},
        },
    ),
    ("message_stop", {"type": "message_stop"}),
]


def test_anthropic_messages_sync_and_stream(spans: CapturedSpans) -> None:
    llmpulse.instrument_anthropic()
    plain = anthropic_client(lambda request: httpx2.Response(200, json=ANTHROPIC_MESSAGE))
    plain.messages.create(
        model="claude-sonnet-4-20250514", max_tokens=256, system="Be brief.", messages=HI
    )  # type: ignore[arg-type]
    body = sse(ANTHROPIC_STREAM)  # type: ignore[arg-type]
    streaming = anthropic_client(
        lambda request: httpx2.Response(
            200, content=body, headers={"content-type": "text/event-stream"}
        )
    )
    stream = streaming.messages.create(
        model="claude-sonnet-4-20250514", max_tokens=256, messages=HI, stream=True
    )  # type: ignore[arg-type]
    for _ in stream:
        pass
    for span in spans.as_dicts():
        a = attrs(span)
        assert span["name"] == "chat claude-sonnet-4-20250514"
        assert a["gen_ai.provider.name"] == "anthropic"
        assert a["gen_ai.usage.input_tokens"] == 3050  # cache reads and writes counted in
        assert (a["gen_ai.usage.output_tokens"], a["gen_ai.usage.cache_creation.input_tokens"]) == (
            75,
            1000,
        )
        assert a["gen_ai.response.finish_reasons"] == ("tool_use",)
        parts = json.loads(a["gen_ai.output.messages"])[0]["parts"]
        assert parts[-1]["arguments"] == {"location": "Paris"}
    first, second = spans.as_dicts()
    assert json.loads(attrs(first)["gen_ai.input.messages"])[0]["role"] == "system"
    assert "llmpulse.time_to_first_token_ms" in attrs(second)
    assert json.loads(attrs(second)["gen_ai.output.messages"])[0]["parts"][0] == {
        "type": "text",
        "content": "Hi!",
    }


async def test_anthropic_async(spans: CapturedSpans) -> None:
    llmpulse.instrument_anthropic()

    async def respond(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=ANTHROPIC_MESSAGE)

    client = anthropic.AsyncAnthropic(
        api_key="sk-ant-test",
        base_url="http://127.0.0.1",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(respond)),
    )
    await client.messages.create(model="claude-sonnet-4-20250514", max_tokens=256, messages=HI)  # type: ignore[arg-type]
    [span] = spans.as_dicts()
    assert attrs(span)["gen_ai.usage.output_tokens"] == 75
