"""Which spans of a shared TracerProvider llmpulse exports.

An application's provider also carries its HTTP, database and framework spans; they
are the application's business, not llmpulse's. By default llmpulse exports its own
spans and GenAI spans (like Langfuse's span filter): spans from known LLM
instrumentation scopes, or carrying GenAI / OpenInference / OpenLLMetry attributes.
``configure(export_all_spans=True)`` exports everything.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.sdk.trace import ReadableSpan

__all__ = ["is_llm_span"]

# Instrumentation scope names (prefixes) of LLM libraries.
_SCOPES: Final = (
    "llmpulse",
    "openinference",
    "opentelemetry.instrumentation.openai",
    "opentelemetry.instrumentation.anthropic",
    "opentelemetry.instrumentation.bedrock",
    "opentelemetry.instrumentation.cohere",
    "opentelemetry.instrumentation.google_generativeai",
    "opentelemetry.instrumentation.groq",
    "opentelemetry.instrumentation.langchain",
    "opentelemetry.instrumentation.llamaindex",
    "opentelemetry.instrumentation.mistralai",
    "opentelemetry.instrumentation.ollama",
    "opentelemetry.instrumentation.vertexai",
    "opentelemetry.instrumentation.crewai",
    "traceloop",
    "openlit",
    "com.anthropic.sdk",
    "logfire.openai",
    "logfire.anthropic",
    "pydantic-ai",
    "langsmith",
    "haystack",
)
# Attribute key prefixes that make a span a GenAI span, whoever made it (not
# "llmpulse.": llmpulse.context() puts its keys on every span started inside it).
_KEYS: Final = ("gen_ai.", "llm.", "openinference.", "traceloop.")


def is_llm_span(span: ReadableSpan) -> bool:
    """True for llmpulse's own spans and GenAI spans (see the module docstring)."""
    scope = span.instrumentation_scope
    if scope is not None and scope.name.startswith(_SCOPES):
        return True
    attributes = span.attributes
    if not attributes:
        return False
    return any(key.startswith(_KEYS) for key in attributes)
