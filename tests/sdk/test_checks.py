"""Built-in checks in llmpulse.checks."""

from __future__ import annotations

import re
import sys

import pytest

from llmpulse import checks


def test_is_json():
    assert checks.is_json('{"a": [1, 2]}') is True
    passed, why = checks.is_json("{not json")  # type: ignore[misc]
    assert passed is False and why.startswith("invalid JSON")
    assert checks.is_json({"a": 1}) is True
    assert checks.is_json({"a": object()})[0] is False  # type: ignore[index]


def test_matches():
    check = checks.matches(r"\d{3}-\d{4}")
    assert check.__name__ == r"matches('\\d{3}-\\d{4}')"
    assert check("call 555-0100") is True
    assert check("no number") == (False, r"no match for '\\d{3}-\\d{4}'")
    assert checks.matches(re.compile("^OK", re.I))("ok then") is True


def test_max_chars_and_contains():
    assert checks.max_chars(3)("abc") is True
    assert checks.max_chars(3)("abcd") == (False, "4 chars > 3")
    assert checks.max_chars(10)({"k": 1}) is True  # non-strings are measured as JSON
    assert checks.contains("Paris")("in Paris") is True
    assert checks.contains("paris", case_sensitive=False)("PARIS") is True
    assert checks.contains("x").__name__ == "contains('x')"
    assert (
        checks.not_contains("sorry")(
            "Sorry, I can't",
        )
        is True
    )
    assert checks.not_contains("sorry", case_sensitive=False)("Sorry") == (False, "'sorry' found")


SCHEMA = {
    "title": "answer",
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer"],
}


def test_json_schema_validates_strings_and_objects():
    check = checks.json_schema(SCHEMA)
    assert check.__name__ == "json_schema(answer)"
    assert check('{"answer": "Paris", "confidence": 0.9}') is True
    assert check({"answer": "Paris"}) is True
    assert check('{"answer": "x", "confidence": "high"}') == (
        False,
        "confidence: 'high' is not of type 'number'",
    )
    assert check({"confidence": 1}) == (False, "<root>: 'answer' is a required property")
    assert check("nope")[0] is False  # type: ignore[index]


def test_json_schema_rejects_an_invalid_schema_at_creation():
    import jsonschema

    with pytest.raises(jsonschema.SchemaError):
        checks.json_schema({"type": "not-a-type"})


def test_json_schema_without_jsonschema_installed_says_what_to_do(monkeypatch):
    for name in ("jsonschema", "jsonschema.validators", "jsonschema.exceptions"):
        monkeypatch.setitem(sys.modules, name, None)  # what an absent package looks like
    with pytest.raises(ImportError, match="pip install jsonschema"):
        checks.json_schema(SCHEMA)
