"""Assertions and checks: gen_ai.evaluation.result events that never change the result."""

from __future__ import annotations

import pytest

import llmpulse
from llmpulse import checks
from llmpulse.testing import CapturedSpans


def evaluations(spans: CapturedSpans) -> list[dict[str, object]]:
    return [
        e["attributes"]
        for s in spans.as_dicts()
        for e in s["events"]
        if e["name"] == "gen_ai.evaluation.result"
    ]


def test_assertion_is_an_event_on_the_current_span(spans: CapturedSpans):
    @llmpulse.observe(name="answer")
    def answer() -> str:
        llmpulse.assertion("grounded", True, score=0.9, explanation="cites doc-1")
        llmpulse.assertion("polite", False)
        return "ok"

    answer()
    assert evaluations(spans) == [
        {
            "gen_ai.evaluation.name": "grounded",
            "gen_ai.evaluation.score.label": "pass",
            "llmpulse.evaluation.passed": True,
            "gen_ai.evaluation.score.value": 0.9,
            "gen_ai.evaluation.explanation": "cites doc-1",
        },
        {
            "gen_ai.evaluation.name": "polite",
            "gen_ai.evaluation.score.label": "fail",
            "llmpulse.evaluation.passed": False,
        },
    ]


def test_assertion_outside_a_span_or_before_configure_does_nothing(spans: CapturedSpans):
    llmpulse.assertion("orphan", True)
    assert spans.spans == []


def test_assertion_explanations_are_redacted(spans: CapturedSpans):
    with llmpulse.span("s"):
        llmpulse.assertion("pii", False, explanation="leaked dan@example.com")
    assert evaluations(spans)[0]["gen_ai.evaluation.explanation"] == "leaked [REDACTED:email]"


def test_checks_run_on_the_output_and_are_named(spans: CapturedSpans):
    def short_enough(output: str) -> bool:
        return len(output) < 100

    def mentions_paris(output: str) -> tuple[bool, str]:
        return "Paris" in output, "looked for Paris"

    @llmpulse.observe(
        name="answer", checks=[short_enough, mentions_paris, checks.is_json, checks.max_chars(5)]
    )
    def answer() -> str:
        return "The capital is Paris."

    assert answer() == "The capital is Paris."
    results = {
        e["gen_ai.evaluation.name"]: (
            e["llmpulse.evaluation.passed"],
            e.get("gen_ai.evaluation.explanation"),
        )
        for e in evaluations(spans)
    }
    assert results["short_enough"] == (True, None)
    assert results["mentions_paris"] == (True, "looked for Paris")
    assert results["is_json"][0] is False
    assert results["max_chars(5)"] == (False, "21 chars > 5")


def test_a_raising_check_is_a_failed_evaluation_not_an_error(spans: CapturedSpans):
    def explodes(output: object) -> bool:
        raise ZeroDivisionError("check bug")

    @llmpulse.observe(name="answer", checks=[explodes])
    def answer() -> int:
        return 42

    assert answer() == 42
    [span] = spans.as_dicts()
    assert span["status"] == "UNSET"
    assert evaluations(spans) == [
        {
            "gen_ai.evaluation.name": "explodes",
            "gen_ai.evaluation.score.label": "fail",
            "llmpulse.evaluation.passed": False,
            "gen_ai.evaluation.explanation": "check raised ZeroDivisionError('check bug')",
        }
    ]


async def test_checks_on_async_and_streamed_outputs(spans: CapturedSpans):
    @llmpulse.observe(name="stream", checks=[checks.contains("world")])
    async def stream():
        yield "hello "
        yield "world"

    @llmpulse.observe(name="coro", checks=[checks.not_contains("world")])
    async def coro() -> str:
        return "hello world"

    assert [x async for x in stream()] == ["hello ", "world"]
    assert await coro() == "hello world"
    by_name = {s["name"]: s["events"][0]["attributes"] for s in spans.as_dicts()}
    assert by_name["stream"]["llmpulse.evaluation.passed"] is True
    assert by_name["coro"]["llmpulse.evaluation.passed"] is False


def test_checks_do_not_run_when_the_function_raises(spans: CapturedSpans):
    ran = []

    @llmpulse.observe(name="fails", checks=[lambda out: ran.append(out) or True])
    def fails() -> None:
        raise ValueError

    with pytest.raises(ValueError):
        fails()
    assert ran == []
