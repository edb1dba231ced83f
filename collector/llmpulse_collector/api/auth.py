"""Bearer-key authentication: every request is scoped to one project.

Scopes: ``ingest`` may send spans and feedback, ``read`` may query, ``admin`` may do
both and manage its own project (keys, evaluation and alert rules). An ``operator``
key is instance-wide: it creates and lists projects (routes that need ``operator``)
and acts as the admin of the project a request names in the ``X-Llmpulse-Project``
header. Looked-up keys are cached briefly so ingestion does not query the database on
every request; a key not in the cache is looked up in a worker thread, never on the
event loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from llmpulse_collector.api.errors import ApiError
from llmpulse_collector.store.keys import OPERATOR, KeyInfo, project_exists
from llmpulse_collector.store.keys import Scope as KeyScope

__all__ = ["PROJECT_HEADER", "KeyCache", "Principal", "Require", "Scope", "require"]

Scope = Literal["ingest", "read", "admin", "operator", "feedback"]
#: the header an operator key names the project of a request with
PROJECT_HEADER: Final = "X-Llmpulse-Project"

# "feedback" is not a key scope: feedback comes from end-user apps (ingest keys) and
# from people in the dashboard (read keys).
_ACCEPTS: dict[Scope, tuple[KeyScope, ...]] = {
    "ingest": ("ingest",),
    "read": ("read",),
    "admin": ("admin",),
    "operator": ("operator",),
    "feedback": ("ingest", "read"),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the key's project (for an operator key: the project the request
    names, or ``""``) and the key's scope."""

    project_id: str
    scope: str

    @property
    def operator(self) -> bool:
        return self.scope == OPERATOR


class KeyCache:
    """Remembers key lookups (hits and misses) for ``ttl`` seconds."""

    def __init__(self, lookup: Callable[[str], KeyInfo | None], ttl: float) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._entries: dict[str, tuple[float, KeyInfo | None]] = {}
        self._lock = threading.Lock()

    async def resolve(self, key: str) -> KeyInfo | None:
        """``get`` for async code: a cached answer at once, a lookup in a worker thread."""
        found, info = self._cached(key)
        if found:
            return info
        return await run_in_threadpool(self.get, key)

    def get(self, key: str) -> KeyInfo | None:
        """The key's info (``None``: unknown), looked up on this thread when not cached."""
        found, info = self._cached(key)
        if found:
            return info
        now = time.monotonic()
        info = self._lookup(key)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (now, info)
        return info

    def _cached(self, key: str) -> tuple[bool, KeyInfo | None]:
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return True, hit[1]
        return False, None

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


async def authenticate(request: Request, cache: KeyCache, scope: Scope) -> Principal:
    key = bearer_key(request)
    info = await cache.resolve(key)
    if info is None or info.revoked:
        raise ApiError(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    if not any(info.allows(accepted) for accepted in _ACCEPTS[scope]):
        raise ApiError(
            403, f"this key has scope '{info.scope}'; this endpoint needs a '{scope}' key"
        )
    return Principal(project_id=info.project_id, scope=info.scope)


class Require:
    """A FastAPI dependency that authenticates the request for ``scope``.

    With ``project=True`` (project routes) an operator key must name an existing
    project in the ``X-Llmpulse-Project`` header and then acts as its admin; with
    ``project=False`` the route resolves the project itself (or needs none).
    """

    def __init__(self, scope: Scope, *, project: bool = True) -> None:
        self.scope = scope
        self.project = project

    async def __call__(self, request: Request) -> Principal:
        runtime = request.app.state.runtime
        principal = await authenticate(request, runtime.keys, self.scope)
        named = request.headers.get(PROJECT_HEADER, "").strip()
        if not principal.operator:
            if named and named != principal.project_id:
                raise ApiError(
                    403,
                    f"this key belongs to project {principal.project_id!r}, not {named!r}",
                )
            return principal
        if not self.project and not named:
            return principal
        if not named:
            raise ApiError(
                400,
                f"an operator key acts on one project per request: send the header "
                f"'{PROJECT_HEADER}: <project id>'",
            )
        if not await run_in_threadpool(project_exists, runtime.store, named):
            raise ApiError(404, f"no project {named!r}")
        return Principal(project_id=named, scope=principal.scope)


def require(scope: Scope, *, project: bool = True) -> Require:
    """A FastAPI dependency that authenticates the request for ``scope`` (see ``Require``)."""
    return Require(scope, project=project)
