"""Experiments (runs and a comparison's items) and a long session's turns are longer than
one page: "Load more" reaches every row once, and the figures shown are the server's
totals over every row, not sums or counts of the loaded pages."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from llmpulse_collector.store.keys import create_key, create_project
from llmpulse_dashboard.paging import PAGE_SIZE
from tests.collector.api.conftest import otlp_request, otlp_span
from tests.dashboard.conftest import Collector, RunApp
from tests.dashboard.test_selection import table

RUNS = 105  # experiment runs: more than a page
ITEMS = 130  # items of the two compared runs: more than a page
REGRESSED = 40  # items the candidate got worse on
TURNS = 130  # traces of one session: more than a page
SESSION = "long-chat"
DATASETS = VERSIONS = RULES = QUEUES = 105  # datasets, versions of one, rules, queues


@dataclass(frozen=True)
class Big:
    read_key: str
    ingest_key: str


@pytest.fixture(scope="module")
def big_project(collector: Collector) -> Big:
    project = create_project(collector.store, f"big-{uuid.uuid4().hex[:8]}")
    read_key = create_key(collector.store, project, "read")
    ingest_key = create_key(collector.store, project, "ingest")
    with httpx.Client(
        base_url=collector.url, headers={"Authorization": f"Bearer {read_key}"}, timeout=60
    ) as http:

        def run(name: str) -> str:
            resp = http.post("/api/v1/experiments", json={"name": name})
            assert resp.status_code == 201, resp.text
            return str(resp.json()["id"])

        for n in range(RUNS - 2):
            run(f"filler-{n:03d}")
        for name, worse in (("base", 0), ("cand", REGRESSED)):
            results = [
                {
                    "item_id": f"item-{i:03d}",
                    "input": f"question {i}",
                    "output": f"answer {i}",
                    "scores": [{"name": "exact", "score": 0.0 if i < worse else 1.0}],
                }
                for i in range(ITEMS)
            ]
            resp = http.post(f"/api/v1/experiments/{run(name)}/results", json={"results": results})
            assert resp.status_code == 201, resp.text
        for n in range(DATASETS):
            assert http.post("/api/v1/datasets", json={"name": f"ds-{n:03d}"}).status_code == 201
        for n in range(VERSIONS):
            body = {"items": [{"input": f"q{n}"}]}
            assert http.post("/api/v1/datasets/ds-000/items", json=body).status_code == 201
        for n in range(QUEUES):
            resp = http.post("/api/v1/review-queues", json={"name": f"queue-{n:03d}"})
            assert resp.status_code == 201, resp.text
    admin = {"Authorization": f"Bearer {create_key(collector.store, project, 'admin')}"}
    for n in range(RULES):
        rule = {"name": f"rule-{n:03d}", "metric": "error_rate", "window": "1h"}
        rule["condition"] = {"kind": "threshold", "op": ">", "value": 0.5}
        resp = httpx.post(f"{collector.url}/api/v1/alerts/rules", json=rule, headers=admin)
        assert resp.status_code == 201, resp.text
    start = time.time_ns() - 3 * 3600 * 10**9
    spans = [
        otlp_span(
            f"{0x5E550000 + n:032x}",
            f"{0x5E550000 + n:016x}",
            "chat",
            start_ns=start + n * 10**9,
            attrs={"session.id": SESSION, "user.id": "ada", "input.value": f"turn {n:03d}"},
        )
        for n in range(TURNS)
    ]
    resp = httpx.post(
        f"{collector.url}/v1/traces",
        content=otlp_request(*spans).SerializeToString(),
        headers={
            "Authorization": f"Bearer {ingest_key}",
            "Content-Type": "application/x-protobuf",
        },
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    return Big(read_key, ingest_key)


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch, dashboard_env: Collector, big_project: Big) -> Big:
    monkeypatch.setenv("LLMPULSE_API_KEY", big_project.read_key)
    monkeypatch.delenv("LLMPULSE_API_KEYS", raising=False)
    monkeypatch.setenv("LLMPULSE_INGEST_KEY", big_project.ingest_key)
    return big_project


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def _has_more(at: AppTest, key: str) -> bool:
    return any(b.key == f"{key}_more" for b in at.button)


def _runs(at: AppTest) -> list[str]:
    """The Run column of the runs table (a table without selection has no key)."""
    found = next(t for t in at.dataframe if "Status" in t.value.columns)
    return [str(run) for run in found.value["Run"]]


def _load_more(at: AppTest, key: str) -> None:
    at.button(key=f"{key}_more").click().run()
    _ok(at)


def test_experiment_runs_and_compared_items_page_with_server_totals(
    big: Big, run_page: RunApp
) -> None:
    at = run_page("experiments")
    _ok(at)
    # the dataset picker offers every dataset (all pages), not the first page's
    assert len(at.selectbox(key="dataset").options) == DATASETS + 1  # and "All datasets"
    runs = _runs(at)
    assert len(runs) == PAGE_SIZE and runs[:2] == ["cand", "base"]  # newest first
    assert f"Showing {PAGE_SIZE} of {RUNS} runs" in _captions(at)
    # the comparison of the two newest runs: its first page of items...
    items = table(at, "items_table")
    assert len(items["Input"]) == PAGE_SIZE
    assert f"Showing {PAGE_SIZE} of {ITEMS} items" in _captions(at)
    # ...and its counts over every item (not the 100 loaded)
    assert f"{REGRESSED} regressed · 0 improved" in _captions(at)
    _load_more(at, "items_table")
    items = table(at, "items_table")
    assert len(items["Input"]) == ITEMS == len(set(items["Input"]))
    assert not _has_more(at, "items_table")
    assert f"Showing {ITEMS} of {ITEMS} items" in _captions(at)
    # regressed first across both pages
    assert set(items["Input"][:REGRESSED]) == {f"question {i}" for i in range(REGRESSED)}

    _load_more(at, "runs_table")
    runs = _runs(at)
    assert len(runs) == RUNS == len(set(runs))
    assert runs[-1] == "filler-000"
    assert not _has_more(at, "runs_table")
    assert f"Showing {RUNS} of {RUNS} runs" in _captions(at)
    # the loaded pages of items stay while the runs list grows
    assert len(table(at, "items_table")["Input"]) == ITEMS


def test_a_linked_run_beyond_the_loaded_pages_still_opens(big: Big, run_page: RunApp) -> None:
    at = run_page("experiments", baseline="filler-000", candidate="base")
    _ok(at)
    assert "filler-000" not in _runs(at)  # on the second page
    picker = at.selectbox(key="baseline")
    assert picker.index is not None and "filler-000" in picker.options[picker.index]
    assert "base" in at.selectbox(key="candidate").options[at.selectbox(key="candidate").index or 0]


def test_a_long_session_pages_its_turns_with_the_sessions_totals(
    big: Big, run_page: RunApp
) -> None:
    at = run_page("sessions", session=SESSION)
    _ok(at)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Turns"] == str(TURNS)  # the session's, not the page's 100
    opened = [b.key for b in at.button if str(b.key).startswith("open_")]
    assert len(opened) == PAGE_SIZE
    assert f"Showing {PAGE_SIZE} of {TURNS} turns" in _captions(at)
    assert any("turn 000" in m.value for m in at.markdown)
    assert not any("turn 129" in m.value for m in at.markdown)
    _load_more(at, "session_turns")
    opened = [b.key for b in at.button if str(b.key).startswith("open_")]
    assert len(opened) == TURNS == len(set(opened))
    assert any("turn 129" in m.value for m in at.markdown)
    assert not _has_more(at, "session_turns")
    assert {m.label: m.value for m in at.metric}["Turns"] == str(TURNS)


def _table_with(at: AppTest, column: str) -> list[str]:
    found = next(t for t in at.dataframe if column in t.value.columns)
    return [str(v) for v in found.value[column]]


def test_datasets_and_a_datasets_versions_page(big: Big, run_page: RunApp) -> None:
    at = run_page("datasets")
    _ok(at)
    names = table(at, "datasets_table")["Name"]
    assert names[:2] == ["ds-000", "ds-001"] and len(names) == PAGE_SIZE
    assert f"Showing {PAGE_SIZE} of {DATASETS} datasets" in _captions(at)
    _load_more(at, "datasets_table")
    names = table(at, "datasets_table")["Name"]
    assert names == [f"ds-{n:03d}" for n in range(DATASETS)]
    assert not _has_more(at, "datasets_table")

    at = run_page("datasets", dataset="ds-000")
    _ok(at)
    assert any(e.label == f"Versions ({VERSIONS})" for e in at.expander)
    assert (
        _table_with(at, "Items written")[:1] and len(_table_with(at, "Items written")) == PAGE_SIZE
    )
    assert f"Showing {PAGE_SIZE} of {VERSIONS} versions (oldest first)" in _captions(at)
    _load_more(at, "versions_table")
    assert [int(v) for v in _table_with(at, "Version")] == list(range(1, VERSIONS + 1))


def _rules_table(at: AppTest) -> list[str]:
    """The Rule column of the rules table (the only one with "Min. samples")."""
    found = next(t for t in at.dataframe if "Min. samples" in t.value.columns)
    return [str(v) for v in found.value["Rule"]]


def test_alert_rules_page_with_the_servers_count(big: Big, run_page: RunApp) -> None:
    at = run_page("alerts")
    _ok(at)
    assert {m.label: m.value for m in at.metric}["Rules"] == str(RULES)
    rules = _rules_table(at)
    assert len(rules) == PAGE_SIZE
    assert f"Showing {PAGE_SIZE} of {RULES} rules" in _captions(at)
    _load_more(at, "alert_rules_table")
    assert _rules_table(at) == [f"rule-{n:03d}" for n in range(RULES)]
    assert not _has_more(at, "alert_rules_table")


def test_the_review_queue_picker_offers_every_queue(big: Big, run_page: RunApp) -> None:
    at = run_page("review", queue=f"queue-{QUEUES - 1:03d}")  # a queue of the second page
    _ok(at)
    picker = at.selectbox(key="queue")
    assert len(picker.options) == QUEUES
    assert picker.value == f"queue-{QUEUES - 1:03d}"
