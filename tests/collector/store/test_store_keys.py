"""Projects and API keys: ids are slugs, keys are stored hashed, scopes nest under admin."""

from __future__ import annotations

import hashlib

import pytest

from llmpulse_collector.store import Store
from llmpulse_collector.store.keys import (
    KeyInfo,
    create_key,
    create_project,
    list_keys,
    list_projects,
    lookup_key,
    project_slug,
    revoke_key,
)


def test_project_id_is_the_slug_and_creation_is_idempotent(store: Store) -> None:
    assert create_project(store, "Support Bot (EU)") == "support-bot-eu"
    assert create_project(store, "Support Bot (EU)") == "support-bot-eu"
    assert create_project(store, "shop") == "shop"
    assert [(p.project_id, p.name) for p in list_projects(store)] == [
        ("shop", "shop"),
        ("support-bot-eu", "Support Bot (EU)"),
    ]


def test_project_names_need_a_letter_or_digit() -> None:
    with pytest.raises(ValueError, match="letter or digit"):
        project_slug(" --- ")


def test_key_is_returned_once_and_stored_hashed(store: Store) -> None:
    project = create_project(store, "shop")
    key = create_key(store, project, "ingest")

    assert key.startswith("lp_ingest_")
    assert len(key) > len("lp_ingest_") + 30
    [stored] = store.query(f"SELECT * FROM {store.table('api_keys')}")
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(stored)
    assert stored["key_prefix"] == key[: len("lp_ingest_") + 6] + "…"


def test_lookup(store: Store) -> None:
    project = create_project(store, "shop")
    key = create_key(store, project, "read")
    assert lookup_key(store, key) == KeyInfo(project_id="shop", scope="read", revoked=False)
    assert lookup_key(store, key + "x") is None
    assert lookup_key(store, "") is None


def test_keys_need_an_existing_project_and_a_known_scope(store: Store) -> None:
    with pytest.raises(ValueError, match="no project"):
        create_key(store, "nope", "ingest")
    create_project(store, "shop")
    with pytest.raises(ValueError, match="unknown scope"):
        create_key(store, "shop", "write")  # type: ignore[arg-type]


def test_admin_includes_read_and_ingest() -> None:
    admin = KeyInfo("p", "admin", revoked=False)
    ingest = KeyInfo("p", "ingest", revoked=False)
    read = KeyInfo("p", "read", revoked=False)
    assert admin.allows("admin") and admin.allows("read") and admin.allows("ingest")
    assert ingest.allows("ingest") and not ingest.allows("read") and not ingest.allows("admin")
    assert read.allows("read") and not read.allows("ingest") and not read.allows("admin")
    assert not KeyInfo("p", "admin", revoked=True).allows("read")


def test_revoke_by_key_or_by_id(store: Store) -> None:
    project = create_project(store, "shop")
    by_key, by_id = create_key(store, project, "ingest"), create_key(store, project, "admin")

    assert revoke_key(store, by_key)
    [admin] = [k for k in list_keys(store, project) if k.scope == "admin"]
    assert revoke_key(store, admin.key_id)

    assert lookup_key(store, by_key) == KeyInfo("shop", "ingest", revoked=True)
    assert lookup_key(store, by_id) == KeyInfo("shop", "admin", revoked=True)
    assert all(k.revoked for k in list_keys(store, project))
    assert not revoke_key(store, "lp_ingest_unknown")


def test_revocation_survives_merges(store: Store) -> None:
    project = create_project(store, "shop")
    key = create_key(store, project, "read")
    revoke_key(store, key)
    store.command(f"OPTIMIZE TABLE {store.local_table('api_keys')} FINAL")
    assert store.query(f"SELECT count() AS n FROM {store.table('api_keys')}") == [{"n": 1}]
    lookup = lookup_key(store, key)
    assert lookup is not None and lookup.revoked


def test_list_keys_is_per_project(store: Store) -> None:
    create_project(store, "a")
    create_project(store, "b")
    create_key(store, "a", "ingest")
    create_key(store, "a", "read")
    create_key(store, "b", "read")
    assert sorted(k.scope for k in list_keys(store, "a")) == ["ingest", "read"]
    assert [k.project_id for k in list_keys(store, "b")] == ["b"]
