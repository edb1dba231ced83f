"""Synthetic traffic with a known truth, and a local webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from llmpulse_collector.model import EvaluationRow, SpanRow
from llmpulse_collector.store import Store
from tests.collector.api.conftest import make_api
from tests.collector.conftest import make_evaluation, make_span

__all__ = ["Receiver", "Regression", "Traffic", "make_api", "receiver"]

MINUTE_NS = 60 * 1_000_000_000
MODELS = ("gpt-4o", "gpt-4o-mini")
# per model: median latency (ms), cost per call (USD)
_LATENCY = {"gpt-4o": 900.0, "gpt-4o-mini": 400.0}
_COST = {"gpt-4o": 0.004, "gpt-4o-mini": 0.0004}
_WORDS = [
    *("the", "refund", "policy", "covers", "damaged", "items"),
    *("within", "thirty", "days", "of", "delivery"),
]


@dataclass
class Regression:
    """What to change in a window of traffic (defaults: nothing, i.e. steady)."""

    latency: dict[str, float] = field(default_factory=dict)  # model -> factor
    cost: dict[str, float] = field(default_factory=dict)  # model -> factor
    pass_rate: float = 0.9
    output_length: float = 1.0  # factor on the number of words


@dataclass
class Traffic:
    """Writes spans (two models) and an assertion per span, evenly over a window."""

    store: Store
    project: str
    seed: int
    per_minute: int = 40  # per model
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def write(self, t0: int, t1: int, change: Regression | None = None) -> int:
        change = change or Regression()
        minutes = (t1 - t0) // MINUTE_NS
        n = int(minutes * self.per_minute)
        spans: list[SpanRow] = []
        evals: list[EvaluationRow] = []
        for model in MODELS:
            starts = t0 + np.sort(self.rng.integers(0, t1 - t0, n))
            latency = _LATENCY[model] * self.rng.lognormal(0, 0.35, n)
            latency *= change.latency.get(model, 1.0)
            cost = _COST[model] * self.rng.lognormal(0, 0.2, n) * change.cost.get(model, 1.0)
            words = self.rng.poisson(30, n) * change.output_length + 1
            passed = self.rng.random(n) < change.pass_rate
            for i in range(n):
                start = int(starts[i])
                end = start + int(latency[i] * 1e6)
                output = " ".join(_WORDS[j % len(_WORDS)] for j in range(int(words[i])))
                span = make_span(
                    project_id=self.project,
                    start_time=start,
                    end_time=end,
                    duration_ms=float(latency[i]),
                    model=model,
                    name=f"chat {model}",
                    cost_usd=float(cost[i]),
                    output=output,
                )
                spans.append(span)
                evals.append(
                    make_evaluation(
                        project_id=self.project,
                        trace_id=span.trace_id,
                        span_id=span.span_id,
                        name="answer_is_grounded",
                        passed=bool(passed[i]),
                        score=1.0 if passed[i] else 0.0,
                        created_at=end,
                    )
                )
        self.store.insert_spans(spans)
        self.store.insert_evaluations(evals)
        return len(spans)


@dataclass
class Receiver:
    url: str
    received: list[dict[str, Any]]
    fail_next: list[int]  # status codes to answer before succeeding

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 that records the JSON bodies posted to it."""
    received: list[dict[str, Any]] = []
    fail_next: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            status = fail_next.pop(0) if fail_next else 200
            if status == 200:
                received.append(json.loads(body))
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", received, fail_next)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
