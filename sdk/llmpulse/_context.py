"""``llmpulse.context()``: session, user, tags and metadata for everything inside.

The values live in a ``ContextVar``, so they follow ``await``, asyncio tasks (which
copy the context when created) and threads run with ``contextvars.copy_context()``.
Our span processor stamps them on every span at start.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from opentelemetry.util.types import AttributeValue

from .semconv import ATTR_METADATA_PREFIX, ATTR_SESSION_ID, ATTR_TAGS, ATTR_USER_ID

__all__ = ["SCOPE", "Scope", "context"]


class Scope:
    """Merged context values plus the span attributes they turn into (computed once)."""

    __slots__ = ("attributes", "metadata", "session_id", "tags", "user_id")

    def __init__(
        self,
        session_id: str | None,
        user_id: str | None,
        tags: tuple[str, ...],
        metadata: dict[str, str],
    ) -> None:
        self.session_id = session_id
        self.user_id = user_id
        self.tags = tags
        self.metadata = metadata
        attributes: dict[str, AttributeValue] = {}
        if session_id is not None:
            attributes[ATTR_SESSION_ID] = session_id
        if user_id is not None:
            attributes[ATTR_USER_ID] = user_id
        if tags:
            attributes[ATTR_TAGS] = tags
        for key, value in metadata.items():
            attributes[ATTR_METADATA_PREFIX + key] = value
        self.attributes = attributes

    def merged(
        self,
        session_id: str | None,
        user_id: str | None,
        tags: Iterable[str],
        metadata: Mapping[str, Any] | None,
    ) -> Scope:
        new_tags = self.tags + tuple(t for t in dict.fromkeys(map(str, tags)) if t not in self.tags)
        new_metadata = dict(self.metadata)
        for key, value in (metadata or {}).items():
            new_metadata[str(key)] = _metadata_value(value)
        return Scope(
            self.session_id if session_id is None else str(session_id),
            self.user_id if user_id is None else str(user_id),
            new_tags,
            new_metadata,
        )


def _metadata_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    from ._serialize import to_json

    return to_json(value)


_EMPTY = Scope(None, None, (), {})
SCOPE: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("llmpulse_scope", default=None)


class context:
    """Attach session, user, tags and metadata to every span started inside.

    Nesting merges: inner ids win, tags accumulate, metadata keys are overridden.
    Works as ``with`` and ``async with``.
    """

    __slots__ = ("_scope", "_token")

    def __init__(
        self,
        session_id: str | None = None,
        user_id: str | None = None,
        tags: Iterable[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._scope = (session_id, user_id, tuple(tags), dict(metadata or {}))
        self._token: contextvars.Token[Scope | None] | None = None

    def __enter__(self) -> context:
        parent = SCOPE.get() or _EMPTY
        self._token = SCOPE.set(parent.merged(*self._scope))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            SCOPE.reset(self._token)
            self._token = None

    async def __aenter__(self) -> context:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
