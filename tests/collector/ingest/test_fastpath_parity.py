"""The compiled core (``_wire``) and the Python reference give the same columns.

Every request is serialized to OTLP protobuf bytes and fed to both paths: the
reference (``normalize(ExportTraceServiceRequest.FromString(body))``) and the compiled
reader (``_wire.normalize_protobuf(body)``, called directly so that a silent fallback
cannot pass for parity). Every column of the span batch, the evaluation rows, the
rejected count and messages, and the unpriced / invalid counts must be equal.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Mapping

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from llmpulse import semconv as sc
from llmpulse_collector.ingest import (
    DecodeError,
    IngestError,
    Limits,
    PayloadTooLarge,
    decode_and_normalize,
    normalize,
)
from llmpulse_collector.ingest._normalize import NormalizedBatch
from llmpulse_collector.model import SpanBatch
from tests.collector.ingest.otlp_builders import END, NOW, START, TRACE_ID, make_request, make_span
from tests.otlp import attributes

try:
    from llmpulse_collector.ingest import _wire
except ImportError:  # pragma: no cover - depends on the build
    pytest.skip(
        "the compiled ingest core is not built (run `python setup.py build_ext --inplace` "
        "or `pip install -e .`): nothing to compare the Python path with",
        allow_module_level=True,
    )

PROTOBUF = "application/x-protobuf"
LIMITS = Limits()


def _both(request: ExportTraceServiceRequest | bytes, limits: Limits = LIMITS):
    body = request if isinstance(request, bytes) else request.SerializeToString()
    reference = normalize(
        ExportTraceServiceRequest.FromString(body), project_id="p", now_ns=NOW, limits=limits
    )
    compiled = _wire.normalize_protobuf(body, "p", NOW, limits)
    return reference, compiled


def assert_same(reference: NormalizedBatch, compiled: NormalizedBatch) -> None:
    for name in SpanBatch.__slots__:
        assert getattr(compiled.spans, name) == getattr(reference.spans, name), name
    assert list(compiled.spans) == list(reference.spans)
    assert compiled.evaluations == reference.evaluations
    assert compiled.rejected == reference.rejected
    assert compiled.errors == reference.errors
    assert compiled.unpriced == reference.unpriced
    assert compiled.invalid_values == reference.invalid_values


def check(request: ExportTraceServiceRequest, limits: Limits = LIMITS) -> NormalizedBatch:
    reference, compiled = _both(request, limits)
    assert_same(reference, compiled)
    return reference


def one(attrs: Mapping[str, object], **options: object) -> NormalizedBatch:
    return check(make_request(make_span(attrs, **options)))  # type: ignore[arg-type]


MESSAGES_IN = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])
MESSAGES_OUT = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "yo"}]}])

CONVENTIONS: dict[str, dict[str, object]] = {
    "llmpulse": {
        sc.ATTR_SPAN_TYPE: "tool",
        sc.ATTR_TAGS: ["prod", "beta", "prod"],
        sc.ATTR_COST_USD: 0.25,
        sc.ATTR_TIME_TO_FIRST_TOKEN_MS: 120.5,
        sc.ATTR_SESSION_ID: "s-1",
        sc.ATTR_USER_ID: "u-1",
        sc.ATTR_INPUT_VALUE: '{"q": 1}',
        sc.ATTR_OUTPUT_VALUE: "answer",
        "llmpulse.metadata.team": "search",
        "tool.name": "lookup",
    },
    "gen_ai current": {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "OpenAI",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.usage.cache_read.input_tokens": 200,
        "gen_ai.usage.cache_creation.input_tokens": 10,
        "gen_ai.usage.reasoning.output_tokens": 50,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.input.messages": MESSAGES_IN,
        "gen_ai.output.messages": MESSAGES_OUT,
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "be brief"}]),
        "gen_ai.conversation.id": "conv-9",
    },
    "gen_ai deprecated": {
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-3-5-sonnet-20241022",
        "gen_ai.usage.prompt_tokens": "800",
        "gen_ai.usage.completion_tokens": 90.0,
        "gen_ai.usage.cache_read_input_tokens": 1000,
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "be nice",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "hello",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "hi!",
        "gen_ai.completion.0.finish_reason": "end_turn",
        "gen_ai.completion.0.tool_calls.0.name": "search",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"q":"x"}',
    },
    "openinference": {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini",
        "llm.provider": "openai",
        "llm.system": "openai",
        "llm.token_count.prompt": 30,
        "llm.token_count.completion": 7,
        "llm.token_count.total": 37,
        "llm.token_count.prompt_details.cache_read": 4,
        "input.value": '{"messages": []}',
        "input.mime_type": "application/json",
        "output.value": "Paris",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "You answer.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.contents.0.message_content.type": "text",
        "llm.input_messages.1.message.contents.0.message_content.text": "Capital",
        "llm.input_messages.1.message.contents.1.message_content.text": "of France?",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "Paris",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "geo",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{}",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
        "llm.input_messages.x.message.role": "ignored: not an index",
        "tag.tags": ["oi", "x"],
        "session.id": "sess",
    },
    "openinference without input.value": {
        "openinference.span.kind": "llm",
        "llm.model_name": "gpt-4o",
        "llm.token_count.total": 50,
        "llm.token_count.completion": 20,
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "q",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "a",
    },
    "openllmetry": {
        "traceloop.span.kind": "tool",
        "traceloop.entity.name": "weather",
        "traceloop.entity.input": '{"city": "Oslo"}',
        "traceloop.entity.output": '{"temp": 3}',
        "traceloop.association.properties.session_id": "tl-s",
        "traceloop.association.properties.user_id": "tl-u",
        "llm.request.type": "chat",
        "llm.usage.total_tokens": 10,
        "llm.usage.prompt_tokens": 6,
        "llm.usage.completion_tokens": 4,
        "llm.request.model": "gpt-3.5-turbo",
        "llm.response.model": "gpt-3.5-turbo-0125",
    },
    "openlit": {
        "gen_ai.system": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.usage.total_tokens": 15,
        "gen_ai.usage.cost": 0.0001,
        "gen_ai.server.time_to_first_token": 0.25,
        "gen_ai.response.finish_reasons": '["stop"]',
        "deployment.environment": "prod",
    },
    "unknown model, unpriced": {
        "gen_ai.request.model": "my-own-model",
        "gen_ai.provider.name": "ollama",
        "gen_ai.usage.input_tokens": 5,
        "gen_ai.usage.output_tokens": 5,
    },
}


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_conventions(convention: str) -> None:
    batch = one(CONVENTIONS[convention], kind=Span.SPAN_KIND_CLIENT, parent_span_id=b"\x01" * 8)
    assert len(batch.spans) == 1 and not batch.rejected


def test_values_of_every_type() -> None:
    batch = one(
        {
            "s": "text",
            "empty": "",
            "i": -42,
            "big": 2**63 - 1,
            "f": 1.5,
            "nan": float("nan"),
            "inf": float("-inf"),
            "t": True,
            "b": b"\x00\xffbytes",
            "arr": ["a", 1, 2.5, False, None.__class__.__name__],
            "arr_empty": [],
            "kv": {"a": 1, "nested": {"b": [1, {"c": "d"}]}, "e": ""},
            "kv_empty": {},
            "unicode": "žluťoučký 🐎",
        }
    )
    assert batch.spans[0].attributes["kv"] == '{"a":1,"nested":{"b":[1,{"c":"d"}]},"e":""}'


def test_unset_values_and_duplicate_keys() -> None:
    span = make_span({"gen_ai.usage.input_tokens": 3, "k": "first"})
    span.attributes.add(key="k", value=attributes({"x": "second"})[0].value)
    span.attributes.add(key="no-value")
    span.attributes.add(key="gen_ai.usage.input_tokens").value.int_value = 9
    empty = span.attributes.add(key="arr").value.array_value.values
    empty.add()  # an array item with no value
    empty.add(string_value="")
    span.attributes.add(key="kv").value.kvlist_value.values.add(key="unset")
    check(make_request(span))


def test_events() -> None:
    events = [
        ("exception", START + 5, {"exception.type": "ValueError", "exception.message": "bad"}),
        ("exception", START + 6, {"exception.type": "Second"}),
        (
            sc.EVENT_EVALUATION_RESULT,
            START + 10,
            {
                sc.ATTR_EVALUATION_NAME: "relevance",
                sc.ATTR_EVALUATION_SCORE_VALUE: 0.75,
                sc.ATTR_EVALUATION_EXPLANATION: "ok",
            },
        ),
        (
            sc.EVENT_EVALUATION_RESULT,
            START + 11,
            {sc.ATTR_EVALUATION_NAME: "json", sc.ATTR_EVALUATION_PASSED: False},
        ),
        (sc.EVENT_EVALUATION_RESULT, START + 12, {sc.ATTR_EVALUATION_SCORE_LABEL: "pass"}),
        ("gen_ai.system.message", START + 1, {"content": "sys"}),
        ("gen_ai.user.message", START + 2, {"content": "question", "id": 3}),
        (
            "gen_ai.choice",
            START + 3,
            {"index": 0, "finish_reason": "stop", "message": {"content": "answer"}},
        ),
        ("First Token Stream Event", START + 2_000_000, {}),
        ("gen_ai.content.completion.chunk", START + 1_000_000, {"x": b"\x01"}),
        ("custom", START + 4, {"big": "x" * 10_000, "arr": [1, "a"], "kv": {"k": [True]}}),
    ]
    batch = one(
        {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 4},
        events=events,
        status=Status.STATUS_CODE_ERROR,
    )
    assert len(batch.evaluations) == 3


@pytest.mark.parametrize(
    "event",
    [
        ("gen_ai.content.prompt", {"gen_ai.prompt": "old prompt"}),
        ("gen_ai.content.completion", {"gen_ai.completion": "old completion"}),
        (
            "gen_ai.client.inference.operation.details",
            {
                "gen_ai.input.messages": MESSAGES_IN,
                "gen_ai.output.messages": MESSAGES_OUT,
                "gen_ai.system_instructions": "plain instructions",
            },
        ),
    ],
)
def test_content_events(event: tuple[str, dict[str, object]]) -> None:
    name, attrs = event
    one({"gen_ai.request.model": "gpt-4o"}, events=[(name, START + 1, attrs)])


def test_many_events_and_an_evaluation_in_the_future() -> None:
    many = [(f"e{i}", START + i, {"i": i}) for i in range(200)]
    one({}, events=many)
    future = [(sc.EVENT_EVALUATION_RESULT, NOW + 10**15, {sc.ATTR_EVALUATION_NAME: "late"})]
    batch = one({}, events=future)
    assert batch.rejected == 1


def test_counts_over_the_limits() -> None:
    attrs: dict[str, object] = {f"attr.{i:03}": i for i in range(200)}
    attrs["gen_ai.request.model"] = "gpt-4o"  # past the 128 kept: still read
    attrs[sc.ATTR_TAGS] = [f"tag{i}" for i in range(100)]
    attrs["tag.tags"] = "a, b, ,c"
    batch = one(attrs)
    row = batch.spans[0]
    assert row.attributes["llmpulse.dropped_attributes"] == "75"
    assert row.model == "gpt-4o"
    resource = {f"r{i}": "v" for i in range(150)}
    resource["service.name"] = "svc"
    check(make_request(make_span({"a": 1}), resource=resource))


def test_event_attributes_over_the_limit() -> None:
    many: dict[str, object] = {f"attr.{i:03}": i for i in range(200)}
    evaluation = {**many, sc.ATTR_EVALUATION_NAME: "judge", sc.ATTR_EVALUATION_SCORE_VALUE: 0.5}
    batch = one(
        {},
        events=[("log", START + 1, many), (sc.EVENT_EVALUATION_RESULT, START + 2, evaluation)],
    )
    stored = json.loads(batch.spans[0].events)
    assert [len(event["attributes"]) for event in stored] == [128, 128]
    assert [event["dropped_attributes_count"] for event in stored] == [72, 74]
    # the evaluation is read from every attribute, kept or not
    assert [(row.name, row.score) for row in batch.evaluations] == [("judge", 0.5)]


def test_lengths_over_the_limits() -> None:
    long_text = "ü" * 40_000
    one(
        {
            "k" * 300: "value of a long key",
            "v": "x" * 9_000,
            "input.value": long_text,
            "output.value": "y" * 9_000,
            "gen_ai.request.model": "m" * 300,
            "gen_ai.provider.name": "p" * 300,
            "session.id": "s" * 300,
            "user.id": "u" * 300,
            "gen_ai.tool.name": "t" * 300,
            "gen_ai.response.finish_reasons": ["r" * 300],
            sc.ATTR_TAGS: ["g" * 300],
        },
        name="n" * 2_000,
        status=Status.STATUS_CODE_ERROR,
        status_message="s" * 9_000,
    )
    check(make_request(make_span({}), scope="c" * 2_000, resource={"service.name": "v" * 300}))


@pytest.mark.parametrize(
    "attrs",
    [
        {"gen_ai.usage.input_tokens": -1, "gen_ai.usage.output_tokens": "abc"},
        {"gen_ai.usage.input_tokens": 10**12, "gen_ai.usage.output_tokens": "1e3"},
        {"gen_ai.usage.input_tokens": "12.7", "gen_ai.usage.reasoning_tokens": [1]},
        {sc.ATTR_COST_USD: -0.5, sc.ATTR_TIME_TO_FIRST_TOKEN_MS: -3},
        {sc.ATTR_COST_USD: "NaN", "gen_ai.usage.cost": "inf"},
        {sc.ATTR_COST_USD: 10**7, sc.ATTR_TIME_TO_FIRST_TOKEN_MS: "fast"},
        {"gen_ai.usage.input_tokens": float("nan"), "gen_ai.usage.output_tokens": -(2**63)},
        {"gen_ai.operation.name": "nonsense", "openinference.span.kind": " Chain "},
        {"llmpulse.span_type": ["agent"], "gen_ai.provider.name": True},
        {"gen_ai.usage.cost": 0, "gen_ai.usage.input_tokens": 10},
        {sc.ATTR_COST_USD: 0.0, "gen_ai.usage.output_tokens": 3},
    ],
)
def test_bad_numbers_and_values(attrs: dict[str, object]) -> None:
    one({"gen_ai.request.model": "gpt-4o", **attrs})


@pytest.mark.parametrize("status", [Status.STATUS_CODE_OK, Status.STATUS_CODE_ERROR])
def test_unpriced_calls(status: int) -> None:
    attrs = {"gen_ai.request.model": "no-such-model-x", "gen_ai.usage.input_tokens": 9}
    one(attrs, status=status)
    one({**attrs, "gen_ai.usage.cost": 0}, status=status)


@pytest.mark.parametrize(
    "options",
    [
        {"trace_id": b"\x01" * 15},
        {"trace_id": bytes(16)},
        {"trace_id": b""},
        {"span_id": bytes(8)},
        {"span_id": b"\x01" * 9},
        {"parent_span_id": b"\x01" * 3},
        {"parent_span_id": bytes(8)},
    ],
)
def test_invalid_ids(options: dict[str, object]) -> None:
    good = make_span({"a": 1}, name="good")
    bad = make_span({"a": 1}, name="bad " * 50, **options)  # type: ignore[arg-type]
    check(make_request(good, bad, good))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (NOW - 31 * 86_400 * 10**9, NOW - 31 * 86_400 * 10**9 + 5),  # older than retention
        (NOW + 2 * 86_400 * 10**9, NOW + 2 * 86_400 * 10**9),  # future
        (START, NOW + 2 * 86_400 * 10**9),  # ends in the future
        (0, 0),
        (2**64 - 1, 2**64 - 1),
        (END, START),  # ends before it starts
    ],
)
def test_times(start: int, end: int) -> None:
    span = make_span({"a": 1})
    span.start_time_unix_nano = start
    span.end_time_unix_nano = end
    check(make_request(span))


def test_kinds_and_statuses_out_of_range() -> None:
    spans = []
    for kind in (0, 5, 6, -1):
        for code in (0, 1, 2, 3, -2):
            span = make_span({"x": kind}, kind=kind, status=code, status_message=f"m{code}")
            spans.append(span)
    check(make_request(*spans))


def test_resources_and_scopes() -> None:
    request = make_request(
        make_span({"a": 1}),
        resource={"service.name": "one", "deployment.environment.name": "prod", "n": 3},
        scope="s1",
    )
    request.resource_spans.add()  # no resource, no scopes
    second = request.resource_spans.add()
    second.resource.attributes.extend(attributes({"deployment.environment": "dev", "k": [1]}))
    scope = second.scope_spans.add()  # no scope message
    scope.spans.append(make_span({"b": 2}, span_id=b"\x02" * 8))
    scope = second.scope_spans.add()
    scope.scope.name = "s2"
    scope.scope.version = "1.0"
    scope.scope.attributes.extend(attributes({"lib": "x"}))
    scope.spans.append(make_span({"c": 3}, span_id=b"\x03" * 8))
    span = make_span({}, span_id=b"\x04" * 8)
    span.links.add(trace_id=TRACE_ID, span_id=b"\x05" * 8, trace_state="a=b").attributes.extend(
        attributes({"l": 1})
    )
    span.trace_state = "k=v"
    span.flags = 0x301
    span.dropped_attributes_count = 4
    scope.spans.append(span)
    check(request)
    # two exports back to back are one export with both resource lists
    body = request.SerializeToString()
    assert_same(*_both(body + body))


def test_random_spans() -> None:
    """Spans drawn at random from every key the conventions know, and values of every
    type: whatever the mix, the two paths agree."""
    from llmpulse_collector.ingest._conventions import INDEXED_PREFIXES, KEYS, TAG_KEYS

    rng = random.Random(9)
    keys = [
        *KEYS,
        *TAG_KEYS,
        *(
            f"{p}{i}.{f}"
            for p in INDEXED_PREFIXES
            for i in range(2)
            for f in ("role", "content", "message.role", "message.content", "finish_reason")
        ),
    ]
    keys += ["plain", "service.name"]
    values: list[object] = [
        "gpt-4o", "openai", "chat", "LLM", "tool", "12", "3.5", "", "[1, 2]", '["a"]', " x ",
        7, 0, -3, 10**10, 0.5, float("inf"), True, False, ["stop", "length"], [1, "a"], {"a": 1},
        b"\x01", MESSAGES_IN, "nan",
    ]  # fmt: skip
    spans = []
    for i in range(300):
        attrs = {rng.choice(keys): rng.choice(values) for _ in range(rng.randint(0, 25))}
        events = [
            (rng.choice(["exception", "gen_ai.choice", "gen_ai.user.message", "x"]), START + j,
             {rng.choice(["content", "finish_reason", "exception.type"]): rng.choice(values)})
            for j in range(rng.choice([0, 0, 0, 1, 3]))
        ]  # fmt: skip
        spans.append(
            make_span(
                attrs,
                span_id=i.to_bytes(8, "big") if i else b"\x00" * 7 + b"\x09",
                events=events,
                status=rng.choice([0, 1, 2]),
            )
        )
    batch = check(make_request(*spans))
    assert len(batch.spans) == 300


def test_request_too_large_is_refused_alike() -> None:
    limits = Limits(max_expanded_chars=5_000)
    request = make_request(*(make_span({"v": "x" * 1_000}, span_id=bytes([1 + i]) * 8)
                             for i in range(8)))  # fmt: skip
    body = request.SerializeToString()
    with pytest.raises(PayloadTooLarge) as reference:
        normalize(request, project_id="p", now_ns=NOW, limits=limits)
    with pytest.raises(PayloadTooLarge) as compiled:
        _wire.normalize_protobuf(body, "p", NOW, limits)
    assert str(compiled.value) == str(reference.value)


def _patched(body: bytes, old: bytes, new: bytes) -> bytes:
    assert body.count(old) == 1
    return body.replace(old, new)


GOOD = make_request(make_span({"KEY1": "VAL1"}, name="NAME")).SerializeToString()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(GOOD[:-3], id="truncated"),
        pytest.param(_patched(GOOD, b"KEY1", b"\xff\xfeK1"), id="invalid utf-8 key"),
        pytest.param(_patched(GOOD, b"NAME", b"NA\xc3("), id="invalid utf-8 name"),
        pytest.param(GOOD + b"\x12\x00", id="unknown field"),
        pytest.param(GOOD + b"\x08\x01", id="wrong wire type"),
        pytest.param(b"\x0a\x05\x0a\x03\x0a\x01", id="nested garbage"),
    ],
)
def test_bodies_left_to_protobuf_get_the_same_answer(body: bytes) -> None:
    """What the compiled reader does not take, the protobuf runtime answers: the
    request as a whole gets exactly what the Python path gives it."""
    with pytest.raises(_wire.Fallback):
        _wire.normalize_protobuf(body, "p", NOW, LIMITS)
    try:
        expected: object = normalize(
            ExportTraceServiceRequest.FromString(body), project_id="p", now_ns=NOW
        )
    except Exception as exc:  # the protobuf runtime refuses it
        expected = type(exc)
    try:
        got: object = decode_and_normalize(
            body, PROTOBUF, None, max_body_bytes=10**6, project_id="p", now_ns=NOW
        )
    except IngestError as exc:
        assert isinstance(exc, DecodeError)
        got = type(exc)
        assert expected is not NormalizedBatch
    else:
        assert isinstance(got, NormalizedBatch) and isinstance(expected, NormalizedBatch)
        assert_same(expected, got)


def test_deep_values_are_left_to_protobuf() -> None:
    value: object = "leaf"
    for _ in range(30):  # 60 messages deep: protobuf takes it, the compiled reader does not
        value = [value]
    body = make_request(make_span({"deep": value})).SerializeToString()
    with pytest.raises(_wire.Fallback):
        _wire.normalize_protobuf(body, "p", NOW, LIMITS)
    batch = decode_and_normalize(
        body, PROTOBUF, None, max_body_bytes=10**6, project_id="p", now_ns=NOW
    )
    assert len(batch.spans) == 1


def test_the_pure_python_switch() -> None:
    code = "import llmpulse_collector.ingest as i; print(i.COMPILED)"
    env = {**os.environ, "LLMPULSE_PURE_PYTHON": "1"}
    pure = subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
    )
    env.pop("LLMPULSE_PURE_PYTHON")
    built = subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
    )
    assert (pure.stdout.strip(), built.stdout.strip()) == ("False", "True")
