"""Built-in output checks for ``@llmpulse.observe(checks=[...])``.

A check is any callable taking the function's output and returning ``bool`` or
``(bool, explanation)``; its ``__name__`` becomes the evaluation name. A failing or
raising check is recorded as a ``gen_ai.evaluation.result`` event and never changes
what the function returns.

    @llmpulse.observe(checks=[checks.is_json, checks.max_chars(2_000)])
    def answer(question: str) -> str: ...
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ._serialize import to_json

__all__ = [
    "CheckResult",
    "contains",
    "is_json",
    "json_schema",
    "matches",
    "max_chars",
    "not_contains",
]

CheckResult = bool | tuple[bool, str | None]


def _text(output: Any) -> str:
    return output if isinstance(output, str) else to_json(output)


def _named(name: str, check: Callable[[Any], CheckResult]) -> Callable[[Any], CheckResult]:
    check.__name__ = check.__qualname__ = name
    return check


def is_json(output: Any) -> CheckResult:
    """A string output parses as JSON (other outputs: they are JSON-serializable)."""
    if not isinstance(output, str):
        try:
            json.dumps(output)
        except (TypeError, ValueError) as exc:
            return False, f"not JSON-serializable: {exc}"
        return True
    try:
        json.loads(output)
    except ValueError as exc:
        return False, f"invalid JSON: {exc}"
    return True


def matches(pattern: str | re.Pattern[str], flags: int = 0) -> Callable[[Any], CheckResult]:
    """The output (as text) contains a match for the regular expression ``pattern``."""
    compiled = re.compile(pattern, flags) if isinstance(pattern, str) else pattern

    def check(output: Any) -> CheckResult:
        if compiled.search(_text(output)):
            return True
        return False, f"no match for {compiled.pattern!r}"

    return _named(f"matches({compiled.pattern!r})", check)


def max_chars(limit: int) -> Callable[[Any], CheckResult]:
    """The output (as text) is at most ``limit`` characters long."""

    def check(output: Any) -> CheckResult:
        length = len(_text(output))
        if length <= limit:
            return True
        return False, f"{length} chars > {limit}"

    return _named(f"max_chars({limit})", check)


def contains(text: str, *, case_sensitive: bool = True) -> Callable[[Any], CheckResult]:
    """The output (as text) contains ``text``."""
    needle = text if case_sensitive else text.casefold()

    def check(output: Any) -> CheckResult:
        haystack = _text(output) if case_sensitive else _text(output).casefold()
        if needle in haystack:
            return True
        return False, f"{text!r} not found"

    return _named(f"contains({text!r})", check)


def not_contains(text: str, *, case_sensitive: bool = True) -> Callable[[Any], CheckResult]:
    """The output (as text) does not contain ``text``."""
    needle = text if case_sensitive else text.casefold()

    def check(output: Any) -> CheckResult:
        haystack = _text(output) if case_sensitive else _text(output).casefold()
        if needle not in haystack:
            return True
        return False, f"{text!r} found"

    return _named(f"not_contains({text!r})", check)


def json_schema(schema: Mapping[str, Any]) -> Callable[[Any], CheckResult]:
    """The output (a JSON string, or a JSON-like value) validates against ``schema``.

    Needs the optional ``jsonschema`` package; the schema itself is checked here, so
    mistakes show up where the check is created rather than on every call.
    """
    try:
        validators: Any = importlib.import_module("jsonschema.validators")
        exceptions: Any = importlib.import_module("jsonschema.exceptions")
    except ImportError as exc:
        raise ImportError(
            "llmpulse.checks.json_schema() needs the 'jsonschema' package: pip install jsonschema"
        ) from exc
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    title = schema.get("title")

    def check(output: Any) -> CheckResult:
        if isinstance(output, str):
            try:
                instance = json.loads(output)
            except ValueError as exc:
                return False, f"invalid JSON: {exc}"
        else:
            instance = json.loads(to_json(output))
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is None:
            return True
        where = "/".join(map(str, error.absolute_path)) or "<root>"
        return False, f"{where}: {error.message}"

    return _named(f"json_schema({title})" if isinstance(title, str) else "json_schema", check)
