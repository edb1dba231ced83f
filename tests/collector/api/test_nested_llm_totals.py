"""One LLM call counts once when LLM spans nest: an ``@observe(span_type="llm")`` span
around ``messages.create`` holds the anthropic SDK's own ``chat`` span (both carry the
call's usage). Every total (trace list and detail, users, metrics, cost) counts it once,
with the inner span arriving in an earlier export than its wrapper."""

from __future__ import annotations

import time

import pytest

from tests.collector.api.conftest import Api, otlp_request, otlp_span

TRACE = "1" * 32
ROOT, WRAPPER, INNER, OTHER = "a" * 16, "b" * 16, "c" * 16, "d" * 16
USAGE = {
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 200,
}


@pytest.fixture
def nested(api: Api) -> Api:
    start = time.time_ns() - 60_000_000_000
    inner = otlp_span(
        TRACE,
        INNER,
        "chat claude-sonnet-4-5",
        parent=WRAPPER,
        start_ns=start + 2_000_000,
        duration_ms=800,
        attrs={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-sonnet-4-5",
            **USAGE,
        },
    )
    wrapper = otlp_span(
        TRACE,
        WRAPPER,
        "answer",
        parent=ROOT,
        start_ns=start + 1_000_000,
        duration_ms=810,
        attrs={
            "llmpulse.span_type": "llm",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-sonnet-4-5",
            **USAGE,
        },
    )
    other = otlp_span(  # a second call, not nested: counted
        TRACE,
        OTHER,
        "chat gpt-4o-mini",
        parent=ROOT,
        start_ns=start + 900_000_000,
        duration_ms=50,
        attrs={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 5,
        },
    )
    root = otlp_span(
        TRACE,
        ROOT,
        "POST /ask",
        start_ns=start,
        duration_ms=1000,
        attrs={"llmpulse.span_type": "chain", "user.id": "u-1"},
    )
    for batch in ([inner], [wrapper, other], [root]):
        assert api.send(otlp_request(*batch)).status_code == 200
    return api


def _ok(api: Api, path: str, **params: object) -> dict:  # type: ignore[type-arg]
    resp = api.get(path, **params)
    assert resp.status_code == 200, resp.text
    body: dict = resp.json()  # type: ignore[type-arg]
    return body


def test_trace_totals_count_the_nested_call_once(nested: Api) -> None:
    detail = _ok(nested, f"/api/v1/traces/{TRACE}")
    spans = {s["span_id"]: s for s in _walk(detail["roots"])}
    one_call = spans[INNER]["cost_usd"]
    assert one_call > 0 and spans[WRAPPER]["cost_usd"] == pytest.approx(one_call)
    expected_cost = pytest.approx(one_call + spans[OTHER]["cost_usd"])
    assert (detail["input_tokens"], detail["output_tokens"]) == (1010, 205)
    assert detail["cost_usd"] == expected_cost

    [listed] = _ok(nested, "/api/v1/traces")["traces"]
    assert listed["llm_calls"] == 2
    assert listed["total_tokens"] == 1215
    assert listed["cost_usd"] == expected_cost
    # filters and sorts use the same totals
    assert _ok(nested, "/api/v1/traces", min_cost_usd=one_call * 0.9)["traces"]
    assert not _ok(nested, "/api/v1/traces", min_cost_usd=one_call * 1.5)["traces"]

    [user] = _ok(nested, "/api/v1/users")["users"]
    assert user["total_tokens"] == 1215
    assert user["cost_usd"] == expected_cost


def test_metrics_and_cost_count_the_nested_call_once(nested: Api) -> None:
    detail = _ok(nested, f"/api/v1/traces/{TRACE}")
    [summary] = _ok(nested, "/api/v1/metrics/summary")["groups"]
    assert (summary["input_tokens"], summary["output_tokens"]) == (1010, 205)
    assert summary["cost_usd"] == pytest.approx(detail["cost_usd"])
    [series] = _ok(nested, "/api/v1/metrics/timeseries")["series"]
    assert series["totals"]["input_tokens"] == 1010
    cost = _ok(nested, "/api/v1/cost", group_by="model")
    assert cost["total_cost_usd"] == pytest.approx(detail["cost_usd"])
    by_model = {g["group"]: g for g in cost["groups"]}
    assert by_model["claude-sonnet-4-5"]["llm_calls"] == 1
    assert by_model["claude-sonnet-4-5"]["input_tokens"] == 1000


def _walk(spans: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    out = []
    for span in spans:
        out.append(span)
        out.extend(_walk(span["children"]))
    return out


def test_openinference_langchain_around_openai_counts_once(api: Api) -> None:
    """openinference-instrumentation-langchain's ChatOpenAI span around
    openinference-instrumentation-openai's ChatCompletion span, both with usage."""
    start = time.time_ns() - 60_000_000_000
    usage = {"llm.token_count.prompt": 14, "llm.token_count.completion": 1}
    common = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", **usage}
    inner = otlp_span(
        TRACE,
        INNER,
        "ChatCompletion",
        parent=WRAPPER,
        start_ns=start + 1_000_000,
        duration_ms=300,
        attrs={
            **common,
            "llm.provider": "openai",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "What is 2+2?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "4",
        },
    )
    wrapper = otlp_span(
        TRACE,
        WRAPPER,
        "ChatOpenAI",
        parent=ROOT,
        start_ns=start,
        duration_ms=310,
        attrs={**common, "input.value": '{"messages": [[{"lc": 1}]]}'},
    )
    root = otlp_span(
        TRACE, ROOT, "RunnableSequence", start_ns=start, duration_ms=320,
        attrs={"openinference.span.kind": "CHAIN"},
    )  # fmt: skip
    assert api.send(otlp_request(inner, wrapper, root)).status_code == 200
    detail = _ok(api, f"/api/v1/traces/{TRACE}")
    spans = {s["span_id"]: s for s in _walk(detail["roots"])}
    assert spans[INNER]["input"] == '[{"role":"user","content":"What is 2+2?"}]'
    assert (detail["input_tokens"], detail["output_tokens"]) == (14, 1)
    assert detail["cost_usd"] == pytest.approx(spans[INNER]["cost_usd"])
    [listed] = _ok(api, "/api/v1/traces")["traces"]
    assert (listed["llm_calls"], listed["total_tokens"]) == (1, 15)
