"""Which span attributes feed which canonical field, in order of preference.

``SOURCES`` is the precedence table: for each field, the attribute keys that can
provide it, best first (OTel GenAI current and deprecated names, then OpenInference,
then OpenLLMetry / OpenLIT, then llmpulse's own keys). ``KEYS`` is the same table
indexed by attribute key, so the normalizer looks each attribute up once.

Indexed message attributes (``llm.input_messages.0.message.role``,
``gen_ai.prompt.0.content``, ...) cannot be listed key by key; ``INDEXED_PREFIXES``
names their families and ``_content`` rebuilds the messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from llmpulse import semconv as sc
from llmpulse_collector.ingest._values import as_float, as_int, as_str, as_str_list

__all__ = [
    "CONTENT_KEYS",
    "INDEXED_PREFIXES",
    "KEYS",
    "SOURCES",
    "TAG_KEYS",
    "Convert",
]

Convert = Callable[[object], object]


def _text(value: object) -> str | None:
    if type(value) is str:
        return value or None
    return as_str(value) or None


def _lower_text(value: object) -> str | None:
    text = as_str(value).strip().lower()
    return text or None


def _first_reason(value: object) -> str | None:
    reasons = as_str_list(value)
    return reasons[0] if reasons else None


def _seconds_to_ms(value: object) -> float | None:
    seconds = as_float(value)
    return seconds * 1000.0 if seconds is not None and seconds >= 0 else None


def _mapped(table: dict[str, str]) -> Convert:
    def convert(value: object) -> str | None:
        if type(value) is str:
            return table.get(value.lower()) or table.get(value.strip().lower())
        return table.get(as_str(value).strip().lower()) if value is not None else None

    return convert


# gen_ai.operation.name values (OTel GenAI semantic conventions).
GEN_AI_OPERATIONS: Final = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "embedding",
    "execute_tool": "tool",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "retrieval": "retrieval",
}
# openinference.span.kind values.
OPENINFERENCE_KINDS: Final = {
    "llm": "llm",
    "chain": "chain",
    "tool": "tool",
    "retriever": "retrieval",
    "reranker": "retrieval",
    "embedding": "embedding",
    "agent": "agent",
    "evaluator": "evaluator",
    "guardrail": "guardrail",
    "prompt": "chain",
}
# traceloop.span.kind values (OpenLLMetry).
TRACELOOP_KINDS: Final = {"workflow": "chain", "task": "chain", "agent": "agent", "tool": "tool"}
# llm.request.type values (OpenLLMetry LLM spans).
LLM_REQUEST_TYPES: Final = {
    "chat": "llm",
    "completion": "llm",
    "embedding": "embedding",
    "rerank": "retrieval",
}
OUR_SPAN_TYPES: Final = {name: name for name in sc.SPAN_TYPES}

_INT: Final[Convert] = as_int
_FLOAT: Final[Convert] = as_float

# field -> ((attribute key, convert), ...) best first. A convert returning None means
# "this attribute says nothing": the next source is tried.
SOURCES: Final[dict[str, tuple[tuple[str, Convert], ...]]] = {
    "span_type": (
        (sc.ATTR_GEN_AI_OPERATION_NAME, _mapped(GEN_AI_OPERATIONS)),
        ("openinference.span.kind", _mapped(OPENINFERENCE_KINDS)),
        ("traceloop.span.kind", _mapped(TRACELOOP_KINDS)),
        ("llm.request.type", _mapped(LLM_REQUEST_TYPES)),
        (sc.ATTR_SPAN_TYPE, _mapped(OUR_SPAN_TYPES)),
    ),
    "provider": (
        (sc.ATTR_GEN_AI_PROVIDER_NAME, _lower_text),
        (sc.ATTR_GEN_AI_SYSTEM, _lower_text),
        ("llm.provider", _lower_text),
        ("llm.system", _lower_text),
    ),
    # The response model names the exact snapshot that ran (and was billed).
    "model": (
        (sc.ATTR_GEN_AI_RESPONSE_MODEL, _text),
        (sc.ATTR_GEN_AI_REQUEST_MODEL, _text),
        ("llm.model_name", _text),
        ("llm.response.model", _text),
        ("llm.request.model", _text),
        ("embedding.model_name", _text),  # OpenInference embedding spans
    ),
    "input_tokens": (
        (sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS, _INT),
        ("gen_ai.usage.prompt_tokens", _INT),
        ("llm.token_count.prompt", _INT),
        ("llm.usage.prompt_tokens", _INT),
    ),
    "output_tokens": (
        (sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, _INT),
        ("gen_ai.usage.completion_tokens", _INT),
        ("llm.token_count.completion", _INT),
        ("llm.usage.completion_tokens", _INT),
    ),
    "total_tokens": (
        ("gen_ai.usage.total_tokens", _INT),
        ("llm.token_count.total", _INT),
        ("llm.usage.total_tokens", _INT),
    ),
    "cache_read_tokens": (
        (sc.ATTR_GEN_AI_USAGE_CACHE_READ_TOKENS, _INT),
        ("gen_ai.usage.cache_read_input_tokens", _INT),
        ("llm.token_count.prompt_details.cache_read", _INT),
    ),
    "cache_write_tokens": (
        (sc.ATTR_GEN_AI_USAGE_CACHE_WRITE_TOKENS, _INT),
        ("gen_ai.usage.cache_write.input_tokens", _INT),  # the anthropic SDK's own spans
        ("gen_ai.usage.cache_creation_input_tokens", _INT),
        ("llm.token_count.prompt_details.cache_write", _INT),
    ),
    "reasoning_tokens": (
        (sc.ATTR_GEN_AI_USAGE_REASONING_TOKENS, _INT),
        ("gen_ai.usage.reasoning_tokens", _INT),
        ("llm.token_count.completion_details.reasoning", _INT),
    ),
    "finish_reason": (
        (sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, _first_reason),
        ("llm.finish_reason", _first_reason),  # OpenInference
        ("anthropic.message.stop_reason", _first_reason),  # the anthropic SDK's own spans
    ),
    "tool_name": ((sc.ATTR_GEN_AI_TOOL_NAME, _text), ("tool.name", _text)),
    # OpenLLMetry names the tool of a traceloop.span.kind=tool span here.
    "entity_name": (("traceloop.entity.name", _text),),
    "session_id": (
        ("gen_ai.conversation.id", _text),
        (sc.ATTR_SESSION_ID, _text),
        ("traceloop.association.properties.session_id", _text),
    ),
    "user_id": (
        (sc.ATTR_USER_ID, _text),
        ("traceloop.association.properties.user_id", _text),
        ("enduser.id", _text),
    ),
    # A cost the app reported wins over the price computed at ingest (a reported 0 for
    # a call with tokens means "no price known": OpenLIT without its price list).
    "cost_usd": ((sc.ATTR_COST_USD, _FLOAT), ("gen_ai.usage.cost", _FLOAT)),
    # Events can say it too (``_events``: OpenInference, OpenLLMetry streams).
    "time_to_first_token_ms": (
        (sc.ATTR_TIME_TO_FIRST_TOKEN_MS, _FLOAT),
        ("gen_ai.server.time_to_first_token", _seconds_to_ms),  # OpenLIT, seconds
        ("gen_ai.response.time_to_first_chunk", _seconds_to_ms),  # anthropic SDK, seconds
    ),
    # Content: generic input/output first, then the message lists, then OpenLLMetry.
    "input": (
        (sc.ATTR_INPUT_VALUE, _text),
        (sc.ATTR_GEN_AI_INPUT_MESSAGES, _text),
        ("traceloop.entity.input", _text),
    ),
    "output": (
        (sc.ATTR_OUTPUT_VALUE, _text),
        (sc.ATTR_GEN_AI_OUTPUT_MESSAGES, _text),
        ("traceloop.entity.output", _text),
    ),
    "system_instructions": (("gen_ai.system_instructions", _text),),
}

# Rank of the indexed message families within "input"/"output": after the JSON
# message attributes (rank 1), before traceloop.entity.* (rank 2 becomes 3).
MESSAGES_RANK: Final = 2

KEYS: Final[dict[str, tuple[str, int, Convert]]] = {
    key: (field, rank if rank < MESSAGES_RANK or field not in ("input", "output") else rank + 1, fn)
    for field, sources in SOURCES.items()
    for rank, (key, fn) in enumerate(sources)
}

# field ("input"/"output") -> rank -> the attribute key of that rank: which attribute
# a content column came from, so the attributes map need not hold the same text twice.
CONTENT_KEYS: Final[dict[str, dict[int, str]]] = {
    name: {rank: key for key, (field, rank, _) in KEYS.items() if field == name}
    for name in ("input", "output")
}

# Tags add up from every source instead of one winning.
TAG_KEYS: Final = frozenset({"tag.tags", sc.ATTR_TAGS})

INDEXED_PREFIXES: Final = (
    "llm.input_messages.",
    "llm.output_messages.",
    "gen_ai.prompt.",
    "gen_ai.completion.",
)
