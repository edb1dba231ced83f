"""Experiment runs through the real app on chDB: create, results, summaries, paging,
compare with the paired bootstrap gate, and project isolation."""

from __future__ import annotations

from typing import Any

import pytest

from llmpulse_collector.store.keys import create_key, create_project
from tests.collector.api.conftest import Api, otlp_request, otlp_span


def _post(api: Api, path: str, body: Any, key: str | None = None) -> Any:
    return api.client.post(path, json=body, headers=api.headers(key or api.read_key))


def _start(api: Api, name: str, **body: Any) -> dict[str, Any]:
    resp = _post(api, "/api/v1/experiments", {"name": name, **body})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _results(api: Api, run_id: str, scores: dict[str, list[float]], **extra: Any) -> None:
    n = len(next(iter(scores.values())))
    results = [
        {
            "item_id": f"item-{i:03d}",
            "input": {"q": i},
            "output": f"answer {i}",
            "latency_ms": 10.0 + i,
            "scores": [
                {"name": name, "score": values[i], "passed": values[i] >= 0.5}
                for name, values in scores.items()
            ],
            **extra,
        }
        for i in range(n)
    ]
    resp = _post(api, f"/api/v1/experiments/{run_id}/results", {"results": results})
    assert resp.status_code == 201, resp.text
    assert resp.json()["stored"] == n


def test_run_lifecycle_summary_and_results(api: Api) -> None:
    assert _post(api, "/api/v1/datasets", {"name": "qa"}).status_code == 201
    _post(api, "/api/v1/datasets/qa/items", {"items": [{"input": "a"}, {"input": "b"}]})
    run = _start(api, "prompt-v1", dataset="qa", metadata={"model": "m1"})
    assert run["status"] == "running" and run["dataset_name"] == "qa"
    assert run["dataset_version"] == 1

    trace = "ab" * 16
    api.send(otlp_request(otlp_span(trace, "cd" * 8, "task", attrs={"llmpulse.cost_usd": 0.25})))
    _results(api, run["id"], {"exact": [1.0, 0.0, 1.0], "len": [0.2, 0.4, 0.6]})
    # a retried item replaces its result
    _post(
        api,
        f"/api/v1/experiments/{run['id']}/results",
        {"results": [{"item_id": "item-001", "output": "fixed", "trace_id": trace,
                      "latency_ms": 11, "scores": [{"name": "exact", "score": 1, "passed": True},
                                                   {"name": "len", "score": 0.4}]}]},
    )  # fmt: skip
    done = _post(api, f"/api/v1/experiments/{run['id']}/status", {"status": "completed"})
    assert done.json()["status"] == "completed"

    detail = api.get(f"/api/v1/experiments/{run['id']}", limit=2).json()
    assert detail["status"] == "completed" and detail["items"] == 3 and detail["total"] == 3
    stats = {e["name"]: e for e in detail["evaluators"]}
    assert stats["exact"]["pass_rate"] == 1.0 and stats["exact"]["mean_score"] == 1.0
    assert stats["len"]["mean_score"] == 0.4
    assert detail["latency_ms"]["p50"] == 11.0
    assert detail["cost_usd"] == 0.25
    assert [r["item_id"] for r in detail["results"]] == ["item-000", "item-001"]
    second = detail["results"][1]
    assert second["output"] == "fixed" and second["cost_usd"] == 0.25
    assert second["scores"]["exact"] == {"score": 1.0, "passed": True, "label": None,
                                         "reason": None}  # fmt: skip
    rest = api.get(f"/api/v1/experiments/{run['id']}", cursor=detail["next_cursor"]).json()
    assert [r["item_id"] for r in rest["results"]] == ["item-002"]

    by_name = api.get("/api/v1/experiments/prompt-v1").json()
    assert by_name["id"] == run["id"]
    listed = api.get("/api/v1/experiments", dataset="qa").json()["experiments"]
    assert [r["id"] for r in listed] == [run["id"]]
    assert api.get("/api/v1/experiments", dataset="nope").status_code == 404


def test_compare_flags_a_regressed_candidate(api: Api) -> None:
    base = _start(api, "baseline")
    good = _start(api, "same-quality")
    bad = _start(api, "regressed")
    n = 40
    _results(api, base["id"], {"correct": [1.0] * n, "style": [0.8] * n})
    _results(api, good["id"], {"correct": [1.0] * (n - 1) + [0.0], "style": [0.8] * n})
    # the candidate fails a quarter of the items it used to pass
    _results(api, bad["id"], {"correct": [0.0] * 10 + [1.0] * (n - 10), "style": [0.8] * n})

    fine = api.get(
        "/api/v1/experiments/compare", baseline="baseline", candidate="same-quality",
        max_drop=0.02,
    ).json()  # fmt: skip
    assert fine["shared_items"] == n
    correct = {e["name"]: e for e in fine["evaluators"]}["correct"]
    assert correct["drop"] == 0.025  # above the margin, but one item: not significant
    assert correct["drop_ci_low"] == 0.0 and not correct["regressed"]
    assert fine["gate"]["failed"] is False
    assert fine["regressed_items"] == 1 and fine["items"][0]["item_id"] == f"item-{n - 1:03d}"

    resp = api.get(
        "/api/v1/experiments/compare", baseline=base["id"], candidate=bad["id"], max_drop=0.02,
        limit=12,
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    result = resp.json()
    evaluators = {e["name"]: e for e in result["evaluators"]}
    assert evaluators["correct"]["drop"] == 0.25
    assert evaluators["correct"]["baseline"]["pass_rate"] == 1.0
    assert evaluators["correct"]["candidate"]["pass_rate"] == 0.75
    assert 0.1 < evaluators["correct"]["drop_ci_low"] < 0.25 < evaluators["correct"]["drop_ci_high"]
    assert evaluators["correct"]["regressed"] and not evaluators["style"]["regressed"]
    assert result["gate"]["failed"] and result["gate"]["regressed_evaluators"] == ["correct"]
    assert result["regressed_items"] == 10 and result["improved_items"] == 0
    items = result["items"]
    assert [i["regressed"] for i in items] == [True] * 10 + [False] * 2
    assert {i["item_id"] for i in items[:10]} == {f"item-{k:03d}" for k in range(10)}
    first = items[0]
    assert first["regressed_evaluators"] == ["correct"]
    assert first["baseline"]["scores"]["correct"]["passed"] is True
    assert first["candidate"]["scores"]["correct"]["passed"] is False
    assert first["input"] == {"q": int(first["item_id"][-3:])}
    assert result["baseline"]["evaluators"] and result["candidate"]["items"] == n

    again = api.get(
        "/api/v1/experiments/compare", baseline=base["id"], candidate=bad["id"], max_drop=0.02,
        limit=0,
    ).json()  # fmt: skip
    same = {e["name"]: e for e in again["evaluators"]}["correct"]
    assert same["drop_ci_low"] == evaluators["correct"]["drop_ci_low"]  # seeded
    lenient = api.get(
        "/api/v1/experiments/compare", baseline=base["id"], candidate=bad["id"], max_drop=0.3
    ).json()
    assert lenient["gate"]["failed"] is False


def test_compare_runs_without_shared_items(api: Api) -> None:
    a = _start(api, "a")
    b = _start(api, "b")
    _results(api, a["id"], {"x": [1.0, 1.0]})
    _post(
        api,
        f"/api/v1/experiments/{b['id']}/results",
        {"results": [{"item_id": "other", "scores": [{"name": "x", "score": 0}]}]},
    )
    result = api.get("/api/v1/experiments/compare", baseline="a", candidate="b").json()
    assert (result["shared_items"], result["only_baseline"], result["only_candidate"]) == (0, 2, 1)
    assert result["evaluators"][0]["paired"] == 0 and not result["gate"]["failed"]


def test_bad_input_and_project_isolation(api: Api) -> None:
    run = _start(api, "mine")
    _results(api, run["id"], {"x": [1.0]})
    assert _post(api, "/api/v1/experiments", {"name": "x", "dataset": "nope"}).status_code == 404
    assert (
        _post(api, f"/api/v1/experiments/{run['id']}/results", {"results": []}).status_code == 400
    )
    bad_status = _post(api, f"/api/v1/experiments/{run['id']}/status", {"status": "odd"})
    assert bad_status.status_code == 400

    other = create_project(api.store, "billing")
    b_read = create_key(api.store, other, "read")
    assert api.get(f"/api/v1/experiments/{run['id']}", key=b_read).status_code == 404
    assert api.get("/api/v1/experiments", key=b_read).json() == {
        "experiments": [],
        "total": 0,
        "next_cursor": None,
    }
    resp = _post(
        api, f"/api/v1/experiments/{run['id']}/results", {"results": [{"item_id": "z"}]}, b_read
    )
    assert resp.status_code == 404
    cmp = api.get("/api/v1/experiments/compare", key=b_read, baseline="mine", candidate="mine")
    assert cmp.status_code == 404
    assert api.get(f"/api/v1/experiments/{run['id']}").json()["items"] == 1


def test_verdicts_without_scores_are_compared_as_one_and_zero(api: Api) -> None:
    """An API client may send pass/fail alone: it scores 1/0, so the gate sees it."""
    base, cand = _start(api, "verdicts-base"), _start(api, "verdicts-cand")
    for run, passed in ((base, [True] * 30), (cand, [False] * 10 + [True] * 20)):
        results = [
            {"item_id": f"v-{i}", "output": "x", "scores": [{"name": "ok", "passed": p}]}
            for i, p in enumerate(passed)
        ]
        resp = _post(api, f"/api/v1/experiments/{run['id']}/results", {"results": results})
        assert resp.status_code == 201, resp.text
    result = api.get(
        "/api/v1/experiments/compare", baseline=base["id"], candidate=cand["id"], max_drop=0.02
    ).json()
    [ok] = result["evaluators"]
    assert ok["paired"] == 30 and ok["drop"] == pytest.approx(1 / 3, abs=1e-6)
    assert ok["regressed"] and result["gate"]["failed"]
