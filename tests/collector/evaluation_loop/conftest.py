"""A real collector (uvicorn in a thread, embedded chDB) for the SDK and CLI of the
evaluation loop, with llmpulse configured to send it spans."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from llmpulse import _config
from llmpulse._errors import RAISE_ENV
from llmpulse_collector.store import Store
from llmpulse_collector.store.keys import create_key, create_project
from tests.served import serve_collector


@dataclass(frozen=True)
class Live:
    url: str
    store: Store
    project: str
    ingest_key: str
    read_key: str
    admin_key: str


@pytest.fixture
def live(chdb_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """A served collector on a fresh database; ``LLMPULSE_ENDPOINT``/``LLMPULSE_API_KEY``
    point at it (an admin key: reads datasets, writes runs, sends spans)."""
    for name in list(os.environ):
        if name.startswith(("LLMPULSE_", "OTEL_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv(RAISE_ENV, "1")
    with serve_collector(chdb_url, "loop") as served:
        store, url = served.store, served.url
        project = create_project(store, "shop")
        keys = {scope: create_key(store, project, scope) for scope in ("ingest", "read", "admin")}
        monkeypatch.setenv("LLMPULSE_ENDPOINT", url)
        monkeypatch.setenv("LLMPULSE_API_KEY", keys["admin"])
        _config._reset_for_tests()
        try:
            yield Live(url, store, project, keys["ingest"], keys["read"], keys["admin"])
        finally:
            _config._reset_for_tests()
