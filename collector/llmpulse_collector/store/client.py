"""``Store``: the one door to ClickHouse (embedded chDB or a server), via clickhouse-connect.

Thread safety: a ``Store`` is safe to share between threads. It keeps a small pool of
clickhouse-connect clients and lends one to each call, so the batch writer's inserts
and concurrent API queries run in parallel, each on its own connection: with chDB every
client owns its own connection handle (chDB serializes calls per handle, and runs
calls on different handles concurrently); with HTTP every client owns its own
connection pool and no session, so nothing is shared between concurrent calls.

Inserts are synchronous (``async_insert = 0``; in cluster mode also
``insert_distributed_sync = 1``): when an insert returns, queries see the rows.

Arrow inserts into embedded chDB skip clickhouse-connect, whose chDB backend writes
each insert to a temporary file and reads it back with ``INSERT ... FROM INFILE``: they
run ``INSERT ... SELECT ... FROM Python(<arrow table>)`` on connection handles of their
own, so chDB reads the Arrow buffers in place, with the same settings (deduplication
token included). A ClickHouse server gets them through clickhouse-connect as before.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import clickhouse_connect
import pyarrow as pa
from clickhouse_connect.driver.exceptions import DatabaseError

from llmpulse_collector.model import EvaluationRow, SpanRow
from llmpulse_collector.store._arrow import EncodedBatch, encode
from llmpulse_collector.store._sql import check_parameters, validate_identifier
from llmpulse_collector.store.errors import StoreError
from llmpulse_collector.store.span_identity import SpanKey, stored_span_keys

__all__ = ["DISTRIBUTED_TABLES", "EncodedBatch", "Store"]

# Tables that are sharded in cluster mode: ``<name>_local`` holds the rows and a
# Distributed table ``<name>`` fans reads and writes out. Other tables (projects,
# api_keys, schema_migrations) are replicated to every node under their own name.
DISTRIBUTED_TABLES = frozenset({"spans", "traces", "evaluations", "logs", "llm_wrapper_keys"})

_MAX_IDLE_CLIENTS = 16
Client = Any  # clickhouse_connect.driver.client.Client (untyped package)


class _ClientPool:
    """Lends each caller its own client; idle clients are kept for reuse."""

    def __init__(self, connect: Any) -> None:
        self._connect = connect
        self._idle: list[Client] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def client(self) -> Iterator[Client]:
        with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            client = self._idle.pop() if self._idle else None
        if client is None:
            client = self._connect()
        try:
            yield client
        finally:
            with self._lock:
                keep = not self._closed and len(self._idle) < _MAX_IDLE_CLIENTS
                if keep:
                    self._idle.append(client)
            if not keep:
                client.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for client in idle:
            client.close()


def _client_factory(url: str, database: str | None, settings: dict[str, Any]) -> Any:
    scheme = urlparse(url).scheme
    if scheme == "chdb":

        def connect_chdb() -> Client:
            return clickhouse_connect.get_client(
                dsn=url, database=database, settings=settings, tz_mode="aware"
            )

        return connect_chdb
    if scheme in ("http", "https"):

        def connect_http() -> Client:
            return clickhouse_connect.get_client(
                dsn=url,
                database=database,
                settings=settings,
                tz_mode="aware",
                autogenerate_session_id=False,
            )

        return connect_http
    raise ValueError(f"unsupported ClickHouse URL {url!r}: use chdb:///abs/path or http(s)://")


def _chdb_path(url: str) -> str:
    """The engine path chDB knows ``url`` by, spelled as clickhouse-connect spells it
    (chDB hosts one engine path per process and compares paths literally)."""
    parsed = urlparse(url)
    if parsed.netloc or parsed.path in ("", "/", ":memory:"):
        return ":memory:"
    return os.path.realpath(parsed.path)


def _setting_literal(value: object) -> str:
    if isinstance(value, bool | int | float):
        return str(int(value) if isinstance(value, bool) else value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


class _ChdbInserter:
    """Arrow tables into embedded chDB through its own API (see the module docstring),
    each call on a connection handle of its own."""

    def __init__(self, url: str, settings: Mapping[str, Any]) -> None:
        import chdb

        path = _chdb_path(url)
        self._settings = dict(settings)
        connect: Any = chdb.connect  # untyped
        self._pool = _ClientPool(lambda: connect(path))

    def insert(self, table: str, data: pa.Table, settings: Mapping[str, Any]) -> None:
        names = data.column_names
        columns = ", ".join(f"`{validate_identifier(name, 'column')}`" for name in names)
        merged = {**self._settings, **settings}
        clause = ", ".join(
            f"{validate_identifier(key, 'setting')} = {_setting_literal(value)}"
            for key, value in merged.items()
        )
        # chDB's Python() table function reads the Arrow table in place, found by this
        # local variable's name. (Its streaming ``send_insert`` is not used: it reports
        # success when the table refuses the block, e.g. too many partitions.)
        llmpulse_arrow_batch = data  # noqa: F841 - read by name by chDB
        # identifiers checked above, settings are the store's own: nothing from a request
        sql = (
            f"INSERT INTO {table} ({columns}) SETTINGS {clause} "  # noqa: S608
            f"SELECT {columns} FROM Python(llmpulse_arrow_batch)"
        )
        with self._pool.client() as connection:
            try:
                connection.query(sql, "CSV")
            except RuntimeError as exc:  # chDB refused the statement or the data
                raise DatabaseError(f"chDB insert into {table} failed: {exc}") from exc

    def select(
        self, sql: str, keys: pa.Table, projects: pa.Table, parameters: Mapping[str, int]
    ) -> pa.Table:
        """Run a SELECT that reads ``keys`` and ``projects`` as ``{keys}`` and
        ``{projects}`` (chDB's ``Python()`` table function, in place), with integer
        ``parameters`` bound as ``{name:Int64}``; the result as an Arrow table."""
        llmpulse_arrow_keys = keys  # noqa: F841 - read by name by chDB
        llmpulse_arrow_projects = projects  # noqa: F841 - read by name by chDB
        statement = sql.replace("{keys}", "Python(llmpulse_arrow_keys)").replace(
            "{projects}", "Python(llmpulse_arrow_projects)"
        )
        bound = {name: str(int(value)) for name, value in parameters.items()}
        with self._pool.client() as connection:
            try:
                result: pa.Table = connection.query(statement, "ArrowTable", params=bound)
            except RuntimeError as exc:  # chDB refused the statement
                raise DatabaseError(f"chDB query failed: {exc}") from exc
        return result

    def close(self) -> None:
        self._pool.close()


def _prepare_chdb_dir(url: str) -> None:
    parsed = urlparse(url)
    if parsed.netloc or parsed.path in ("", "/", ":memory:"):
        return  # chdb://memory[/db]: nothing on disk
    Path(parsed.path).mkdir(parents=True, exist_ok=True)


class Store:
    """A ClickHouse database holding llmpulse's tables; see the module docstring."""

    def __init__(
        self,
        url: str,
        database: str,
        cluster: str | None,
        pool: _ClientPool,
        chdb: _ChdbInserter | None = None,
        chdb_insert: bool = True,
    ) -> None:
        self._url = url
        self._database = database
        self._cluster = cluster
        self._pool = pool
        # embedded chDB: Arrow inserts (unless ``chdb_insert`` is False) and Arrow-keyed
        # lookups go around clickhouse-connect
        self._chdb = chdb
        self._inserter = chdb if chdb_insert else None

    @classmethod
    def open(
        cls,
        url: str,
        *,
        database: str = "llmpulse",
        cluster: str | None = None,
        chdb_insert: bool = True,
    ) -> Store:
        """Connect to ``url`` (``chdb:///abs/dir`` or ``http(s)://user:pass@host:8123``).

        Creates the chDB directory and the database if missing; tables are created by
        ``migrate()``. With ``cluster``, DDL runs ``ON CLUSTER`` and sharded tables are
        ``Replicated*MergeTree`` ``<name>_local`` tables behind ``Distributed`` ones.
        ``chdb_insert=False`` sends embedded Arrow inserts through clickhouse-connect too
        (for benchmarks that compare the two).
        """
        validate_identifier(database, "database name")
        if cluster is not None:
            validate_identifier(cluster, "cluster name")
        if urlparse(url).scheme == "chdb":
            _prepare_chdb_dir(url)
        settings: dict[str, Any] = {"async_insert": 0}
        if cluster is not None:
            settings["insert_distributed_sync"] = 1
        on_cluster = f" ON CLUSTER {cluster}" if cluster else ""
        bootstrap = _client_factory(url, None, settings)()
        try:
            bootstrap.command(f"CREATE DATABASE IF NOT EXISTS {database}{on_cluster}")
        finally:
            bootstrap.close()
        pool = _ClientPool(_client_factory(url, database, settings))
        embedded = urlparse(url).scheme == "chdb"
        chdb = _ChdbInserter(url, settings) if embedded else None
        return cls(url, database, cluster, pool, chdb, chdb_insert)

    @property
    def database(self) -> str:
        return self._database

    @property
    def cluster(self) -> str | None:
        return self._cluster

    @property
    def is_embedded(self) -> bool:
        """True for chDB: one process owns the data directory."""
        return urlparse(self._url).scheme == "chdb"

    def table(self, name: str) -> str:
        """The qualified name to read or insert into: ``db.spans`` (Distributed in a cluster)."""
        return f"{self._database}.{validate_identifier(name, 'table')}"

    def local_table(self, name: str) -> str:
        """The qualified table holding the rows: ``db.spans_local`` in a cluster, else ``table``."""
        validate_identifier(name, "table")
        suffix = "_local" if self._cluster and name in DISTRIBUTED_TABLES else ""
        return f"{self._database}.{name}{suffix}"

    def migrate(self, retention_days: int = 30) -> list[int]:
        """Apply pending migrations; return the numbers applied (``[]`` when up to date)."""
        from llmpulse_collector.store.migrations import apply_migrations, apply_retention

        applied = apply_migrations(self, retention_days)
        apply_retention(self, retention_days)
        return applied

    def insert_spans(self, rows: Sequence[SpanRow]) -> None:
        """Insert spans in one batch; ``ingested_at == 0`` is set to now."""
        self.insert_encoded(encode(rows, ()))

    def insert_evaluations(self, rows: Sequence[EvaluationRow]) -> None:
        """Insert evaluations in one batch; an empty ``evaluation_id`` gets a new UUID."""
        self.insert_encoded(encode((), rows))

    def encode(
        self, spans: Sequence[SpanRow], evaluations: Sequence[EvaluationRow] = ()
    ) -> EncodedBatch:
        """Convert rows for insertion (Arrow). CPU only, no I/O and no lock: the batch
        writer encodes the next batch while the previous one is being inserted."""
        return encode(spans, evaluations)

    def insert_encoded(self, batch: EncodedBatch) -> None:
        """Insert an encoded batch: spans first, then evaluations. Inserting the same
        batch again stores nothing twice (see ``EncodedBatch.token``, migration 0007)."""
        settings = {
            "insert_deduplication_token": batch.token,
            "deduplicate_blocks_in_dependent_materialized_views": 1,
        }
        if batch.spans is not None:
            self._insert_arrow("spans", batch.spans, settings)
        if batch.evaluations is not None:
            self._insert_arrow("evaluations", batch.evaluations, settings)

    def stored_span_keys(self, spans: pa.Table | Sequence[SpanRow]) -> set[SpanKey]:
        """The identities (project, trace id, span id) of ``spans`` (an encoded spans
        table, its identity columns, or rows) that are already stored; see
        ``store.span_identity``."""
        return stored_span_keys(self, spans)

    def select_with_arrow(
        self, sql: str, keys: pa.Table, projects: pa.Table, parameters: Mapping[str, int]
    ) -> pa.Table:
        """Embedded chDB only: run a SELECT that reads the Arrow tables ``keys`` and
        ``projects`` in place as ``{keys}`` and ``{projects}``; every other value is an
        integer in ``parameters`` (``{name:Int64}``)."""
        if self._chdb is None:
            raise StoreError("Arrow-keyed selects need embedded chDB")
        return self._chdb.select(sql, keys, projects, parameters)

    def insert_rows(
        self,
        table: str,
        columns: Sequence[tuple[str, str]],
        data: Sequence[Sequence[Any]],
    ) -> None:
        """Insert column-oriented ``data`` (one sequence per ``(name, type)`` column)."""
        with self._pool.client() as client:
            client.insert(
                self.table(table),
                data,
                column_names=[name for name, _ in columns],
                column_type_names=[type_name for _, type_name in columns],
                column_oriented=True,
            )

    def _insert_arrow(self, table: str, data: Any, settings: dict[str, Any]) -> None:
        if self._inserter is not None:
            self._inserter.insert(self.table(table), data, settings)
            return
        with self._pool.client() as client:
            client.insert_arrow(self.table(table), data, settings=settings)

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a SELECT and return its rows as dicts.

        Values go in ``parameters`` and are bound server-side with ``{name:Type}``
        placeholders, e.g. ``WHERE project_id = {project:String}``. DateTime64 values
        come back as timezone-aware UTC datetimes (microseconds); select
        ``toUnixTimestamp64Nano(col)`` for exact nanoseconds.
        """
        params = dict(parameters) if parameters else None
        check_parameters(sql, params)
        with self._pool.client() as client:
            result = client.query(sql, parameters=params)
            return list(result.named_results())

    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> None:
        """Run a statement that returns no rows (DDL, ``INSERT ... SELECT``, ...)."""
        params = dict(parameters) if parameters else None
        check_parameters(sql, params)
        with self._pool.client() as client:
            client.command(sql, parameters=params)

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self._pool.client() as client:
                return bool(client.ping())
        except Exception:
            return False

    def close(self) -> None:
        """Close every connection. With chDB this releases the engine, so the same
        directory (or another one) can be opened again in this process."""
        self._pool.close()
        if self._chdb is not None:
            self._chdb.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        parsed = urlparse(self._url)
        where = parsed.path if parsed.scheme == "chdb" else parsed.hostname
        return f"Store({parsed.scheme}:{where}, db={self._database!r}, cluster={self._cluster!r})"
