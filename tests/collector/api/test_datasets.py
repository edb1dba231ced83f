"""Datasets through the real app on chDB: create, add (JSON, traces, a filter), versions,
paging with totals, export, and project isolation."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import pytest

from llmpulse_collector.store.keys import create_key, create_project
from tests.collector.api.conftest import Api, otlp_request, otlp_span


def _post(api: Api, path: str, body: Any, key: str | None = None, **params: Any) -> Any:
    return api.client.post(path, json=body, params=params, headers=api.headers(key or api.read_key))


def _dataset(api: Api, name: str = "refunds") -> dict[str, Any]:
    resp = _post(api, "/api/v1/datasets", {"name": name, "description": "d", "metadata": {"k": 1}})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _send_trace(api: Api, n: int, question: str, answer: str) -> str:
    trace = f"{n:032x}"
    api.send(
        otlp_request(
            otlp_span(trace, f"{n:016x}", "answer", attrs={"input.value": question,
                                                             "output.value": answer}),
            otlp_span(trace, f"{n + 1:016x}", "chat", parent=f"{n:016x}",
                      attrs={"input.value": '{"q": "inner"}', "output.value": "inner out"}),
        )
    )  # fmt: skip
    return trace


def test_create_add_and_read_items_with_versions(api: Api) -> None:
    ds = _dataset(api)
    assert ds["item_count"] == 0 and ds["version"] == 0
    assert _post(api, "/api/v1/datasets", {"name": "refunds"}).status_code == 409

    first = _post(
        api,
        "/api/v1/datasets/refunds/items",
        {"items": [
            {"input": {"q": "refund?"}, "expected_output": "30 days", "metadata": {"tag": "a"}},
            {"input": "hello", "id": "greeting"},
        ]},
    )  # fmt: skip
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1 and first.json()["added"] == 2
    second = _post(
        api,
        f"/api/v1/datasets/{ds['id']}/items",
        {"items": [{"input": "hello", "expected_output": "hi!", "id": "greeting"},
                   {"input": [1, 2]}]},
    )  # fmt: skip
    assert second.json()["version"] == 2

    latest = api.get("/api/v1/datasets/refunds/items").json()
    assert latest["version"] == 2 and latest["total"] == 3
    assert [i["input"] for i in latest["items"]] == [{"q": "refund?"}, "hello", [1, 2]]
    greeting = latest["items"][1]
    assert greeting["id"] == "greeting" and greeting["expected_output"] == "hi!"
    assert latest["items"][0]["metadata"] == {"tag": "a"}

    pinned = api.get("/api/v1/datasets/refunds/items", version=1).json()
    assert pinned["total"] == 2
    assert pinned["items"][1]["expected_output"] is None  # the item as it was at version 1

    deleted = api.client.delete(
        "/api/v1/datasets/refunds/items/greeting", headers=api.headers(api.read_key)
    )
    assert deleted.status_code == 200 and deleted.json()["version"] == 3
    again = api.client.delete(
        "/api/v1/datasets/refunds/items/greeting", headers=api.headers(api.read_key)
    )
    assert again.status_code == 404  # already gone: no new version
    assert api.get("/api/v1/datasets/refunds/items").json()["total"] == 2
    assert api.get("/api/v1/datasets/refunds/items", version=2).json()["total"] == 3
    assert api.get("/api/v1/datasets/refunds/items", version=9).status_code == 404

    detail = api.get("/api/v1/datasets/refunds").json()
    assert detail["item_count"] == 2 and detail["version"] == 3
    assert [v["items_written"] for v in detail["versions"]] == [2, 2, 0]
    assert [v["items_deleted"] for v in detail["versions"]] == [0, 0, 1]
    listed = api.get("/api/v1/datasets").json()["datasets"]
    assert [(d["name"], d["item_count"]) for d in listed] == [("refunds", 2)]


def test_items_page_with_cursor_and_total(api: Api) -> None:
    _dataset(api)
    for chunk in range(3):
        items = [{"input": f"q{chunk * 5 + i}"} for i in range(5)]
        assert _post(api, "/api/v1/datasets/refunds/items", {"items": items}).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/v1/datasets/refunds/items", **params).json()
        assert page["total"] == 15
        seen += [i["input"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"q{i}" for i in range(15)]
    bad = api.get("/api/v1/datasets/refunds/items", cursor="nope")
    assert bad.status_code == 400


def test_add_from_trace_and_span_keeps_the_link(api: Api) -> None:
    _dataset(api)
    trace = _send_trace(api, 0x100, '{"question": "Where is my order?"}', "It shipped.")
    resp = _post(
        api,
        "/api/v1/datasets/refunds/items/from-traces",
        {"traces": [{"trace_id": trace}, {"trace_id": trace, "span_id": f"{0x101:016x}"}],
         "output_as_expected": True},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    items = api.get("/api/v1/datasets/refunds/items").json()["items"]
    root, inner = items
    assert root["input"] == {"question": "Where is my order?"}
    assert root["expected_output"] == "It shipped."
    assert (root["source_trace_id"], root["source_span_id"]) == (trace, f"{0x100:016x}")
    assert root["metadata"]["span_name"] == "answer"
    assert inner["input"] == {"q": "inner"} and inner["source_span_id"] == f"{0x101:016x}"

    missing = _post(
        api,
        "/api/v1/datasets/refunds/items/from-traces",
        {"traces": [{"trace_id": trace}, {"trace_id": "f" * 32}]},
    )
    assert missing.status_code == 404 and "f" * 32 in missing.json()["error"]["message"]
    assert api.get("/api/v1/datasets/refunds/items").json()["total"] == 2  # nothing added
    bad = _post(api, "/api/v1/datasets/refunds/items/from-traces", {"traces": [{"trace_id": "x"}]})
    assert bad.status_code == 400


def test_add_from_a_traces_filter_thumbs_down(api: Api) -> None:
    _dataset(api)
    bad = [_send_trace(api, 0x200 + 2 * i, f"bad question {i}", "wrong answer") for i in range(3)]
    good = _send_trace(api, 0x300, "fine question", "right answer")
    _send_trace(api, 0x400, "no feedback", "whatever")
    for trace in bad:
        fb = {"trace_id": trace, "name": "thumbs", "value": False}
        assert _post(api, "/api/v1/feedback", fb).status_code == 201
    fb = {"trace_id": good, "name": "thumbs", "value": True}
    assert _post(api, "/api/v1/feedback", fb).status_code == 201
    time.sleep(0.1)
    resp = _post(
        api,
        "/api/v1/datasets/refunds/items/from-filter",
        None,
        has_feedback="true",
        has_failing_assertion="true",
        **{"from": str(time.time() - 3600)},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["added"] == 3
    items = api.get("/api/v1/datasets/refunds/items").json()["items"]
    assert sorted(i["source_trace_id"] for i in items) == sorted(bad)
    assert {i["input"] for i in items} == {f"bad question {i}" for i in range(3)}
    assert all(i["expected_output"] is None for i in items)
    assert all(i["metadata"]["trace_output"] == "wrong answer" for i in items)


def test_export_jsonl_and_csv(api: Api) -> None:
    _dataset(api)
    items = [{"input": {"q": "a,b"}, "expected_output": "x\ny"}, {"input": "plain"}]
    _post(api, "/api/v1/datasets/refunds/items", {"items": items})
    jsonl = api.get("/api/v1/datasets/refunds/export", format="jsonl")
    assert jsonl.status_code == 200
    assert jsonl.headers["content-disposition"].endswith('refunds-v1.jsonl"')
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [(r["input"], r["expected_output"]) for r in rows] == [
        ({"q": "a,b"}, "x\ny"),
        ("plain", None),
    ]
    text = api.get("/api/v1/datasets/refunds/export", format="csv").text
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [(r["input"], r["expected_output"]) for r in parsed] == [
        ('{"q": "a,b"}', "x\ny"),
        ("plain", ""),
    ]


def test_bad_input_is_a_clear_400(api: Api) -> None:
    _dataset(api)
    assert _post(api, "/api/v1/datasets", {"name": ""}).status_code == 400
    assert _post(api, "/api/v1/datasets/refunds/items", {"items": []}).status_code == 400
    resp = _post(
        api, "/api/v1/datasets/refunds/items", {"items": [{"input": 1, "source_trace_id": "zz"}]}
    )
    assert resp.status_code == 400 and "source_trace_id" in resp.json()["error"]["message"]
    assert api.get("/api/v1/datasets/refunds/items").json()["total"] == 0
    assert api.get("/api/v1/datasets/nope").status_code == 404


@pytest.mark.parametrize("scope", ["ingest", "read", "admin"])
def test_write_scopes(api: Api, scope: str) -> None:
    key = create_key(api.store, api.project, scope)  # type: ignore[arg-type]
    resp = _post(api, "/api/v1/datasets", {"name": f"by-{scope}"}, key=key)
    assert resp.status_code == 201
    listed = api.get("/api/v1/datasets", key=key)
    assert listed.status_code == (403 if scope == "ingest" else 200)


def test_project_isolation(api: Api) -> None:
    ds = _dataset(api)
    _post(api, "/api/v1/datasets/refunds/items", {"items": [{"input": "secret"}]})
    other = create_project(api.store, "billing")
    b_read = create_key(api.store, other, "read")
    b_ingest = create_key(api.store, other, "ingest")
    for ref in ("refunds", ds["id"]):
        assert api.get(f"/api/v1/datasets/{ref}", key=b_read).status_code == 404
        assert api.get(f"/api/v1/datasets/{ref}/items", key=b_read).status_code == 404
        assert api.get(f"/api/v1/datasets/{ref}/export", key=b_read).status_code == 404
        resp = _post(api, f"/api/v1/datasets/{ref}/items", {"items": [{"input": "x"}]}, b_ingest)
        assert resp.status_code == 404
    assert api.get("/api/v1/datasets", key=b_read).json() == {
        "datasets": [],
        "total": 0,
        "next_cursor": None,
    }
    # B may use the same name for its own dataset, which A does not see
    assert _post(api, "/api/v1/datasets", {"name": "refunds"}, key=b_read).status_code == 201
    _post(api, "/api/v1/datasets/refunds/items", {"items": [{"input": "b"}]}, key=b_read)
    mine = api.get("/api/v1/datasets/refunds/items").json()
    assert [i["input"] for i in mine["items"]] == ["secret"]
