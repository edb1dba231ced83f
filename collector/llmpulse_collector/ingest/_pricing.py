"""The cost of an LLM call, from the price tables bundled with ``genai-prices``.

We build our own ``DataSnapshot`` from the bundled data, so no price update is ever
fetched from the network. ``genai-prices`` computes in ``Decimal`` through a unit
registry (~150 µs a call), too slow for every span, so per (provider, model) we
resolve the model once (LRU cache) and per price table we probe ``genai-prices`` a
few times to learn its linear rates: per request, per input, output, cache-read and
cache-write token. A call is then four multiplications. Tiered prices (e.g. above
200k input tokens) are linear below their first threshold; above it, and for usage
that the rates cannot express, we ask ``genai-prices`` directly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

__all__ = ["compute_cost", "provider_id"]

# Names seen in gen_ai.provider.name / gen_ai.system / llm.provider / llm.system that
# genai-prices does not resolve to the provider we mean. Other names are passed as they
# are (genai-prices knows "openai", "aws.bedrock", "gcp.vertex_ai", "mistral_ai", ...).
_PROVIDER_IDS: Final[dict[str, str]] = {
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "az.ai.openai": "azure",
    "az.ai.inference": "azure",
    "azure_openai": "azure",
    "azure_ai": "azure",
    "gcp.vertex_ai": "google",
    "gcp.gemini": "google",
    "gcp.gen_ai": "google",
    "x_ai": "x-ai",
    "fireworks_ai": "fireworks",
    "fireworks-ai": "fireworks",
}
# Models served by these run on the user's own hardware: no list price applies.
_SELF_HOSTED: Final = frozenset({"ollama", "vllm", "lmstudio", "llama.cpp", "llamacpp", "local"})
_PROBE: Final = 1000  # tokens per probe: far below any price tier threshold


def provider_id(provider: str) -> str | None:
    """The genai-prices provider id for a provider name (None: infer from the model)."""
    name = provider.strip().lower()
    if not name:
        return None
    return _PROVIDER_IDS.get(name, name)


@dataclass(frozen=True, slots=True)
class _Rates:
    per_request: float
    input: float  # per input token (cache reads and writes are part of input)
    output: float
    cache_read: float  # added per cache-read token (usually negative: a discount)
    cache_write: float
    linear_up_to: int | None  # input tokens up to which these rates hold; None: always


@dataclass(slots=True)
class _Model:
    provider: Any  # genai_prices.types.Provider
    info: Any  # genai_prices.types.ModelInfo
    dated: bool  # prices that depend on the request time (ConditionalPrice list)
    # by id() of the genai_prices ModelPrice they were probed from; None: cannot price
    rates: dict[int, _Rates | None]


_lock = threading.Lock()
_snapshot: Any = None


def _bundled_snapshot() -> Any:
    """genai-prices' bundled tables, in a snapshot of our own (never auto-updated)."""
    global _snapshot  # noqa: PLW0603
    with _lock:
        if _snapshot is None:
            from genai_prices.data import providers
            from genai_prices.data_snapshot import DataSnapshot

            _snapshot = DataSnapshot(providers=providers, from_auto_update=False)
        return _snapshot


@lru_cache(maxsize=4096)
def _resolve(provider: str, model: str) -> _Model | None:
    if not model or provider.strip().lower() in _SELF_HOSTED:
        return None
    snapshot = _bundled_snapshot()
    pid = provider_id(provider)
    try:
        found = snapshot.find_provider_model(model, None, pid, None)
    except LookupError:
        if pid is None:
            return None
        # A provider genai-prices does not know: let it infer one from the model.
        try:
            found = snapshot.find_provider_model(model, None, None, None)
        except LookupError:
            return None
    provider_, info = found
    return _Model(provider=provider_, info=info, dated=isinstance(info.prices, list), rates={})


def _usage(**tokens: int) -> Any:
    from genai_prices import Usage

    return Usage(**tokens)


def _exact(model: _Model, when: datetime, tokens: dict[str, int]) -> float:
    result = model.info.calc_price(_usage(**tokens), model.provider, genai_request_timestamp=when)
    return float(result.total_price)


def _probe(model_price: Any) -> _Rates:
    from genai_prices.types import TieredPrices

    def price(**tokens: int) -> float:
        return float(model_price.calc_price(_usage(**tokens))["total_price"])

    n = _PROBE
    base = price(input_tokens=0, output_tokens=0)
    with_input = price(input_tokens=n, output_tokens=0)
    thresholds = [
        tier.start
        for value in vars(model_price).values()
        if isinstance(value, TieredPrices)
        for tier in value.tiers
    ]
    return _Rates(
        per_request=base,
        input=(with_input - base) / n,
        output=(price(input_tokens=0, output_tokens=n) - base) / n,
        cache_read=(price(input_tokens=n, cache_read_tokens=n, output_tokens=0) - with_input) / n,
        cache_write=(price(input_tokens=n, cache_write_tokens=n, output_tokens=0) - with_input) / n,
        linear_up_to=min(thresholds) if thresholds else None,
    )


def _rates(model: _Model, when: datetime | None) -> _Rates | None:
    model_price = model.info.get_prices(when or datetime.now(UTC))
    key = id(model_price)
    if key in model.rates:
        return model.rates[key]
    try:
        rates: _Rates | None = _probe(model_price)
    except (ArithmeticError, LookupError, TypeError, ValueError):
        rates = None
    model.rates[key] = rates
    return rates


def compute_cost(
    provider: str,
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    at_ns: int | None = None,
) -> float | None:
    """USD cost of one call, or None when the model (or its provider) has no known price.

    ``input_tokens`` includes cache reads and writes, as the OTel GenAI conventions say.
    ``at_ns`` (the call's start, unix ns) picks prices that depend on the date or time.
    """
    resolved = _resolve(provider, model)
    if resolved is None:
        return None
    if cache_read_tokens + cache_write_tokens > input_tokens:
        # The producer counted input without the cached part (Anthropic's API does).
        input_tokens += cache_read_tokens + cache_write_tokens
    when: datetime | None = None
    if resolved.dated:
        when = datetime.fromtimestamp(at_ns / 1e9, UTC) if at_ns else datetime.now(UTC)
        rates = _rates(resolved, when)
    else:
        rates = resolved.rates[0] if 0 in resolved.rates else _rates(resolved, None)
        resolved.rates[0] = rates  # 0: the one price table of an undated model
    if rates is None:
        return None
    if rates.linear_up_to is not None and input_tokens > rates.linear_up_to:
        tokens = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_tokens": cache_read_tokens,
            "cache_write_tokens": cache_write_tokens,
        }
        try:
            return _exact(resolved, when or datetime.now(UTC), tokens)
        except (ArithmeticError, LookupError, TypeError, ValueError):
            return None
    return (
        rates.per_request
        + rates.input * input_tokens
        + rates.output * output_tokens
        + rates.cache_read * cache_read_tokens
        + rates.cache_write * cache_write_tokens
    )
