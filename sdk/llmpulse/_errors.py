"""Internal error handling: telemetry bugs are logged, never raised into user code.

Under llmpulse's own test suite (``LLMPULSE_RAISE_INTERNAL_ERRORS=1``, set by
``tests/sdk/conftest.py``) they are re-raised instead, so bugs cannot hide.
"""

from __future__ import annotations

import logging
import os
import threading

__all__ = ["RAISE_ENV", "count", "counters", "log_internal_error", "log_once", "logger"]

logger = logging.getLogger("llmpulse")

RAISE_ENV = "LLMPULSE_RAISE_INTERNAL_ERRORS"

_lock = threading.Lock()
_seen: set[str] = set()
_counters: dict[str, int] = {}


def count(name: str, n: int = 1) -> None:
    """Add ``n`` to the named counter (see ``llmpulse.stats()``)."""
    with _lock:
        _counters[name] = _counters.get(name, 0) + n


def counters() -> dict[str, int]:
    with _lock:
        return dict(_counters)


def _first_time(kind: str) -> bool:
    with _lock:
        if kind in _seen:
            return False
        _seen.add(kind)
        return True


def log_once(kind: str, message: str, *args: object, level: int = logging.WARNING) -> None:
    """Log ``message`` the first time ``kind`` happens, at debug level afterwards."""
    logger.log(level if _first_time(kind) else logging.DEBUG, message, *args)


def log_internal_error(kind: str) -> None:
    """Call from an ``except`` block: count, log once per kind, or re-raise under tests."""
    count("internal_errors")
    if os.environ.get(RAISE_ENV) == "1":
        raise  # noqa: PLE0704 - only ever called from an except block
    if _first_time("internal:" + kind):
        logger.exception("llmpulse internal error (%s); telemetry may be incomplete", kind)
    else:
        logger.debug("llmpulse internal error (%s)", kind, exc_info=True)


def _reset() -> None:
    with _lock:
        _seen.clear()
        _counters.clear()
