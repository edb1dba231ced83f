"""The evaluation-loop pages (Datasets, Review, Experiments) and "Add to dataset", run
with Streamlit's AppTest against a real collector of their own (so what they write
does not change the counts other page tests check): the dashboard tests' seeded
traces, a dataset, a review queue and two experiment runs created through the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from llmpulse_collector.store.keys import create_key, create_project
from llmpulse_dashboard.client import ApiError, Client
from tests.dashboard.conftest import APP, serve_collector
from tests.dashboard.seed import Seeded, seed

CAPITALS = [
    ("France", "Paris"), ("Japan", "Tokyo"), ("Peru", "Lima"), ("Kenya", "Nairobi"),
    ("Chile", "Santiago"), ("Spain", "Madrid"), ("Italy", "Rome"), ("Egypt", "Cairo"),
    ("Canada", "Ottawa"), ("Norway", "Oslo"), ("Ghana", "Accra"), ("Cuba", "Havana"),
]  # fmt: skip
WORSE = {"Peru", "Kenya", "Chile", "Ghana", "Cuba", "Egypt"}  # the candidate gets these wrong


@dataclass(frozen=True)
class Loop:
    url: str
    key: str  # a read key (the dashboard's; it may write datasets, labels and runs)
    data: Seeded
    queue_id: str


def _call(loop_url: str, key: str, method: str, path: str, **kwargs: Any) -> Any:
    resp = httpx.request(
        method, loop_url + path, headers={"Authorization": f"Bearer {key}"}, timeout=30, **kwargs
    )
    assert resp.status_code < 300, resp.text
    return resp.json()


def _run(url: str, key: str, name: str, answers: dict[str, str]) -> None:
    run = _call(url, key, "POST", "/api/v1/experiments", json={"name": name, "dataset": "capitals"})
    results = [
        {
            "item_id": country.lower(),
            "input": {"question": f"capital of {country}"},
            "expected_output": city,
            "output": answers[country],
            "latency_ms": 120.0 if name == "baseline" else 180.0,
            "scores": [
                {  # as the SDK sends a verdict: passed, and 1/0 as its score
                    "name": "exact_match",
                    "passed": answers[country] == city,
                    "score": float(answers[country] == city),
                },
                {"name": "brevity", "score": 1.0 if len(answers[country]) < 10 else 0.4},
            ],
        }
        for country, city in CAPITALS
    ]
    _call(url, key, "POST", f"/api/v1/experiments/{run['id']}/results", json={"results": results})
    _call(url, key, "POST", f"/api/v1/experiments/{run['id']}/status", json={"status": "completed"})


@pytest.fixture(scope="module")
def loop(chdb_url: str) -> Iterator[Loop]:
    with serve_collector(chdb_url, "loop") as served:
        project = create_project(served.store, "evals")
        key = create_key(served.store, project, "read")
        data = seed(served.url, create_key(served.store, project, "ingest"))
        url = served.url
        _call(url, key, "POST", "/api/v1/datasets", json={"name": "capitals"})
        items = [
            {"id": c.lower(), "input": {"question": f"capital of {c}"}, "expected_output": city}
            for c, city in CAPITALS
        ]
        _call(url, key, "POST", "/api/v1/datasets/capitals/items", json={"items": items})
        _call(url, key, "POST", "/api/v1/datasets", json={"name": "from-prod"})
        _call(url, key, "POST", "/api/v1/datasets/from-prod/items/from-traces",
              json={"traces": [{"trace_id": data.failed_assertion}]})  # fmt: skip
        _run(url, key, "baseline", dict(CAPITALS))
        worse = {c: ("I'm not sure." if c in WORSE else city) for c, city in CAPITALS}
        _run(url, key, "candidate", worse)
        queue = _call(url, key, "POST", "/api/v1/review-queues",
                      json={"name": "triage", "dataset": "from-prod"})  # fmt: skip
        traces = [{"trace_id": t} for t in (data.chat, data.failed_assertion)]
        _call(url, key, "POST", "/api/v1/review-queues/triage/items", json={"traces": traces})
        yield Loop(url, key, data, queue["id"])


@pytest.fixture
def run_page(loop: Loop, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LLMPULSE_API_URL", loop.url)
    monkeypatch.setenv("LLMPULSE_API_KEY", loop.key)
    monkeypatch.delenv("LLMPULSE_API_KEYS", raising=False)

    def run(page: str, **params: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.query_params.update(params)
        at.run()
        at.switch_page(f"views/{page}.py")
        at.query_params.update(params)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return run


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _get(loop: Loop, path: str, **params: Any) -> Any:
    return _call(loop.url, loop.key, "GET", path, params=params)


def _text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.success, *at.warning)]
    return "\n".join(str(p) for p in parts)


# ---- datasets ------------------------------------------------------------------------


def test_datasets_list_and_a_dataset_with_its_items(run_page: Any, loop: Loop) -> None:
    at = run_page("datasets")
    _ok(at)
    table = at.dataframe[0].value
    rows = {row["Name"]: row for row in table.to_dict("records")}
    assert rows["capitals"]["Items"] == 12 and rows["capitals"]["Version"] == 1
    assert rows["from-prod"]["Items"] == 1

    at = run_page("datasets", dataset="from-prod")
    assert at.title[0].value == "Dataset from-prod"
    assert {m.label: m.value for m in at.metric}["Items"] == "1"
    (item,) = at.dataframe[0].value.to_dict("records")
    assert item["Source trace"] == f"traces?trace={loop.data.failed_assertion}"
    assert item["Input"]  # the trace's input, as text
    assert len(at.get("download_button")) == 2  # JSONL and CSV

    at = run_page("datasets", dataset="capitals")
    table = at.dataframe[0].value
    shown = {
        json.loads(i)["question"]: e
        for i, e in zip(table["Input"], table["Expected output"], strict=True)
    }
    assert shown == {f"capital of {c}": city for c, city in CAPITALS}


def test_an_unknown_dataset_says_so(run_page: Any) -> None:
    at = run_page("datasets", dataset="nope")
    assert "Could not load dataset nope" in at.error[0].value and "(404)" in at.error[0].value


# ---- add to dataset ------------------------------------------------------------------


def test_a_trace_goes_into_a_new_dataset_from_the_trace_view(run_page: Any, loop: Loop) -> None:
    at = run_page("traces", trace=loop.data.chat)
    _ok(at)
    at.selectbox(key="add_trace_dataset").set_value("\u0000new").run()
    at.text_input(key="add_trace_new_name").input("good answers").run()
    at.checkbox(key="add_trace_expected").check().run()
    at.button(key="add_trace_go").click().run()
    _ok(at)
    assert "Added 1 item to **good answers**" in _text(at)
    page = _get(loop, "/api/v1/datasets/good answers/items")
    (item,) = page["items"]
    assert item["source_trace_id"] == loop.data.chat
    assert item["expected_output"]  # the production answer, as asked
    assert item["expected_output"] == item["metadata"]["trace_output"]


def test_all_traces_matching_the_filter_go_into_a_dataset(run_page: Any, loop: Loop) -> None:
    at = run_page("traces", failing="1")
    matching = len(at.dataframe[0].value)
    assert matching >= 1
    at.selectbox(key="add_filter_dataset").set_value("\u0000new").run()
    at.text_input(key="add_filter_new_name").input("failing").run()
    at.button(key="add_filter_go").click().run()
    _ok(at)
    page = _get(loop, "/api/v1/datasets/failing/items")
    assert page["total"] == matching
    assert loop.data.failed_assertion in {i["source_trace_id"] for i in page["items"]}


# ---- review --------------------------------------------------------------------------


def test_reviewing_an_item_stores_a_human_label_and_moves_on(run_page: Any, loop: Loop) -> None:
    at = run_page("review", queue="triage")
    _ok(at)
    first = _get(loop, "/api/v1/review-queues/triage/next")["item"]
    assert f"trace `{first['trace_id']}`" in _text(at)
    assert len(at.chat_message) >= 2  # the conversation of its LLM call
    at.text_input(key="reviewer").input("rita").run()
    at.segmented_control(key="review_verdict").set_value("Fail")
    at.text_area(key="review_comment").input("too vague")
    at.text_area(key="review_corrected").input("Open Settings → Billing → Refund.")
    assert at.selectbox(key="review_dataset").value  # the queue's dataset by default
    at.button(key="FormSubmitter:review_" + first["id"] + "-Save and next").click().run()
    _ok(at)

    trace = _get(loop, f"/api/v1/traces/{first['trace_id']}")
    human = [e for e in trace["evaluations"] if e["source"] == "human"]
    assert len(human) == 1 and human[0]["name"] == "triage" and human[0]["passed"] is False
    assert human[0]["comment"] == "too vague"
    assert json.loads(human[0]["value"])["reviewer"] == "rita"
    items = _get(loop, "/api/v1/datasets/from-prod/items")["items"]
    corrected = [i for i in items if i["expected_output"] == "Open Settings → Billing → Refund."]
    assert len(corrected) == 1 and corrected[0]["source_trace_id"] == first["trace_id"]

    # the next item is on screen
    second = _get(loop, "/api/v1/review-queues/triage/next")["item"]
    assert second["id"] != first["id"]
    assert f"trace `{second['trace_id']}`" in _text(at)
    assert "1 left to review" in str(at.get("progress")[0].proto.text)


def test_a_queue_is_created_from_a_filter_on_the_review_page(run_page: Any, loop: Loop) -> None:
    at = run_page("review", range="7d")
    at.text_input(key="new_queue_name").input("scores").run()
    at.selectbox(key="new_queue_kind").set_value("numeric").run()
    at.number_input(key="new_queue_max").set_value(5.0).run()
    at.button(key="new_queue_go").click().run()
    _ok(at)
    queue = _get(loop, "/api/v1/review-queues/scores")
    assert queue["label_kind"] == "numeric" and queue["max_score"] == 5.0
    assert queue["pending"] == 6  # every trace of the last 7 days, sample rate 1
    assert at.selectbox(key="queue").value == "scores"
    assert at.slider(key="review_score").max == 5.0

    # a numeric label: the score lands in the evaluation
    item = _get(loop, "/api/v1/review-queues/scores/next")["item"]
    at.text_input(key="reviewer").input("sam").run()
    at.slider(key="review_score").set_value(4.0)
    at.button(key="FormSubmitter:review_" + item["id"] + "-Save and next").click().run()
    _ok(at)
    trace = _get(loop, f"/api/v1/traces/{item['trace_id']}")
    (label,) = [e for e in trace["evaluations"] if e["name"] == "scores"]
    assert label["source"] == "human" and label["score"] == 4.0
    assert _get(loop, "/api/v1/review-queues/scores")["done"] == 1


# ---- experiments ---------------------------------------------------------------------


def test_comparison_shows_the_gate_and_the_regressed_items_first(run_page: Any) -> None:
    at = run_page("experiments", dataset="capitals", baseline="baseline", candidate="candidate")
    runs = at.dataframe[0].value
    assert set(runs["Run"]) == {"baseline", "candidate"}
    assert dict(zip(runs["Run"], runs["exact_match"], strict=True)) == {
        "baseline": "100.0%", "candidate": "50.0%",
    }  # fmt: skip
    (gate,) = at.error
    assert "Gate: regression" in gate.value and "exact_match" in gate.value
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Shared items"] == "12" and tiles["Regressed items"] == "6"
    assert tiles["p50 latency"] == "180 ms"

    evaluators = {r["Evaluator"]: r for r in at.dataframe[1].value.to_dict("records")}
    assert evaluators["exact_match"]["Verdict"] == "REGRESSED"
    assert evaluators["exact_match"]["Baseline pass rate"] == "100.0%"
    assert evaluators["exact_match"]["Candidate pass rate"] == "50.0%"
    assert evaluators["exact_match"]["Change"] == "-50.0 pp"

    items = at.dataframe[2].value.to_dict("records")
    assert len(items) == 12
    regressed = [i for i in items[:6]]
    assert {i["Item"] for i in regressed} == {c.lower() for c in WORSE}
    assert all(
        i["Regressed"].startswith("▼ ") and "exact_match" in i["Regressed"] for i in regressed
    )
    assert all(i["Candidate output"] == "I'm not sure." for i in regressed)
    assert all("exact_match FAIL" in i["Candidate scores"] for i in regressed)
    assert not any(i["Regressed"] for i in items[6:])

    at.toggle(key="regressed_only").set_value(True).run()
    assert len(at.dataframe[2].value) == 6


def test_a_large_allowed_drop_passes_the_gate(run_page: Any) -> None:
    at = run_page("experiments", dataset="capitals", max_drop="0.9")
    _ok(at)
    assert at.selectbox(key="baseline").value != at.selectbox(key="candidate").value
    assert "Gate: pass" in at.success[0].value


# ---- the client ----------------------------------------------------------------------


def test_client_covers_the_evaluation_loop_routes(loop: Loop) -> None:
    with Client(loop.url, loop.key, cache_ttl=60) as api:
        api.create_dataset("client", description="made by the client")
        added = api.add_dataset_items("client", [{"input": "q", "expected_output": "a"}])
        assert added["added"] == 1 and added["version"] == 1
        both = api.add_traces_to_dataset("client", [(loop.data.chat, loop.data.llm_span)])
        assert both["version"] == 2  # the cache was dropped: the next read sees it
        assert api.dataset("client")["item_count"] == 2
        page = api.dataset_items("client", limit=1)
        assert page["total"] == 2 and len(page["items"]) == 1 and page["next_cursor"]
        lines = api.export_dataset("client").decode().splitlines()
        assert len(lines) == 2 and {json.loads(line)["expected_output"] for line in lines} == {
            "a", None,
        }  # fmt: skip
        csv = api.export_dataset("client", format="csv").decode().splitlines()
        assert csv[0].startswith("id,input,expected_output") and len(csv) == 3
        with pytest.raises(ApiError) as missing:
            api.export_dataset("nope")
        assert missing.value.status == 404 and "nope" in str(missing.value)

        queue = api.create_review_queue(
            "client-queue", label_kind="categorical", categories=["good", "bad"], dataset="client"
        )
        alice = {"user_id": "alice", "from": "0"}
        filled = api.fill_review_queue(queue["id"], alice)
        matching = len(api.traces(alice)["traces"])
        assert filled["added"] == matching >= 2  # alice's traces
        first = api.next_review_item("client-queue")
        assert first["pending"] == matching and first["item"] and first["trace"]
        item = first["item"]
        api.skip_review_item("client-queue", item["id"], reviewer="rita")
        second = api.next_review_item("client-queue")
        assert second["item"] and second["item"]["id"] != item["id"]
        with pytest.raises(ApiError) as wrong:
            api.label_review_item("client-queue", second["item"]["id"], reviewer="r", label="meh")
        assert wrong.value.status == 400
        done = api.label_review_item(
            "client-queue", second["item"]["id"], reviewer="rita", label="bad",
            corrected_output="better", add_to_dataset=True,
        )  # fmt: skip
        assert done["item"]["status"] == "done" and done["dataset_item_id"]
        assert api.review_queue("client-queue")["done"] == 1
        assert api.next_review_item("client-queue")["pending"] == matching - 2

        runs = api.experiments(dataset="capitals")
        assert [r["name"] for r in runs["experiments"]] == ["candidate", "baseline"]
        assert runs["total"] == 2 and runs["next_cursor"] is None
        detail = api.experiment("baseline", limit=5)
        assert detail["total"] == 12 and len(detail["results"]) == 5
        cmp = api.compare_experiments("baseline", "candidate", max_drop=0.9)
        assert cmp["gate"]["failed"] is False and cmp["regressed_items"] == 6
