"""The event loop stays free while ingestion works: ``/healthz`` answers while a large
export is being decoded, and while an uncached API key is being looked up. Ordering,
not timing: each test records what had happened when health answered."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import llmpulse_collector.api.ingest as ingest_api
import llmpulse_collector.runtime as runtime_module
from llmpulse_collector.store.keys import create_key, create_project
from tests.collector.api.conftest import otlp_request, otlp_span
from tests.served import serve_collector

SPANS = 12_000  # about 12 MB, under the 16 MiB body limit


def _large_export() -> bytes:
    text = "How do I reset my password? " * 16
    spans = (
        otlp_span(
            f"{i // 4 + 1:032x}",
            f"{i + 1:016x}",
            "chat",
            attrs={"gen_ai.request.model": "gpt-4o", "input.value": text, "output.value": text},
        )
        for i in range(SPANS)
    )
    return otlp_request(*spans).SerializeToString()


def _send(url: str, headers: dict[str, str], body: bytes, answers: list[int]) -> None:
    answers.append(
        httpx.post(f"{url}/v1/traces", content=body, headers=headers, timeout=120).status_code
    )


def test_health_answers_while_a_large_export_is_decoded(
    chdb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoding, decoded = threading.Event(), threading.Event()
    real: Callable[..., Any] = ingest_api.decode_and_normalize

    def watched(*args: Any, **kwargs: Any) -> Any:
        decoding.set()
        try:
            return real(*args, **kwargs)
        finally:
            decoded.set()

    monkeypatch.setattr(ingest_api, "decode_and_normalize", watched)
    body = _large_export()
    with serve_collector(chdb_url, "loopfree") as live:
        project = create_project(live.store, "loopfree")
        headers = {
            "Authorization": f"Bearer {create_key(live.store, project, 'ingest')}",
            "Content-Type": "application/x-protobuf",
        }
        answers: list[int] = []
        sender = threading.Thread(target=_send, args=(live.url, headers, body, answers))
        during: list[bool] = []  # per health answer: did it come while decoding ran?
        with httpx.Client(base_url=live.url, timeout=30) as http:
            assert http.get("/healthz").status_code == 200  # connected before the export
            sender.start()
            assert decoding.wait(60), "the export was never decoded"
            while not decoded.is_set():
                assert http.get("/healthz").status_code == 200
                during.append(not decoded.is_set())
        sender.join()
        stored = live.store.query(
            f"SELECT count() AS n FROM {live.store.table('spans')} WHERE project_id = {{p:String}}",
            {"p": project},
        )[0]["n"]
    assert answers == [200]
    assert stored == SPANS
    assert any(during), "no health check was answered while the export was being decoded"


def test_an_uncached_key_is_looked_up_off_the_event_loop(
    chdb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    looking_up, health_answered = threading.Event(), threading.Event()
    real: Callable[..., Any] = runtime_module.lookup_key

    with serve_collector(chdb_url, "keyloop") as live:
        project = create_project(live.store, "keyloop")
        key = create_key(live.store, project, "ingest")

        def slow_lookup(store: Any, wanted: str) -> Any:
            if wanted == key:  # holds this lookup until health has answered (or 20 s)
                looking_up.set()
                health_answered.wait(20)
            return real(store, wanted)

        monkeypatch.setattr(runtime_module, "lookup_key", slow_lookup)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-protobuf"}
        body = otlp_request(otlp_span(f"{1:032x}", f"{1:016x}", "step")).SerializeToString()
        answers: list[int] = []
        sender = threading.Thread(target=_send, args=(live.url, headers, body, answers))
        sender.start()
        assert looking_up.wait(30), "the key was never looked up"
        try:
            health = httpx.get(f"{live.url}/healthz", timeout=10).status_code
        finally:
            health_answered.set()
        sender.join()
    assert health == 200  # on the loop, the lookup would have held /healthz for 20 s
    assert answers == [200]
