"""What happens to a recorded value before it goes on a span.

serialize (JSON, stopping once there is more than the pre-cut) → pre-cut → redact
(built-in patterns, then the user's function) → cut at ``max_chars`` with a visible
``…[truncated N chars]`` marker (``…[truncated N+ chars]`` when serializing stopped
early, so the whole size is unknown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ._errors import log_internal_error
from ._redact import redact_builtin
from ._serialize import to_json_within

__all__ = ["JSON_MIME", "REDACTION_FAILED", "TEXT_MIME", "ContentPolicy", "truncate"]

JSON_MIME: Final = "application/json"
TEXT_MIME: Final = "text/plain"
REDACTION_FAILED: Final = "[llmpulse: redaction failed, content dropped]"


def truncate(text: str, max_chars: int, already_cut: int = 0, *, more: bool = False) -> str:
    """Cut ``text`` to ``max_chars`` and say how many characters were dropped (``N+``:
    at least N, when ``more`` text was never produced)."""
    extra = len(text) - max_chars
    if extra <= 0 and not already_cut and not more:
        return text
    count = f"{max(extra, 0) + already_cut}{'+' if more else ''}"
    return f"{text[:max_chars]}…[truncated {count} chars]"


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

    @property
    def precut(self) -> int:
        """How much text is redacted: a bit more than we keep, so a secret straddling
        the cut is still caught."""
        return 2 * self.max_chars + 256

    def text(self, text: str, *, dropped: int = 0, more: bool = False) -> str:
        """Redact and truncate an already-serialized value (``dropped`` characters were
        already left out of it; ``more``: an unknown amount was)."""
        limit = self.max_chars
        precut = self.precut
        if len(text) > precut:
            dropped += len(text) - precut
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
        if dropped or more or len(text) > limit:
            return truncate(text, limit, dropped, more=more)
        return text

    def json(self, value: Any) -> str:
        """JSON text for ``value``, redacted and truncated; the work is bounded by the
        limit, not by the size of ``value``."""
        serialized = to_json_within(value, self.precut)
        return self.text(serialized.text, dropped=serialized.dropped, more=not serialized.whole)

    def value(self, value: Any) -> tuple[str, str]:
        """``(text, mime type)``: strings are recorded as they are, the rest as JSON."""
        if isinstance(value, str):
            return self.text(value), TEXT_MIME
        return self.json(value), JSON_MIME
