"""Evaluation rule checks and span matching (no database)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from llmpulse_collector.evalrules.checks import compile_rule
from llmpulse_collector.evalrules.model import EvalRule, parse_eval_rules
from tests.collector.conftest import make_span


def _rule(check: dict[str, Any], **match: str) -> Any:
    return compile_rule(
        "r1", EvalRule.model_validate({"name": "n", "check": check, "match": match})
    )


@pytest.mark.parametrize(
    ("check", "output", "passed"),
    [
        ({"type": "json"}, '{"a": [1, 2]}', True),
        ({"type": "json"}, "Sure! {a: 1}", False),
        ({"type": "json"}, "[" * 16_000 + "]" * 16_000, False),  # too deep to parse
        ({"type": "regex", "pattern": r"\bREF-\d{4}\b"}, "ticket REF-1234 opened", True),
        ({"type": "regex", "pattern": r"\bREF-\d{4}\b"}, "no ticket", False),
        ({"type": "regex", "pattern": "(?i)password", "must_match": False}, "Your PASSWORD", False),
        ({"type": "length", "min": 5, "max": 10}, "1234", False),
        ({"type": "length", "min": 5, "max": 10}, "12345", True),
        ({"type": "length", "max": 3}, "héllo", False),
        ({"type": "contains", "values": ["Refund", "days"]}, "refunds take days", True),
        ({"type": "contains", "values": ["refund", "cat"], "mode": "all"}, "refund", False),
        ({"type": "contains", "values": ["Refund"], "case_sensitive": True}, "refund", False),
        ({"type": "not_contains", "values": ["as an AI"]}, "As an AI, I think", False),
        ({"type": "not_contains", "values": ["as an AI"]}, "I think", True),
        ({"type": "no_refusal"}, "I’m sorry, but I can’t help with that.", False),
        ({"type": "no_refusal"}, "Here is the refund policy.", True),
        ({"type": "no_refusal", "phrases": ["Computer says no"]}, "computer says no", False),
    ],
)
def test_checks(check: dict[str, Any], output: str, passed: bool) -> None:
    row = _rule(check).evaluate(make_span(output=output))
    assert row is not None
    assert row.passed is passed
    assert row.score == (1.0 if passed else 0.0)
    assert row.label == ("pass" if passed else "fail")
    assert row.source == "rule" and row.name == "n" and row.comment


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    # ^(a+)+$ backtracks exponentially in Python's re: 26 characters took 1.5 s, these
    # 100,000 would never end. RE2 answers at once.
    rule = _rule({"type": "regex", "pattern": "^(a+)+$"})
    failing = rule.evaluate(make_span(output="a" * 100_000 + "!"))
    passing = rule.evaluate(make_span(output="a" * 100_000))
    assert failing is not None and failing.passed is False
    assert passing is not None and passing.passed is True


def test_the_row_is_linked_to_the_span_and_timed_at_its_end() -> None:
    span = make_span(output="{}")
    row = _rule({"type": "json"}).evaluate(span)
    assert row is not None
    assert (row.trace_id, row.span_id, row.project_id) == (span.trace_id, span.span_id, "demo")
    assert row.created_at == span.end_time


def test_match_filters_are_globs() -> None:
    rule = _rule({"type": "json"}, span_type="llm", model="gpt-4o*", service="support-*")
    assert rule.evaluate(make_span(model="gpt-4o-mini")) is not None
    assert rule.evaluate(make_span(model="claude-3-5-haiku")) is None
    assert rule.evaluate(make_span(span_type="tool")) is None
    assert rule.evaluate(make_span(service_name="billing")) is None
    by_name = _rule({"type": "json"}, span_name="chat *")
    assert by_name.evaluate(make_span(name="chat gpt-4o")) is not None
    assert by_name.evaluate(make_span(name="embed")) is None


def test_input_field() -> None:
    rule = _rule({"type": "length", "max": 10, "field": "input"})
    row = rule.evaluate(make_span(input="a very long question indeed", output="ok"))
    assert row is not None and row.passed is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "eval_rules: [{name: x, check: {type: regex, pattern: '('}}]",
            "invalid regular expression",
        ),
        (
            "eval_rules: [{name: x, check: {type: regex, pattern: 'a(?=b)'}}]",
            "RE2.*lookaround",
        ),
        ("eval_rules: [{name: x, check: {type: nope}}]", "does not match any of the expected tags"),
        ("eval_rules: [{name: x, check: {type: json}, match: {user: u}}]", "Extra inputs"),
    ],
)
def test_invalid_rules_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_eval_rules(text)
