"""User-supplied regular expressions, compiled for RE2: matching is linear in the text.

Python's ``re`` backtracks: ``^(a+)+$`` over 26 characters already takes seconds. RE2
never backtracks, so it rejects what needs backtracking (backreferences, lookaround);
``compile_pattern`` says so with a ``ValueError`` the API answers as 400.
"""

from __future__ import annotations

from typing import Any

import re2

__all__ = ["Pattern", "compile_pattern"]

Pattern = Any  # re2's compiled pattern (the module ships no type information)


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # the error goes back to whoever wrote the rule, not to stderr
    return options


_OPTIONS = _options()


def compile_pattern(pattern: str) -> Pattern:
    """The RE2 program for ``pattern``; ``ValueError`` saying why when RE2 can't run it."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        raise ValueError(
            f"invalid regular expression for RE2 (linear-time; no backreferences or "
            f"lookaround): {reason}"
        ) from exc
