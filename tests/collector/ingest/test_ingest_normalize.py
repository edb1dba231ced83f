"""Normalizing spans into canonical rows, one convention family at a time.

Each test feeds the attributes an instrumentation library really writes and checks the
canonical columns it should fill.
"""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from llmpulse_collector.ingest import Limits, PayloadTooLarge, normalize
from llmpulse_collector.model import SpanRow
from tests.collector.ingest.otlp_builders import (
    END,
    NOW,
    PARENT_ID,
    SPAN_ID,
    START,
    TRACE_ID,
    make_request,
    make_span,
    normalize_one,
)

MESSAGES_IN = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}])
MESSAGES_OUT = json.dumps(
    [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Hello!"}],
            "finish_reason": "stop",
        }
    ]
)


def test_whole_row_of_an_otel_genai_chat_span():
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 200,
        "gen_ai.usage.cache_read.input_tokens": 400,
        "gen_ai.usage.reasoning.output_tokens": 50,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.conversation.id": "conv-1",
        "gen_ai.input.messages": MESSAGES_IN,
        "gen_ai.output.messages": MESSAGES_OUT,
        "gen_ai.request.temperature": 0.5,
    }
    batch = normalize(
        make_request(
            make_span(
                attrs,
                name="chat gpt-4o",
                parent_span_id=PARENT_ID,
                kind=Span.SPAN_KIND_CLIENT,
                status=Status.STATUS_CODE_OK,
            ),
            resource={"service.name": "support-bot", "deployment.environment.name": "prod"},
            scope="opentelemetry.instrumentation.openai_v2",
        ),
        project_id="proj",
        now_ns=NOW,
    )
    (row,) = batch.spans
    assert row.cost_usd is not None and row.cost_usd > 0
    expected = SpanRow(
        project_id="proj",
        trace_id=TRACE_ID.hex(),
        span_id=SPAN_ID.hex(),
        parent_span_id=PARENT_ID.hex(),
        name="chat gpt-4o",
        kind="CLIENT",
        service_name="support-bot",
        scope_name="opentelemetry.instrumentation.openai_v2",
        environment="prod",
        start_time=START,
        end_time=END,
        duration_ms=1250.0,
        status_code="OK",
        status_message="",
        span_type="llm",
        model="gpt-4o-2024-08-06",  # the response model: what actually ran
        provider="openai",
        input_tokens=1000,
        output_tokens=200,
        cache_read_tokens=400,
        cache_write_tokens=0,
        reasoning_tokens=50,
        cost_usd=row.cost_usd,  # checked in test_ingest_pricing
        time_to_first_token_ms=None,
        finish_reason="stop",
        tool_name="",
        session_id="conv-1",
        user_id="",
        tags=[],
        input=MESSAGES_IN,
        output=MESSAGES_OUT,
        attributes={  # the message attributes are in input / output, not repeated here
            **{k: v for k, v in attrs.items() if isinstance(v, str) and "messages" not in k},
            "gen_ai.usage.input_tokens": "1000",
            "gen_ai.usage.output_tokens": "200",
            "gen_ai.usage.cache_read.input_tokens": "400",
            "gen_ai.usage.reasoning.output_tokens": "50",
            "gen_ai.response.finish_reasons": '["stop"]',
            "gen_ai.request.temperature": "0.5",
        },
        resource_attributes={"service.name": "support-bot", "deployment.environment.name": "prod"},
        events="[]",
        ingested_at=NOW,
    )
    assert row == expected
    assert (batch.rejected, batch.errors, batch.unpriced, batch.evaluations) == (0, [], 0, [])


def test_row_fields_are_filled_in_declared_order():
    # normalize builds rows positionally (faster); this pins the order it relies on.
    names = [f.name for f in fields(SpanRow)]
    assert names[:5] == ["project_id", "trace_id", "span_id", "parent_span_id", "name"]
    assert names[-5:] == ["output", "attributes", "resource_attributes", "events", "ingested_at"]
    assert len(names) == 35


def test_deprecated_genai_names():
    row = normalize_one(
        {
            "gen_ai.system": "anthropic",
            "gen_ai.request.model": "claude-3-5-haiku-20241022",
            "gen_ai.usage.prompt_tokens": 300,
            "gen_ai.usage.completion_tokens": 40,
            "gen_ai.usage.cache_read_input_tokens": 100,
            "gen_ai.usage.cache_creation_input_tokens": 50,
        }
    )
    assert (row.provider, row.model, row.span_type) == (
        "anthropic",
        "claude-3-5-haiku-20241022",
        "llm",
    )
    assert (row.input_tokens, row.output_tokens) == (300, 40)
    assert (row.cache_read_tokens, row.cache_write_tokens) == (100, 50)


def test_current_genai_names_win_over_deprecated_ones():
    row = normalize_one(
        {
            "gen_ai.system": "old",
            "gen_ai.provider.name": "openai",
            "gen_ai.usage.prompt_tokens": 1,
            "gen_ai.usage.input_tokens": 2,
        }
    )
    assert (row.provider, row.input_tokens) == ("openai", 2)


def test_input_tokens_that_exclude_the_cache_are_made_inclusive():
    # Anthropic's API counts input without cache reads/writes; OTel GenAI counts them in.
    row = normalize_one(
        {
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-sonnet-4-5",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.cache_read.input_tokens": 3000,
            "gen_ai.usage.cache_creation.input_tokens": 500,
        }
    )
    assert row.input_tokens == 3510


@pytest.mark.parametrize(
    ("operation", "span_type"),
    [
        ("chat", "llm"),
        ("text_completion", "llm"),
        ("generate_content", "llm"),
        ("embeddings", "embedding"),
        ("execute_tool", "tool"),
        ("invoke_agent", "agent"),
        ("create_agent", "agent"),
    ],
)
def test_genai_operation_name_gives_the_span_type(operation, span_type):
    assert normalize_one({"gen_ai.operation.name": operation}).span_type == span_type


def test_genai_tool_span():
    row = normalize_one(
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "call_1",
        }
    )
    assert (row.span_type, row.tool_name, row.cost_usd) == ("tool", "get_weather", None)


def test_genai_system_instructions_are_put_in_front_of_the_input_messages():
    instructions = json.dumps([{"type": "text", "content": "Be brief."}])
    row = normalize_one(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system_instructions": instructions,
            "gen_ai.input.messages": MESSAGES_IN,
            "gen_ai.output.messages": MESSAGES_OUT,
        }
    )
    assert json.loads(row.input) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        *json.loads(MESSAGES_IN),
    ]


def test_older_genai_event_based_content():
    row = normalize_one(
        {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini"},
        events=[
            ("gen_ai.system.message", START, {"content": "Be brief."}),
            ("gen_ai.user.message", START, {"content": "Hi"}),
            (
                "gen_ai.choice",
                END,
                {"index": 0, "finish_reason": "stop", "message": {"content": "Hello!"}},
            ),
        ],
    )
    assert json.loads(row.input) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert json.loads(row.output) == [
        {"index": 0, "finish_reason": "stop", "message": {"content": "Hello!"}}
    ]
    assert (row.finish_reason, row.span_type) == ("stop", "llm")  # model + messages: an LLM call


def test_openinference_llm_span():
    row = normalize_one(
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.provider": "openai",
            "llm.system": "openai",
            "llm.token_count.prompt": 120,
            "llm.token_count.completion": 30,
            "llm.token_count.total": 150,
            "llm.token_count.prompt_details.cache_read": 20,
            "llm.token_count.prompt_details.cache_write": 10,
            "llm.token_count.completion_details.reasoning": 5,
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "Be brief.",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.contents.0.message_content.type": "text",
            "llm.input_messages.1.message.contents.0.message_content.text": "Hi",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "Hello!",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "lookup",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{}",
            "session.id": "sess-1",
            "user.id": "user-1",
            "tag.tags": ["beta", "rag"],
        }
    )
    assert (row.span_type, row.model, row.provider) == ("llm", "gpt-4o-mini", "openai")
    assert (row.input_tokens, row.output_tokens) == (120, 30)
    assert (row.cache_read_tokens, row.cache_write_tokens, row.reasoning_tokens) == (20, 10, 5)
    assert json.loads(row.input) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert json.loads(row.output) == [
        {
            "role": "assistant",
            "content": "Hello!",
            "tool_calls": [{"name": "lookup", "arguments": "{}"}],
        }
    ]
    assert (row.session_id, row.user_id, row.tags) == ("sess-1", "user-1", ["beta", "rag"])
    assert row.cost_usd is not None and row.cost_usd > 0


def test_openinference_structured_messages_win_over_input_value():
    row = normalize_one(
        {
            "openinference.span.kind": "LLM",
            "input.value": '{"messages": [{"role": "user", "content": "Hi"}]}',
            "input.mime_type": "application/json",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "Hi",
        }
    )
    assert json.loads(row.input) == [{"role": "user", "content": "Hi"}]
    assert row.attributes["input.value"] == '{"messages": [{"role": "user", "content": "Hi"}]}'


@pytest.mark.parametrize(
    ("kind", "span_type"),
    [
        ("LLM", "llm"),
        ("CHAIN", "chain"),
        ("TOOL", "tool"),
        ("RETRIEVER", "retrieval"),
        ("RERANKER", "retrieval"),
        ("EMBEDDING", "embedding"),
        ("AGENT", "agent"),
        ("EVALUATOR", "evaluator"),
        ("GUARDRAIL", "guardrail"),
        ("UNKNOWN", "other"),
    ],
)
def test_openinference_span_kinds(kind, span_type):
    assert normalize_one({"openinference.span.kind": kind}).span_type == span_type


def test_openinference_tool_span():
    row = normalize_one(
        {
            "openinference.span.kind": "TOOL",
            "tool.name": "search",
            "input.value": '{"q": "x"}',
            "output.value": "3 results",
        }
    )
    assert (row.span_type, row.tool_name, row.input, row.output) == (
        "tool",
        "search",
        '{"q": "x"}',
        "3 results",
    )


def test_openllmetry_llm_span():
    row = normalize_one(
        {
            "llm.request.type": "chat",
            "gen_ai.system": "OpenAI",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.prompt.0.role": "user",
            "gen_ai.prompt.0.content": "Hi",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "Hello!",
            "gen_ai.completion.0.finish_reason": "stop",
            "gen_ai.usage.prompt_tokens": 9,
            "gen_ai.usage.completion_tokens": 3,
            "llm.usage.total_tokens": 12,
            "traceloop.association.properties.session_id": "s-9",
            "traceloop.association.properties.user_id": "u-9",
        }
    )
    assert (row.span_type, row.provider, row.model) == ("llm", "openai", "gpt-4o-mini-2024-07-18")
    assert json.loads(row.input) == [{"role": "user", "content": "Hi"}]
    assert json.loads(row.output) == [
        {"role": "assistant", "content": "Hello!", "finish_reason": "stop"}
    ]
    assert (row.finish_reason, row.input_tokens, row.output_tokens) == ("stop", 9, 3)
    assert (row.session_id, row.user_id) == ("s-9", "u-9")


def test_openllmetry_only_total_tokens_gives_the_input_part():
    row = normalize_one(
        {
            "gen_ai.request.model": "m",
            "gen_ai.usage.completion_tokens": 3,
            "llm.usage.total_tokens": 12,
        }
    )
    assert (row.input_tokens, row.output_tokens) == (9, 3)


@pytest.mark.parametrize(
    ("kind", "span_type"),
    [("workflow", "chain"), ("task", "chain"), ("agent", "agent"), ("tool", "tool")],
)
def test_openllmetry_span_kinds_and_entity_content(kind, span_type):
    row = normalize_one(
        {
            "traceloop.span.kind": kind,
            "traceloop.entity.name": "lookup_order",
            "traceloop.entity.input": '{"args": [1]}',
            "traceloop.entity.output": '"shipped"',
        }
    )
    assert (row.span_type, row.input, row.output) == (span_type, '{"args": [1]}', '"shipped"')
    assert row.tool_name == ("lookup_order" if span_type == "tool" else "")


def test_openlit_carried_cost():
    row = normalize_one(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 10,
            "gen_ai.usage.cost": 0.0123,
        }
    )
    assert row.cost_usd == 0.0123


def test_llmpulse_sdk_keys():
    row = normalize_one(
        {
            "llmpulse.span_type": "guardrail",
            "llmpulse.tags": ["prod", "beta"],
            "tag.tags": ["beta", "rag"],
            "llmpulse.metadata.customer": "acme",
            "llmpulse.time_to_first_token_ms": 123.5,
            "input.value": "question",
            "output.value": "answer",
            "session.id": "s1",
            "user.id": "u1",
        }
    )
    assert (row.span_type, row.time_to_first_token_ms) == ("guardrail", 123.5)
    assert row.tags == ["prod", "beta", "rag"]  # tags from every source, once each
    assert (row.input, row.output, row.session_id, row.user_id) == (
        "question",
        "answer",
        "s1",
        "u1",
    )
    assert row.attributes["llmpulse.metadata.customer"] == "acme"


def test_span_type_precedence_genai_then_openinference_then_openllmetry_then_ours():
    assert (
        normalize_one({"llmpulse.span_type": "chain", "traceloop.span.kind": "tool"}).span_type
        == "tool"
    )
    assert (
        normalize_one({"traceloop.span.kind": "tool", "openinference.span.kind": "AGENT"}).span_type
        == "agent"
    )
    both = {"openinference.span.kind": "AGENT", "gen_ai.operation.name": "chat"}
    assert normalize_one(both).span_type == "llm"


def test_span_type_defaults():
    assert (
        normalize_one({"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 5}).span_type
        == "llm"
    )
    assert normalize_one({"gen_ai.request.model": "gpt-4o"}).span_type == "other"
    assert normalize_one({"http.method": "GET"}).span_type == "other"


def test_kind_and_status_names_and_exception_message():
    row = normalize_one(
        kind=Span.SPAN_KIND_SERVER,
        status=Status.STATUS_CODE_ERROR,
        events=[
            ("exception", END, {"exception.type": "ValueError", "exception.message": "bad input"})
        ],
    )
    assert (row.kind, row.status_code, row.status_message) == (
        "SERVER",
        "ERROR",
        "ValueError: bad input",
    )
    (event,) = json.loads(row.events)
    assert event == {
        "name": "exception",
        "time_ns": END,
        "attributes": {"exception.type": "ValueError", "exception.message": "bad input"},
    }


def test_attribute_values_as_strings():
    row = normalize_one(
        {
            "s": "text",
            "i": 7,
            "f": 0.25,
            "t": True,
            "b": False,
            "arr": ["a", "b"],
            "nums": [1, 2.5],
            "kv": {"k": "v", "n": 1},
            "raw": b"\x00\x01",
        }
    )
    assert row.attributes == {
        "s": "text",
        "i": "7",
        "f": "0.25",
        "t": "true",
        "b": "false",
        "arr": '["a","b"]',
        "nums": "[1,2.5]",
        "kv": '{"k":"v","n":1}',
        "raw": "AAE=",  # bytes: base64, as OTLP/JSON writes them
    }


def test_environment_from_the_older_resource_attribute():
    batch = normalize(
        make_request(
            make_span(), resource={"service.name": "a", "deployment.environment": "staging"}
        ),
        project_id="p",
        now_ns=NOW,
    )
    assert (batch.spans[0].service_name, batch.spans[0].environment) == ("a", "staging")


def test_evaluation_events_become_evaluation_rows():
    row_events = [
        (
            "gen_ai.evaluation.result",
            END + 1,
            {
                "gen_ai.evaluation.name": "answers_question",
                "gen_ai.evaluation.score.value": 0.9,
                "gen_ai.evaluation.score.label": "pass",
                "gen_ai.evaluation.explanation": "mentions the refund window",
            },
        ),
        (
            "gen_ai.evaluation.result",
            END + 2,
            {"gen_ai.evaluation.name": "no_pii", "llmpulse.evaluation.passed": False},
        ),
        (
            "gen_ai.evaluation.result",
            END + 3,
            {"gen_ai.evaluation.name": "tone", "gen_ai.evaluation.score.label": "fail"},
        ),
        (
            "gen_ai.evaluation.result",
            END + 4,
            {"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 3},
        ),
    ]
    batch = normalize(make_request(make_span(events=row_events)), project_id="p", now_ns=NOW)
    first, second, third, fourth = batch.evaluations
    assert (first.project_id, first.trace_id, first.span_id) == ("p", TRACE_ID.hex(), SPAN_ID.hex())
    assert (first.name, first.source, first.passed, first.score, first.label) == (
        "answers_question",
        "sdk",
        True,
        0.9,
        "pass",
    )
    assert (first.comment, first.value, first.created_at) == (
        "mentions the refund window",
        "0.9",
        END + 1,
    )
    assert (second.name, second.passed, second.score, second.value) == (
        "no_pii",
        False,
        None,
        "false",
    )
    assert (third.passed, third.label, third.value) == (False, "fail", '"fail"')
    assert (fourth.passed, fourth.score) == (None, 3.0)
    assert len(json.loads(batch.spans[0].events)) == 4  # the events are kept on the span too


def test_invalid_ids_reject_only_those_spans():
    batch = normalize(
        make_request(
            make_span(name="ok"),
            make_span(name="short trace", trace_id=b"\x01\x02\x03"),
            make_span(name="zero trace", trace_id=bytes(16)),
            make_span(name="zero span", span_id=bytes(8)),
            make_span(name="bad parent", parent_span_id=b"\x01"),
            make_span(name="zero parent is a root", parent_span_id=bytes(8)),
        ),
        project_id="p",
        now_ns=NOW,
    )
    assert [row.name for row in batch.spans] == ["ok", "zero parent is a root"]
    assert batch.spans[1].parent_span_id == ""
    assert batch.rejected == 4
    assert batch.errors == [
        "span 'short trace': trace_id must be 16 bytes, not all zero (got 3)",
        "span 'zero trace': trace_id must be 16 bytes, not all zero (got 16)",
        "span 'zero span': span_id must be 8 bytes, not all zero (got 8)",
        "span 'bad parent': parent_span_id must be empty or 8 bytes (got 1)",
    ]


def test_content_is_truncated_with_a_visible_marker():
    limits = Limits(max_content_chars=10, max_attribute_chars=20)
    batch = normalize(
        make_request(
            make_span({"input.value": "x" * 25, "output.value": "short", "other": "y" * 25})
        ),
        project_id="p",
        now_ns=NOW,
        limits=limits,
    )
    (row,) = batch.spans
    assert row.input == "x" * 10 + "…[truncated 15 chars]"
    assert row.output == "short"
    assert row.attributes == {"other": "y" * 20 + "…[truncated 5 chars]"}


def test_content_attributes_are_not_repeated_in_the_map_unless_they_differ():
    row = normalize_one(
        {
            "input.value": "question",  # becomes the input column as it is
            "gen_ai.input.messages": MESSAGES_IN,  # ranked lower: not the column, kept
            "gen_ai.output.messages": MESSAGES_OUT,  # the output column as it is
            "gen_ai.system_instructions": "Be brief.",
        }
    )
    assert (row.input, row.output) == ("question", MESSAGES_OUT)
    assert row.attributes == {
        "gen_ai.input.messages": MESSAGES_IN,
        "gen_ai.system_instructions": "Be brief.",
    }
    row = normalize_one(
        {"gen_ai.input.messages": MESSAGES_IN, "gen_ai.system_instructions": "Be brief."}
    )
    assert row.input.startswith('[{"role":"system"')  # rewritten: the original is kept
    assert row.attributes["gen_ai.input.messages"] == MESSAGES_IN


def test_attributes_per_span_are_bounded_and_the_rest_counted():
    attrs = {f"key.{i}": i for i in range(10)}
    attrs["gen_ai.request.model"] = "late-but-still-read"
    batch = normalize(
        make_request(make_span(attrs)), project_id="p", now_ns=NOW, limits=Limits(max_attributes=4)
    )
    (row,) = batch.spans
    assert row.attributes == {
        "key.0": "0",
        "key.1": "1",
        "key.2": "2",
        "key.3": "3",
        "llmpulse.dropped_attributes": "7",
    }
    assert row.model == "late-but-still-read"  # canonical fields read every attribute


def test_events_are_bounded():
    events = [(f"e{i}", START + i, {"big": "y" * 50}) for i in range(5)]
    batch = normalize(
        make_request(make_span(events=events)),
        project_id="p",
        now_ns=NOW,
        limits=Limits(max_events=2, max_attribute_chars=10),
    )
    stored = json.loads(batch.spans[0].events)
    assert [e["name"] for e in stored] == ["e0", "e1"]
    assert stored[0]["attributes"]["big"] == "y" * 10 + "…[truncated 40 chars]"


def test_event_attributes_are_bounded_and_the_rest_counted():
    attributes = {f"k{i}": i for i in range(5)}
    events = [("few", START, {"a": 1}), ("many", START + 1, attributes)]
    batch = normalize(
        make_request(make_span(events=events)),
        project_id="p",
        now_ns=NOW,
        limits=Limits(max_event_attributes=3),
    )
    stored = json.loads(batch.spans[0].events)
    assert stored[0] == {"name": "few", "time_ns": START, "attributes": {"a": 1}}
    assert stored[1]["attributes"] == {"k0": 0, "k1": 1, "k2": 2}
    assert stored[1]["dropped_attributes_count"] == 2


def test_negative_and_garbage_token_counts_become_zero():
    row = normalize_one(
        {
            "gen_ai.usage.input_tokens": -5,
            "gen_ai.usage.output_tokens": "lots",
            "gen_ai.usage.reasoning.output_tokens": "12",
        }
    )
    assert (row.input_tokens, row.output_tokens, row.reasoning_tokens) == (0, 0, 12)


def test_spans_outside_the_time_window_are_rejected_one_by_one():
    limits = Limits(retention_days=1, max_future_ns=1_000)
    earliest, latest = limits.time_window(NOW)
    assert (earliest, latest) == (NOW - 86_400 * 10**9, NOW + 1_000)

    def span(name: str, start: int, end: int) -> Span:
        built = make_span(name=name, span_id=len(name).to_bytes(8, "big"))
        built.start_time_unix_nano, built.end_time_unix_nano = start, end
        return built

    spans = [
        span("a", earliest, earliest + 1),  # kept: the edges are inside
        span("bb", latest, latest),  # kept
        span("ccc", earliest - 1, NOW),  # older than the retention
        span("dddd", latest + 1, latest + 2),  # in the future
        span("eeeee", NOW, latest + 1),  # ends in the future
        span("ffffff", 2**63, 2**63),  # out of DateTime64's range
    ]
    batch = normalize(make_request(*spans), project_id="p", now_ns=NOW, limits=limits)
    assert [row.name for row in batch.spans] == ["a", "bb"]
    assert batch.rejected == 4
    assert "older than the 1-day retention" in batch.errors[0]
    assert all("in the future" in error for error in batch.errors[1:])


def test_resource_attributes_are_bounded_in_count_key_and_value():
    resource = {"service.name": "svc", "k" * 20: "v" * 30, "third": 3, "fourth": 4}
    limits = Limits(max_resource_attributes=2, max_key_chars=12, max_attribute_chars=20)
    batch = normalize(
        make_request(make_span(), resource=resource), project_id="p", now_ns=NOW, limits=limits
    )
    (row,) = batch.spans
    assert row.resource_attributes == {
        "service.name": "svc",
        "k" * 12 + "…[truncated 8 chars]": "v" * 20 + "…[truncated 10 chars]",
        "llmpulse.dropped_attributes": "2",
    }
    assert row.service_name == "svc"


def test_a_request_expanding_past_the_budget_is_413():
    resource = {"service.name": "svc", "big": "x" * 600}
    spans = [make_span(span_id=(i + 1).to_bytes(8, "big")) for i in range(2)]
    request = make_request(*spans, resource=resource)
    assert len(normalize(request, project_id="p", now_ns=NOW).spans) == 2
    with pytest.raises(PayloadTooLarge, match="resource attributes") as raised:
        normalize(request, project_id="p", now_ns=NOW, limits=Limits(max_expanded_chars=1_000))
    assert raised.value.status == 413


def test_invalid_and_absurd_numbers_are_dropped_and_named():
    limits = Limits(max_tokens=1_000, max_cost_usd=10.0)
    batch = normalize(
        make_request(
            make_span(
                {
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.usage.input_tokens": 1_001,
                    "gen_ai.usage.output_tokens": float("inf"),
                    "llm.token_count.completion": 7,  # a lower-ranked source still counts
                    "llmpulse.cost_usd": 10.5,
                    "llmpulse.time_to_first_token_ms": -3.0,
                }
            )
        ),
        project_id="p",
        now_ns=NOW,
        limits=limits,
    )
    (row,) = batch.spans
    assert (row.input_tokens, row.output_tokens, row.time_to_first_token_ms) == (0, 7, None)
    assert row.cost_usd is not None and 0 < row.cost_usd < 10  # priced from the tokens
    assert row.attributes["llmpulse.invalid_values"] == (
        "output_tokens,input_tokens,cost_usd,time_to_first_token_ms"
    )
    assert batch.invalid_values == 4


def test_tags_are_distinct_bounded_and_linear():
    tags = [f"t{i}" for i in range(50_000)]
    limits = Limits(max_tags=3, max_label_chars=4)
    row = normalize(
        make_request(make_span({"tag.tags": ["a", "a", "long-tag", *tags, *tags]})),
        project_id="p",
        now_ns=NOW,
        limits=limits,
    ).spans[0]
    assert row.tags == ["a", "long…[truncated 4 chars]", "t0"]
    assert row.attributes["llmpulse.dropped_tags"] == str(len(tags) - 1)
