"""POST /v1/traces under hostile and unlucky input (issue 10, items 1, 2, 3, 6, 7).

Each test sends the real body through the app, checks the answer, that the collector
still answers and stores an innocent request afterwards, and that the innocent spans
of the same request are stored. The bounds are ``llmpulse_collector.ingest.Limits``.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from typing import Any

from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from llmpulse_collector.ingest import MAX_GZIP_MEMBERS, MAX_NESTING_DEPTH, Limits
from tests.collector.api.conftest import Api, otlp_request, otlp_span

LIMITS = Limits()
TRACE = "5b8efff798038103d269b633813fc60c"
OTHER_TRACE = "0af7651916cd43dd8448eb211c80319c"
PROTOBUF = {"Content-Type": "application/x-protobuf"}
DAY_NS = 86_400 * 10**9


def _post(api: Api, body: bytes, **headers: str) -> Any:
    return api.client.post(
        "/v1/traces", content=body, headers=api.headers(api.ingest_key, **PROTOBUF, **headers)
    )


def _status_message(resp: Any) -> str:
    status = RpcStatus()
    status.ParseFromString(resp.content)
    return str(status.message)


def _partial(resp: Any) -> Any:
    body = ExportTraceServiceResponse()
    body.ParseFromString(resp.content)
    return body.partial_success


def _span(api: Api, trace: str, span_id: str) -> dict[str, Any]:
    """The stored span ``span_id`` of ``trace``, as the query API returns it."""
    resp = api.get(f"/api/v1/traces/{trace}")
    assert resp.status_code == 200, resp.text
    todo = list(resp.json()["roots"])
    while todo:
        span = todo.pop()
        if span["span_id"] == span_id:
            return dict(span)
        todo.extend(span["children"])
    raise AssertionError(f"span {span_id} is not stored")


def _assert_healthy(api: Api) -> None:
    """The collector answers and stores a new, innocent request."""
    assert api.client.get("/healthz").status_code == 200
    resp = api.send(otlp_request(otlp_span(OTHER_TRACE, "00000000000000aa", "innocent")))
    assert resp.status_code == 200
    assert not _partial(resp).rejected_spans
    assert _span(api, OTHER_TRACE, "00000000000000aa")["name"] == "innocent"


# --- 1. quadratic work from tiny bodies -----------------------------------------------


def test_gzip_body_of_many_empty_members_is_400(api: Api) -> None:
    member = gzip.compress(b"")
    body = member * 150_000  # ~3 MB; used to cost ~17 s of copying
    resp = _post(api, body, **{"Content-Encoding": "gzip"})
    assert resp.status_code == 400
    assert f"more than {MAX_GZIP_MEMBERS} members" in _status_message(resp)
    _assert_healthy(api)


def test_gzip_body_of_a_few_members_is_accepted(api: Api) -> None:
    data = otlp_request(otlp_span(TRACE, "eee19b7ec3c1b174", "answer")).SerializeToString()
    thirds = (data[:10], data[10:20], data[20:])
    body = b"".join(gzip.compress(part) for part in thirds)
    resp = _post(api, body, **{"Content-Encoding": "gzip"})
    assert resp.status_code == 200
    assert _span(api, TRACE, "eee19b7ec3c1b174")["name"] == "answer"


def test_thirty_thousand_tags_keep_the_first_distinct_ones(api: Api) -> None:
    tags = [f"tag-{i}" for i in range(30_000)]
    hostile = otlp_span(TRACE, "00000000000000b1", "tagged", attrs={"tag.tags": tags + tags})
    innocent = otlp_span(TRACE, "00000000000000b2", "plain", attrs={"tag.tags": ["a", "b", "a"]})
    resp = api.send(otlp_request(hostile, innocent))

    assert resp.status_code == 200
    stored = _span(api, TRACE, "00000000000000b1")
    assert stored["tags"] == tags[: LIMITS.max_tags]
    assert stored["attributes"]["llmpulse.dropped_tags"] == str(30_000 - LIMITS.max_tags)
    assert _span(api, TRACE, "00000000000000b2")["tags"] == ["a", "b"]
    _assert_healthy(api)


def test_per_span_lists_are_bounded(api: Api) -> None:
    span = otlp_span(
        TRACE, "00000000000000c1", "lists", attrs={f"k{i}": "v" for i in range(20_000)}
    )
    for i in range(5_000):
        span.events.add(name=f"e{i}", time_unix_nano=span.start_time_unix_nano)
        span.links.add(trace_id=bytes.fromhex(TRACE), span_id=(i + 1).to_bytes(8, "big"))
    innocent = otlp_span(TRACE, "00000000000000c2", "small", attrs={"k": "v"})
    resp = api.send(otlp_request(span, innocent))

    assert resp.status_code == 200
    stored = _span(api, TRACE, "00000000000000c1")
    assert len(stored["attributes"]) == LIMITS.max_attributes + 1
    assert stored["attributes"]["llmpulse.dropped_attributes"] == str(
        20_000 - LIMITS.max_attributes
    )
    assert len(stored["events"]) == LIMITS.max_events
    assert _span(api, TRACE, "00000000000000c2")["attributes"] == {"k": "v"}
    _assert_healthy(api)


def test_an_indexed_message_key_with_a_huge_index_is_kept_as_a_plain_attribute(
    api: Api,
) -> None:
    key = "llm.input_messages." + "9" * 5_000 + ".message.content"
    resp = api.send(otlp_request(otlp_span(TRACE, "00000000000000c3", "chat", attrs={key: "hi"})))
    assert resp.status_code == 200
    attributes = _span(api, TRACE, "00000000000000c3")["attributes"]
    (stored_key,) = attributes
    assert stored_key.startswith("llm.input_messages.999")
    assert stored_key.endswith(f"…[truncated {len(key) - LIMITS.max_key_chars} chars]")
    _assert_healthy(api)


# --- 2 and 6. times out of range: only that span is rejected ----------------------------


def test_spans_with_times_out_of_range_are_rejected_one_by_one(api: Api) -> None:
    now = time.time_ns()
    bad = [
        otlp_span(TRACE, "00000000000000d1", "2^63", start_ns=2**63),
        otlp_span(TRACE, "00000000000000d2", "uint64 max", start_ns=2**64 - 10**9, duration_ms=0),
        otlp_span(TRACE, "00000000000000d3", "in two days", start_ns=now + 2 * DAY_NS),
        otlp_span(TRACE, "00000000000000d4", "end far ahead", start_ns=now),
        otlp_span(TRACE, "00000000000000d5", "before retention", start_ns=now - 40 * DAY_NS),
        otlp_span(TRACE, "00000000000000d6", "epoch", start_ns=0),
    ]
    bad[3].end_time_unix_nano = 2**63 + 5
    good = otlp_span(TRACE, "00000000000000d7", "good", start_ns=now - 10**9)
    resp = api.send(otlp_request(*bad[:3], good, *bad[3:]))

    assert resp.status_code == 200
    partial = _partial(resp)
    assert partial.rejected_spans == len(bad)
    assert "in the future" in partial.error_message
    assert "retention" in partial.error_message
    trace = api.get(f"/api/v1/traces/{TRACE}").json()
    assert trace["span_count"] == 1
    assert trace["roots"][0]["name"] == "good"
    _assert_healthy(api)


def test_an_evaluation_event_far_in_the_future_rejects_its_span_only(api: Api) -> None:
    hostile = otlp_span(TRACE, "00000000000000d8", "judged")
    hostile.events.add(
        name="gen_ai.evaluation.result",
        time_unix_nano=2**63 + 1,
        attributes=[KeyValue(key="gen_ai.evaluation.name", value=AnyValue(string_value="x"))],
    )
    resp = api.send(otlp_request(hostile, otlp_span(TRACE, "00000000000000d9", "good")))
    assert resp.status_code == 200
    assert _partial(resp).rejected_spans == 1
    assert api.get(f"/api/v1/traces/{TRACE}").json()["span_count"] == 1
    _assert_healthy(api)


# --- 3. amplification --------------------------------------------------------------------


def _with_resource(message: ExportTraceServiceRequest, attrs: dict[str, str]) -> None:
    message.resource_spans[0].resource.attributes.extend(
        KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in attrs.items()
    )


def test_resource_attributes_are_bounded_like_span_attributes(api: Api) -> None:
    spans = [otlp_span(TRACE, f"{i + 1:016x}", f"s{i}") for i in range(1_000)]
    message = otlp_request(*spans)
    _with_resource(message, {f"res.{i}": "x" * 8 for i in range(20_000)})
    _with_resource(message, {"k" * 10_000: "v" * 100_000})  # past the count bound
    resp = api.send(message)

    assert resp.status_code == 200
    stored = _span(api, TRACE, f"{1_000:016x}")["resource_attributes"]
    assert len(stored) == LIMITS.max_resource_attributes + 1
    assert stored["service.name"] == "shop-api"
    assert stored["llmpulse.dropped_attributes"] == str(20_002 - LIMITS.max_resource_attributes)
    assert api.get(f"/api/v1/traces/{TRACE}").json()["span_count"] == 1_000
    _assert_healthy(api)


def test_a_request_that_expands_past_the_budget_is_413(api: Api) -> None:
    per_span = LIMITS.max_resource_attributes * LIMITS.max_attribute_chars
    count = LIMITS.max_expanded_chars // per_span + 10
    message = otlp_request(*(otlp_span(TRACE, f"{i + 1:016x}", "s") for i in range(count)))
    _with_resource(
        message,
        {f"r{i}": "x" * LIMITS.max_attribute_chars for i in range(LIMITS.max_resource_attributes)},
    )
    body = gzip.compress(message.SerializeToString())
    assert len(body) < 100_000  # a small request, a large expansion
    resp = _post(api, body, **{"Content-Encoding": "gzip"})

    assert resp.status_code == 413
    assert "resource attributes" in _status_message(resp)
    assert api.get(f"/api/v1/traces/{TRACE}").status_code == 404
    _assert_healthy(api)


# --- 6. field bounds and values ------------------------------------------------------------


def test_long_fields_are_cut_and_marked(api: Api) -> None:
    huge = "z" * 1_000_000
    attrs = {
        "gen_ai.request.model": huge,
        "gen_ai.provider.name": huge,
        "session.id": huge,
        "user.id": huge,
        "gen_ai.response.finish_reasons": [huge],
        huge: "value of a huge key",
    }
    span = otlp_span(TRACE, "00000000000000e1", huge, attrs=attrs, error=True)
    span.status.message = huge
    message = otlp_request(span, otlp_span(TRACE, "00000000000000e2", "short"))
    message.resource_spans[0].scope_spans[0].scope.name = huge
    resp = api.send(message)

    assert resp.status_code == 200
    stored = _span(api, TRACE, "00000000000000e1")

    def marked(value: str, limit: int) -> bool:
        return value == "z" * limit + f"…[truncated {len(huge) - limit} chars]"

    assert marked(stored["name"], LIMITS.max_name_chars)
    assert marked(stored["scope_name"], LIMITS.max_name_chars)
    assert marked(stored["status_message"], LIMITS.max_status_message_chars)
    for name in ("model", "provider", "session_id", "user_id", "finish_reason"):
        assert marked(stored[name], LIMITS.max_label_chars), name
    long_keys = [key for key in stored["attributes"] if key.startswith("zzz")]
    assert len(long_keys) == 1
    assert marked(long_keys[0], LIMITS.max_key_chars)
    assert _span(api, TRACE, "00000000000000e2")["scope_name"] == stored["scope_name"]
    _assert_healthy(api)


def test_negative_absurd_and_non_finite_costs_and_tokens_are_dropped(api: Api) -> None:
    absurd = {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": -5,
        "gen_ai.usage.output_tokens": 1e300,
        "gen_ai.usage.cache_read_input_tokens": 10**15,
        "llmpulse.cost_usd": -1e300,
    }
    nan_cost = {"gen_ai.request.model": "gpt-4o-mini", "llmpulse.cost_usd": float("nan")}
    good = {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 200,
        "llmpulse.cost_usd": 0.5,
    }
    resp = api.send(
        otlp_request(
            otlp_span(TRACE, "00000000000000f1", "absurd", attrs=absurd),
            otlp_span(TRACE, "00000000000000f2", "nan", attrs=nan_cost),
            otlp_span(TRACE, "00000000000000f3", "good", attrs=good),
        )
    )
    assert resp.status_code == 200
    assert not _partial(resp).rejected_spans  # the spans are kept, the values are not

    bad = _span(api, TRACE, "00000000000000f1")
    assert (bad["input_tokens"], bad["output_tokens"], bad["cache_read_tokens"]) == (0, 0, 0)
    assert bad["cost_usd"] is None
    named = set(bad["attributes"]["llmpulse.invalid_values"].split(","))
    assert named == {"input_tokens", "output_tokens", "cache_read_tokens", "cost_usd"}
    nan = _span(api, TRACE, "00000000000000f2")
    assert nan["cost_usd"] is None
    assert nan["attributes"]["llmpulse.invalid_values"] == "cost_usd"
    trace = api.get(f"/api/v1/traces/{TRACE}").json()
    assert trace["cost_usd"] == 0.5
    assert (trace["input_tokens"], trace["output_tokens"]) == (1000, 200)
    metrics = api.client.get("/metrics").text
    assert "llmpulse_invalid_values_total 5.0" in metrics
    _assert_healthy(api)


# --- 7. deep nesting -----------------------------------------------------------------------


def _nested_json(levels: int) -> bytes:
    """An OTLP/JSON body whose attribute value nests ``levels`` arrays (built as text:
    ``json.dumps`` itself would hit the recursion limit)."""
    value = '{"arrayValue":{"values":[' * levels + '{"stringValue":"leaf"}' + "]}}" * levels
    span = {
        "traceId": TRACE,
        "spanId": "00000000000000a1",
        "name": "deep",
        "startTimeUnixNano": str(time.time_ns()),
        "endTimeUnixNano": str(time.time_ns()),
        "attributes": [{"key": "deep", "value": "VALUE"}],
    }
    document = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})
    return document.replace('"VALUE"', value).encode()


def _nested_protobuf(levels: int) -> bytes:
    message = otlp_request(otlp_span(TRACE, "00000000000000a1", "deep"))
    value = message.resource_spans[0].scope_spans[0].spans[0].attributes.add(key="deep").value
    for _ in range(levels):
        value = value.array_value.values.add()
    value.string_value = "leaf"
    return message.SerializeToString()


def _post_json(api: Api, body: bytes) -> Any:
    return api.client.post(
        "/v1/traces",
        content=body,
        headers=api.headers(api.ingest_key, **{"Content-Type": "application/json"}),
    )


def test_deep_nesting_is_400_in_both_encodings(api: Api) -> None:
    json_resp = _post_json(api, _nested_json(900))
    proto_resp = _post(api, _nested_protobuf(900))
    bare = _post_json(api, b'{"resourceSpans":' + b"[" * 100_000 + b"]" * 100_000 + b"}")

    for resp in (json_resp, proto_resp):
        assert resp.status_code == 400
    assert json_resp.json()["message"] == _status_message(proto_resp)
    assert f"more than {MAX_NESTING_DEPTH} levels deep" in json_resp.json()["message"]
    assert bare.status_code == 400
    _assert_healthy(api)


def test_both_encodings_share_one_depth_limit(api: Api) -> None:
    # The span's attribute value is message level 5 below the request; each array adds 2.
    deepest_ok = (MAX_NESTING_DEPTH - 5) // 2
    for levels, status in ((deepest_ok, 200), (deepest_ok + 1, 400)):
        assert _post_json(api, _nested_json(levels)).status_code == status, levels
        assert _post(api, _nested_protobuf(levels)).status_code == status, levels
    stored = _span(api, TRACE, "00000000000000a1")
    assert stored["attributes"]["deep"].startswith("[" * deepest_ok)
    _assert_healthy(api)


def test_deeply_nested_json_text_in_content_attributes_is_stored_as_text(api: Api) -> None:
    deep = "[" * 100_000 + "]" * 100_000  # JSON text past Python's recursion limit
    attrs = {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.system_instructions": deep,
        "gen_ai.input.messages": deep,
        "tag.tags": deep,
    }
    resp = api.send(otlp_request(otlp_span(TRACE, "00000000000000a2", "chat", attrs=attrs)))
    assert resp.status_code == 200
    stored = _span(api, TRACE, "00000000000000a2")
    assert stored["input"].startswith("[[[")
    _assert_healthy(api)


def test_hostile_requests_alongside_innocent_ones_cost_them_nothing(api: Api) -> None:
    now = time.time_ns()
    tags = otlp_request(
        otlp_span(
            TRACE, "0000000000000101", "tags", attrs={"tag.tags": list(map(str, range(30_000)))}
        )
    )
    future = otlp_request(otlp_span(TRACE, "0000000000000102", "future", start_ns=2**63))
    hostile: dict[str, tuple[bytes, dict[str, str], int]] = {
        "gzip members": (gzip.compress(b"") * 150_000, {"Content-Encoding": "gzip"}, 400),
        "tags": (tags.SerializeToString(), {}, 200),
        "2^63": (future.SerializeToString(), {}, 200),
        "deep json": (_nested_json(900), {"Content-Type": "application/json"}, 400),
        "deep protobuf": (_nested_protobuf(900), {}, 400),
    }
    results: dict[str, int] = {}

    def send_hostile(name: str) -> None:
        body, headers, _ = hostile[name]
        results[name] = api.client.post(
            "/v1/traces",
            content=body,
            headers=api.headers(api.ingest_key, **{**PROTOBUF, **headers}),
        ).status_code

    def send_innocent(i: int) -> None:
        trace = f"{i + 1:032x}"
        span = otlp_span(trace, "00000000000000cc", f"innocent-{i}", start_ns=now - 10**9)
        results[trace] = api.send(otlp_request(span)).status_code

    def health(i: int) -> None:
        results[f"healthz-{i}"] = api.client.get("/healthz").status_code

    threads = [threading.Thread(target=send_hostile, args=(name,)) for name in hostile]
    for i in range(8):
        threads.insert(i, threading.Thread(target=send_innocent, args=(i,)))
        threads.append(threading.Thread(target=health, args=(i,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for name, (_, _, status) in hostile.items():
        assert results.pop(name) == status, name
    assert set(results.values()) == {200}
    for trace in (key for key in results if not key.startswith("healthz")):
        assert api.get(f"/api/v1/traces/{trace}").json()["span_count"] == 1
    assert _span(api, TRACE, "0000000000000101")["name"] == "tags"
    _assert_healthy(api)
