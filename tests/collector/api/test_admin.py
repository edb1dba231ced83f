"""Projects and keys over HTTP with an admin key, while the collector owns the store."""

from __future__ import annotations

from tests.collector.api.conftest import Api


def test_the_operator_key_creates_projects_and_keys_that_work_at_once(api: Api) -> None:
    operator = api.headers(api.operator_key)
    created = api.client.post("/api/v1/projects", json={"name": "Billing Bot"}, headers=operator)
    assert created.status_code == 201
    assert created.json()["project_id"] == "billing-bot"

    key = api.client.post(
        "/api/v1/keys", json={"scope": "read", "project": "billing-bot"}, headers=operator
    ).json()["key"]
    assert api.get("/api/v1/traces", key=key).status_code == 200
    names = {
        p["project_id"]
        for p in api.get("/api/v1/projects", key=api.operator_key).json()["projects"]
    }
    assert {"shop", "billing-bot"} <= names


def test_an_admin_key_creates_keys_of_its_own_project(api: Api) -> None:
    created = api.client.post(
        "/api/v1/keys", json={"scope": "ingest"}, headers=api.headers(api.admin_key)
    )
    assert created.status_code == 201
    assert created.json()["project_id"] == "shop"


def test_keys_are_listed_without_secrets_and_revoked_at_once(api: Api) -> None:
    admin = api.headers(api.admin_key)
    listed = api.client.get("/api/v1/keys", headers=admin).json()["keys"]
    assert {k["scope"] for k in listed} == {"ingest", "read", "admin"}
    assert all(api.read_key not in str(k) for k in listed)

    assert api.get("/api/v1/traces").status_code == 200  # cached as valid
    read = next(k for k in listed if k["scope"] == "read")
    assert api.client.delete(f"/api/v1/keys/{read['key_id']}", headers=admin).status_code == 200
    assert api.get("/api/v1/traces").status_code == 401


def test_admin_routes_need_an_admin_key(api: Api) -> None:
    resp = api.client.post(
        "/api/v1/projects", json={"name": "x"}, headers=api.headers(api.read_key)
    )
    assert resp.status_code == 403
    missing = api.client.post(
        "/api/v1/keys",
        json={"scope": "read", "project": "nope"},
        headers=api.headers(api.operator_key),
    )
    assert missing.status_code == 404
