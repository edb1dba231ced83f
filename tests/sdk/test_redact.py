"""Built-in redaction: e-mails, API keys and tokens, card numbers (Luhn-checked)."""

from __future__ import annotations

import json

import pytest

from llmpulse._redact import luhn_ok, redact_builtin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to ann.lee+news@mail.example.org today", "write to [REDACTED:email] today"),
        ("key=sk-proj-AbCdEf0123456789xyzXYZ end", "key=[REDACTED:api_key] end"),
        ("sk-ant-api03-abcdefghijklmnopqrstuvwx", "[REDACTED:api_key]"),
        ("Authorization: Bearer eyJhbGciOi.J9.abc", "Authorization: Bearer [REDACTED:token]"),
        ("aws AKIAIOSFODNN7EXAMPLE", "aws [REDACTED:api_key]"),
        (
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key=[REDACTED:api_key]",
        ),
        ("token ghp_" + "a1" * 18, "token [REDACTED:api_key]"),
        ("github_pat_11ABCDEFG0123456789_abcdefghij", "[REDACTED:api_key]"),
        ("card 4111 1111 1111 1111 ok", "card [REDACTED:card] ok"),
        ("card 4111-1111-1111-1111", "card [REDACTED:card]"),
        ("amex 378282246310005", "amex [REDACTED:card]"),
    ],
)
def test_secrets_and_personal_data_are_redacted(text: str, expected: str):
    assert redact_builtin(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "plain words, nothing to see",
        "order 4111 1111 1111 1112 fails the Luhn check",
        "phone +1 555 0100, date 2024-05-01, id 1234567890",
        "skill-based routing; task-runner",
        "an @mention and user@localhost",
        "Bearer short",
    ],
)
def test_look_alikes_are_left_alone(text: str):
    assert redact_builtin(text) == text


def test_redacting_json_text_keeps_it_valid_json():
    value = {"note": "line one\nbob@example.com", "quote": '"4111111111111111"'}
    redacted = redact_builtin(json.dumps(value))
    assert json.loads(redacted) == {
        "note": "line one\n[REDACTED:email]",
        "quote": '"[REDACTED:card]"',
    }


def test_luhn():
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
