"""Projects and API keys.

A project's id is the slug of its name (``"Support Bot"`` → ``support-bot``), so
creating a project is idempotent by name. An API key is ``lp_<scope>_<random>``; it
is shown once, when created, and only its sha256 is stored.

Scopes of a project's keys: ``ingest`` sends spans and feedback, ``read`` queries,
``admin`` does both and manages its own project's keys and rules (``admin`` ⊇ ``read``,
``admin`` ⊇ ``ingest``). An ``operator`` key belongs to no project: it is the
instance-wide credential that creates and lists projects and acts as the admin of
whichever project a request names. See ``KeyInfo.allows``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, cast, get_args

from llmpulse_collector.store.client import Store

__all__ = [
    "OPERATOR",
    "ApiKey",
    "KeyInfo",
    "Project",
    "ProjectScope",
    "Scope",
    "create_key",
    "create_operator_key",
    "create_project",
    "hash_key",
    "list_keys",
    "list_projects",
    "lookup_key",
    "lookup_key_id",
    "project_exists",
    "project_slug",
    "revoke_key",
]

ProjectScope = Literal["ingest", "read", "admin"]
Scope = Literal["ingest", "read", "admin", "operator"]
SCOPES: tuple[ProjectScope, ...] = get_args(ProjectScope)
#: the scope of the instance-wide key; its ``project_id`` is empty
OPERATOR: Final = "operator"
_GRANTS: dict[str, frozenset[str]] = {
    "ingest": frozenset({"ingest"}),
    "read": frozenset({"read"}),
    "admin": frozenset({"admin", "read", "ingest"}),
    # The operator administers projects; it sends no spans of its own.
    OPERATOR: frozenset({OPERATOR, "admin", "read"}),
}
_KEY_ID = re.compile(r"^[0-9a-f]{64}$")
_PREFIX_CHARS = 6  # random characters kept for display


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a presented key grants."""

    project_id: str
    scope: Scope
    revoked: bool

    def allows(self, needed: Scope) -> bool:
        """True when this (unrevoked) key's scope includes ``needed``."""
        return not self.revoked and needed in _GRANTS[self.scope]


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key, for listing: ``key_id`` is the sha256 (not the key)."""

    key_id: str
    key_prefix: str
    project_id: str
    scope: Scope
    created_at: datetime
    revoked: bool


@dataclass(frozen=True, slots=True)
class Project:
    project_id: str
    name: str
    created_at: datetime


def project_slug(name: str) -> str:
    """``"Support Bot (EU)"`` → ``"support-bot-eu"``; raises ``ValueError`` if nothing is left."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    if not slug:
        raise ValueError(f"project name {name!r} needs at least one letter or digit")
    return slug[:64]


def hash_key(key: str) -> str:
    """The stored form of a key: its sha256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_project(store: Store, name: str) -> str:
    """Create the project ``name`` unless it exists; return its id (the slug)."""
    project_id = project_slug(name)
    if project_exists(store, project_id):
        return project_id
    now = time.time_ns()
    store.insert_rows(
        "projects",
        [
            ("project_id", "String"),
            ("name", "String"),
            ("created_at", "DateTime64(3, 'UTC')"),
            ("updated_at", "DateTime64(9, 'UTC')"),
        ],
        [[project_id], [name.strip()], [now // 1_000_000], [now]],
    )
    return project_id


def list_projects(store: Store) -> list[Project]:
    rows = store.query(
        f"SELECT project_id, name, created_at FROM {store.table('projects')} FINAL "  # noqa: S608
        "ORDER BY project_id"
    )
    return [Project(r["project_id"], r["name"], r["created_at"]) for r in rows]


def create_key(store: Store, project_id: str, scope: ProjectScope) -> str:
    """Create a key for an existing project; return the plaintext key (shown once)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
    if not project_exists(store, project_id):
        raise ValueError(f"no project {project_id!r}: create it first")
    return _new_key(store, project_id, scope)


def create_operator_key(store: Store) -> str:
    """Create an instance-wide operator key; return the plaintext key (shown once)."""
    return _new_key(store, "", OPERATOR)


def _new_key(store: Store, project_id: str, scope: Scope) -> str:
    key = f"lp_{scope}_{secrets.token_urlsafe(24)}"
    now = time.time_ns()
    _write_key(
        store,
        key_hash=hash_key(key),
        key_prefix=key[: len(f"lp_{scope}_") + _PREFIX_CHARS] + "…",
        project_id=project_id,
        scope=scope,
        created_ms=now // 1_000_000,
        revoked=False,
        updated_ns=now,
    )
    return key


def lookup_key(store: Store, key: str) -> KeyInfo | None:
    """What ``key`` grants, or ``None`` for an unknown key. Revoked keys are returned
    with ``revoked=True`` so callers can say so."""
    rows = store.query(
        f"SELECT project_id, scope, revoked FROM {store.table('api_keys')} FINAL "  # noqa: S608
        "WHERE key_hash = {key_hash:String}",
        {"key_hash": hash_key(key)},
    )
    if not rows:
        return None
    row = rows[0]
    return KeyInfo(row["project_id"], cast("Scope", row["scope"]), bool(row["revoked"]))


def lookup_key_id(store: Store, key_id: str) -> str | None:
    """The project of the key whose ``key_id`` (sha256 hex) this is (``""`` for an
    operator key), or ``None`` when there is no such key."""
    if not _KEY_ID.fullmatch(key_id):
        return None
    rows = store.query(
        f"SELECT project_id FROM {store.table('api_keys')} FINAL "  # noqa: S608
        "WHERE key_hash = {key_hash:String}",
        {"key_hash": key_id},
    )
    return str(rows[0]["project_id"]) if rows else None


def list_keys(store: Store, project_id: str) -> list[ApiKey]:
    rows = store.query(
        "SELECT key_hash, key_prefix, project_id, scope, created_at, revoked "  # noqa: S608
        f"FROM {store.table('api_keys')} FINAL "
        "WHERE project_id = {project_id:String} ORDER BY created_at",
        {"project_id": project_id},
    )
    return [
        ApiKey(
            r["key_hash"],
            r["key_prefix"],
            r["project_id"],
            cast("Scope", r["scope"]),
            r["created_at"],
            bool(r["revoked"]),
        )
        for r in rows
    ]


def revoke_key(store: Store, key: str) -> bool:
    """Revoke a key, given as the plaintext key or its ``key_id`` (sha256 hex).
    Returns False when there is no such key."""
    key_hash = key if _KEY_ID.fullmatch(key) else hash_key(key)
    rows = store.query(
        "SELECT key_prefix, project_id, scope, "  # noqa: S608
        "toUnixTimestamp64Milli(created_at) AS created_ms, "
        "toUnixTimestamp64Nano(updated_at) AS updated_ns "
        f"FROM {store.table('api_keys')} FINAL WHERE key_hash = {{key_hash:String}}",
        {"key_hash": key_hash},
    )
    if not rows:
        return False
    row = rows[0]
    _write_key(
        store,
        key_hash=key_hash,
        key_prefix=row["key_prefix"],
        project_id=row["project_id"],
        scope=row["scope"],
        created_ms=row["created_ms"],
        revoked=True,
        updated_ns=max(time.time_ns(), row["updated_ns"] + 1),
    )
    return True


def project_exists(store: Store, project_id: str) -> bool:
    rows = store.query(
        f"SELECT 1 AS found FROM {store.table('projects')} "  # noqa: S608
        "WHERE project_id = {project_id:String} LIMIT 1",
        {"project_id": project_id},
    )
    return bool(rows)


def _write_key(
    store: Store,
    *,
    key_hash: str,
    key_prefix: str,
    project_id: str,
    scope: str,
    created_ms: int,
    revoked: bool,
    updated_ns: int,
) -> None:
    store.insert_rows(
        "api_keys",
        [
            ("key_hash", "String"),
            ("key_prefix", "String"),
            ("project_id", "String"),
            ("scope", "LowCardinality(String)"),
            ("created_at", "DateTime64(3, 'UTC')"),
            ("revoked", "Bool"),
            ("updated_at", "DateTime64(9, 'UTC')"),
        ],
        [[key_hash], [key_prefix], [project_id], [scope], [created_ms], [revoked], [updated_ns]],
    )
