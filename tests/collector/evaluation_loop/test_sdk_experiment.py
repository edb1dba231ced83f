"""The SDK's ``Dataset`` and ``experiment()`` against a real collector: items stored and
read back, each item a real trace tagged with the experiment, results and scores
stored, and two runs compared."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

import llmpulse
from llmpulse import checks
from llmpulse._http import ApiError
from llmpulse.judges import LLMJudge
from tests.collector.evaluation_loop.conftest import Live
from tests.fake_openai import fake_openai_server

QUESTIONS = [
    ("capital of France", "Paris"),
    ("capital of Japan", "Tokyo"),
    ("capital of Peru", "Lima"),
    ("capital of Kenya", "Nairobi"),
    ("capital of Chile", "Santiago"),
    ("capital of Spain", "Madrid"),
]
ANSWERS = dict(QUESTIONS)


def exact_match(output: str, expected: str) -> bool:
    return output == expected


def brevity(output: Any) -> tuple[float, str]:
    return (1.0 if len(str(output)) <= 8 else 0.5), f"{len(str(output))} chars"


def _api(live: Live, path: str, **params: Any) -> Any:
    resp = httpx.get(
        live.url + path, params=params, headers={"Authorization": f"Bearer {live.read_key}"}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_dataset_client_round_trip(live: Live) -> None:
    ds = llmpulse.Dataset.create("capitals", description="geo")
    ids = ds.add([{"input": {"q": q}, "expected_output": a} for q, a in QUESTIONS[:4]])
    assert len(ids) == 4 and ds.version == 1
    ds.add([llmpulse.Dataset.get("capitals").items()[0].__class__(id=ids[0], input={"q": "x"})])
    assert ds.version == 2
    again = llmpulse.Dataset.get("capitals")
    items = again.items()
    assert [i.input for i in items] == [{"q": "x"}] + [{"q": q} for q, _ in QUESTIONS[1:4]]
    assert next(i.input for i in again.items(version=1)) == {"q": QUESTIONS[0][0]}
    with pytest.raises(ApiError) as missing:
        llmpulse.Dataset.get("nope")
    assert missing.value.status == 404
    with pytest.raises(ApiError) as taken:
        llmpulse.Dataset.create("capitals")
    assert taken.value.status == 409


def test_experiment_traces_scores_and_stores_two_runs(live: Live) -> None:
    ds = llmpulse.Dataset.create("capitals")
    ds.add([{"input": q, "expected_output": a} for q, a in QUESTIONS])
    llmpulse.configure(service_name="capitals-app")

    def answer(question: str) -> str:
        time.sleep(0.002)
        return ANSWERS[question]

    good = llmpulse.experiment(
        "capitals",
        answer,
        evaluators=[exact_match, brevity, checks.max_chars(20)],
        name="baseline",
        metadata={"prompt": "v1"},
        concurrency=3,
        progress=False,
    )
    assert good.run_id is not None and good.errors == 0
    assert good.summary()["exact_match"] == {"count": 6, "mean_score": 1.0, "pass_rate": 1.0}
    assert good.results[3].scores["brevity"].reason == "7 chars"

    async def worse(question: str) -> str:
        await asyncio.sleep(0.001)
        if question.endswith(("Peru", "Kenya", "Chile")):
            return "I am not sure about that one"
        if question.endswith("Spain"):
            raise RuntimeError("model timeout")
        return ANSWERS[question]

    bad = llmpulse.experiment(
        "capitals",
        worse,
        evaluators=[exact_match, brevity, checks.max_chars(20)],
        name="candidate",
        concurrency=2,
        progress=False,
    )
    assert bad.errors == 1 and bad.results[5].error == "RuntimeError: model timeout"
    assert bad.summary()["exact_match"]["pass_rate"] == 1.0 * 2 / 5

    run = _api(live, "/api/v1/experiments/baseline")
    assert run["status"] == "completed" and run["items"] == 6
    assert run["dataset_name"] == "capitals" and run["dataset_version"] == 1
    assert run["metadata"] == {"prompt": "v1"}
    assert {e["name"]: e["pass_rate"] for e in run["evaluators"]}["exact_match"] == 1.0
    first = run["results"][0]
    assert first["output"] in ANSWERS.values() and first["latency_ms"] >= 2.0

    # each item ran in a trace of its own, tagged and linked to the run and item
    trace = _api(live, f"/api/v1/traces/{first['trace_id']}")
    (root,) = trace["roots"]
    assert root["name"] == "experiment baseline" and "experiment:baseline" in root["tags"]
    assert root["attributes"]["llmpulse.experiment.run_id"] == good.run_id
    assert root["attributes"]["llmpulse.dataset.item_id"] == first["item_id"]
    # verdicts are also evaluations of the trace (a bare score is not)
    assert {e["name"] for e in root["evaluations"]} == {"exact_match", "max_chars(20)"}
    tagged = _api(live, "/api/v1/traces", tag="experiment:candidate", limit=50)
    assert len(tagged["traces"]) == 6
    assert sum(t["errors"] for t in tagged["traces"]) == 1

    cmp = _api(live, "/api/v1/experiments/compare", baseline="baseline", candidate="candidate")
    assert cmp["shared_items"] == 6
    by_name = {e["name"]: e for e in cmp["evaluators"]}
    assert by_name["exact_match"]["paired"] == 5  # the failed item has no scores
    assert by_name["exact_match"]["drop"] == 0.6
    assert cmp["gate"]["failed"] is True
    assert cmp["regressed_items"] == 3
    assert {i["input"] for i in cmp["items"] if i["regressed"]} == {
        "capital of Peru",
        "capital of Kenya",
        "capital of Chile",
    }


def test_in_memory_items_and_local_runs(live: Live) -> None:
    items = [{"input": 2, "expected_output": 4}, {"input": 3, "expected_output": 9}]
    result = llmpulse.experiment(
        items,
        lambda x: x * x,
        evaluators=[lambda output, expected: output == expected],
        name="squares",
        upload=False,
        progress=False,
    )
    assert result.run_id is None
    assert [r.output for r in result.results] == [4, 9]
    assert result.summary()["<lambda>"]["pass_rate"] == 1.0
    uploaded = llmpulse.experiment(items, lambda x: x + x, name="doubles", progress=False)
    stored = _api(live, f"/api/v1/experiments/{uploaded.run_id}")
    assert stored["items"] == 2 and stored["dataset_id"] is None
    assert sorted(r["output"] for r in stored["results"]) == [4, 6]


def test_experiment_pins_a_dataset_version(live: Live) -> None:
    ds = llmpulse.Dataset.create("pinned")
    ds.add([{"input": "a", "expected_output": "A"}])
    ds.add([{"input": "b", "expected_output": "B"}])
    old = llmpulse.experiment("pinned", str.upper, [exact_match], name="v1-only",
                              dataset_version=1, progress=False)  # fmt: skip
    assert [r.item.input for r in old.results] == ["a"]
    run = _api(live, f"/api/v1/experiments/{old.run_id}")
    assert run["dataset_version"] == 1 and run["items"] == 1
    latest = llmpulse.experiment(ds, str.upper, [exact_match], name="latest", progress=False)
    assert [r.item.input for r in latest.results] == ["a", "b"]
    assert _api(live, "/api/v1/experiments/latest")["dataset_version"] == 2


def test_judge_cost_is_counted_apart_from_the_task(live: Live) -> None:
    llmpulse.configure(service_name="capitals-app")

    def task(question: str) -> str:
        with llmpulse.span("chat", "llm") as s:
            s.record_llm(model="gpt-4o-mini", input_tokens=1000, output_tokens=100,
                         cost_usd=0.01)  # fmt: skip
        return ANSWERS[question]

    items = [{"input": q, "expected_output": a} for q, a in QUESTIONS[:2]]
    with fake_openai_server() as fake:
        judge = LLMJudge("Answer: {output}", model="gpt-4o-mini", base_url=fake.url,
                         name="judge")  # fmt: skip
        result = llmpulse.experiment(items, task, [judge], name="judged", progress=False)
    assert [r.scores["judge"].passed for r in result.results] == [True, False]
    run = _api(live, f"/api/v1/experiments/{result.run_id}")
    assert run["cost_usd"] == 0.02  # the task's LLM calls only
    assert run["evaluator_cost_usd"] > 0  # the judge's calls, priced from their tokens
    item = run["results"][0]
    assert item["cost_usd"] == 0.01 and item["evaluator_cost_usd"] > 0
    trace = _api(live, f"/api/v1/traces/{item['trace_id']}")
    (root,) = trace["roots"]
    kinds = {c["name"]: c["span_type"] for c in root["children"]}
    assert kinds == {"chat": "llm", "judge judge": "evaluator"}
