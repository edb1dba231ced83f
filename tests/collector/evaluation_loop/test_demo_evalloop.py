"""The demo's evaluation loop on a real collector fed with demo traffic: a thumbs-down
dataset linked to its traces, a review queue with items, two runs whose comparison
fails the gate."""

from __future__ import annotations

import time
from typing import Any

import httpx

import llmpulse
from llmpulse_collector import demo
from llmpulse_collector.demo_evalloop import DATASET, QUEUE, seed_evaluation_loop
from tests.collector.evaluation_loop.conftest import Live


def test_demo_seeds_dataset_queue_and_two_runs(live: Live) -> None:
    demo.backfill(live.url, live.ingest_key, days=2 / 24, per_hour=120)
    time.sleep(1.0)

    def get(path: str, **params: Any) -> Any:
        resp = httpx.get(live.url + path, params=params,
                         headers={"Authorization": f"Bearer {live.read_key}"})  # fmt: skip
        assert resp.status_code == 200, resp.text
        return resp.json()

    # as in 'llmpulse up --demo': the live demo app configured llmpulse before
    llmpulse.configure(endpoint=live.url, api_key=live.ingest_key)
    seed_evaluation_loop(live.url, live.admin_key)
    dataset = get(f"/api/v1/datasets/{DATASET}")
    assert dataset["item_count"] >= 10
    items = get(f"/api/v1/datasets/{DATASET}/items")["items"]
    assert all(i["source_trace_id"] and "question" in i["input"] for i in items)
    queue = get(f"/api/v1/review-queues/{QUEUE}")
    assert queue["pending"] >= 5 and queue["done"] == 1
    runs = {r["name"]: r for r in get("/api/v1/experiments", dataset=DATASET)["experiments"]}
    assert set(runs) == {"baseline", "candidate-terse-prompt"}
    assert all(r["status"] == "completed" and r["items"] == len(items) for r in runs.values())
    assert runs["candidate-terse-prompt"]["cost_usd"] > runs["baseline"]["cost_usd"] > 0
    cmp = get("/api/v1/experiments/compare", baseline="baseline",
              candidate="candidate-terse-prompt", max_drop=0.02)  # fmt: skip
    assert cmp["gate"]["failed"] and "cites_docs" in cmp["gate"]["regressed_evaluators"]
    assert cmp["regressed_items"] > 0
    # a second start leaves everything as it is
    seed_evaluation_loop(live.url, live.admin_key)
    assert len(get("/api/v1/experiments")["experiments"]) == 2
