"""What happens to a recorded value before it goes on a span.

serialize (JSON) → pre-cut → redact (built-in patterns, then the user's function) →
cut at ``max_chars`` with a visible ``…[truncated N chars]`` marker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ._errors import log_internal_error
from ._redact import redact_builtin
from ._serialize import to_json

__all__ = ["JSON_MIME", "REDACTION_FAILED", "TEXT_MIME", "ContentPolicy", "truncate"]

JSON_MIME: Final = "application/json"
TEXT_MIME: Final = "text/plain"
REDACTION_FAILED: Final = "[llmpulse: redaction failed, content dropped]"


def truncate(text: str, max_chars: int, already_cut: int = 0) -> str:
    """Cut ``text`` to ``max_chars`` and say how many characters were dropped."""
    extra = len(text) - max_chars
    if extra <= 0 and not already_cut:
        return text
    return f"{text[:max_chars]}…[truncated {max(extra, 0) + already_cut} chars]"


class ContentPolicy:
    """Capture, redaction and truncation settings, applied to every recorded value."""

    __slots__ = ("builtin", "capture", "max_chars", "user_redact")

    def __init__(
        self,
        *,
        capture: bool = True,
        max_chars: int = 16_000,
        user_redact: Callable[[str], str] | None = None,
        builtin: bool = True,
    ) -> None:
        self.capture = capture
        self.max_chars = max_chars
        self.user_redact = user_redact
        self.builtin = builtin  # the built-in patterns (``_redact``); off: only user_redact

    def text(self, text: str) -> str:
        """Redact and truncate an already-serialized value."""
        limit = self.max_chars
        # Redact a bit more than we keep, so a secret straddling the cut is still caught.
        precut = 2 * limit + 256
        dropped = 0
        if len(text) > precut:
            dropped = len(text) - precut
            text = text[:precut]
        if self.builtin:
            text = redact_builtin(text)
        if self.user_redact is not None:
            try:
                text = self.user_redact(text)
                if not isinstance(text, str):
                    raise TypeError(f"redact must return str, not {type(text).__name__}")
            except Exception:
                log_internal_error("redact")
                return REDACTION_FAILED
        if dropped or len(text) > limit:
            return truncate(text, limit, dropped)
        return text

    def json(self, value: Any) -> str:
        """JSON text for ``value``, redacted and truncated."""
        return self.text(to_json(value))

    def value(self, value: Any) -> tuple[str, str]:
        """``(text, mime type)``: strings are recorded as they are, the rest as JSON."""
        if isinstance(value, str):
            return self.text(value), TEXT_MIME
        return self.text(to_json(value)), JSON_MIME
