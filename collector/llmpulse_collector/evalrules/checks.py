"""Compiled evaluation rules: ``CompiledRule.evaluate(span)`` gives an evaluation row."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from llmpulse_collector.evalrules.model import (
    ContainsCheck,
    EvalRule,
    JsonCheck,
    LengthCheck,
    NotContainsCheck,
    RefusalCheck,
    RegexCheck,
    SpanMatch,
)
from llmpulse_collector.evalrules.regex import compile_pattern
from llmpulse_collector.model import EvaluationRow, SpanRow

__all__ = ["REFUSAL_PHRASES", "CompiledRule", "compile_rule"]

#: the same phrases as the ``output_refusal`` column (migration 0005), lower case
REFUSAL_PHRASES: tuple[str, ...] = (
    "i'm sorry, but",
    "i am sorry, but",
    "i cannot help",
    "i can't help",
    "i cannot assist",
    "i can't assist",
    "i'm unable to",
    "i am unable to",
    "i cannot provide",
    "i can't provide",
    "i won't be able to",
    "as an ai language model",
    "i'm not able to",
    "i am not able to",
)

Verdict = tuple[bool, str]  # passed, explanation
_CheckFn = Callable[[str], Verdict]


def _glob(pattern: str | None) -> Callable[[str], bool]:
    if pattern is None:
        return lambda _value: True
    regex = re.compile(fnmatch.translate(pattern))
    return lambda value: regex.match(value) is not None


def _matcher(match: SpanMatch) -> Callable[[SpanRow], bool]:
    name, kind = _glob(match.span_name), _glob(match.span_type)
    model, service = _glob(match.model), _glob(match.service)
    return lambda s: (
        name(s.name) and kind(s.span_type) and model(s.model) and service(s.service_name)
    )


def _json(_: JsonCheck) -> _CheckFn:
    def check(text: str) -> Verdict:
        try:
            json.loads(text)
        except ValueError as exc:
            return False, f"not valid JSON: {exc}"
        except RecursionError:
            return False, "not valid JSON: nested too deep to parse"
        return True, "valid JSON"

    return check


def _regex(c: RegexCheck) -> _CheckFn:
    pattern = compile_pattern(c.pattern)  # RE2: linear in the text, whatever the pattern

    def check(text: str) -> Verdict:
        found = pattern.search(text) is not None
        if c.must_match:
            return found, f"/{c.pattern}/ {'found' if found else 'not found'}"
        return not found, f"/{c.pattern}/ {'found (must not match)' if found else 'absent'}"

    return check


def _length(c: LengthCheck) -> _CheckFn:
    def check(text: str) -> Verdict:
        n = len(text)
        if c.min is not None and n < c.min:
            return False, f"{n} characters, fewer than {c.min}"
        if c.max is not None and n > c.max:
            return False, f"{n} characters, more than {c.max}"
        return True, f"{n} characters"

    return check


def _fold(values: list[str], case_sensitive: bool) -> list[str]:
    return values if case_sensitive else [v.lower() for v in values]


def _contains(c: ContainsCheck) -> _CheckFn:
    needles = _fold(c.values, c.case_sensitive)

    def check(text: str) -> Verdict:
        hay = text if c.case_sensitive else text.lower()
        hits = [v for v, n in zip(c.values, needles, strict=True) if n in hay]
        ok = bool(hits) if c.mode == "any" else len(hits) == len(needles)
        missing = [v for v in c.values if v not in hits]
        return ok, f"contains {hits}" if ok else f"missing {missing}"

    return check


def _not_contains(c: NotContainsCheck) -> _CheckFn:
    needles = _fold(c.values, c.case_sensitive)

    def check(text: str) -> Verdict:
        hay = text if c.case_sensitive else text.lower()
        hits = [v for v, n in zip(c.values, needles, strict=True) if n in hay]
        return not hits, f"contains {hits}" if hits else "none of the values"

    return check


def _no_refusal(c: RefusalCheck) -> _CheckFn:
    phrases = [*REFUSAL_PHRASES, *(p.lower() for p in c.phrases)]

    def check(text: str) -> Verdict:
        hay = text.lower().replace("\u2019", "'")
        hit = next((p for p in phrases if p in hay), None)
        return hit is None, f"refusal phrase {hit!r}" if hit else "no refusal phrase"

    return check


_BUILDERS: dict[type, Callable[..., _CheckFn]] = {
    JsonCheck: _json,
    RegexCheck: _regex,
    LengthCheck: _length,
    ContainsCheck: _contains,
    NotContainsCheck: _not_contains,
    RefusalCheck: _no_refusal,
}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule_id: str
    name: str
    check_type: str
    field: str
    matches: Callable[[SpanRow], bool]
    check: _CheckFn

    def evaluate(self, span: SpanRow) -> EvaluationRow | None:
        """The evaluation row for ``span``, or None when the rule does not apply."""
        if not self.matches(span):
            return None
        text = span.output if self.field == "output" else span.input
        passed, comment = self.check(text)
        return EvaluationRow(
            project_id=span.project_id,
            trace_id=span.trace_id,
            span_id=span.span_id,
            name=self.name,
            source="rule",
            passed=passed,
            score=1.0 if passed else 0.0,
            label="pass" if passed else "fail",
            comment=comment[:1000],
            value=json.dumps({"rule_id": self.rule_id, "check": self.check_type}),
            created_at=span.end_time,
        )


def compile_rule(rule_id: str, rule: EvalRule) -> CompiledRule:
    check = rule.check
    return CompiledRule(
        rule_id=rule_id,
        name=rule.name,
        check_type=check.type,
        field=check.field,
        matches=_matcher(rule.match),
        check=_BUILDERS[type(check)](check),
    )
