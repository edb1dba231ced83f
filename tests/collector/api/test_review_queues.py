"""Review queues through the real app on chDB: fill by hand and by a sampled filter,
take the next item with its trace, label it (a 'human' evaluation with the reviewer),
send a corrected output to a dataset, and project isolation."""

from __future__ import annotations

import json
import time
from typing import Any

from llmpulse_collector.store.keys import create_key, create_project
from tests.collector.api.conftest import Api, otlp_request, otlp_span


def _post(api: Api, path: str, body: Any, key: str | None = None, **params: Any) -> Any:
    return api.client.post(path, json=body, params=params, headers=api.headers(key or api.read_key))


def _trace(api: Api, n: int, question: str, answer: str) -> str:
    trace = f"{n:032x}"
    attrs = {"input.value": question, "output.value": answer}
    assert (
        api.send(otlp_request(otlp_span(trace, f"{n:016x}", "answer", attrs=attrs))).status_code
        == 200
    )
    return trace


def test_review_flow_labels_land_as_human_evaluations(api: Api) -> None:
    assert _post(api, "/api/v1/datasets", {"name": "golden"}).status_code == 201
    resp = _post(api, "/api/v1/review-queues", {"name": "triage", "dataset": "golden",
                                                 "evaluation_name": "correct"})  # fmt: skip
    assert resp.status_code == 201, resp.text
    queue = resp.json()
    assert queue["label_kind"] == "pass_fail" and queue["pending"] == 0
    t1 = _trace(api, 0x51, "refund for a broken kettle?", "No refunds, ever.")
    t2 = _trace(api, 0x52, "opening hours?", "9 to 5")
    added = _post(api, "/api/v1/review-queues/triage/items",
                  {"traces": [{"trace_id": t1}, {"trace_id": t2}, {"trace_id": t1}]})  # fmt: skip
    assert added.status_code == 201 and added.json()["added"] == 2
    assert (
        _post(api, "/api/v1/review-queues/triage/items", {"traces": [{"trace_id": t1}]}).json()[
            "added"
        ]
        == 0
    )

    nxt = api.get("/api/v1/review-queues/triage/next").json()
    assert nxt["pending"] == 2 and nxt["item"]["trace_id"] == t1
    assert nxt["trace"]["roots"][0]["input"] == "refund for a broken kettle?"
    item_id = nxt["item"]["id"]
    labeled = _post(api, f"/api/v1/review-queues/triage/items/{item_id}/label", {
        "reviewer": "dana", "passed": False, "comment": "policy allows refunds",
        "corrected_output": "Broken kettles are refunded within 30 days.",
        "add_to_dataset": True,
    })  # fmt: skip
    assert labeled.status_code == 200, labeled.text
    result = labeled.json()
    assert result["item"]["status"] == "done" and result["item"]["reviewer"] == "dana"
    assert result["dataset_item_id"]

    after = api.get("/api/v1/review-queues/triage/next").json()
    assert after["item"]["trace_id"] == t2 and after["pending"] == 1
    skipped = _post(api, f"/api/v1/review-queues/triage/items/{after['item']['id']}/skip",
                    {"reviewer": "dana"})  # fmt: skip
    assert skipped.json()["status"] == "skipped"
    done = api.get("/api/v1/review-queues/triage/next").json()
    assert done == {"item": None, "trace": None, "pending": 0}
    counts = api.get("/api/v1/review-queues").json()["queues"][0]
    assert (counts["pending"], counts["done"], counts["skipped"]) == (0, 1, 1)
    assert api.get("/api/v1/review-queues/triage/items", status="done").json()["total"] == 1

    time.sleep(0.2)
    trace = api.get(f"/api/v1/traces/{t1}").json()
    (ev,) = trace["evaluations"]
    assert (ev["name"], ev["source"], ev["passed"], ev["comment"]) == (
        "correct", "human", False, "policy allows refunds",
    )  # fmt: skip
    assert ev["evaluation_id"] == result["evaluation_id"]
    value = json.loads(ev["value"])
    assert value["reviewer"] == "dana" and value["queue"] == "triage"
    items = api.get("/api/v1/datasets/golden/items").json()["items"]
    assert [(i["input"], i["expected_output"], i["source_trace_id"]) for i in items] == [
        ("refund for a broken kettle?", "Broken kettles are refunded within 30 days.", t1)
    ]
    assert items[0]["metadata"]["reviewer"] == "dana"


def test_label_kinds_are_validated(api: Api) -> None:
    _post(api, "/api/v1/review-queues", {"name": "tone", "label_kind": "categorical",
                                         "categories": ["polite", "rude"]})  # fmt: skip
    _post(api, "/api/v1/review-queues", {"name": "stars", "label_kind": "numeric",
                                         "min_score": 1, "max_score": 5})  # fmt: skip
    bad = _post(api, "/api/v1/review-queues", {"name": "x", "label_kind": "categorical"})
    assert bad.status_code == 400
    t = _trace(api, 0x61, "hi", "what")
    for name in ("tone", "stars", "tone"):
        _post(api, f"/api/v1/review-queues/{name}/items", {"traces": [{"trace_id": t}]})
    tone = api.get("/api/v1/review-queues/tone/next").json()["item"]["id"]
    stars = api.get("/api/v1/review-queues/stars/next").json()["item"]["id"]
    path = "/api/v1/review-queues/{}/items/{}/label"
    assert (
        _post(api, path.format("tone", tone), {"reviewer": "r", "label": "meh"}).status_code == 400
    )
    assert _post(api, path.format("stars", stars), {"reviewer": "r", "score": 9}).status_code == 400
    assert _post(api, path.format("stars", stars), {"reviewer": "r", "score": 4}).status_code == 200
    ok = _post(api, path.format("tone", tone), {"reviewer": "r", "label": "rude"})
    assert ok.status_code == 200
    no_dataset = _post(api, path.format("tone", tone), {"reviewer": "r", "label": "rude",
                       "corrected_output": "x", "add_to_dataset": True})  # fmt: skip
    assert no_dataset.status_code == 409
    assert _post(api, path.format("tone", "nope"), {"reviewer": "r"}).status_code == 404


def test_fill_from_a_sampled_filter(api: Api) -> None:
    _post(api, "/api/v1/review-queues", {"name": "sample"})
    traces = [_trace(api, 0x100 + i, f"q{i}", "a") for i in range(40)]
    time.sleep(0.1)
    since = str(time.time() - 3600)
    half = _post(api, "/api/v1/review-queues/sample/items/from-filter", None,
                 sample_rate=0.5, **{"from": since})  # fmt: skip
    assert half.status_code == 201, half.text
    n = half.json()["added"]
    assert 8 <= n <= 32
    everything = _post(api, "/api/v1/review-queues/sample/items/from-filter", None,
                       **{"from": since})  # fmt: skip
    assert everything.json()["added"] == 40 - n  # the sampled ones are queued already
    again = _post(api, "/api/v1/review-queues/sample/items/from-filter", None,
                  sample_rate=0.5, **{"from": since})  # fmt: skip
    assert again.json()["added"] == 0
    listed = api.get("/api/v1/review-queues/sample/items", limit=1000).json()
    assert sorted(i["trace_id"] for i in listed["items"]) == sorted(traces)


def test_project_isolation(api: Api) -> None:
    _post(api, "/api/v1/review-queues", {"name": "mine"})
    t = _trace(api, 0x71, "secret question", "secret answer")
    _post(api, "/api/v1/review-queues/mine/items", {"traces": [{"trace_id": t}]})
    item = api.get("/api/v1/review-queues/mine/next").json()["item"]["id"]
    other = create_project(api.store, "billing")
    b_read = create_key(api.store, other, "read")
    assert api.get("/api/v1/review-queues/mine", key=b_read).status_code == 404
    assert api.get("/api/v1/review-queues/mine/next", key=b_read).status_code == 404
    assert api.get("/api/v1/review-queues", key=b_read).json() == {
        "queues": [],
        "total": 0,
        "next_cursor": None,
    }
    resp = _post(api, f"/api/v1/review-queues/mine/items/{item}/label",
                 {"reviewer": "x", "passed": True}, key=b_read)  # fmt: skip
    assert resp.status_code == 404
    # B queues A's trace id by hand: its next item shows no trace of A's
    _post(api, "/api/v1/review-queues", {"name": "theirs"}, key=b_read)
    _post(api, "/api/v1/review-queues/theirs/items", {"traces": [{"trace_id": t}]}, key=b_read)
    theirs = api.get("/api/v1/review-queues/theirs/next", key=b_read).json()
    assert theirs["item"]["trace_id"] == t and theirs["trace"] is None
    assert api.get("/api/v1/review-queues/mine").json()["pending"] == 1
