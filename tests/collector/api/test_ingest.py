"""POST /v1/traces: acknowledged means stored, and every bad request gets a clear error."""

from __future__ import annotations

import gzip
import json
import threading
import time

from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

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
