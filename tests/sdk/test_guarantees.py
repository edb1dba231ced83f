"""Telemetry never breaks the app: whatever fails inside llmpulse, user code runs and
returns as if it were not there. (Internal errors are logged, once per kind.)"""

from __future__ import annotations

import logging
from typing import Any

import pytest

import llmpulse
from llmpulse import _content, _spans
from llmpulse.testing import CapturedSpans


@llmpulse.observe(name="work", span_type="llm", checks=[llmpulse.checks.is_json])
def work(x: int) -> dict[str, int]:
    return {"x": x}


@llmpulse.observe(name="stream")
def stream():
    yield "a"
    yield "b"


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("llmpulse bug")


@pytest.mark.parametrize(
    ("target", "name"),
    [
        (_content.ContentPolicy, "text"),  # serializer / redaction / truncation
        (_spans, "response_fields"),  # llm extraction
        (_spans, "run_checks"),  # evaluation recording
        (_spans.LiveSpan, "set_input"),
    ],
)
async def test_internal_failures_never_reach_user_code(
    spans: CapturedSpans, no_raise, monkeypatch, caplog, target, name
):
    monkeypatch.setattr(target, name, boom)
    with caplog.at_level(logging.ERROR, "llmpulse"):
        for i in range(3):
            assert work(i) == {"x": i}
            assert list(stream()) == ["a", "b"]
        with llmpulse.span("block", "llm") as handle:
            handle.set_input(1)
            handle.set_output({"object": "chat.completion"})
    assert len(spans.spans) == 7  # every span still ends
    logged = [r.getMessage() for r in caplog.records]
    assert logged and len(logged) == len(set(logged))  # each kind logged once, not per call
    assert llmpulse.stats()["internal_errors"] >= 3


def test_a_broken_tracer_falls_back_to_calling_the_function(no_raise, monkeypatch, spans):
    monkeypatch.setattr(_spans, "open_span", boom)
    from llmpulse import _observe

    monkeypatch.setattr(_observe, "open_span", boom)
    assert work(1) == {"x": 1}
    assert list(stream()) == ["a", "b"]
    with llmpulse.span("s") as handle:
        handle.set_output(1)
    assert spans.spans == []


def test_a_broken_context_processor_is_contained(no_raise, monkeypatch, spans):
    from llmpulse import _processor

    class BrokenVar:
        get = staticmethod(boom)

    monkeypatch.setattr(_processor, "SCOPE", BrokenVar())
    with llmpulse.context(session_id="s"):
        assert work(2) == {"x": 2}
    assert len(spans.spans) == 1


def test_under_the_test_suite_internal_errors_are_raised(monkeypatch, spans):
    monkeypatch.setattr(_content.ContentPolicy, "text", boom)
    with pytest.raises(RuntimeError, match="llmpulse bug"):
        work(1)


def test_user_exceptions_pass_through_even_when_recording_fails(no_raise, monkeypatch, spans):
    monkeypatch.setattr(_spans.LiveSpan, "set_output", boom)

    @llmpulse.observe
    def fails() -> None:
        raise KeyError("user error")

    with pytest.raises(KeyError, match="user error"):
        fails()
