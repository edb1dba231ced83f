"""The query API: trace lists with filters and paging, trace detail, summary, feedback."""

from __future__ import annotations

import time

from tests.collector.api.conftest import Api, otlp_request, otlp_span

NOW = time.time_ns()
HOUR = 3_600_000_000_000


def _seed(api: Api) -> list[str]:
    """Three traces: ok on gpt-4o-mini, failing on claude, and an old one."""
    traces = [f"{i:032x}" for i in (1, 2, 3)]
    spans = [
        otlp_span(
            traces[0],
            "0000000000000001",
            "answer",
            start_ns=NOW - HOUR,
            duration_ms=900,
            attrs={"session.id": "s1", "user.id": "alice", "llmpulse.tags": "x"},
        ),
        otlp_span(
            traces[0],
            "0000000000000002",
            "chat",
            parent="0000000000000001",
            start_ns=NOW - HOUR + 1_000_000,
            duration_ms=800,
            attrs={
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.provider.name": "openai",
                "gen_ai.usage.input_tokens": 100,
                "gen_ai.usage.output_tokens": 10,
            },
        ),
        otlp_span(
            traces[1],
            "0000000000000003",
            "answer",
            start_ns=NOW - 2 * HOUR,
            duration_ms=3000,
            error=True,
            attrs={"session.id": "s2", "user.id": "bob"},
        ),
        otlp_span(
            traces[1],
            "0000000000000004",
            "chat",
            parent="0000000000000003",
            start_ns=NOW - 2 * HOUR + 1_000_000,
            duration_ms=2900,
            error=True,
            attrs={
                "gen_ai.request.model": "claude-sonnet-4-5",
                "gen_ai.provider.name": "anthropic",
                "gen_ai.usage.input_tokens": 300,
                "gen_ai.usage.output_tokens": 0,
            },
        ),
        otlp_span(
            traces[2], "0000000000000005", "answer", start_ns=NOW - 48 * HOUR, duration_ms=100
        ),
    ]
    assert api.send(otlp_request(*spans)).status_code == 200
    return traces


def test_trace_list_is_newest_first_within_the_default_day(api: Api) -> None:
    recent, failing, _old = _seed(api)
    page = api.get("/api/v1/traces").json()
    assert [t["trace_id"] for t in page["traces"]] == [recent, failing]
    first = page["traces"][0]
    assert first["name"] == "answer"
    assert first["spans"] == 2
    assert first["models"] == ["gpt-4o-mini"]
    assert first["session_id"] == "s1" and first["user_id"] == "alice"
    assert abs(first["duration_ms"] - 900) < 1
    assert page["next_cursor"] is None


def test_trace_list_filters(api: Api) -> None:
    recent, failing, old = _seed(api)

    def ids(**params: object) -> list[str]:
        resp = api.get("/api/v1/traces", **params)
        assert resp.status_code == 200, resp.text
        return [t["trace_id"] for t in resp.json()["traces"]]

    assert ids(status="error") == [failing]
    assert ids(status="ok") == [recent]
    assert ids(model="claude-sonnet-4-5") == [failing]
    assert ids(user_id="alice") == [recent]
    assert ids(session_id="s2") == [failing]
    assert ids(name="chat") == [recent, failing]
    assert ids(service="shop-api") == [recent, failing]
    assert ids(service="other") == []
    assert ids(**{"from": str((NOW - 72 * HOUR) / 1e9)}) == [recent, failing, old]


def test_cursor_paging_walks_every_trace_once(api: Api) -> None:
    _seed(api)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 1, "from": str((NOW - 72 * HOUR) / 1e9)}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/v1/traces", **params).json()
        seen += [t["trace_id"] for t in page["traces"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 == len(set(seen))
    assert api.get("/api/v1/traces", cursor="not-a-cursor").status_code == 400


def test_trace_detail_is_a_tree_with_offsets(api: Api) -> None:
    recent, *_ = _seed(api)
    trace = api.get(f"/api/v1/traces/{recent}").json()
    (root,) = trace["roots"]
    (child,) = root["children"]
    assert root["offset_ms"] == 0
    assert child["offset_ms"] == 1.0
    assert child["provider"] == "openai"
    assert api.get("/api/v1/traces/not-hex").status_code == 400
    assert api.get(f"/api/v1/traces/{'f' * 32}").json()["error"]["code"] == "not_found"


def test_summary_totals_and_groups(api: Api) -> None:
    _seed(api)
    total = api.get("/api/v1/metrics/summary").json()["groups"]
    assert len(total) == 1
    row = total[0]
    assert (row["spans"], row["traces"], row["errors"]) == (4, 2, 2)
    assert row["error_rate"] == 0.5
    assert row["input_tokens"] == 400
    assert 900 <= row["latency_ms"]["p50"] <= 3000

    by_model = api.get("/api/v1/metrics/summary", group_by="model").json()["groups"]
    models = {g["group"]: g for g in by_model}
    assert models["gpt-4o-mini"]["cost_usd"] > 0
    assert models["claude-sonnet-4-5"]["errors"] == 1
    assert api.get("/api/v1/metrics/summary", group_by="nope").status_code == 400


def test_bad_time_parameters_say_what_to_fix(api: Api) -> None:
    resp = api.get("/api/v1/traces", **{"from": "yesterday"})
    assert resp.status_code == 400
    assert "ISO 8601" in resp.json()["error"]["message"]
    resp = api.get(
        "/api/v1/traces", **{"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    )
    assert resp.status_code == 400


def test_feedback_is_stored_as_an_evaluation_of_the_trace(api: Api) -> None:
    recent, *_ = _seed(api)
    resp = api.client.post(
        "/api/v1/feedback",
        json={"trace_id": recent, "name": "thumbs", "value": False, "comment": "wrong answer"},
        headers=api.headers(api.ingest_key),
    )
    assert resp.status_code == 201, resp.text
    evaluations = api.get(f"/api/v1/traces/{recent}").json()["evaluations"]
    assert [(e["name"], e["source"], e["passed"], e["comment"]) for e in evaluations] == [
        ("thumbs", "feedback", False, "wrong answer")
    ]
    bad = api.client.post(
        "/api/v1/feedback",
        json={"trace_id": "xyz", "name": "thumbs", "value": 1},
        headers=api.headers(api.ingest_key),
    )
    assert bad.status_code == 400
    assert "trace_id" in bad.json()["error"]["message"]


def test_every_query_is_scoped_to_the_keys_project(make_api) -> None:
    api = make_api()
    recent, *_ = _seed(api)
    from llmpulse_collector.store.keys import create_key, create_project

    other = create_key(api.store, create_project(api.store, "other"), "read")
    assert api.get("/api/v1/traces", key=other).json()["traces"] == []
    assert api.get(f"/api/v1/traces/{recent}", key=other).status_code == 404
    assert api.get("/api/v1/traces", key=api.ingest_key).status_code == 403
    assert api.get("/api/v1/traces", key="wrong").status_code == 401
