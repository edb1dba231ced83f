"""A real collector (uvicorn in a thread, embedded chDB) with seeded traces, and a helper
to run the dashboard against it with Streamlit's ``AppTest``.

One collector serves the whole session: project ``shop`` holds realistic traces (see
``seed.py``), project ``quiet`` holds nothing (empty states).
"""

from __future__ import annotations

import time
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from llmpulse_collector.store import Store
from llmpulse_collector.store.keys import create_key, create_project
from llmpulse_dashboard import client as dashboard_client
from tests.dashboard.agent_trace import AgentTrace, send_agent_trace
from tests.dashboard.seed import Seeded, seed
from tests.served import serve_collector

APP = Path(__file__).parents[2] / "dashboard" / "llmpulse_dashboard" / "app.py"


@dataclass(frozen=True)
class Collector:
    url: str
    read_key: str
    ingest_key: str
    quiet_key: str  # read key of a project without data
    data: Seeded
    store: Store  # the collector's database, for projects and keys of one test
    agents_key: str  # read key of project ``agents``: one 161-span agent trace
    agent: AgentTrace


@pytest.fixture(scope="session")
def collector(chdb_url: str) -> Iterator[Collector]:
    with serve_collector(chdb_url, "dash") as served:
        store = served.store
        shop = create_project(store, "shop")
        quiet = create_project(store, "quiet")
        read_key = create_key(store, shop, "read")
        ingest_key = create_key(store, shop, "ingest")
        quiet_key = create_key(store, quiet, "read")
        data = seed(served.url, ingest_key)
        agents = create_project(store, "agents")
        agent = send_agent_trace(served.url, create_key(store, agents, "ingest"))
        agents_key = create_key(store, agents, "read")
        yield Collector(served.url, read_key, ingest_key, quiet_key, data, store, agents_key, agent)


RunApp = Callable[..., AppTest]


@dataclass(frozen=True)
class Live:
    """A project of its own on the session's collector, seeded like ``shop``, for tests
    that send more traffic while the dashboard is open (the other tests' counts stay)."""

    url: str
    read_key: str
    ingest_key: str
    data: Seeded


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch, dashboard_env: Collector) -> Live:
    """The dashboard reads a fresh seeded project; ``later()`` moves the clock of the
    dashboard's answer cache past its lifetime (as a user waiting half a minute)."""
    collector = dashboard_env
    project = create_project(collector.store, f"live-{uuid.uuid4().hex[:8]}")
    read_key = create_key(collector.store, project, "read")
    ingest_key = create_key(collector.store, project, "ingest")
    data = seed(collector.url, ingest_key)
    monkeypatch.setenv("LLMPULSE_API_KEY", read_key)
    monkeypatch.delenv("LLMPULSE_API_KEYS", raising=False)
    monkeypatch.setenv("LLMPULSE_INGEST_KEY", ingest_key)
    return Live(collector.url, read_key, ingest_key, data)


def later(monkeypatch: pytest.MonkeyPatch, seconds: float = 60.0) -> None:
    """From now on the dashboard client's clock runs ``seconds`` ahead: cached answers
    have expired, as after a user's pause (the collector's own clock is untouched)."""
    clock = types.SimpleNamespace(monotonic=lambda: time.monotonic() + seconds)
    monkeypatch.setattr(dashboard_client, "time", clock)


@pytest.fixture
def dashboard_env(monkeypatch: pytest.MonkeyPatch, collector: Collector) -> Collector:
    """Environment of a dashboard reading project ``shop`` (and ``quiet``)."""
    monkeypatch.setenv("LLMPULSE_API_URL", collector.url)
    monkeypatch.setenv("LLMPULSE_API_KEY", collector.read_key)
    monkeypatch.setenv("LLMPULSE_API_KEYS", collector.quiet_key)
    monkeypatch.setenv("LLMPULSE_INGEST_KEY", collector.ingest_key)
    return collector


@pytest.fixture
def run_page(dashboard_env: Collector) -> RunApp:
    """``run_page("traces", trace=..., range="7d")``: the app on a page with URL params."""

    def run(page: str = "overview", **params: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.query_params.update(params)
        at.run()
        if page != "overview":
            at.switch_page(f"views/{page}.py")
            at.query_params.update(params)
            at.run()
        return at

    return run


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def api_get(collector: Collector, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{collector.url}{path}",
        params=params,
        headers={"Authorization": f"Bearer {collector.read_key}"},
        timeout=10,
    )
