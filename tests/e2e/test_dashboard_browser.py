"""The dashboard in a real browser: ``llmpulse up --demo``, then every page in headless
Chromium (Playwright), a click from the traces table into a trace, and screenshots in
``test-output/screenshots/`` (at the repository root).

Every tab records the requests that leave the machine (any host but 127.0.0.1 or
localhost) and aborts them: a test fails when the dashboard needs the internet."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from scripts.walkthrough import (
    BROWSER_ARGS,
    CHROMIUM,
    STEPS,
    DemoStack,
    StoryMissing,
    run_demo,
    settle,
    wait_for_story,
    walk,
)

from llmpulse_collector.demo import DEMO_ALERT_RULE
from tests.e2e.conftest import free_port

SCREENSHOTS = Path(__file__).parents[2] / "test-output" / "screenshots"

# On a developer's machine without Chromium these skip; in CI (CI=true) they must run.
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs /usr/bin/chromium (run scripts/install-browser)",
)


Demo = DemoStack  # a running ``llmpulse up --demo``


# the demo's collector runs the alert engine with these rules (its only project)
DEMO_ALERT_RULES = """
rules:
  - name: demo error rate
    metric: error_rate
    window: 24h
    condition: {kind: threshold, op: ">", value: 0.01}
    min_samples: 50
  - name: gpt-4o p95 latency
    metric: latency_p95
    filters: {model: gpt-4o}
    window: 24h
    condition: {kind: threshold, op: ">", value: 3000}
    min_samples: 20
    severity: critical
  - name: cost per call
    metric: cost_per_call
    window: 1h
    condition: {kind: threshold, op: ">", value: 1.0}
"""


# A ``sitecustomize`` for the processes ``llmpulse up`` starts: in the dashboard's, the
# first import of pandas is held halfway (before ``pandas.Series`` exists) for a while.
# A session that looks pandas up (plotly did, for its charts) while another session's
# thread is importing it would get the half-initialized module, so the cold-start test
# below makes the race likely, not lucky. The dashboard must finish its imports before
# sessions render.
HOLD_PANDAS = """
import importlib.abc, sys, time

class _HoldPandasHalfway(importlib.abc.MetaPathFinder):
    held = "llmpulse_dashboard" not in " ".join(sys.argv)  # only the dashboard's process

    def find_spec(self, name, path, target=None):
        if name == "pandas.core.series" and not self.held:
            type(self).held = True
            time.sleep(15.0)
        return None

sys.meta_path.insert(0, _HoldPandasHalfway())
"""


def _get(url: str, key: str | None = None, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(url, params=params, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``llmpulse up --demo`` on free ports, once it holds a few hundred traces."""
    tmp = tmp_path_factory.mktemp("up")
    rules = tmp / "alerts.yaml"
    rules.write_text(DEMO_ALERT_RULES)
    hook = tmp / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOLD_PANDAS)
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
        "LLMPULSE_ALERTS_ENABLED": "true",
        "LLMPULSE_ALERT_RULES_FILE": str(rules),
        "LLMPULSE_ALERT_INTERVAL_SECONDS": "5",
    }
    with run_demo(tmp / "data", env=env) as stack:
        yield stack


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _offline_context(browser: object, outside: list[str]) -> object:
    """A browser context that records and aborts every request leaving the machine
    (an air-gapped deployment answers them with nothing)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1800})  # type: ignore[attr-defined]

    def route(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and (
            urlsplit(url).hostname not in LOCAL_HOSTS
        ):
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]

    context.route("**/*", route)
    return context


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    outside: list[str] = []
    context = _offline_context(browser, outside)
    tab = context.new_page()  # type: ignore[attr-defined]
    tab.set_default_timeout(60_000)
    yield tab
    context.close()  # type: ignore[attr-defined]
    assert outside == [], f"requests that left the machine: {outside}"


def test_every_page_in_several_tabs_at_once_on_a_cold_start(demo: Demo, browser: object) -> None:
    """The first sessions of a fresh dashboard, all at once: every page, Overview and Cost
    (the pages with most charts and tables) in two tabs each. None shows an exception
    (plotly used to get a half-imported pandas from another session's thread), none
    fetches from outside."""
    outside: list[str] = []
    context = _offline_context(browser, outside)
    opened = [*PAGES_ALL, "overview", "cost"]
    tabs = [context.new_page() for _ in opened]  # type: ignore[attr-defined]
    try:
        for tab, name in zip(tabs, opened, strict=True):  # no waiting: the sessions overlap
            tab.set_default_timeout(120_000)
            tab.goto(f"{demo.dashboard}/{'' if name == 'overview' else name}", wait_until="commit")
        for tab, name in zip(tabs, opened, strict=True):
            _settle(tab, PAGES_ALL[name], timeout=180)
            text = tab.locator("body").inner_text()
            for sign in ("Traceback", "partially initialized module"):
                assert sign not in text, f"{sign!r} on {name}:\n{text[:3000]}"
            _no_exception(tab)
            if name in ("overview", "cost"):
                tab.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    finally:
        context.close()  # type: ignore[attr-defined]
    assert outside == [], f"requests that left the machine: {outside}"


def _settle(page: object, heading: str, timeout: float = 60) -> None:
    """Wait for the page's heading, then until Streamlit is idle and the page stops
    changing (scripts rerun, charts draw after the script)."""
    page.get_by_role("heading", name=heading).first.wait_for()  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    last, stable = "", 0
    while stable < 3:
        assert time.monotonic() < deadline, "the page did not settle"
        page.wait_for_timeout(700)  # type: ignore[attr-defined]
        running = page.locator(  # type: ignore[attr-defined]
            '[data-testid="stStatusWidget"], [data-stale="true"], [data-testid="stSkeleton"]'
        ).count()
        text = page.locator("body").inner_text()  # type: ignore[attr-defined]
        stable = stable + 1 if not running and text == last else 0
        last = text


def _no_exception(page: object) -> None:
    exceptions = page.locator('[data-testid="stException"]')  # type: ignore[attr-defined]
    assert exceptions.count() == 0, exceptions.first.inner_text()


def _shot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


PAGES = {
    "overview": ("Overview", ["Traces", "Error rate", "p95 latency", "Cost", "By model"]),
    "traces": ("Traces", ["Service", "Model", "Status", "select a row to open the trace"]),
    "sessions": (
        "Sessions",
        ["Session id contains", "select one to read the conversation", "Showing"],
    ),
    "users": ("Users", ["Error spans", "Select a user", "Showing"]),
    "evaluations": ("Evaluations", ["Pass rate", "Failed results", "Pass rate over time"]),
    "cost": ("Cost", ["Total cost", "Most expensive traces", "Cost per call"]),
}
# every page of the navigation: its heading
PAGES_ALL = {**{name: heading for name, (heading, _) in PAGES.items()}, "drift": "Drift",
             "alerts": "Alerts"}  # fmt: skip


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_its_content(demo: Demo, page: object, name: str) -> None:
    heading, expected = PAGES[name]
    path = "" if name == "overview" else name  # the default page lives at /
    page.goto(f"{demo.dashboard}/{path}")  # type: ignore[attr-defined]
    _settle(page, heading)
    _no_exception(page)
    text = page.locator("body").inner_text()  # type: ignore[attr-defined]
    for snippet in expected:
        assert snippet in text, f"{snippet!r} not on {name}"
    if name != "overview":
        assert page.locator('[data-testid="stDataFrame"]').count() >= 1  # type: ignore[attr-defined]
    if name in ("overview", "evaluations", "cost"):
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()  # type: ignore[attr-defined]
    _shot(page, name)


def _click_first_row(page: object, table: str) -> None:
    """Select the first row of a Streamlit dataframe (a canvas grid): its row marker."""
    grid = page.locator('[data-testid="stDataFrame"]').first  # type: ignore[attr-defined]
    grid.wait_for()
    box = grid.bounding_box()
    assert box is not None, table
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # type: ignore[attr-defined]


def test_clicking_a_trace_opens_the_trace_view(demo: Demo, page: object) -> None:
    # a shared link with a filter: the support bot's traces only
    page.goto(f"{demo.dashboard}/traces?name=answer_question")  # type: ignore[attr-defined]
    _settle(page, "Traces")
    _click_first_row(page, "traces")
    page.get_by_role("button", name=re.compile("All traces")).wait_for()  # type: ignore[attr-defined]
    _settle(page, "answer_question")
    _no_exception(page)
    assert re.search(r"[?&]trace=[0-9a-f]{32}", page.url)  # type: ignore[attr-defined]
    text = page.locator("body").inner_text()  # type: ignore[attr-defined]
    for snippet in ("Duration", "search_docs", "Input / output", "Human feedback"):
        assert snippet in text
    assert page.locator(".st-key-span_tree .lp-bar").count() >= 3  # type: ignore[attr-defined]
    assert "name=answer_question" in page.url  # type: ignore[attr-defined]  # filters kept
    _shot(page, "trace")

    # the LLM span shows its conversation
    tree = page.locator(".st-key-span_tree")  # type: ignore[attr-defined]
    tree.get_by_role("button", name=re.compile(r"\bchat\b")).first.click()
    page.wait_for_url(re.compile(r"span=[0-9a-f]{16}"))  # type: ignore[attr-defined]
    _settle(page, "answer_question")
    _no_exception(page)
    assert page.locator('[data-testid="stChatMessage"]').count() >= 2  # type: ignore[attr-defined]
    _shot(page, "trace-llm-span")

    # the link is shareable: a new tab opens the same trace and span
    shared = page.url  # type: ignore[attr-defined]
    other = page.context.new_page()  # type: ignore[attr-defined]
    other.goto(shared)
    _settle(other, "answer_question")
    assert other.locator('[data-testid="stChatMessage"]').count() >= 2
    other.close()


def test_a_session_opens_as_a_conversation(demo: Demo, page: object) -> None:
    page.goto(f"{demo.dashboard}/sessions?range=7d")  # type: ignore[attr-defined]
    _settle(page, "Sessions")
    _click_first_row(page, "sessions")
    page.get_by_role("button", name=re.compile("All sessions")).wait_for()  # type: ignore[attr-defined]
    _settle(page, re.compile("^Session sess-"))  # type: ignore[arg-type]
    _no_exception(page)
    assert page.locator('[data-testid="stChatMessage"]').count() >= 2  # type: ignore[attr-defined]
    assert "range=7d" in page.url  # type: ignore[attr-defined]
    _shot(page, "session")


def test_llmpulse_dashboard_serves_a_running_collector(demo: Demo, page: object) -> None:
    """``llmpulse dashboard --collector URL --api-key KEY``: the dashboard on its own."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmpulse_collector.cli", "dashboard", "--port", str(port),
         "--collector", demo.api, "--api-key", demo.read_key],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "dashboard did not start"
            try:
                if _get(f"{url}/_stcore/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        page.goto(f"{url}/?range=7d")  # type: ignore[attr-defined]
        _settle(page, "Overview")
        _no_exception(page)
        assert "Last 7 days" in page.locator("body").inner_text()  # type: ignore[attr-defined]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_for_drift(demo: Demo, hours: int) -> None:
    """Until the demo's backfill (sent oldest first) fills both windows of the last
    ``2 * hours`` hours, so the Drift page has verdicts to show."""
    now = int(time.time())
    deadline = time.monotonic() + 240
    while True:
        resp = _get(
            f"{demo.api}/api/v1/drift", demo.read_key, **{"from": str(now - hours * 3600)},
            to=str(now), features="latency", min_samples="100",
        )  # fmt: skip
        groups = resp.json().get("groups", []) if resp.status_code == 200 else []
        verdicts = [f["verdict"] for g in groups for f in g["features"]]
        if verdicts and "not_enough_data" not in verdicts:
            return
        assert time.monotonic() < deadline, f"no drift data: {resp.status_code} {resp.text[:300]}"
        time.sleep(2)


def test_drift_page_compares_two_windows(demo: Demo, page: object) -> None:
    _wait_for_drift(demo, 6)
    page.goto(f"{demo.dashboard}/drift?range=6h&min_samples=100")  # type: ignore[attr-defined]
    _settle(page, "Drift")
    _no_exception(page)
    text = page.locator("body").inner_text()  # type: ignore[attr-defined]
    for snippet in ("Current window", "Baseline window", "Group by", "Drifting", "Not enough data",
                    "Baseline vs current", "Feature", "Current: "):  # fmt: skip
        assert snippet in text, f"{snippet!r} not on the Drift page"
    assert "Could not load" not in text
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1  # type: ignore[attr-defined]
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()  # type: ignore[attr-defined]
    _shot(page, "drift")


def _wait_for_alerts(demo: Demo) -> None:
    """Until the engine (every 5 s) has fired the demo's error-rate rule."""
    deadline = time.monotonic() + 120
    while True:
        states = _get(f"{demo.api}/api/v1/alerts/state", demo.read_key).json()["states"]
        if any(s["status"] == "firing" for s in states):
            return
        assert time.monotonic() < deadline, states
        time.sleep(1)


def test_alerts_page_shows_rules_state_and_history(demo: Demo, page: object) -> None:
    _wait_for_alerts(demo)
    demo_rule_name = str(DEMO_ALERT_RULE["name"])  # installed by up --demo
    rule = {
        "name": "answers got longer",
        "metric": "drift",
        "feature": "output_chars",
        "window": "1h",
        "condition": {"kind": "drift", "baseline": "previous", "level": "drift"},
        "min_samples": 100,
        "severity": "info",
    }
    created = httpx.post(
        f"{demo.api}/api/v1/alerts/rules", json=rule,
        headers={"Authorization": f"Bearer {demo.admin_key}"}, timeout=10,
    )  # fmt: skip
    assert created.status_code in (201, 409), created.text
    page.goto(f"{demo.dashboard}/alerts")  # type: ignore[attr-defined]
    _settle(page, "Alerts")
    _no_exception(page)
    text = page.locator("body").inner_text()  # type: ignore[attr-defined]
    for snippet in ("Firing now", "Current state", "Rules", "History", "firing:",
                    "demo error rate", demo_rule_name, "Manage rules"):  # fmt: skip
        assert snippet in text, f"{snippet!r} not on the Alerts page"
    # llmpulse up gives its dashboard the local admin key: rules can be managed here
    assert "only an **admin** key" not in text and "only an admin key" not in text
    assert page.locator('[data-testid="stDataFrame"]').count() >= 3  # type: ignore[attr-defined]
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()  # type: ignore[attr-defined]
    _shot(page, "alerts")

    # a notification's link: the rule selected, its window in the history
    now = int(time.time())
    page.goto(  # type: ignore[attr-defined]
        f"{demo.dashboard}/alerts?rule=file:demo%20error%20rate&from={now - 86400}&to={now}"
    )
    _settle(page, "Alerts")
    _no_exception(page)
    assert "Opened from a notification of demo error rate" in page.locator("body").inner_text()  # type: ignore[attr-defined]


# ---- agent-scale traces ----------------------------------------------------------------


@pytest.fixture(scope="module")
def agent_trace_id(demo: Demo) -> str:
    """The 161-span agent trace of the dashboard tests, sent to the demo's collector."""
    from tests.dashboard.agent_trace import send_agent_trace

    trace_id = send_agent_trace(demo.api, demo.ingest_key).trace_id
    deadline = time.monotonic() + 30
    while _get(f"{demo.api}/api/v1/traces/{trace_id}", demo.read_key).status_code != 200:
        assert time.monotonic() < deadline, "the agent trace did not arrive"
        time.sleep(0.3)
    return trace_id


def test_a_161_span_agent_trace_fits_the_screen(
    demo: Demo, page: object, agent_trace_id: str
) -> None:
    from tests.dashboard.agent_trace import ASSERTION, agent_trace

    failing = agent_trace(0).failing_span
    page.goto(f"{demo.dashboard}/traces?trace={agent_trace_id}&assertion={ASSERTION}")  # type: ignore[attr-defined]
    _settle(page, "research agent")
    _shot(page, "trace-agent")
    _no_exception(page)
    text = page.locator("body").inner_text()  # type: ignore[attr-defined]
    assert "1 failed assertion in this trace" in text and "cites a source" in text
    # the tree and the detail pane scroll inside their own boxes: the page stays short
    height = page.evaluate("document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    assert height < 2600, height
    tree = page.locator(".st-key-span_tree")  # type: ignore[attr-defined]
    detail = page.locator(".st-key-span_detail")  # type: ignore[attr-defined]
    tree_box, detail_box = tree.bounding_box(), detail.bounding_box()
    assert tree_box and detail_box
    assert detail_box["x"] > tree_box["x"] + tree_box["width"] - 5  # side by side
    assert abs(detail_box["y"] - tree_box["y"]) < 120
    assert "Failed grounded" in detail.inner_text()  # the failing span is selected
    # every row's timeline bar starts at the same x: the waterfall lines up with the tree
    tracks = page.locator(".st-key-span_tree .lp-track")  # type: ignore[attr-defined]
    lefts = {round(tracks.nth(i).bounding_box()["x"]) for i in range(min(tracks.count(), 12))}
    assert len(lefts) == 1, lefts
    assert tracks.first.bounding_box()["width"] > 120  # room for the timeline
    steps = [f'.lp-row[data-span="a9{n:06x}{0:08x}"] .lp-bar' for n in (1, 2, 3)]
    starts = [page.locator(s).bounding_box()["x"] for s in steps]  # type: ignore[attr-defined]
    assert starts == sorted(starts) and starts[0] < starts[2]  # one step after the other

    # open everything: 161 rows, still inside the tree's box
    page.get_by_role("button", name=re.compile("Expand all")).click()  # type: ignore[attr-defined]
    _settle(page, "research agent")
    _no_exception(page)
    assert page.locator('.st-key-span_tree [class*="st-key-span_"]').count() == 161  # type: ignore[attr-defined]
    assert page.evaluate("document.documentElement.scrollHeight") < 2600  # type: ignore[attr-defined]
    _shot(page, "trace-agent-expanded")
    assert failing  # the row of the failed span is selected (highlighted in the screenshot)


# ---- time to first content ---------------------------------------------------------------

# Run in each tab before the page's own scripts: note (performance.now(), ms since the
# navigation started) when the first heading, content and drawn chart appear.
_MARKS = """
window.__lpMarks = {};
const lpSelectors = {
  heading: '[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3',
  content: '[data-testid="stMain"] [data-testid="stDataFrame"] canvas,'
    + '[data-testid="stMain"] [data-testid="stMetric"], [data-testid="stChatMessage"],'
    + '.st-key-span_tree [data-testid="stButton"]',
  chart: '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
};
const lpCheck = () => {
  for (const [name, selector] of Object.entries(lpSelectors)) {
    if (!(name in window.__lpMarks) && document.querySelector(selector)) {
      window.__lpMarks[name] = performance.now();
    }
  }
};
new MutationObserver(lpCheck).observe(document, {subtree: true, childList: true});
"""


def _time_page(browser: object, url: str, heading: object) -> dict[str, float]:
    """Seconds from opening ``url`` in a fresh tab to its first heading, its first
    content (a table, tile, conversation or span tree), its first drawn chart and a
    settled page."""
    context = browser.new_context(viewport={"width": 1600, "height": 1800})  # type: ignore[attr-defined]
    context.add_init_script(_MARKS)
    tab = context.new_page()
    tab.set_default_timeout(90_000)
    try:
        start = time.monotonic()
        tab.goto(url)
        _settle(tab, heading)  # type: ignore[arg-type]
        settled = time.monotonic() - start
        marks: dict[str, float] = tab.evaluate("window.__lpMarks")
        _no_exception(tab)
        return {**{k: v / 1000 for k, v in marks.items()}, "settled": settled}
    finally:
        context.close()


def test_time_to_first_content_per_page(
    demo: Demo, browser: object, agent_trace_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh tab per page; prints a table of timings (no assertion on speed: the
    machine may be busy)."""
    traces = _get(f"{demo.api}/api/v1/traces", demo.read_key, name="answer_question", limit="1")
    support_trace = traces.json()["traces"][0]["trace_id"]
    pages: list[tuple[str, str, object]] = [
        (name, "" if name == "overview" else name, heading) for name, (heading, _) in PAGES.items()
    ]
    pages += [
        ("drift", "drift", "Drift"),
        ("alerts", "alerts", "Alerts"),
        ("trace (4 spans)", f"traces?trace={support_trace}", "answer_question"),
        ("trace (161 spans)", f"traces?trace={agent_trace_id}", "research agent"),
    ]
    columns = ("heading", "content", "chart", "settled")
    lines = [f"{'page':<18}" + "".join(f"{c:>9}" for c in columns)]
    for name, path, heading in pages:
        marks = _time_page(browser, f"{demo.dashboard}/{path}", heading)
        cells = [f"{marks[c]:9.1f}" if c in marks else f"{'–':>9}" for c in columns]
        lines.append(f"{name:<18}" + "".join(cells))
    table = "\n".join(["", "time to first content (s, a fresh tab per page):", *lines])
    with capsys.disabled():  # shown with or without -s
        print(table)
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "page-timings.txt").write_text(table + "\n")
    assert len(lines) == len(pages) + 1


def _wait_for_flywheel(demo: Demo) -> None:
    """Until the demo (after its backfill) has seeded its dataset, queue and two runs."""
    deadline = time.monotonic() + 240
    while True:
        runs = _get(f"{demo.api}/api/v1/experiments", demo.read_key).json().get("experiments", [])
        if len([r for r in runs if r["status"] == "completed"]) >= 2:
            return
        assert time.monotonic() < deadline, runs
        time.sleep(2)


def test_the_demo_flywheel_fills_datasets_review_and_experiments(demo: Demo, page: object) -> None:
    _wait_for_flywheel(demo)
    expected = {
        "datasets?dataset=support-thumbs-down": (
            "Dataset support-thumbs-down", ["items at version", "Export JSONL"]
        ),
        "review?queue=support-review": ("Review", ["evaluation reviewer_pass", "Your label"]),
        "experiments": ("Experiments", ["Gate: regression", "Regressed items",
                                        "Evaluators", "improved · select an item"]),
    }  # fmt: skip
    for path, (heading, snippets) in expected.items():
        page.goto(f"{demo.dashboard}/{path}")  # type: ignore[attr-defined]
        _settle(page, heading)
        _no_exception(page)
        text = page.locator("body").inner_text()  # type: ignore[attr-defined]
        for snippet in snippets:
            assert snippet in text, f"{snippet!r} not on {path}"
        _shot(page, path.split("?")[0])


# ---- the demo story ----------------------------------------------------------------------


def test_the_demo_story_walkthrough(
    demo: Demo, page: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """``scripts/walkthrough.py``'s walk, step by step as a new user clicks through it:
    each page shows its part of the story (the deploy's latency step and its alert
    marker, a drift verdict on latency, ``cites_docs`` failing on ``refund_request``, a
    failing trace's banner, user-017's cost, the firing demo rule, the dataset, the
    review queue and the regressed experiment), or the walk fails naming what is missing.
    Prints the time to content per step (no assertion on speed)."""
    wait_for_story(demo)
    results = walk(page, demo, SCREENSHOTS / "walkthrough")  # type: ignore[arg-type]
    assert [r.step.slug for r in results] == [s.slug for s in STEPS]
    assert all(r.found for r in results)
    lines = [f"{r.number:>2}. {r.step.title:<50} {r.seconds:5.1f} s" for r in results]
    with capsys.disabled():
        print("\n".join(["", "the demo story, time to content per step:", *lines]))


def test_the_walkthrough_fails_when_drift_shows_no_verdict(demo: Demo, page: object) -> None:
    """The walk's Drift step needs a drift verdict on latency: a Drift page of a feature
    that did not move (the finish reason) fails it; the default Drift page passes."""
    wait_for_story(demo)
    drift = next(step for step in STEPS if step.slug == "drift")
    page.goto(f"{demo.dashboard}/drift?features=finish_reason")  # type: ignore[attr-defined]
    settle(page)  # type: ignore[arg-type]
    assert "finish_reason" in page.locator("body").inner_text()  # type: ignore[attr-defined]
    with pytest.raises(StoryMissing, match="a drift verdict on latency"):
        drift.check(page, 5)  # type: ignore[arg-type]
    page.goto(f"{demo.dashboard}/drift")  # type: ignore[attr-defined]
    assert drift.check(page, 60)  # type: ignore[arg-type]
