"""Overload over real HTTP: answered with 429 and Retry-After within the deadline, not
left to time out; a refused request is never stored (so the client's retry cannot
duplicate it), a 200 always is; ``/healthz`` answers throughout."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from llmpulse_collector.store.keys import create_key, create_project
from tests.collector.api.conftest import otlp_request, otlp_span
from tests.served import serve_collector

CLIENTS, REQUESTS, SPANS = 12, 5, 300


@dataclass(frozen=True)
class Sent:
    trace_id: str
    status: int
    retry_after: str | None
    seconds: float


def test_overload_is_answered_429_and_refused_requests_are_never_stored(chdb_url: str) -> None:
    settings = {"ingest_deadline_ms": 300, "batch_max_spans": 200, "max_pending_spans": 100_000}
    with serve_collector(chdb_url, "overload", **settings) as live:
        project = create_project(live.store, "load")
        headers = {
            "Authorization": f"Bearer {create_key(live.store, project, 'ingest')}",
            "Content-Type": "application/x-protobuf",
        }
        bodies = {
            f"{c + 1:08x}{r + 1:08x}{0:016x}": otlp_request(
                *(
                    otlp_span(f"{c + 1:08x}{r + 1:08x}{0:016x}", f"{s + 1:016x}", "step")
                    for s in range(SPANS)
                )
            ).SerializeToString()
            for c in range(CLIENTS)
            for r in range(REQUESTS)
        }
        traces = list(bodies)
        sent: list[Sent] = []
        health: list[int] = []
        loading = threading.Event()
        loading.set()

        def client(c: int) -> None:
            with httpx.Client(base_url=live.url, timeout=30) as http:
                for trace in traces[c * REQUESTS : (c + 1) * REQUESTS]:
                    started = time.monotonic()
                    resp = http.post("/v1/traces", content=bodies[trace], headers=headers)
                    elapsed = time.monotonic() - started
                    sent.append(
                        Sent(trace, resp.status_code, resp.headers.get("Retry-After"), elapsed)
                    )

        def probe() -> None:
            with httpx.Client(base_url=live.url, timeout=5) as http:
                while loading.is_set():
                    health.append(http.get("/healthz").status_code)
                    time.sleep(0.05)

        prober = threading.Thread(target=probe)
        prober.start()
        clients = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        loading.clear()
        prober.join()

        writer = live.app.state.runtime.writer
        settled = time.monotonic() + 30
        while writer.pending_spans and time.monotonic() < settled:
            time.sleep(0.05)  # nothing is left to be stored later
        time.sleep(0.2)
        rows = live.store.query(
            f"SELECT trace_id, count() AS n FROM {live.store.table('spans')} "
            "WHERE project_id = {project:String} GROUP BY trace_id",
            {"project": project},
        )
        stored = {row["trace_id"]: int(row["n"]) for row in rows}

    statuses = Counter(s.status for s in sent)
    assert len(sent) == CLIENTS * REQUESTS
    assert set(statuses) <= {200, 429, 503}, statuses
    refused = [s for s in sent if s.status != 200]
    assert refused, f"no request was refused: {statuses}"
    assert statuses[200], f"no request was stored: {statuses}"
    for answer in refused:
        assert answer.retry_after is not None and int(answer.retry_after) >= 1
        assert answer.trace_id not in stored, "a refused request was stored"
    for answer in sent:
        if answer.status == 200:
            assert stored.get(answer.trace_id) == SPANS, "an acknowledged request is missing"
    assert health and set(health) == {200}  # every probe answered within its 5 s
