"""Decoding OTLP/HTTP bodies: protobuf and JSON, gzip, limits, and the error for each mistake."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import random
import zlib

import pytest
from google.protobuf import json_format
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from llmpulse_collector.ingest import (
    MAX_GZIP_MEMBERS,
    MAX_NESTING_DEPTH,
    DecodeError,
    PayloadTooLarge,
    UnsupportedMediaType,
    decode_request,
    encode_response,
    encode_status,
)
from tests.collector.ingest.otlp_builders import (
    PARENT_ID,
    SPAN_ID,
    TRACE_ID,
    make_request,
    make_span,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
LIMIT = 1024 * 1024


def test_protobuf_body_decodes_to_the_same_message():
    request = make_request(make_span({"gen_ai.request.model": "gpt-4o"}, name="chat"))
    decoded = decode_request(request.SerializeToString(), PROTOBUF, None, max_body_bytes=LIMIT)
    assert decoded == request


def test_content_type_parameters_and_case_are_ignored():
    body = make_request(make_span()).SerializeToString()
    decoded = decode_request(
        body, "Application/X-Protobuf; charset=binary", "identity", max_body_bytes=LIMIT
    )
    assert decoded.resource_spans[0].scope_spans[0].spans[0].span_id == SPAN_ID


OTLP_JSON = {
    "resourceSpans": [
        {
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "bot"}}]},
            "scopeSpans": [
                {
                    "scope": {"name": "my.scope", "version": "1.0"},
                    "spans": [
                        {
                            "traceId": TRACE_ID.hex().upper(),  # hex, any case
                            "spanId": SPAN_ID.hex(),
                            "parentSpanId": PARENT_ID.hex(),
                            "name": "chat gpt-4o",
                            "kind": "SPAN_KIND_CLIENT",  # enum by name
                            "startTimeUnixNano": "1750000000000000000",  # int64 as string
                            "endTimeUnixNano": 1750000001000000000,  # ... or as number
                            "attributes": [
                                {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "42"}},
                                {"key": "flag", "value": {"boolValue": True}},
                            ],
                            "links": [{"traceId": "ab" * 16, "spanId": "cd" * 8}],
                            "status": {"code": 2, "message": "boom"},  # enum by number
                            "someFutureField": {"x": 1},  # unknown: ignored
                        }
                    ],
                }
            ],
        }
    ]
}


def test_otlp_json_hex_ids_int64_strings_enum_names_and_unknown_fields():
    decoded = decode_request(json.dumps(OTLP_JSON).encode(), JSON, None, max_body_bytes=LIMIT)
    span = decoded.resource_spans[0].scope_spans[0].spans[0]
    assert (span.trace_id, span.span_id, span.parent_span_id) == (TRACE_ID, SPAN_ID, PARENT_ID)
    assert span.kind == 3  # SPAN_KIND_CLIENT
    assert span.start_time_unix_nano == 1_750_000_000_000_000_000
    assert span.end_time_unix_nano == 1_750_000_001_000_000_000
    assert span.attributes[0].value.int_value == 42
    assert span.attributes[1].value.bool_value is True
    assert span.links[0].trace_id == bytes.fromhex("ab" * 16)
    assert span.links[0].span_id == bytes.fromhex("cd" * 8)
    assert (span.status.code, span.status.message) == (2, "boom")


def test_otlp_json_span_without_parent_or_events():
    document = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {"traceId": TRACE_ID.hex(), "spanId": SPAN_ID.hex(), "name": "root"}
                        ]
                    }
                ]
            }
        ]
    }
    span = (
        decode_request(json.dumps(document).encode(), JSON, None, max_body_bytes=LIMIT)
        .resource_spans[0]
        .scope_spans[0]
        .spans[0]
    )
    assert (span.parent_span_id, len(span.events)) == (b"", 0)


def test_otlp_json_base64_ids_are_refused_with_a_hint():
    document = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {"spans": [{"traceId": "W47/95gDgQPSabYzgT/GDA==", "spanId": SPAN_ID.hex()}]}
                ]
            }
        ]
    }
    with pytest.raises(DecodeError, match=r"spans\[0\]\.traceId .* not hex.*not base64"):
        decode_request(json.dumps(document).encode(), JSON, None, max_body_bytes=LIMIT)


def test_gzip_and_deflate_bodies():
    request = make_request(make_span())
    body = request.SerializeToString()
    assert decode_request(gzip.compress(body), PROTOBUF, "gzip", max_body_bytes=LIMIT) == request
    assert decode_request(zlib.compress(body), PROTOBUF, "deflate", max_body_bytes=LIMIT) == request
    two_members = gzip.compress(body[:10]) + gzip.compress(body[10:])
    assert decode_request(two_members, PROTOBUF, "gzip", max_body_bytes=LIMIT) == request


def test_gzip_members_across_chunk_boundaries_and_up_to_the_bound():
    hex_text = random.Random(0).randbytes(100_000).hex()  # compresses to ~100 KB
    request = make_request(make_span({"big": hex_text}))
    body = request.SerializeToString()
    pieces = [body[:150_000], body[150_000:150_001], body[150_001:]]
    members = b"".join(gzip.compress(piece) for piece in pieces)
    assert len(gzip.compress(pieces[0])) > 64 * 1024  # members span the inflater's chunks
    assert decode_request(members, PROTOBUF, "gzip", max_body_bytes=LIMIT) == request
    small = make_request(make_span()).SerializeToString()
    at_bound = gzip.compress(small) + gzip.compress(b"") * (MAX_GZIP_MEMBERS - 1)
    assert decode_request(at_bound, PROTOBUF, "gzip", max_body_bytes=LIMIT).resource_spans
    with pytest.raises(DecodeError, match=f"more than {MAX_GZIP_MEMBERS} members"):
        decode_request(at_bound + gzip.compress(b""), PROTOBUF, "gzip", max_body_bytes=LIMIT)


def test_truncated_gzip_is_400():
    body = gzip.compress(make_request(make_span()).SerializeToString())
    with pytest.raises(DecodeError, match="truncated"):
        decode_request(body[:-9], PROTOBUF, "gzip", max_body_bytes=LIMIT)


def _nested(levels: int, leaf: str) -> ExportTraceServiceRequest:
    """A span attribute nesting ``levels`` arrays and kvlists, alternately."""
    request = make_request(make_span())
    value = request.resource_spans[0].scope_spans[0].spans[0].attributes.add(key="k").value
    for level in range(levels):
        if level % 2:
            value = value.kvlist_value.values.add(key="x").value
        else:
            value = value.array_value.values.add()
    if leaf == "string":
        value.string_value = "leaf"
    else:  # an empty array: one more message level
        value.array_value.SetInParent()
    return request


def _as_json(request: ExportTraceServiceRequest, proto_names: bool) -> bytes:
    document = json_format.MessageToDict(request, preserving_proto_field_name=proto_names)
    for resource_spans in document.get("resourceSpans", document.get("resource_spans", [])):
        for scope_spans in resource_spans.get("scopeSpans", resource_spans.get("scope_spans")):
            for span in scope_spans["spans"]:
                for name in ("traceId", "trace_id", "spanId", "span_id"):
                    if name in span:
                        span[name] = base64.b64decode(span[name]).hex()
    return json.dumps(document).encode()


@pytest.mark.parametrize("leaf", ["string", "empty array"])
def test_protobuf_and_both_json_paths_share_the_nesting_limit(leaf):
    outcomes = set()
    for levels in range(30, 42):
        request = _nested(levels, leaf)
        bodies = [
            (request.SerializeToString(), PROTOBUF),
            (_as_json(request, proto_names=False), JSON),  # the fast path
            (_as_json(request, proto_names=True), JSON),  # the ParseDict path
        ]
        answers = []
        for body, content_type in bodies:
            try:
                decode_request(body, content_type, None, max_body_bytes=LIMIT)
                answers.append("ok")
            except DecodeError as exc:
                assert f"more than {MAX_NESTING_DEPTH} levels deep" in str(exc)
                answers.append("too deep")
        assert len(set(answers)) == 1, (levels, answers)
        outcomes.add(answers[0])
    assert outcomes == {"ok", "too deep"}  # the range crosses the limit


def test_json_nested_past_pythons_recursion_limit_is_400():
    body = b'{"resourceSpans":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    with pytest.raises(DecodeError, match="levels deep"):
        decode_request(body, JSON, None, max_body_bytes=LIMIT)


def test_oversize_body_is_413():
    with pytest.raises(PayloadTooLarge, match="over the 100-byte limit"):
        decode_request(b"x" * 101, PROTOBUF, None, max_body_bytes=100)


def test_gzip_bomb_stops_at_the_limit():
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros in ~50 KB
    assert len(bomb) < 100_000
    with pytest.raises(PayloadTooLarge, match="decompressed body is over the 1000000-byte limit"):
        decode_request(bomb, PROTOBUF, "gzip", max_body_bytes=1_000_000)


def test_unsupported_content_type_is_415():
    with pytest.raises(UnsupportedMediaType, match=r"'text/plain' is not supported.*x-protobuf"):
        decode_request(b"{}", "text/plain", None, max_body_bytes=LIMIT)
    with pytest.raises(UnsupportedMediaType, match="'none'"):
        decode_request(b"{}", "", None, max_body_bytes=LIMIT)


def test_unsupported_content_encoding_is_415():
    with pytest.raises(UnsupportedMediaType, match="Content-Encoding 'br'"):
        decode_request(b"", PROTOBUF, "br", max_body_bytes=LIMIT)


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "message"),
    [
        (b"\xff\xff\xff\xff", PROTOBUF, None, "not a protobuf ExportTraceServiceRequest"),
        (b"not json", JSON, None, "not valid UTF-8 JSON"),
        (b"\xff\xfe", JSON, None, "not valid UTF-8 JSON"),
        (b"[1, 2]", JSON, None, "must be an object"),
        (b'{"resourceSpans": 3}', JSON, None, "not an OTLP/JSON ExportTraceServiceRequest"),
        (b"plain bytes", PROTOBUF, "gzip", "not valid gzip data"),
        (gzip.compress(b"abc")[:-6], PROTOBUF, "gzip", "truncated"),
    ],
)
def test_garbage_bodies_are_400_with_the_reason(body, content_type, encoding, message):
    with pytest.raises(DecodeError, match=message):
        decode_request(body, content_type, encoding, max_body_bytes=LIMIT)


def test_errors_carry_their_http_status():
    assert (UnsupportedMediaType.status, PayloadTooLarge.status, DecodeError.status) == (
        415,
        413,
        400,
    )


def test_full_success_response_is_empty():
    assert encode_response(0, "", PROTOBUF) == b""
    assert encode_response(0, "", JSON) == b"{}"


def test_partial_success_response_in_the_request_content_type():
    body = encode_response(2, "span 'x': trace_id must be 16 bytes", PROTOBUF)
    response = ExportTraceServiceResponse.FromString(body)
    assert response.partial_success.rejected_spans == 2
    assert response.partial_success.error_message == "span 'x': trace_id must be 16 bytes"
    document = json.loads(encode_response(2, "bad ids", "application/json; charset=utf-8"))
    assert document == {"partialSuccess": {"rejectedSpans": "2", "errorMessage": "bad ids"}}
    assert json_format.ParseDict(
        document, ExportTraceServiceResponse()
    ) == ExportTraceServiceResponse.FromString(encode_response(2, "bad ids", PROTOBUF))


def test_status_body_for_errors():
    assert Status.FromString(encode_status(400, "bad body", PROTOBUF)) == Status(
        code=400, message="bad body"
    )
    assert json.loads(encode_status(413, "too big", JSON)) == {"code": 413, "message": "too big"}


def _parse_dict_reference(document: dict) -> ExportTraceServiceRequest:
    """What protobuf's own JSON parser makes of ``document`` (ids converted to base64)."""
    from llmpulse_collector.ingest._otlp_json import hex_ids_to_base64

    document = copy.deepcopy(document)
    hex_ids_to_base64(document)
    return json_format.ParseDict(document, ExportTraceServiceRequest(), ignore_unknown_fields=True)


def test_otlp_json_fast_path_builds_what_protobufs_parser_builds():
    # Every kind of value, events, links, dropped counts, scope attributes, schema URLs.
    request = make_request(
        make_span(
            {
                "s": "x",
                "i": -3,
                "f": 1.5,
                "b": True,
                "arr": ["a", 1],
                "kv": {"k": [True]},
                "raw": b"\x00\xff",
            },
            parent_span_id=PARENT_ID,
            events=[("exception", 5, {"exception.type": "E"}), ("empty", 6, {})],
        ),
        make_span(span_id=bytes.fromhex("00000000000000aa"), status=2, status_message="bad"),
        resource={"service.name": "bot", "k8s.pod.uid": "1"},
    )
    span = request.resource_spans[0].scope_spans[0].spans[0]
    span.links.add(trace_id=TRACE_ID, span_id=SPAN_ID, trace_state="a=b", flags=1).attributes.add(
        key="l"
    )
    span.dropped_attributes_count, span.dropped_events_count, span.flags = 1, 2, 257
    span.attributes.add(key="nan").value.double_value = float("inf")
    request.resource_spans[0].schema_url = "https://opentelemetry.io/schemas/1.26.0"
    request.resource_spans[0].scope_spans[0].scope.attributes.add(key="scope.k")
    document = json.loads(json_format.MessageToJson(request))
    for span_doc in document["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span_doc:
                span_doc[key] = base64.b64decode(span_doc[key]).hex()
        for link in span_doc.get("links", []):
            link["traceId"] = base64.b64decode(link["traceId"]).hex()
            link["spanId"] = base64.b64decode(link["spanId"]).hex()

    decoded = decode_request(json.dumps(document).encode(), JSON, None, max_body_bytes=LIMIT)
    assert decoded == request == _parse_dict_reference(document)


def test_otlp_json_with_proto_field_names_still_decodes():
    # lowerCamelCase is the OTLP/JSON spelling; proto names take the slower, general path.
    document = {
        "resource_spans": [
            {
                "scope_spans": [
                    {"spans": [{"trace_id": TRACE_ID.hex(), "span_id": SPAN_ID.hex(), "name": "n"}]}
                ]
            }
        ]
    }
    decoded = decode_request(json.dumps(document).encode(), JSON, None, max_body_bytes=LIMIT)
    span = decoded.resource_spans[0].scope_spans[0].spans[0]
    assert (span.trace_id, span.span_id, span.name) == (TRACE_ID, SPAN_ID, "n")


def test_otlp_json_unknown_enum_name_is_unspecified():
    document = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": TRACE_ID.hex(),
                                "spanId": SPAN_ID.hex(),
                                "kind": "SPAN_KIND_WEIRD",
                            }
                        ]
                    }
                ]
            }
        ]
    }
    decoded = decode_request(json.dumps(document).encode(), JSON, None, max_body_bytes=LIMIT)
    assert decoded.resource_spans[0].scope_spans[0].spans[0].kind == 0  # like an unknown field
