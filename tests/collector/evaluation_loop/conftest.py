"""A real collector (uvicorn in a thread, embedded chDB) for the SDK and CLI of the
evaluation loop, with llmpulse configured to send it spans."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from llmpulse import _config
from llmpulse._errors import RAISE_ENV
from llmpulse_collector.app import create_app
from llmpulse_collector.settings import Settings
from llmpulse_collector.store import Store
from llmpulse_collector.store.keys import create_key, create_project


@dataclass(frozen=True)
class Live:
    url: str
    store: Store
    project: str
    ingest_key: str
    read_key: str
    admin_key: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live(chdb_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """A served collector on a fresh database; ``LLMPULSE_ENDPOINT``/``LLMPULSE_API_KEY``
    point at it (an admin key: reads datasets, writes runs, sends spans)."""
    for name in list(os.environ):
        if name.startswith(("LLMPULSE_", "OTEL_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv(RAISE_ENV, "1")
    database = f"t_{uuid.uuid4().hex[:12]}"
    port = _free_port()
    app = create_app(Settings(clickhouse_url=chdb_url, clickhouse_database=database, port=port))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="collector", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "collector did not start"
        time.sleep(0.05)
    store = Store.open(chdb_url, database=database)
    project = create_project(store, "shop")
    keys = {scope: create_key(store, project, scope) for scope in ("ingest", "read", "admin")}
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("LLMPULSE_ENDPOINT", url)
    monkeypatch.setenv("LLMPULSE_API_KEY", keys["admin"])
    _config._reset_for_tests()
    try:
        yield Live(url, store, project, keys["ingest"], keys["read"], keys["admin"])
    finally:
        _config._reset_for_tests()
        server.should_exit = True
        thread.join(timeout=30)
        try:
            store.command(f"DROP DATABASE IF EXISTS {database} SYNC")
        finally:
            store.close()
