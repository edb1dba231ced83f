"""Acknowledged means stored: SIGKILL right after acknowledgements loses nothing."""

from __future__ import annotations

import random
import threading
import time

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tests.e2e.conftest import Collector, Keys


def _request(trace_ids: list[bytes], rng: random.Random) -> bytes:
    now = time.time_ns()
    spans = []
    for trace_id in trace_ids:
        for i in range(4):
            spans.append(
                Span(
                    trace_id=trace_id,
                    span_id=rng.randbytes(8),
                    name=f"step-{i}",
                    start_time_unix_nano=now - 1_000_000,
                    end_time_unix_nano=now,
                    attributes=[
                        KeyValue(key="gen_ai.request.model", value=AnyValue(string_value="gpt-4o")),
                        KeyValue(key="input.value", value=AnyValue(string_value="x" * 200)),
                    ],
                )
            )
    message = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])]
    )
    return message.SerializeToString()


def test_sigkill_after_acknowledgements_loses_no_acknowledged_span(
    collector: Collector, keys: Keys
) -> None:
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(
            headers={
                "Authorization": f"Bearer {keys.ingest}",
                "Content-Type": "application/x-protobuf",
            },
            timeout=30,
        ) as http:
            while not stop.is_set():
                ids = [rng.randbytes(16) for _ in range(25)]
                try:
                    resp = http.post(f"{collector.url}/v1/traces", content=_request(ids, rng))
                except httpx.HTTPError:
                    return  # the collector died mid-request: not acknowledged
                if resp.status_code == 200:
                    with lock:
                        acknowledged.update(i.hex() for i in ids)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= 2_000:
                break
        time.sleep(0.05)
    collector.kill()  # while clients are still sending
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 2_000

    collector.start()
    headers = {"Authorization": f"Bearer {keys.read}"}
    stored: set[str] = set()
    cursor = None
    with httpx.Client(headers=headers, timeout=60) as http:
        while True:
            params = {"limit": 1000, "from": str(time.time() - 3600)}
            if cursor:
                params["cursor"] = cursor
            page = http.get(f"{collector.url}/api/v1/traces", params=params).json()
            stored.update(t["trace_id"] for t in page["traces"])
            for t in page["traces"]:
                if t["trace_id"] in acknowledged:
                    assert t["spans"] == 4
            cursor = page["next_cursor"]
            if not cursor:
                break
    missing = acknowledged - stored
    assert not missing, f"{len(missing)} acknowledged traces lost, e.g. {sorted(missing)[:3]}"
