"""Storage: ClickHouse (embedded chDB or a server) through clickhouse-connect.

- ``Store``: open, migrate, insert rows, run parametrized queries.
- ``BatchWriter``: group-commits concurrent ingest requests into large inserts.
- ``keys``: projects and API keys. ``schema``: how to read the tables.
"""

from __future__ import annotations

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.errors import (
    SpansRejected,
    StorageUnavailable,
    StoreError,
    WriterOverloaded,
)
from llmpulse_collector.store.migrations import render_migrations
from llmpulse_collector.store.writer import BatchWriter, WriterStats

__all__ = [
    "BatchWriter",
    "SpansRejected",
    "StorageUnavailable",
    "Store",
    "StoreError",
    "WriterOverloaded",
    "WriterStats",
    "render_migrations",
]
