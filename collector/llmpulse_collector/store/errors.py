"""Storage errors. What the API layer catches:

::

    StoreError                  base of everything raised on purpose here
    ├── StorageUnavailable      the database refused or failed a write/read (→ 503)
    └── WriterOverloaded        the batch writer's queue is full (→ 429, Retry-After)
"""

from __future__ import annotations

__all__ = ["StorageUnavailable", "StoreError", "WriterOverloaded"]


class StoreError(Exception):
    """Base class of the storage layer's errors."""


class StorageUnavailable(StoreError):
    """The database could not store (or serve) the data; nothing was acknowledged."""


class WriterOverloaded(StoreError):
    """Too many spans are waiting to be written; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
