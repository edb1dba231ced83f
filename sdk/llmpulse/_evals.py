"""Evaluation results as ``gen_ai.evaluation.result`` span events: assertions and checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from ._content import ContentPolicy
from ._errors import log_internal_error
from ._serialize import safe_repr
from ._state import recording_span
from .semconv import (
    ATTR_EVALUATION_EXPLANATION,
    ATTR_EVALUATION_NAME,
    ATTR_EVALUATION_PASSED,
    ATTR_EVALUATION_SCORE_LABEL,
    ATTR_EVALUATION_SCORE_VALUE,
    EVENT_EVALUATION_RESULT,
)

__all__ = ["Check", "add_evaluation", "assertion", "check_name", "run_checks"]

Check = Callable[[Any], Any]
"""A check gets the output and returns ``bool`` or ``(bool, explanation)``."""


def add_evaluation(
    span: trace.Span,
    policy: ContentPolicy,
    *,
    name: str,
    passed: bool,
    score: float | None = None,
    explanation: str | None = None,
) -> None:
    attributes: dict[str, AttributeValue] = {
        ATTR_EVALUATION_NAME: str(name),
        ATTR_EVALUATION_SCORE_LABEL: "pass" if passed else "fail",
        ATTR_EVALUATION_PASSED: bool(passed),
    }
    if score is not None:
        attributes[ATTR_EVALUATION_SCORE_VALUE] = float(score)
    if explanation is not None:
        attributes[ATTR_EVALUATION_EXPLANATION] = policy.text(str(explanation))
    span.add_event(EVENT_EVALUATION_RESULT, attributes)


def assertion(
    name: str,
    passed: bool,
    *,
    score: float | None = None,
    explanation: str | None = None,
) -> None:
    """Record an evaluation result on the current span (no-op outside a recorded span)."""
    current = recording_span()
    if current is None:
        return
    runtime, span = current
    try:
        add_evaluation(
            span,
            runtime.policy,
            name=name,
            passed=bool(passed),
            score=score,
            explanation=explanation,
        )
    except Exception:
        log_internal_error("assertion")


def check_name(check: Check) -> str:
    name = getattr(check, "__name__", None)
    return name if isinstance(name, str) else type(check).__name__


def _outcome(result: Any) -> tuple[bool, str | None]:
    if isinstance(result, tuple):
        passed = bool(result[0]) if result else False
        explanation = result[1] if len(result) > 1 else None
        return passed, None if explanation is None else str(explanation)
    return bool(result), None


def run_checks(
    span: trace.Span, policy: ContentPolicy, checks: Sequence[Check], output: Any
) -> None:
    """Run each check on ``output``; a raising check is recorded as failed, never raised."""
    for check in checks:
        try:
            passed, explanation = _outcome(check(output))
        except Exception as exc:
            passed, explanation = False, f"check raised {safe_repr(exc)}"
        add_evaluation(span, policy, name=check_name(check), passed=passed, explanation=explanation)
