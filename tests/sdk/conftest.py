"""Shared fixtures: a clean llmpulse per test, captured spans, local HTTP receivers.

Internal errors are raised (not just logged) while these tests run, so SDK bugs fail
loudly; tests of the "never raises into user code" guarantee use ``no_raise``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from llmpulse import _config
from llmpulse._errors import RAISE_ENV
from llmpulse.testing import CapturedSpans, capture_spans

_OUR_ENV_PREFIXES = ("LLMPULSE_", "OTEL_")


@pytest.fixture(autouse=True)
def clean_llmpulse(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(_OUR_ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv(RAISE_ENV, "1")
    _config._reset_for_tests()
    yield
    _config._reset_for_tests()


@pytest.fixture
def no_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave like a user's app: internal errors are logged, never raised."""
    monkeypatch.setenv(RAISE_ENV, "0")


@pytest.fixture
def spans() -> Iterator[CapturedSpans]:
    with capture_spans() as captured:
        yield captured


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records every POST and answers ``status``."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    got_request: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length)
            state.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(state.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            state.got_request.set()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def unused_url() -> str:
    """A loopback URL nothing listens on (connection refused at once)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
