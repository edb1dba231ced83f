"""Costs at ingest come from genai-prices' bundled tables, unless the span carries one."""

from __future__ import annotations

import socket

import pytest
from genai_prices import Usage, calc_price

from llmpulse_collector.ingest import compute_cost, normalize
from tests.collector.ingest.otlp_builders import NOW, make_request, make_span, normalize_one


def _genai_prices(model: str, provider: str | None, **tokens: int) -> float:
    return float(calc_price(Usage(**tokens), model, provider_id=provider).total_price)


@pytest.mark.parametrize(
    ("provider", "model", "genai_prices_provider"),
    [
        ("openai", "gpt-4o-mini", "openai"),
        ("openai", "gpt-4o-2024-08-06", "openai"),
        ("anthropic", "claude-sonnet-4-5", "anthropic"),
        ("azure.ai.openai", "gpt-4o", "azure"),
        ("gcp.vertex_ai", "gemini-2.5-flash", "google"),
        ("gcp.gemini", "gemini-2.5-flash", "google"),
        ("aws.bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", "aws"),
        ("", "gpt-4o", None),  # no provider: genai-prices infers it from the model
        ("some-gateway", "gpt-4o", None),  # a provider genai-prices does not know: same
    ],
)
def test_known_models_are_priced_like_genai_prices(provider, model, genai_prices_provider):
    tokens = {
        "input_tokens": 1200,
        "output_tokens": 300,
        "cache_read_tokens": 400,
        "cache_write_tokens": 100,
    }
    cost = compute_cost(provider, model, **tokens)
    assert cost is not None and cost > 0
    assert cost == pytest.approx(_genai_prices(model, genai_prices_provider, **tokens), rel=1e-9)


def test_tiered_prices_above_the_threshold_are_exact():
    # claude-sonnet-4-5 costs more per token above 200k input tokens.
    tokens = {"input_tokens": 250_000, "output_tokens": 1000}
    cost = compute_cost("anthropic", "claude-sonnet-4-5", **tokens)
    assert cost == pytest.approx(
        _genai_prices("claude-sonnet-4-5", "anthropic", **tokens), rel=1e-9
    )
    below = compute_cost("anthropic", "claude-sonnet-4-5", input_tokens=200_000, output_tokens=1000)
    assert cost is not None and below is not None and cost / 250_000 > below / 200_000


def test_llm_span_is_priced_at_ingest():
    row = normalize_one(
        {
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 100,
        }
    )
    expected = _genai_prices("gpt-4o-mini", "openai", input_tokens=1000, output_tokens=100)
    assert row.cost_usd == pytest.approx(expected, rel=1e-9)


def test_carried_cost_wins_over_the_price_table():
    attrs = {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 100,
    }
    assert normalize_one({**attrs, "llmpulse.cost_usd": 0.5}).cost_usd == 0.5
    assert normalize_one({**attrs, "gen_ai.usage.cost": 0.25}).cost_usd == 0.25  # OpenLIT
    assert (
        normalize_one({**attrs, "llmpulse.cost_usd": 0.5, "gen_ai.usage.cost": 0.25}).cost_usd
        == 0.5
    )


def test_unknown_model_has_no_cost_and_is_counted():
    span = make_span(
        {
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "my-finetune-xyz",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 5,
        }
    )
    batch = normalize(make_request(span), project_id="p", now_ns=NOW)
    assert (batch.spans[0].cost_usd, batch.unpriced) == (None, 1)


def test_self_hosted_models_are_not_priced():
    assert compute_cost("ollama", "llama3.1", input_tokens=10, output_tokens=5) is None


def test_spans_without_model_or_tokens_are_not_priced_nor_counted():
    batch = normalize(
        make_request(
            make_span({"gen_ai.request.model": "gpt-4o"}),
            make_span({"gen_ai.usage.input_tokens": 5}),
        ),
        project_id="p",
        now_ns=NOW,
    )
    assert [row.cost_usd for row in batch.spans] == [None, None]
    assert batch.unpriced == 0


def test_pricing_never_touches_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("pricing tried to open a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert compute_cost("openai", "o3-mini", input_tokens=10, output_tokens=5) is not None
