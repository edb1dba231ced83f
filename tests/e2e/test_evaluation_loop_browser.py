"""The evaluation loop in a real browser (headless Chromium): a collector and
``llmpulse dashboard`` as processes; a production trace goes into a new dataset from the
trace view, a reviewer labels it with a corrected answer, a script runs two
experiments with the SDK, and the comparison shows the regressed items."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.dashboard.seed import seed
from tests.e2e.conftest import Collector, free_port, llmpulse
from tests.e2e.test_dashboard_browser import (
    _no_exception,
    _settle,
    _shot,
    browser,  # noqa: F401 (a fixture)
    page,  # noqa: F401 (a fixture)
    pytestmark,  # noqa: F401 (skips without Chromium)
)

DATASET = "password answers"
EXPERIMENTS = """
import llmpulse

llmpulse.configure(service_name="support-bot-offline")


def answered(output):
    return "sorry" not in output.lower()


def answer(item):
    return "Open Settings, then Security, then Reset password."


def refuse(item):
    return "I'm sorry, I can't help with that."


for name, task in (("baseline", answer), ("candidate", refuse)):
    llmpulse.experiment({dataset!r}, task, evaluators=[answered], name=name, progress=False)
llmpulse.shutdown()
"""


@dataclass(frozen=True)
class Stack:
    api: str
    dashboard: str
    read_key: str
    admin_key: str
    chat_trace: str


def _api(stack: Stack, method: str, path: str, **kwargs: Any) -> Any:
    resp = httpx.request(
        method, stack.api + path, headers={"Authorization": f"Bearer {stack.read_key}"},
        timeout=30, **kwargs,
    )  # fmt: skip
    assert resp.status_code < 300, resp.text
    return resp.json()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A collector with the dashboard tests' traces, and ``llmpulse dashboard`` on it."""
    data_dir = tmp_path / "data"
    project = llmpulse("projects", "create", "loop", data_dir=data_dir)
    keys = {
        scope: llmpulse("keys", "create", "--project", project, "--scope", scope, data_dir=data_dir)
        for scope in ("ingest", "read", "admin")
    }
    collector = Collector(data_dir)
    collector.start()
    port = free_port()
    dashboard = subprocess.Popen(
        [sys.executable, "-m", "llmpulse_collector.cli", "dashboard", "--port", str(port),
         "--collector", collector.url, "--api-key", keys["read"]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        seeded = seed(collector.url, keys["ingest"])
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert dashboard.poll() is None and time.monotonic() < deadline, "no dashboard"
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield Stack(collector.url, url, keys["read"], keys["admin"], seeded.chat)
    finally:
        dashboard.terminate()
        dashboard.wait(timeout=30)
        collector.stop()


def _click(tab: Any, role: str, name: str | re.Pattern[str]) -> None:
    tab.get_by_role(role, name=name).first.click()


def test_from_a_production_trace_to_a_regressed_experiment(
    stack: Stack,
    page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    # 1. the trace view: "Add to dataset" into a new dataset, its answer as expected
    page.goto(f"{stack.dashboard}/traces?trace={stack.chat_trace}")
    _settle(page, "answer_question")
    _no_exception(page)
    _click(page, "button", re.compile("Add to dataset"))
    name_box = page.get_by_label("New dataset name")  # no datasets yet: a new one
    name_box.fill(DATASET)
    name_box.press("Enter")
    page.get_by_text("Use its output as the expected output").click()
    _click(page, "button", re.compile(r"^Add$"))
    page.get_by_text(re.compile("Added 1 item to")).wait_for()
    _shot(page, "trace-added-to-dataset")
    (item,) = _api(stack, "GET", f"/api/v1/datasets/{DATASET}/items")["items"]
    assert item["source_trace_id"] == stack.chat_trace
    assert item["input"] == {"question": "How do I reset my password?"}

    # the dataset page lists it, linked to the trace
    page.goto(f"{stack.dashboard}/datasets?dataset={DATASET.replace(' ', '+')}")
    _settle(page, f"Dataset {DATASET}")
    _no_exception(page)
    text = page.locator("body").inner_text()
    assert "1 items at version 1" in text
    with page.expect_download() as download:
        _click(page, "button", re.compile("Export JSONL"))
    assert download.value.suggested_filename == f"{DATASET}-v1.jsonl"
    (line,) = Path(download.value.path()).read_text().splitlines()
    assert json.loads(line)["source_trace_id"] == stack.chat_trace

    # 2. review: a queue holding the trace; label it, with a corrected answer for the dataset
    _api(stack, "POST", "/api/v1/review-queues", json={"name": "triage", "dataset": DATASET})
    _api(stack, "POST", "/api/v1/review-queues/triage/items",
         json={"traces": [{"trace_id": stack.chat_trace}]})  # fmt: skip
    page.goto(f"{stack.dashboard}/review?queue=triage")
    _settle(page, "Review")
    _no_exception(page)
    assert page.locator('[data-testid="stChatMessage"]').count() >= 2  # its conversation
    reviewer = page.get_by_label("Reviewer")
    reviewer.fill("rita")
    reviewer.press("Enter")
    _settle(page, "Review")
    _shot(page, "review")
    page.get_by_text("Fail", exact=True).click()
    page.get_by_role("textbox", name="Corrected output (optional)").fill(
        "Open Settings, then Security, then Reset password."
    )
    _click(page, "button", re.compile("Save and next"))
    page.get_by_text("Nothing left to review in this queue.").wait_for()
    _shot(page, "review-done")
    trace = _api(stack, "GET", f"/api/v1/traces/{stack.chat_trace}")
    (label,) = [e for e in trace["evaluations"] if e["source"] == "human"]
    assert label["passed"] is False and label["name"] == "triage"
    items = _api(stack, "GET", f"/api/v1/datasets/{DATASET}/items")["items"]
    assert len(items) == 2  # the corrected answer became an item's expected output

    # 3. a script runs a baseline and a regressed candidate with the SDK
    script = tmp_path / "experiments.py"
    script.write_text(textwrap.dedent(EXPERIMENTS.format(dataset=DATASET)))
    env = {"LLMPULSE_ENDPOINT": stack.api, "LLMPULSE_API_KEY": stack.admin_key, "PATH": "/usr/bin"}
    done = subprocess.run(
        [sys.executable, str(script)], env={**env, "PYTHONPATH": ":".join(sys.path)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    # 4. the comparison: the gate fails and the regressed items come first
    page.goto(f"{stack.dashboard}/experiments?dataset={DATASET.replace(' ', '+')}")
    _settle(page, "Experiments")
    _no_exception(page)
    text = page.locator("body").inner_text()
    for snippet in ("Gate: regression", "answered dropped", "Regressed items", "2 regressed"):
        assert snippet in text, f"{snippet!r} not on the Experiments page"
    _shot(page, "experiments-compare")
    grid = page.locator('[data-testid="stDataFrame"]').last
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first item's row marker
    code = page.locator('[data-testid="stCode"]')
    code.filter(has_text="I'm sorry, I can't help with that.").first.wait_for()
    _settle(page, "Experiments")
    detail = page.locator("body").inner_text()
    assert "answered: FAIL" in detail and "answered: pass" in detail
    _shot(page, "experiments-item")
