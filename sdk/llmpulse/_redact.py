"""Built-in redaction of secrets and personal data in recorded text.

Patterns are compiled once. Text without any trigger (``@``, a key prefix, a run of
four digits…) skips the regular expression entirely. Every pattern refuses to start
right after a backslash so that redacting JSON text never breaks an escape sequence.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["luhn_ok", "redact_builtin"]

# A match may start at a word boundary or right after a JSON escape such as ``\n``.
_START = r"""(?:(?<=\\[nrtbf"/])|(?<![\\\w.%+-]))"""
_PATTERN: Final = re.compile(
    rf"""
    (?P<email>{_START}[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{{2,}})
    | (?P<bearer>{_START}[Bb]earer\s+[A-Za-z0-9._~+/=-]{{8,}})
    | (?P<key>{_START}(?:
          sk-[A-Za-z0-9_-]{{16,}}                     # OpenAI, Anthropic (sk-ant-…), etc.
        | (?:AKIA|ASIA)[A-Z0-9]{{16}}(?![A-Za-z0-9])  # AWS access key ids
        | gh[pousr]_[A-Za-z0-9]{{30,}}                # GitHub tokens
        | github_pat_[A-Za-z0-9_]{{22,}}              # GitHub fine-grained tokens
      ))
    | (?P<aws_secret>(?i:aws_secret_access_key)["']?\s*[=:]\s*["']?[A-Za-z0-9/+=]{{40}})
    | (?P<card>{_START}\d(?:[ -]?\d){{12,18}}(?!\w))
    """,
    re.VERBOSE,
)
_DIGITS: Final = b"0123456789"
_MIN_CARD_DIGITS: Final = 13


def _has_trigger(text: str) -> bool:
    """Cheap test: could ``text`` contain anything ``_PATTERN`` redacts?"""
    if (
        "@" in text
        or "sk-" in text
        or "earer" in text
        or "AKIA" in text
        or "ASIA" in text
        or ("gh" in text and "_" in text)
        or "ws_" in text
        or "WS_" in text
    ):
        return True
    raw = text.encode("utf-8", "surrogatepass")
    return len(raw) - len(raw.translate(None, _DIGITS)) >= _MIN_CARD_DIGITS


_REPLACEMENT: Final = {
    "email": "[REDACTED:email]",
    "bearer": "Bearer [REDACTED:token]",
    "key": "[REDACTED:api_key]",
    "aws_secret": "aws_secret_access_key=[REDACTED:api_key]",
}


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum used by payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup or "key"
    if kind == "card":
        text = match.group()
        digits = text.replace(" ", "").replace("-", "")
        return "[REDACTED:card]" if luhn_ok(digits) else text
    return _REPLACEMENT[kind]


def redact_builtin(text: str) -> str:
    """Replace e-mail addresses, API keys and tokens, and card numbers in ``text``."""
    if not _has_trigger(text):
        return text
    return _PATTERN.sub(_replace, text)
