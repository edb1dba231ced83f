"""Storage errors. What the API layer catches:

::

    StoreError                  base of everything raised on purpose here
    ├── StorageUnavailable      the database refused or failed a write/read (→ 503)
    ├── SpansRejected           the database (or the encoder) rejected a request's own
    │                           rows while it stored the others of its batch (→ 400)
    └── WriterOverloaded        the batch writer is behind: its queue is full, or the
                                request's deadline passed before its insert (→ 429)
"""

from __future__ import annotations

__all__ = ["SpansRejected", "StorageUnavailable", "StoreError", "WriterOverloaded"]


class StoreError(Exception):
    """Base class of the storage layer's errors."""


class StorageUnavailable(StoreError):
    """The database could not store (or serve) the data; nothing was acknowledged."""


class SpansRejected(StoreError):
    """This request's rows cannot be stored as they are (retrying will not help); the
    other requests of its batch were stored."""


class WriterOverloaded(StoreError):
    """The writer is behind (too many spans waiting, or the request waited past its
    deadline); nothing of the request is stored. Retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
