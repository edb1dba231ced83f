"""Distinct values for filter widgets, the streamed export (JSONL and CSV parsed back),
/me, and the rules every endpoint keeps: read scope, the key's project only."""

from __future__ import annotations

import csv
import io
import json

import pytest

from llmpulse_collector.store.queries import TimeRange, TraceFilter, export_records
from tests.collector.api.query_seed import (
    RANGE,
    T1,
    T2,
    T3,
    Seeded,
    seeded_fixture,  # noqa: F401  (the ``seeded`` fixture)
)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("models", [("gpt-4o-mini", 2), ("claude-sonnet-4-5", 1)]),
        ("providers", [("openai", 2), ("anthropic", 1)]),
        ("services", [("shop-api", 5), ("search-api", 2)]),
        ("span_names", [("answer", 2), ("chat", 3), ("lookup", 1), ("search", 1)]),
        ("span_types", [("chain", 3), ("llm", 3), ("tool", 1)]),
        ("tags", [("prod", 2), ("beta", 1)]),
        ("users", [("alice", 2), ("bob", 1)]),
        ("sessions", [("s1", 2), ("s2", 1)]),
        ("environments", [("prod", 5), ("staging", 2)]),
        ("assertion_names", [("polite", 3), ("grounded", 1), ("relevance", 1), ("thumbs", 1)]),
    ],
)
def test_values_most_frequent_first(
    seeded: Seeded, field: str, expected: list[tuple[str, int]]
) -> None:
    body = seeded.ok(f"/api/v1/values/{field}", **RANGE)
    found = [(v["value"], v["count"]) for v in body["values"]]
    assert sorted(found, key=lambda v: (-v[1], v[0])) == found
    assert sorted(found) == sorted(expected)
    assert seeded.ok(f"/api/v1/values/{field}", **RANGE, limit=1)["values"] == body["values"][:1]


def test_unknown_value_field(seeded: Seeded) -> None:
    resp = seeded.get("/api/v1/values/colors")
    assert resp.status_code == 400
    assert "models" in resp.json()["error"]["message"]


def test_export_jsonl_nests_evaluations_and_feedback(seeded: Seeded) -> None:
    resp = seeded.get("/api/v1/export", **RANGE)
    assert resp.status_code == 200
    assert resp.headers["content-disposition"] == 'attachment; filename="llmpulse-traces.jsonl"'
    assert resp.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in resp.text.splitlines()]
    assert [r["trace_id"] for r in records] == [T3, T2, T1]
    t2, t1 = records[1], records[2]
    assert (t1["input"], t1["output"], t1["total_tokens"]) == (
        "How do I get a REFUND?",
        "Refunds take 5 days.",
        110,
    )
    assert [(e["name"], e["passed"], e["span_id"] != "") for e in t1["evaluations"]] == [
        ("polite", True, False),
        ("grounded", False, True),
    ]
    assert t1["feedback"] == []
    assert [e["name"] for e in t2["evaluations"]] == ["polite"]
    assert [(f["name"], f["comment"]) for f in t2["feedback"]] == [("thumbs", "wrong")]


def test_export_csv_flattens_and_takes_every_trace_filter(seeded: Seeded) -> None:
    resp = seeded.get("/api/v1/export", **RANGE, format="csv", sort="cost_usd", order="asc")
    assert resp.headers["content-disposition"] == 'attachment; filename="llmpulse-traces.csv"'
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert [r["trace_id"] for r in rows] == [T3, T1, T2]
    t2 = rows[2]
    assert (t2["tags"], t2["models"], t2["errors"], t2["input"]) == (
        "beta,prod",
        "claude-sonnet-4-5",
        "2",
        "Cancel my plan",
    )
    assert [e["name"] for e in json.loads(t2["evaluations_json"])] == ["polite"]
    assert [f["name"] for f in json.loads(t2["feedback_json"])] == ["thumbs"]
    only = seeded.get("/api/v1/export", **RANGE, format="csv", has_feedback="true", q="cancel")
    assert [r["trace_id"] for r in csv.DictReader(io.StringIO(only.text))] == [T2]
    assert seeded.get("/api/v1/export", format="xml").status_code == 400


def test_export_pages_through_the_store_in_chunks(seeded: Seeded) -> None:
    time = TimeRange(int(float(RANGE["from"]) * 1e9), int(float(RANGE["to"]) * 1e9))
    f = TraceFilter(project_id=seeded.project, time=time)
    records = export_records(seeded.store, f, chunk=1)
    assert [r["trace_id"] for r in records] == [T3, T2, T1]
    assert [r["trace_id"] for r in export_records(seeded.store, f, chunk=2, limit=2)] == [T3, T2]


def test_me(seeded: Seeded) -> None:
    assert seeded.ok("/api/v1/me") == {
        "project_id": seeded.project,
        "project_name": "shop",
        "scope": "read",
    }
    assert seeded.get("/api/v1/me", key=seeded.admin_key).json()["scope"] == "admin"


ENDPOINTS = [
    "/api/v1/me",
    "/api/v1/traces",
    f"/api/v1/traces/{T1}",
    "/api/v1/metrics/summary",
    "/api/v1/metrics/timeseries",
    "/api/v1/cost",
    "/api/v1/sessions",
    "/api/v1/sessions/s1",
    "/api/v1/users",
    "/api/v1/evaluations/summary",
    "/api/v1/evaluations/failing",
    "/api/v1/feedback",
    "/api/v1/values/models",
    "/api/v1/export",
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_needs_a_read_key(seeded: Seeded, path: str) -> None:
    assert seeded.get(path, key=seeded.ingest_key).status_code == 403
    assert seeded.get(path, key="lp_read_wrong").status_code == 401
    assert seeded.client.get(path).status_code == 401


def test_another_projects_key_sees_nothing(seeded: Seeded) -> None:
    def get(path: str, **params: object) -> object:
        resp = seeded.get(path, key=seeded.other_key, **{**RANGE, **params})
        return resp.json() if resp.status_code == 200 else resp.status_code

    other = get("/api/v1/traces")
    assert [t["name"] for t in other["traces"]] == ["answer"]  # only its own trace TX
    assert get(f"/api/v1/traces/{T1}") == 404
    assert get("/api/v1/sessions/s1") == 404
    assert get("/api/v1/metrics/summary")["groups"][0]["spans"] == 1
    assert get("/api/v1/metrics/timeseries", interval="3600")["series"][0]["totals"]["spans"] == 1
    assert get("/api/v1/cost")["total_cost_usd"] == 0.0
    for path, key in [
        ("/api/v1/sessions", "sessions"),
        ("/api/v1/users", "users"),
        ("/api/v1/evaluations/summary", "names"),
        ("/api/v1/evaluations/failing", "evaluations"),
        ("/api/v1/feedback", "feedback"),
        ("/api/v1/values/models", "values"),
        ("/api/v1/values/assertion_names", "values"),
    ]:
        assert get(path)[key] == [], path
    assert len(seeded.get("/api/v1/export", key=seeded.other_key, **RANGE).text.splitlines()) == 1


def test_openapi_documents_every_endpoint(seeded: Seeded) -> None:
    paths = set(seeded.client.get("/openapi.json").json()["paths"])
    documented = {p.replace(T1, "{trace_id}").replace("s1", "{session_id}") for p in ENDPOINTS}
    documented = {p.replace("/values/models", "/values/{field}") for p in documented}
    assert documented <= paths
