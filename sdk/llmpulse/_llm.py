"""GenAI attributes: ``record_llm()`` and extraction from OpenAI / Anthropic responses.

Responses are read by shape (attribute or key access), so objects from the ``openai``
and ``anthropic`` clients and their ``.model_dump()`` dicts both work, without
importing either package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.util.types import AttributeValue

from ._content import ContentPolicy
from ._errors import log_internal_error
from ._state import recording_span
from .semconv import (
    ATTR_COST_USD,
    ATTR_GEN_AI_INPUT_MESSAGES,
    ATTR_GEN_AI_OUTPUT_MESSAGES,
    ATTR_GEN_AI_PROVIDER_NAME,
    ATTR_GEN_AI_REQUEST_MODEL,
    ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
    ATTR_GEN_AI_RESPONSE_MODEL,
    ATTR_GEN_AI_USAGE_CACHE_READ_TOKENS,
    ATTR_GEN_AI_USAGE_CACHE_WRITE_TOKENS,
    ATTR_GEN_AI_USAGE_INPUT_TOKENS,
    ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
    ATTR_GEN_AI_USAGE_REASONING_TOKENS,
)

__all__ = [
    "arguments_fields",
    "llm_attributes",
    "normalize_messages",
    "record_llm",
    "response_fields",
]


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _first(items: Any) -> Any:
    if isinstance(items, Sequence) and not isinstance(items, str | bytes) and items:
        return items[0]
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text_part(text: Any) -> dict[str, Any]:
    return {"type": "text", "content": text}


def normalize_messages(messages: Any) -> Any:
    """Chat messages in the GenAI shape ``{"role", "parts": [...]}`` where recognisable.

    ``{"role": ..., "content": "text"}`` and OpenAI/Anthropic content-part lists are
    converted; anything else is kept as it is.
    """
    if not isinstance(messages, Sequence) or isinstance(messages, str | bytes):
        return messages
    out: list[Any] = []
    for message in messages:
        role = _get(message, "role")
        content = _get(message, "content")
        if role is None or "parts" in (message if isinstance(message, Mapping) else ()):
            out.append(message)
            continue
        if isinstance(content, str):
            parts: list[Any] = [_text_part(content)]
        elif isinstance(content, Sequence):
            parts = []
            for part in content:
                kind = _get(part, "type")
                if kind in ("text", "input_text", "output_text"):
                    parts.append(_text_part(_get(part, "text")))
                else:
                    parts.append(part)
        else:
            parts = []
        normalized: dict[str, Any] = {"role": role, "parts": parts}
        for call in _get(message, "tool_calls") or ():
            function = _get(call, "function")
            parts.append(
                {
                    "type": "tool_call",
                    "id": _get(call, "id"),
                    "name": _get(function, "name"),
                    "arguments": _get(function, "arguments"),
                }
            )
        tool_call_id = _get(message, "tool_call_id")
        if tool_call_id is not None:
            normalized["tool_call_id"] = tool_call_id
        out.append(normalized)
    return out


def llm_attributes(
    policy: ContentPolicy,
    *,
    model: str | None = None,
    provider: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    cache_read_tokens: int | None = None,
    cache_write_tokens: int | None = None,
    reasoning_tokens: int | None = None,
    input_messages: Any = None,
    output_messages: Any = None,
    finish_reason: str | Sequence[str] | None = None,
    response_model: str | None = None,
    cost_usd: float | None = None,
) -> dict[str, AttributeValue]:
    """The span attributes for one LLM call; ``None`` values are left out."""
    attributes: dict[str, AttributeValue] = {}
    for key, value in (
        (ATTR_GEN_AI_REQUEST_MODEL, model),
        (ATTR_GEN_AI_PROVIDER_NAME, provider),
        (ATTR_GEN_AI_RESPONSE_MODEL, response_model),
    ):
        if value is not None:
            attributes[key] = str(value)
    for key, number in (
        (ATTR_GEN_AI_USAGE_INPUT_TOKENS, input_tokens),
        (ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, output_tokens),
        (ATTR_GEN_AI_USAGE_CACHE_READ_TOKENS, cache_read_tokens),
        (ATTR_GEN_AI_USAGE_CACHE_WRITE_TOKENS, cache_write_tokens),
        (ATTR_GEN_AI_USAGE_REASONING_TOKENS, reasoning_tokens),
    ):
        if number is not None:
            attributes[key] = int(number)
    if finish_reason is not None:
        reasons = [finish_reason] if isinstance(finish_reason, str) else finish_reason
        attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [str(r) for r in reasons]
    if cost_usd is not None:
        attributes[ATTR_COST_USD] = float(cost_usd)
    if policy.capture:
        if input_messages is not None:
            attributes[ATTR_GEN_AI_INPUT_MESSAGES] = policy.json(normalize_messages(input_messages))
        if output_messages is not None:
            attributes[ATTR_GEN_AI_OUTPUT_MESSAGES] = policy.json(
                normalize_messages(output_messages)
            )
    return attributes


def arguments_fields(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``model=`` and ``messages=`` from an ``llm`` function's own arguments."""
    fields: dict[str, Any] = {}
    model = arguments.get("model")
    if isinstance(model, str):
        fields["model"] = model
    messages = arguments.get("messages")
    if isinstance(messages, Sequence) and not isinstance(messages, str | bytes):
        fields["input_messages"] = messages
    return fields


def _openai_chat(response: Any) -> dict[str, Any]:
    usage = _get(response, "usage")
    choices = _get(response, "choices") or ()
    reasons = [r for r in (_get(c, "finish_reason") for c in choices) if r is not None]
    messages = []
    for choice in choices:
        message = _get(choice, "message")
        if message is not None:
            normalized = normalize_messages([message])[0]
            if isinstance(normalized, dict):
                normalized = {**normalized, "finish_reason": _get(choice, "finish_reason")}
            messages.append(normalized)
    return {
        "provider": "openai",
        "response_model": _get(response, "model"),
        "input_tokens": _int(_get(usage, "prompt_tokens")),
        "output_tokens": _int(_get(usage, "completion_tokens")),
        "cache_read_tokens": _int(_get(_get(usage, "prompt_tokens_details"), "cached_tokens")),
        "reasoning_tokens": _int(
            _get(_get(usage, "completion_tokens_details"), "reasoning_tokens")
        ),
        "finish_reason": reasons or None,
        "output_messages": messages or None,
    }


_RESPONSES_STATUS = {"completed": "stop", "failed": "error", "cancelled": "cancelled"}


def _openai_responses(response: Any) -> dict[str, Any]:
    usage = _get(response, "usage")
    parts: list[Any] = []
    has_tool_call = False
    for item in _get(response, "output") or ():
        kind = _get(item, "type")
        if kind == "message":
            for content in _get(item, "content") or ():
                if _get(content, "type") == "output_text":
                    parts.append(_text_part(_get(content, "text")))
                elif _get(content, "type") == "refusal":
                    parts.append({"type": "refusal", "content": _get(content, "refusal")})
        elif kind == "function_call":
            has_tool_call = True
            parts.append(
                {
                    "type": "tool_call",
                    "id": _get(item, "call_id"),
                    "name": _get(item, "name"),
                    "arguments": _get(item, "arguments"),
                }
            )
        elif kind == "reasoning":
            summary = [_get(s, "text") for s in _get(item, "summary") or ()]
            parts.append({"type": "reasoning", "content": "\n".join(filter(None, summary))})
    status = _get(response, "status")
    if status == "incomplete":
        reason = _get(_get(response, "incomplete_details"), "reason") or "incomplete"
        reason = "length" if reason == "max_output_tokens" else reason
    elif has_tool_call:
        reason = "tool_call"
    else:
        reason = _RESPONSES_STATUS.get(status, status) if isinstance(status, str) else None
    return {
        "provider": "openai",
        "response_model": _get(response, "model"),
        "input_tokens": _int(_get(usage, "input_tokens")),
        "output_tokens": _int(_get(usage, "output_tokens")),
        "cache_read_tokens": _int(_get(_get(usage, "input_tokens_details"), "cached_tokens")),
        "reasoning_tokens": _int(_get(_get(usage, "output_tokens_details"), "reasoning_tokens")),
        "finish_reason": reason,
        "output_messages": (
            [{"role": "assistant", "parts": parts, "finish_reason": reason}] if parts else None
        ),
    }


def _anthropic_message(response: Any) -> dict[str, Any]:
    usage = _get(response, "usage")
    uncached = _int(_get(usage, "input_tokens"))
    cache_read = _int(_get(usage, "cache_read_input_tokens"))
    cache_write = _int(_get(usage, "cache_creation_input_tokens"))
    # GenAI semconv: input_tokens includes cached tokens (Anthropic reports them apart).
    total_input = None if uncached is None else uncached + (cache_read or 0) + (cache_write or 0)
    parts: list[Any] = []
    for block in _get(response, "content") or ():
        kind = _get(block, "type")
        if kind == "text":
            parts.append(_text_part(_get(block, "text")))
        elif kind == "tool_use":
            parts.append(
                {
                    "type": "tool_call",
                    "id": _get(block, "id"),
                    "name": _get(block, "name"),
                    "arguments": _get(block, "input"),
                }
            )
        elif kind == "thinking":
            parts.append({"type": "reasoning", "content": _get(block, "thinking")})
    reason = _get(response, "stop_reason")
    return {
        "provider": "anthropic",
        "response_model": _get(response, "model"),
        "input_tokens": total_input,
        "output_tokens": _int(_get(usage, "output_tokens")),
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "finish_reason": reason,
        "output_messages": (
            [{"role": "assistant", "parts": parts, "finish_reason": reason}] if parts else None
        ),
    }


def _openai_embeddings(response: Any) -> dict[str, Any]:
    usage = _get(response, "usage")
    return {
        "provider": "openai",
        "response_model": _get(response, "model"),
        "input_tokens": _int(_get(usage, "prompt_tokens")),
    }


def response_fields(value: Any) -> dict[str, Any] | None:
    """``record_llm`` keyword arguments read from an OpenAI or Anthropic response."""
    if value is None or isinstance(value, str | int | float | bytes | list | tuple):
        return None
    kind = _get(value, "object")
    if kind == "chat.completion":
        fields = _openai_chat(value)
    elif kind == "response":
        fields = _openai_responses(value)
    elif _get(value, "type") == "message" and _get(value, "role") == "assistant":
        fields = _anthropic_message(value)
    elif kind == "list" and _get(_first(_get(value, "data")), "object") == "embedding":
        fields = _openai_embeddings(value)
    else:
        return None
    return {k: v for k, v in fields.items() if v is not None}


def record_llm(
    *,
    model: str,
    provider: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    cache_read_tokens: int | None = None,
    cache_write_tokens: int | None = None,
    reasoning_tokens: int | None = None,
    input_messages: Any = None,
    output_messages: Any = None,
    finish_reason: str | Sequence[str] | None = None,
    response_model: str | None = None,
    cost_usd: float | None = None,
) -> None:
    """Record an LLM call (model, usage, messages…) on the current span, as gen_ai.*."""
    current = recording_span()
    if current is None:
        return
    runtime, span = current
    try:
        span.set_attributes(
            llm_attributes(
                runtime.policy,
                model=model,
                provider=provider,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cache_read_tokens,
                cache_write_tokens=cache_write_tokens,
                reasoning_tokens=reasoning_tokens,
                input_messages=input_messages,
                output_messages=output_messages,
                finish_reason=finish_reason,
                response_model=response_model,
                cost_usd=cost_usd,
            )
        )
    except Exception:
        log_internal_error("record_llm")
