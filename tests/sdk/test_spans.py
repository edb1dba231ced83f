"""llmpulse.span(): a span for a block, with a handle to record on it."""

from __future__ import annotations

import pytest

import llmpulse
from llmpulse.testing import CapturedSpans


def test_span_block_records_input_output_and_attributes(spans: CapturedSpans):
    with llmpulse.span("retrieve", "retrieval", attributes={"k": 1}) as handle:
        handle.set_input({"query": "paris"})
        handle.set_attribute("retrieval.top_k", 3)
        handle.set_output(["doc-1", "doc-2"])
        assert handle.trace_id == llmpulse.current_trace_id()
        assert handle.span_id is not None and len(handle.span_id) == 16
    assert spans.as_dicts() == [
        {
            "name": "retrieve",
            "trace": 1,
            "span": 1,
            "parent": None,
            "status": "UNSET",
            "attributes": {
                "retrieval.top_k": 3,
                "llmpulse.span_type": "retrieval",
                "k": 1,
                "input.value": '{"query": "paris"}',
                "input.mime_type": "application/json",
                "output.value": '["doc-1", "doc-2"]',
                "output.mime_type": "application/json",
            },
            "events": [],
        }
    ]


async def test_async_span_block_is_parent_of_work_inside(spans: CapturedSpans):
    @llmpulse.observe(name="tool_call", span_type="tool")
    async def tool_call() -> str:
        return "ok"

    async with llmpulse.span("agent-run", "agent") as handle:
        await tool_call()
        handle.record_llm(model="gpt-4o", provider="openai", input_tokens=10, output_tokens=2)
    run, tool = sorted(spans.as_dicts(), key=lambda s: s["span"])
    assert tool["parent"] == run["span"]
    assert run["attributes"]["gen_ai.request.model"] == "gpt-4o"
    assert run["attributes"]["gen_ai.usage.input_tokens"] == 10
    assert run["attributes"]["gen_ai.operation.name"] == "invoke_agent"


def test_span_block_records_exceptions_and_reraises(spans: CapturedSpans):
    with pytest.raises(KeyError), llmpulse.span("lookup"):
        raise KeyError("missing")
    [span] = spans.as_dicts()
    assert span["status"] == "ERROR"
    assert span["events"][0]["name"] == "exception"


def test_handle_methods_are_no_ops_without_configure():
    with llmpulse.span("nothing", "llm") as handle:
        handle.set_input(1)
        handle.set_output(2)
        handle.set_attribute("a", "b")
        handle.record_llm(model="m")
        assert handle.trace_id is None
        assert handle.span_id is None
        assert llmpulse.current_trace_id() is None


def test_llm_span_reads_usage_from_set_output(spans: CapturedSpans):
    with llmpulse.span("chat", "llm") as handle:
        handle.set_output(
            {
                "object": "chat.completion",
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [
                    {"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
            }
        )
    attributes = spans.as_dicts()[0]["attributes"]
    assert attributes["gen_ai.usage.input_tokens"] == 5
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
