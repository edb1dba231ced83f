"""Attribute and event names that llmpulse writes on spans.

This module is the contract between the SDK and the collector: the SDK writes these
keys, the collector's normalizer reads them (alongside other conventions). Where the
OpenTelemetry GenAI semantic conventions have a name, it is used; OpenInference names
are used for generic input/output and session/user; llmpulse's own keys carry the
``llmpulse.`` prefix.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "ATTR_COST_USD",
    "ATTR_ENVIRONMENT",
    "ATTR_EVALUATION_EXPLANATION",
    "ATTR_EVALUATION_NAME",
    "ATTR_EVALUATION_PASSED",
    "ATTR_EVALUATION_SCORE_LABEL",
    "ATTR_EVALUATION_SCORE_VALUE",
    "ATTR_GEN_AI_INPUT_MESSAGES",
    "ATTR_GEN_AI_OPERATION_NAME",
    "ATTR_GEN_AI_OUTPUT_MESSAGES",
    "ATTR_GEN_AI_PROVIDER_NAME",
    "ATTR_GEN_AI_REQUEST_MODEL",
    "ATTR_GEN_AI_RESPONSE_FINISH_REASONS",
    "ATTR_GEN_AI_RESPONSE_MODEL",
    "ATTR_GEN_AI_SYSTEM",
    "ATTR_GEN_AI_TOOL_NAME",
    "ATTR_GEN_AI_USAGE_CACHE_READ_TOKENS",
    "ATTR_GEN_AI_USAGE_CACHE_WRITE_TOKENS",
    "ATTR_GEN_AI_USAGE_INPUT_TOKENS",
    "ATTR_GEN_AI_USAGE_OUTPUT_TOKENS",
    "ATTR_GEN_AI_USAGE_REASONING_TOKENS",
    "ATTR_INPUT_MIME_TYPE",
    "ATTR_INPUT_VALUE",
    "ATTR_METADATA_PREFIX",
    "ATTR_OUTPUT_MIME_TYPE",
    "ATTR_OUTPUT_VALUE",
    "ATTR_SESSION_ID",
    "ATTR_SPAN_TYPE",
    "ATTR_TAGS",
    "ATTR_TIME_TO_FIRST_TOKEN_MS",
    "ATTR_USER_ID",
    "EVENT_EVALUATION_RESULT",
    "SPAN_TYPES",
    "SpanType",
]

SpanType = Literal[
    "llm", "chain", "tool", "retrieval", "embedding", "agent", "evaluator", "guardrail", "other"
]
SPAN_TYPES: Final[tuple[str, ...]] = (
    "llm",
    "chain",
    "tool",
    "retrieval",
    "embedding",
    "agent",
    "evaluator",
    "guardrail",
    "other",
)

# --- llmpulse's own keys -------------------------------------------------------------
ATTR_SPAN_TYPE: Final = "llmpulse.span_type"
ATTR_TAGS: Final = "llmpulse.tags"  # string array
ATTR_METADATA_PREFIX: Final = "llmpulse.metadata."  # + key, string values
ATTR_COST_USD: Final = "llmpulse.cost_usd"  # float, cost reported by the app
ATTR_TIME_TO_FIRST_TOKEN_MS: Final = "llmpulse.time_to_first_token_ms"  # float
ATTR_ENVIRONMENT: Final = "deployment.environment.name"  # resource attribute

# --- OpenInference keys (widely understood for generic input/output) ----------------
ATTR_INPUT_VALUE: Final = "input.value"
ATTR_INPUT_MIME_TYPE: Final = "input.mime_type"
ATTR_OUTPUT_VALUE: Final = "output.value"
ATTR_OUTPUT_MIME_TYPE: Final = "output.mime_type"
ATTR_SESSION_ID: Final = "session.id"
ATTR_USER_ID: Final = "user.id"

# --- OpenTelemetry GenAI semantic conventions ----------------------------------------
ATTR_GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
ATTR_GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
ATTR_GEN_AI_SYSTEM: Final = "gen_ai.system"  # deprecated alias of provider.name
ATTR_GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
ATTR_GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
ATTR_GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"  # string array
ATTR_GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
ATTR_GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
ATTR_GEN_AI_USAGE_CACHE_READ_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
ATTR_GEN_AI_USAGE_CACHE_WRITE_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
ATTR_GEN_AI_USAGE_REASONING_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
ATTR_GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"  # JSON string
ATTR_GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"  # JSON string
ATTR_GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"

# --- Evaluation results: span events named gen_ai.evaluation.result ------------------
EVENT_EVALUATION_RESULT: Final = "gen_ai.evaluation.result"
ATTR_EVALUATION_NAME: Final = "gen_ai.evaluation.name"
ATTR_EVALUATION_SCORE_VALUE: Final = "gen_ai.evaluation.score.value"  # float
ATTR_EVALUATION_SCORE_LABEL: Final = "gen_ai.evaluation.score.label"  # "pass" / "fail" / ...
ATTR_EVALUATION_EXPLANATION: Final = "gen_ai.evaluation.explanation"
ATTR_EVALUATION_PASSED: Final = "llmpulse.evaluation.passed"  # bool
