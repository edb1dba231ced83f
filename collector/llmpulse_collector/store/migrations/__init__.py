"""Forward-only schema migrations: numbered SQL files, applied in order, recorded.

Each ``NNNN_name.sql`` file holds statements separated by ``;`` at a line end. They
are templates, so the same files build a single node and a cluster:

==============================  ==============================  ==============================
placeholder                     single node                     cluster ``c``
==============================  ==============================  ==============================
``{{database}}``                ``llmpulse``                    ``llmpulse``
``{{cluster}}``                 (cluster-only statements)       ``c``
``{{on_cluster}}``              (nothing)                       ``ON CLUSTER c``
``{{retention_days}}``          ``30``                          ``30``
``{{table:spans}}``             ``llmpulse.spans``              ``llmpulse.spans_local``
``{{local:spans}}``             ``spans``                       ``spans_local``
``{{engine:MergeTree}}``        ``MergeTree``                   ``ReplicatedMergeTree('/clickhouse
                                                                /tables/{shard}/{database}/{table}',
                                                                '{replica}')``
``{{global_engine:X(v)}}``      ``X(v)``                        ``ReplicatedX('/clickhouse/tables/
                                                                global/{database}/{table}',
                                                                '{replica}', v)`` (every node)
==============================  ==============================  ==============================

A statement preceded by a ``-- cluster-only`` line is rendered only in cluster mode:
that is how the ``Distributed`` tables in front of the ``*_local`` tables are declared.
Applied migrations are recorded in ``schema_migrations``; a migration is never
edited once released, a change is a new file.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from llmpulse_collector.store._sql import validate_identifier

if TYPE_CHECKING:
    from llmpulse_collector.store.client import Store

__all__ = ["Migration", "apply_migrations", "bootstrap_statements", "load", "render_migrations"]

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)(?::([^{}]*?))?\s*\}\}")
_STATEMENT_END = re.compile(r";[ \t]*(?:\n|$)")
_ENGINE_SPEC = re.compile(r"^([A-Za-z]*MergeTree)(?:\((.*)\))?$")
_CLUSTER_ONLY = "-- cluster-only"
_SHARD_PATH = "/clickhouse/tables/{shard}/{database}/{table}"
_GLOBAL_PATH = "/clickhouse/tables/global/{database}/{table}"

_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS {{database}}.schema_migrations {{on_cluster}}
(
    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(applied_at)}}
ORDER BY version
"""


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    sql: str


def load() -> list[Migration]:
    """The migration files of this package, in number order."""
    found: list[Migration] = []
    for entry in resources.files(__name__).iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.number)


@dataclass(frozen=True, slots=True)
class _Target:
    database: str
    cluster: str | None
    retention_days: int

    def render(self, template: str) -> str:
        rendered = _PLACEHOLDER.sub(self._substitute, template)
        if "{{" in rendered:
            raise ValueError(f"malformed placeholder in migration: {rendered!r}")
        return "\n".join(line.rstrip() for line in rendered.splitlines()).strip()

    def _substitute(self, match: re.Match[str]) -> str:
        name, arg = match[1], (match[2] or "").strip()
        if name == "database":
            return self.database
        if name == "cluster":
            return self.cluster or ""
        if name == "on_cluster":
            return f"ON CLUSTER {self.cluster}" if self.cluster else ""
        if name == "retention_days":
            return str(self.retention_days)
        if name == "local":
            return self._local(arg)
        if name == "table":
            return f"{self.database}.{self._local(arg)}"
        if name == "engine":
            return self._engine(arg, _SHARD_PATH)
        if name == "global_engine":
            return self._engine(arg, _GLOBAL_PATH)
        raise ValueError(f"unknown migration placeholder {{{{{name}}}}}")

    def _local(self, table: str) -> str:
        return f"{validate_identifier(table, 'table')}{'_local' if self.cluster else ''}"

    def _engine(self, spec: str, path: str) -> str:
        match = _ENGINE_SPEC.match(spec)
        if not match:
            raise ValueError(f"unsupported engine spec {spec!r}")
        if not self.cluster:
            return spec
        args = [f"'{path}'", "'{replica}'"]
        if match[2]:
            args.append(match[2])
        return f"Replicated{match[1]}({', '.join(args)})"


def _statements(target: _Target, sql: str) -> list[str]:
    out: list[str] = []
    for chunk in _STATEMENT_END.split(sql):
        lines = chunk.strip().splitlines()
        cluster_only = any(line.strip() == _CLUSTER_ONLY for line in lines)
        body = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
        if not body.strip() or (cluster_only and not target.cluster):
            continue
        out.append(target.render(body))
    return out


def _target(database: str, cluster: str | None, retention_days: int) -> _Target:
    validate_identifier(database, "database name")
    if cluster is not None:
        validate_identifier(cluster, "cluster name")
    if not isinstance(retention_days, int) or retention_days < 1:
        raise ValueError(f"retention_days must be a positive integer, got {retention_days!r}")
    return _Target(database, cluster, retention_days)


def bootstrap_statements(database: str, cluster: str | None) -> list[str]:
    """DDL run before any migration: the database and the ``schema_migrations`` table."""
    target = _target(database, cluster, 1)
    return [
        target.render("CREATE DATABASE IF NOT EXISTS {{database}} {{on_cluster}}"),
        target.render(_SCHEMA_MIGRATIONS),
    ]


def render_migrations(
    database: str, cluster: str | None, retention_days: int
) -> list[tuple[int, list[str]]]:
    """Every migration as ``(number, [statements])``, rendered for the given deployment.

    Pure: touches no database, so the DDL for a cluster can be checked without one.
    """
    target = _target(database, cluster, retention_days)
    return [(m.number, _statements(target, m.sql)) for m in load()]


def apply_migrations(store: Store, retention_days: int) -> list[int]:
    """Apply the migrations ``store``'s database has not recorded yet; return their numbers."""
    for statement in bootstrap_statements(store.database, store.cluster):
        store.command(statement)
    rows = store.query(f"SELECT DISTINCT version FROM {store.database}.schema_migrations")  # noqa: S608
    done = {int(row["version"]) for row in rows}
    names = {m.number: m.name for m in load()}
    applied: list[int] = []
    for number, statements in render_migrations(store.database, store.cluster, retention_days):
        if number in done:
            continue
        for statement in statements:
            store.command(statement)
        store.insert_rows(
            "schema_migrations",
            [("version", "UInt32"), ("name", "String"), ("applied_at", "DateTime64(3, 'UTC')")],
            [[number], [names[number]], [time.time_ns() // 1_000_000]],
        )
        applied.append(number)
    return applied


# Tables whose retention follows the setting, with the time column their TTL uses.
_RETENTION_TABLES = {
    "spans": "start_time",
    "traces": "start_time",
    "evaluations": "created_at",
    "logs": "time",
    "llm_wrapper_keys": "start_time",
}
_TTL_DAYS = re.compile(r"toIntervalDay\((\d+)\)|INTERVAL (\d+) DAY")


def apply_retention(store: Store, retention_days: int) -> list[str]:
    """Bring the tables' TTL to ``retention_days`` where it differs (the migrations only
    set it when they first run); return the tables changed. Expired parts are dropped
    by ClickHouse in the background."""
    target = _target(store.database, store.cluster, retention_days)
    on_cluster = f"ON CLUSTER {store.cluster}" if store.cluster else ""
    changed: list[str] = []
    for table, column in _RETENTION_TABLES.items():
        local = store.local_table(table)
        rows = store.query(
            "SELECT engine_full FROM system.tables "
            "WHERE database = {db:String} AND name = {t:String}",
            {"db": store.database, "t": local.rpartition(".")[2]},
        )
        found = _TTL_DAYS.search(rows[0]["engine_full"]) if rows else None
        if found is None or int(found.group(1) or found.group(2)) == target.retention_days:
            continue
        store.command(
            f"ALTER TABLE {local} {on_cluster} MODIFY TTL "
            f"toDateTime({column}) + INTERVAL {target.retention_days} DAY"
        )
        changed.append(table)
    return changed
