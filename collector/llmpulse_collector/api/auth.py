"""Bearer-key authentication: every request is scoped to the key's project.

Scopes: ``ingest`` may send spans and feedback, ``read`` may query, ``admin`` may do
everything. Looked-up keys are cached briefly so ingestion does not query the
database on every request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request

from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.store.keys import KeyInfo
from llmpulse_collector.store.keys import Scope as KeyScope

__all__ = ["KeyCache", "Principal", "Scope", "require"]

Scope = Literal["ingest", "read", "admin", "feedback"]

# "feedback" is not a key scope: feedback comes from end-user apps (ingest keys) and
# from people in the dashboard (read keys).
_ACCEPTS: dict[Scope, tuple[KeyScope, ...]] = {
    "ingest": ("ingest",),
    "read": ("read",),
    "admin": ("admin",),
    "feedback": ("ingest", "read"),
}


@dataclass(frozen=True, slots=True)
class Principal:
    project_id: str
    scope: str


class KeyCache:
    """Remembers key lookups (hits and misses) for ``ttl`` seconds."""

    def __init__(self, lookup: Callable[[str], KeyInfo | None], ttl: float) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._entries: dict[str, tuple[float, KeyInfo | None]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> KeyInfo | None:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        info = self._lookup(key)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (now, info)
        return info

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


def bearer_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(
            401,
            "missing API key: send 'Authorization: Bearer <key>' "
            "(create one with 'llmpulse keys create --project NAME')",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return key.strip()


def authenticate(request: Request, cache: KeyCache, scope: Scope) -> Principal:
    key = bearer_key(request)
    info = cache.get(key)
    if info is None or info.revoked:
        raise ApiError(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    if not any(info.allows(accepted) for accepted in _ACCEPTS[scope]):
        raise ApiError(
            403, f"this key has scope '{info.scope}'; this endpoint needs a '{scope}' key"
        )
    return Principal(project_id=info.project_id, scope=info.scope)


def require(scope: Scope) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency that authenticates the request for ``scope``."""

    async def dependency(request: Request) -> Principal:
        runtime = request.app.state.runtime
        return authenticate(request, runtime.keys, scope)

    return dependency
