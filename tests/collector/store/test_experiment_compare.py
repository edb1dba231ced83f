"""The paired comparison on stored runs: the seeded bootstrap and its normal
approximation for large runs agree; the gate rule."""

from __future__ import annotations

import random

from llmpulse_collector.store import Store
from llmpulse_collector.store.experiment_compare import compare_runs
from llmpulse_collector.store.experiments import ResultRow, ScoreRow, add_results, create_run


def _runs(store: Store, n: int) -> tuple[dict[str, object], dict[str, object]]:
    rng = random.Random(5)
    runs = []
    for k, quality in enumerate((0.9, 0.8)):
        run = create_run(store, "p", f"run-{k}")
        rows = [
            ResultRow(item_id=f"i{i:05d}", scores=[
                ScoreRow("correct", 1.0 if rng.random() < quality else 0.0),
                ScoreRow("relevance", rng.random()),
            ])
            for i in range(n)
        ]  # fmt: skip
        add_results(store, "p", run["id"], rows)
        runs.append(run)
    return runs[0], runs[1]


def test_normal_approximation_matches_the_bootstrap(store: Store) -> None:
    base, cand = _runs(store, 600)
    exact = compare_runs(store, "p", base, cand, max_drop=0.02)
    approx = compare_runs(store, "p", base, cand, max_drop=0.02, budget=0)
    assert exact["gate"]["method"] == "bootstrap"
    assert approx["gate"]["method"] == "bootstrap+normal"
    for e, a in zip(exact["evaluators"], approx["evaluators"], strict=True):
        assert e["drop"] == a["drop"] and e["paired"] == a["paired"] == 600
        assert abs(e["drop_ci_low"] - a["drop_ci_low"]) < 0.012
        assert abs(e["drop_ci_high"] - a["drop_ci_high"]) < 0.012
    correct = {e["name"]: e for e in exact["evaluators"]}["correct"]
    assert correct["drop"] > 0.02 and correct["drop_ci_low"] > 0 and correct["regressed"]
    relevance = {e["name"]: e for e in exact["evaluators"]}["relevance"]
    assert relevance["drop_ci_low"] < 0 < relevance["drop_ci_high"]  # noise
    assert not relevance["regressed"]
    assert exact["gate"]["regressed_evaluators"] == ["correct"]


def test_same_seed_same_interval_other_seed_close(store: Store) -> None:
    base, cand = _runs(store, 200)
    a = compare_runs(store, "p", base, cand, seed=1)["evaluators"][1]
    b = compare_runs(store, "p", base, cand, seed=1)["evaluators"][1]
    c = compare_runs(store, "p", base, cand, seed=2)["evaluators"][1]
    assert a == b
    assert a["drop_ci_low"] != c["drop_ci_low"]
    assert abs(a["drop_ci_low"] - c["drop_ci_low"]) < 0.03


def test_item_pages_walk_every_item_once_in_one_order(store: Store) -> None:
    """Scores with float deltas (relevance is random): pages of 37 continue the one
    order (regressed, improved, unchanged; by delta, then id) with the same figures."""
    base, cand = _runs(store, 300)
    whole = compare_runs(store, "p", base, cand, limit=1000, resamples=100)
    assert whole["total"] == 300 and whole["next_cursor"] is None
    walked, cursor, pages = [], None, 0
    while True:
        page = compare_runs(store, "p", base, cand, limit=37, cursor=cursor, resamples=100)
        assert {k: v for k, v in page.items() if k not in ("items", "next_cursor")} == {
            k: v for k, v in whole.items() if k not in ("items", "next_cursor")
        }  # summaries, gate and total are over every item on every page
        walked += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 9
    assert [i["item_id"] for i in walked] == [i["item_id"] for i in whole["items"]]
    assert len({i["item_id"] for i in walked}) == 300
    improved = [not i["regressed"] and i["score_delta"] > 0 for i in walked]
    rank = [
        (not i["regressed"], not up, i["score_delta"], i["item_id"])
        for i, up in zip(walked, improved, strict=True)
    ]
    assert rank == sorted(rank)
    assert sum(i["regressed"] for i in walked) == whole["regressed_items"]
    assert sum(improved) == whole["improved_items"]
