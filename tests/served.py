"""The collector app served by uvicorn in a thread on a real port, on a fresh database
of the session's chDB directory (dropped afterwards): for tests whose clients need a
real HTTP server (OTel exporters, the dashboard, the SDK, concurrent load)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI

from llmpulse_collector.app import create_app
from llmpulse_collector.settings import Settings
from llmpulse_collector.store import Store
from tests.e2e.conftest import free_port


@dataclass(frozen=True)
class Served:
    url: str
    app: FastAPI
    store: Store  # the same database as the app's, for seeding and keys


@contextmanager
def serve_collector(chdb_url: str, name: str, **settings: Any) -> Iterator[Served]:
    database = f"t_{name}_{uuid.uuid4().hex[:10]}"
    port = free_port()
    app = create_app(
        Settings(clickhouse_url=chdb_url, clickhouse_database=database, port=port, **settings)
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name=f"collector-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "collector did not start"
        time.sleep(0.05)
    store = Store.open(chdb_url, database=database)
    try:
        yield Served(f"http://127.0.0.1:{port}", app, store)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        try:
            store.command(f"DROP DATABASE IF EXISTS {database} SYNC")
        finally:
            store.close()
