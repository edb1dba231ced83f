"""POST /v1/traces: acknowledged means stored, and every bad request gets a clear error."""

from __future__ import annotations

import gzip
import json
import threading
import time
from typing import Any

from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from llmpulse_collector.store.keys import create_key, create_project
from tests.collector.api.conftest import Api, otlp_request, otlp_span

NOW_NS = time.time_ns() - 60_000_000_000  # within the retention period
TRACE = "5b8efff798038103d269b633813fc60c"
LLM_ATTRS = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 200,
}


def _protobuf_status(resp) -> RpcStatus:
    status = RpcStatus()
    status.ParseFromString(resp.content)
    return status


def test_protobuf_export_is_acknowledged_only_once_stored(api: Api) -> None:
    message = otlp_request(
        otlp_span(TRACE, "eee19b7ec3c1b174", "answer"),
        otlp_span(TRACE, "eee19b7ec3c1b175", "chat", parent="eee19b7ec3c1b174", attrs=LLM_ATTRS),
    )
    resp = api.send(message)

    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/x-protobuf"
    body = ExportTraceServiceResponse()
    body.ParseFromString(resp.content)
    assert not body.HasField("partial_success")
    # visible at once: the answer came after the insert
    trace = api.get(f"/api/v1/traces/{TRACE}").json()
    assert trace["span_count"] == 2
    llm = trace["roots"][0]["children"][0]
    assert (llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("gpt-4o-mini", 1000, 200)
    assert llm["cost_usd"] > 0


def test_json_export_with_hex_ids_answers_json(api: Api) -> None:
    body = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "js-app"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": TRACE,
                                "spanId": "eee19b7ec3c1b174",
                                "name": "GET /chat",
                                "kind": 2,
                                "startTimeUnixNano": str(NOW_NS),
                                "endTimeUnixNano": str(NOW_NS + 500_000_000),
                                "unknownField": 1,
                            }
                        ]
                    }
                ],
            }
        ]
    }
    resp = api.client.post(
        "/v1/traces",
        content=json.dumps(body),
        headers=api.headers(api.ingest_key, **{"Content-Type": "application/json"}),
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == {}
    trace = api.get(f"/api/v1/traces/{TRACE}").json()
    assert trace["roots"][0]["service_name"] == "js-app"
    assert trace["roots"][0]["kind"] == "SERVER"


def test_gzip_bodies_are_accepted(api: Api) -> None:
    message = otlp_request(otlp_span(TRACE, "eee19b7ec3c1b174", "answer"))
    resp = api.client.post(
        "/v1/traces",
        content=gzip.compress(message.SerializeToString()),
        headers=api.headers(
            api.ingest_key, **{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
        ),
    )
    assert resp.status_code == 200
    assert api.get(f"/api/v1/traces/{TRACE}").status_code == 200


def test_spans_with_invalid_ids_are_rejected_as_partial_success(api: Api) -> None:
    message = otlp_request(
        otlp_span(TRACE, "eee19b7ec3c1b174", "good"),
        otlp_span("00000000000000000000000000000000", "eee19b7ec3c1b175", "bad"),
    )
    resp = api.send(message)
    assert resp.status_code == 200
    body = ExportTraceServiceResponse()
    body.ParseFromString(resp.content)
    assert body.partial_success.rejected_spans == 1
    assert body.partial_success.error_message
    assert api.get(f"/api/v1/traces/{TRACE}").json()["span_count"] == 1


def test_undecodable_body_is_400_with_a_status_message(api: Api) -> None:
    resp = api.client.post(
        "/v1/traces",
        content=b"\xff\xfenot protobuf",
        headers=api.headers(api.ingest_key, **{"Content-Type": "application/x-protobuf"}),
    )
    assert resp.status_code == 400
    assert _protobuf_status(resp).message


def test_keys_missing_unknown_and_of_the_wrong_scope(api: Api) -> None:
    message = otlp_request(otlp_span(TRACE, "eee19b7ec3c1b174", "answer"))
    data = message.SerializeToString()
    proto = {"Content-Type": "application/x-protobuf"}
    missing = api.client.post("/v1/traces", content=data, headers=proto)
    unknown = api.client.post("/v1/traces", content=data, headers=api.headers("lp_nope", **proto))
    read_key = api.client.post(
        "/v1/traces", content=data, headers=api.headers(api.read_key, **proto)
    )

    assert missing.status_code == 401
    assert "Authorization" in _protobuf_status(missing).message
    assert unknown.status_code == 401
    assert read_key.status_code == 403
    assert "ingest" in _protobuf_status(read_key).message
    assert api.get(f"/api/v1/traces/{TRACE}").status_code == 404


def test_oversize_bodies_plain_or_decompressed_are_413(make_api) -> None:
    api = make_api(max_body_bytes=2_000)
    big = otlp_request(
        *(
            otlp_span(TRACE, f"{i + 1:016x}", "x", attrs={"input.value": "y" * 100})
            for i in range(30)
        )
    ).SerializeToString()
    assert len(big) > 2_000
    headers = api.headers(api.ingest_key, **{"Content-Type": "application/x-protobuf"})
    plain = api.client.post("/v1/traces", content=big, headers=headers)
    bomb = api.client.post(
        "/v1/traces",
        content=gzip.compress(big),
        headers={**headers, "Content-Encoding": "gzip"},
    )
    assert len(gzip.compress(big)) < 2_000
    assert plain.status_code == 413
    assert bomb.status_code == 413


def test_other_content_types_are_415(api: Api) -> None:
    resp = api.client.post(
        "/v1/traces",
        content=b"hello",
        headers=api.headers(api.ingest_key, **{"Content-Type": "text/plain"}),
    )
    assert resp.status_code == 415


def test_a_writer_that_is_behind_answers_429_with_retry_after(make_api) -> None:
    api = make_api(max_pending_spans=3)
    runtime = api.client.app.state.runtime
    insert, release = runtime.store.insert_spans, threading.Event()

    def slow_insert(rows):
        release.wait(10)
        insert(rows)

    runtime.store.insert_spans = slow_insert
    first = threading.Thread(
        target=api.send,
        args=(
            otlp_request(
                otlp_span(TRACE, "0000000000000001", "a"), otlp_span(TRACE, "0000000000000002", "b")
            ),
        ),
    )
    first.start()
    deadline = time.monotonic() + 10
    while runtime.writer.pending_spans == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    resp = api.send(
        otlp_request(
            otlp_span(TRACE, "0000000000000003", "c"), otlp_span(TRACE, "0000000000000004", "d")
        )
    )
    release.set()
    first.join()

    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert "busy" in _protobuf_status(resp).message
    assert api.get(f"/api/v1/traces/{TRACE}").json()["span_count"] == 2


def test_storage_failure_is_503_and_nothing_is_acknowledged(api: Api) -> None:
    api.store.command(f"RENAME TABLE {api.store.table('spans')} TO {api.store.database}.spans_away")
    try:
        resp = api.send(otlp_request(otlp_span(TRACE, "eee19b7ec3c1b174", "answer")))
        assert resp.status_code == 503
        assert resp.headers["Retry-After"]
    finally:
        api.store.command(
            f"RENAME TABLE {api.store.database}.spans_away TO {api.store.table('spans')}"
        )
    assert api.get(f"/api/v1/traces/{TRACE}").status_code == 404


def test_one_bad_request_does_not_affect_concurrent_good_ones(api: Api) -> None:
    results: dict[str, int] = {}

    def good(i: int) -> None:
        trace = f"{i + 1:032x}"
        resp = api.send(otlp_request(otlp_span(trace, "eee19b7ec3c1b174", f"good-{i}")))
        results[trace] = resp.status_code

    def bad() -> None:
        resp = api.client.post(
            "/v1/traces",
            content=b"garbage",
            headers=api.headers(api.ingest_key, **{"Content-Type": "application/x-protobuf"}),
        )
        results["bad"] = resp.status_code

    threads = [threading.Thread(target=good, args=(i,)) for i in range(8)]
    threads.insert(4, threading.Thread(target=bad))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.pop("bad") == 400
    assert set(results.values()) == {200}
    for trace in results:
        assert api.get(f"/api/v1/traces/{trace}").json()["span_count"] == 1


def test_a_span_the_store_cannot_hold_fails_only_its_own_request(make_api) -> None:
    """Tenants' requests share group-commit batches. A start time of 2^63 ns does not
    fit the store's encoding: before, the whole batch failed and the innocent requests
    in it got 503 (measured: 162 of 262). Now only the offending request fails."""
    api = make_api(batch_max_delay_ms=300)  # requests arriving together share a batch
    tenants = []
    for i in range(4):
        project = create_project(api.store, f"tenant-{i}")
        keys = (create_key(api.store, project, "ingest"), create_key(api.store, project, "read"))
        tenants.append(keys)
    bad_trace = "bad00000000000000000000000000001"
    bad = otlp_request(
        otlp_span(bad_trace, "00000000000000b1", "fine"),
        otlp_span(bad_trace, "00000000000000b2", "too late", start_ns=2**63),
    )
    results: dict[str, Any] = {}

    def send(name: str, message: Any, key: str) -> None:
        results[name] = api.send(message, key)

    threads = []
    for i, (ingest_key, _) in enumerate(tenants):
        for j in range(3):
            trace = f"{i + 1:016x}{j + 1:016x}"
            message = otlp_request(
                otlp_span(trace, "eee19b7ec3c1b174", "answer"),
                otlp_span(trace, "eee19b7ec3c1b175", "chat", parent="eee19b7ec3c1b174"),
            )
            threads.append(threading.Thread(target=send, args=(trace, message, ingest_key)))
    threads.insert(5, threading.Thread(target=send, args=("bad", bad, api.ingest_key)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    refused = results.pop("bad")
    if refused.status_code == 200:  # rejected span by span when normalized
        body = ExportTraceServiceResponse()
        body.ParseFromString(refused.content)
        assert body.partial_success.rejected_spans == 1
    else:  # rejected by the store: the request alone
        assert refused.status_code == 400
        assert "cannot be stored" in _protobuf_status(refused).message
    assert {trace: resp.status_code for trace, resp in results.items()} == dict.fromkeys(
        results, 200
    )
    for i, (_, read_key) in enumerate(tenants):
        for j in range(3):
            trace = api.get(f"/api/v1/traces/{i + 1:016x}{j + 1:016x}", read_key).json()
            assert trace["span_count"] == 2
    stored = api.get(f"/api/v1/traces/{bad_trace}")
    assert stored.status_code == 404 or stored.json()["span_count"] == 1
    assert api.client.get("/healthz").status_code == 200


def test_spans_sent_again_are_counted_once(api: Api) -> None:
    """A client retrying after a lost answer sends the same spans again, in another
    request (so another group-commit batch); an exporter may also repeat a span in one
    request. Every view counts each span once."""
    root = otlp_span(TRACE, "eee19b7ec3c1b174", "answer")
    llm = otlp_span(TRACE, "eee19b7ec3c1b175", "chat", parent="eee19b7ec3c1b174", attrs=LLM_ATTRS)
    tool = otlp_span(TRACE, "eee19b7ec3c1b176", "search", parent="eee19b7ec3c1b174")
    assert api.send(otlp_request(root, llm)).status_code == 200
    assert api.send(otlp_request(root, llm)).status_code == 200  # the retry
    assert api.send(otlp_request(llm, tool, tool)).status_code == 200  # repeats, one new

    trace = api.get(f"/api/v1/traces/{TRACE}").json()
    assert trace["span_count"] == 3
    assert trace["input_tokens"] == 1000
    assert len(trace["roots"]) == 1
    assert len(trace["roots"][0]["children"]) == 2
    (listed,) = api.get("/api/v1/traces").json()["traces"]  # the per-trace summary
    assert (listed["spans"], listed["llm_calls"], listed["input_tokens"]) == (3, 1, 1000)
    (totals,) = api.get("/api/v1/metrics/summary").json()["groups"]
    assert (totals["spans"], totals["traces"]) == (3, 1)
    assert (totals["input_tokens"], totals["output_tokens"]) == (1000, 200)
    assert api.client.app.state.runtime.writer.stats().duplicate_spans == 2 + 2
