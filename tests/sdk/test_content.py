"""What reaches a span: truncation, redaction (built-in + user), capture_content=False."""

from __future__ import annotations

import logging

import pytest

import llmpulse
from llmpulse._content import REDACTION_FAILED, ContentPolicy, truncate
from llmpulse.testing import capture_spans


@llmpulse.observe(name="echo")
def echo(text: str) -> str:
    return text


def test_truncate_marks_how_much_was_cut():
    assert truncate("abcdef", 4) == "abcd…[truncated 2 chars]"
    assert truncate("abc", 4) == "abc"


def test_long_values_are_cut_with_a_marker():
    with capture_spans(max_content_chars=50) as spans:
        echo("x" * 1_000)
    attributes = spans.as_dicts()[0]["attributes"]
    assert attributes["output.value"] == "x" * 50 + "…[truncated 950 chars]"
    assert attributes["input.value"] == '{"text": "' + "x" * 40 + "…[truncated 962 chars]"


def test_huge_values_are_cut_before_redaction_work():
    policy = ContentPolicy(max_chars=10)
    assert policy.text("y" * 1_000_000) == "y" * 10 + "…[truncated 999990 chars]"
    redacted = policy.text("a@b.io " * 100_000)
    assert redacted.startswith("[REDACTED]"[:9])
    assert len(redacted) < 50


def test_inputs_and_outputs_are_redacted():
    with capture_spans() as spans:
        echo("mail bob@example.com, key sk-live0123456789abcdefghij")
    attributes = spans.as_dicts()[0]["attributes"]
    assert attributes["output.value"] == "mail [REDACTED:email], key [REDACTED:api_key]"
    assert "bob@" not in attributes["input.value"]


def test_user_redaction_runs_after_the_built_in_patterns():
    def hide_names(text: str) -> str:
        return text.replace("Alice", "[NAME]")

    with capture_spans(redact=hide_names) as spans:
        echo("Alice <alice@example.com>")
    assert spans.as_dicts()[0]["attributes"]["output.value"] == "[NAME] <[REDACTED:email]>"


def test_a_failing_redactor_drops_the_content_not_the_call(no_raise, caplog):
    def broken(text: str) -> str:
        raise RuntimeError("redactor bug")

    with capture_spans(redact=broken) as spans, caplog.at_level(logging.ERROR, "llmpulse"):
        assert echo("secret") == "secret"
    assert spans.as_dicts()[0]["attributes"]["output.value"] == REDACTION_FAILED
    assert "internal error (redact)" in caplog.text
    assert llmpulse.stats()["internal_errors"] == 2  # input and output


def test_capture_content_false_drops_inputs_outputs_and_messages():
    @llmpulse.observe(name="chat", span_type="llm")
    def chat(model: str, messages: list[dict[str, str]]) -> str:
        llmpulse.record_llm(
            model=model, output_messages=[{"role": "assistant", "content": "hi"}], input_tokens=3
        )
        return "hi"

    with capture_spans(capture_content=False) as spans:
        chat("gpt-4o", [{"role": "user", "content": "hello"}])
    assert spans.as_dicts()[0]["attributes"] == {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 3,
        "llmpulse.span_type": "llm",
        "gen_ai.operation.name": "chat",
    }


def test_genai_messages_are_redacted_and_truncated():
    with capture_spans(max_content_chars=80) as spans, llmpulse.span("call", "llm"):
        llmpulse.record_llm(
            model="m",
            input_messages=[{"role": "user", "content": "I am carol@example.com " + "z" * 100}],
        )
    value = spans.as_dicts()[0]["attributes"]["gen_ai.input.messages"]
    assert value.startswith(
        '[{"role": "user", "parts": [{"type": "text", "content": "I am [REDACTED:email] z'
    )
    assert value.endswith("chars]")


@pytest.mark.parametrize("bad", [0, -5])
def test_invalid_max_content_chars_is_rejected_at_configure(bad: int):
    with pytest.raises(ValueError, match="positive integer"):
        llmpulse.configure(max_content_chars=bad)
