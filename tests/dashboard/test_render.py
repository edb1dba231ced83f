"""Rendering helpers: numbers, message shapes of the LLM APIs, trace trees."""

from __future__ import annotations

import json

from llmpulse_dashboard.api_types import SpanNode
from llmpulse_dashboard.render import (
    Document,
    Message,
    chat_text,
    documents_from,
    flatten_spans,
    fmt_change,
    fmt_cost,
    fmt_count,
    fmt_ms,
    fmt_pct,
    fmt_points,
    fmt_time,
    parse_json,
    parse_messages,
    turn_messages,
)


def test_numbers_read_like_a_person_writes_them() -> None:
    assert [fmt_ms(v) for v in (None, 0.25, 812.4, 2310, 185_000)] == [
        "–", "0.25 ms", "812 ms", "2.31 s", "3m 05s",
    ]  # fmt: skip
    assert [fmt_cost(v) for v in (None, 0, 12.345, 0.01234, 0.000045)] == [
        "–", "$0.00", "$12.35", "$0.0123", "$0.000045",
    ]  # fmt: skip
    assert [fmt_count(v) for v in (950, 12_345, 4_560_000, 2.5)] == [
        "950",
        "12.3k",
        "4.56M",
        "2.50",
    ]
    assert fmt_pct(0.1234) == "12.3%" and fmt_pct(None) == "–"
    assert fmt_time(0) == "1970-01-01 00:00:00"
    assert fmt_time("2026-11-27T10:00:05.123+00:00") == "2026-11-27 10:00:05"


def test_changes_against_the_previous_period() -> None:
    assert fmt_change(110, 100) == "+10.0%"
    assert fmt_change(50, 100) == "-50.0%"
    assert fmt_change(2880, 1) == "+2,880×"  # large jumps as a multiple, not +287900%
    assert fmt_change(5, 0) is None and fmt_change(None, 3) is None
    assert fmt_points(0.05, 0.03) == "+2.0 pp"
    assert fmt_points(0.01, None) is None


def test_openai_style_messages_with_tool_calls() -> None:
    text = json.dumps(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "1", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "1", "content": "18°C"},
        ]
    )
    messages = parse_messages(text)
    assert messages == [
        Message("system", "Be brief."),
        Message("user", "Weather in Paris?"),
        Message("assistant", "", tool_calls=('weather({"city": "Paris"})',)),
        Message("tool", "18°C", name="1"),
    ]


def test_otel_genai_parts_and_anthropic_blocks() -> None:
    genai = [
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Checking."},
                {"type": "tool_call", "name": "lookup", "arguments": {"q": "x"}},
            ],
        },
    ]
    assert parse_messages(json.dumps(genai)) == [
        Message("user", "Hi"),
        Message("assistant", "Checking.", tool_calls=('lookup({"q": "x"})',)),
    ]
    anthropic = {
        "model": "claude",
        "messages": [
            {"role": "assistant", "content": [{"type": "tool_use", "name": "f", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "content": "done"}]},
        ],
    }
    assert parse_messages(json.dumps(anthropic)) == [
        Message("assistant", "", tool_calls=("f({})",)),
        Message("user", "done"),
    ]


def test_a_chat_completion_shows_its_choices() -> None:
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Done."}}],
        "usage": {"prompt_tokens": 3},
    }
    assert parse_messages(json.dumps(completion)) == [Message("assistant", "Done.")]


def test_other_payloads_are_not_messages() -> None:
    assert parse_messages("just text") is None
    assert parse_messages('{"question": "hi"}') is None
    assert parse_messages("[1, 2]") is None
    assert parse_messages("") is None
    assert parse_json('{"a": [1]}') == {"a": [1]}
    assert parse_json("42") is None and parse_json("{broken") is None


def test_a_session_turn_starts_at_the_last_user_message() -> None:
    history = [
        Message("system", "s"),
        Message("user", "first"),
        Message("assistant", "one"),
        Message("user", "second"),
        Message("assistant", "two"),
    ]
    assert turn_messages(history) == history[3:]
    assert turn_messages([Message("system", "s"), Message("assistant", "a")]) == [
        Message("assistant", "a")
    ]


def test_chat_text_unwraps_what_a_person_said() -> None:
    assert chat_text('{"question": "How?", "user": "u1"}') == "How?"
    assert chat_text('{"answer": "Like this."}') == "Like this."
    assert chat_text('{"k": 3}') == '{"k": 3}'
    assert chat_text("plain") == "plain"


def test_flatten_spans_is_depth_first_in_start_order() -> None:
    late: SpanNode = {"span_id": "c2", "offset_ms": 50.0, "children": []}
    early: SpanNode = {
        "span_id": "c1",
        "offset_ms": 10.0,
        "children": [{"span_id": "g1", "offset_ms": 11.0, "children": []}],
    }
    root: SpanNode = {"span_id": "r", "offset_ms": 0.0, "children": [late, early]}
    assert [(d, s["span_id"]) for d, s in flatten_spans([root])] == [
        (0, "r"), (1, "c1"), (2, "g1"), (1, "c2"),
    ]  # fmt: skip


def test_retrieved_documents_from_openinference_attributes_and_outputs() -> None:
    openinference: SpanNode = {
        "attributes": {
            "retrieval.documents.1.document.content": "second",
            "retrieval.documents.0.document.content": "first",
            "retrieval.documents.0.document.id": "doc-a",
            "retrieval.documents.0.document.score": 0.9,
            "retrieval.documents.0.document.metadata": '{"source": "wiki"}',
            "input.value": "q",
        }
    }
    assert documents_from(openinference) == [
        Document("first", "doc-a", 0.9, {"source": "wiki"}),
        Document("second"),
    ]
    langchain = json.dumps(
        {"documents": [{"page_content": "text", "metadata": {"source": "a.md"}, "score": "0.5"}]}
    )
    assert documents_from({"output": langchain}) == [
        Document("text", "a.md", 0.5, {"source": "a.md"})
    ]
    assert documents_from({"output": json.dumps(["one", "two"])}) == [
        Document("one"),
        Document("two"),
    ]
    assert documents_from({"output": json.dumps([{"role": "user", "content": "hi"}, 3])}) == []
    assert documents_from({"output": "plain text"}) == []
