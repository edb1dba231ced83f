"""``instrument_openai()`` / ``instrument_anthropic()``: one line traces every call.

The ``create`` methods of the clients' resources (OpenAI chat completions, Responses
API, embeddings; Anthropic messages) are wrapped, for every client (the classes) or
for one (``instrument_openai(client)``: that client's resources only). Each call opens
an llmpulse LLM span through the same code as ``@observe(span_type="llm")``
(``_spans.open_span`` / ``LiveSpan``: request from the arguments, usage, finish reason
and output messages from the response, errors recorded and re-raised); a streamed call
is recorded when its stream ends (``_stream``). Wrapping twice does nothing more.

Nested in an ``@observe(span_type="llm")`` span the call is a child LLM span carrying
the usage; the collector then counts the call once (the outer span is a wrapper, see
docs/api.md), so totals are never doubled.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Final

from opentelemetry.context import attach, detach

from ._errors import log_internal_error
from ._llm import llm_attributes
from ._spans import LiveSpan, open_span, static_attributes
from ._state import HOLDER
from ._stream import AsyncStreamProxy, StreamProxy, accumulator_for

__all__ = ["instrument_anthropic", "instrument_openai"]

_MARK: Final = "__llmpulse_instrumented__"
# Set while an instrumented call runs: a client instrumented both globally and on its
# own (or a wrapper calling another) still makes one span per call.
_INSIDE: ContextVar[bool] = ContextVar("llmpulse_instrumented_call", default=False)
# (attribute path from the client, module, sync class, async class, kind)
_OPENAI: Final = (
    (("chat", "completions"), "openai.resources.chat.completions", "Completions", "chat"),
    (("responses",), "openai.resources.responses", "Responses", "responses"),
    (("embeddings",), "openai.resources.embeddings", "Embeddings", "embeddings"),
)
_ANTHROPIC: Final = ((("messages",), "anthropic.resources.messages", "Messages", "messages"),)
_PROVIDERS: Final = {"chat": "openai", "responses": "openai", "embeddings": "openai"}


def _messages(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return list(value)
    return []


def request_fields(kind: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``llm_attributes`` keyword arguments from a ``create`` call's arguments."""
    fields: dict[str, Any] = {"provider": _PROVIDERS.get(kind, "anthropic")}
    model = kwargs.get("model")
    if isinstance(model, str):
        fields["model"] = model
    if kind == "embeddings":
        return fields
    if kind == "responses":
        messages = _messages(kwargs.get("input"))
        system = kwargs.get("instructions")
    else:
        messages = _messages(kwargs.get("messages"))
        system = kwargs.get("system") if kind == "messages" else None
    if isinstance(system, str) and system:
        messages.insert(0, {"role": "system", "content": system})
    elif isinstance(system, Sequence) and not isinstance(system, str | bytes) and system:
        messages.insert(0, {"role": "system", "content": list(system)})
    if messages:
        fields["input_messages"] = messages
    return fields


def _start(kind: str, kwargs: Mapping[str, Any]) -> LiveSpan | None:
    runtime = HOLDER.runtime
    if runtime is None or _INSIDE.get():
        return None
    try:
        fields = request_fields(kind, kwargs)
        span_type = "embedding" if kind == "embeddings" else "llm"
        attributes = static_attributes("", span_type)
        operation = attributes.get("gen_ai.operation.name", "chat")
        name = f"{operation} {fields['model']}" if "model" in fields else str(operation)
        live = open_span(runtime, name, attributes, llm=True)
        if live.recording:
            live.pending.update(llm_attributes(runtime.policy, **fields))
            if kind == "embeddings" and "input" in kwargs:
                live.set_input(kwargs["input"])
        live.start_ns = time.perf_counter_ns()
        return live
    except Exception:
        log_internal_error("instrument.start")
        return None


def _wrap(original: Callable[..., Any], kind: str, is_async: bool) -> Callable[..., Any]:
    """``original`` (a ``create`` method) recording each call on an LLM span.
    ``is_async``: of an ``Async*`` resource (the clients' decorators hide that)."""
    if getattr(original, _MARK, False):
        return original

    if is_async or inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def create_async(*args: Any, **kwargs: Any) -> Any:
            live = _start(kind, kwargs)
            if live is None:
                return await original(*args, **kwargs)
            token = attach(live.context)
            inside = _INSIDE.set(True)
            try:
                result = await original(*args, **kwargs)
            except BaseException as exc:
                live.fail(exc)
                raise
            finally:
                _INSIDE.reset(inside)
                detach(token)
            return _finish(live, kind, kwargs, result, AsyncStreamProxy)

        setattr(create_async, _MARK, True)
        return create_async

    @functools.wraps(original)
    def create(*args: Any, **kwargs: Any) -> Any:
        live = _start(kind, kwargs)
        if live is None:
            return original(*args, **kwargs)
        token = attach(live.context)
        inside = _INSIDE.set(True)
        try:
            result = original(*args, **kwargs)
        except BaseException as exc:
            live.fail(exc)
            raise
        finally:
            _INSIDE.reset(inside)
            detach(token)
        return _finish(live, kind, kwargs, result, StreamProxy)

    setattr(create, _MARK, True)
    return create


def _finish(
    live: LiveSpan, kind: str, kwargs: Mapping[str, Any], result: Any, proxy: type[Any]
) -> Any:
    """End the span with ``result``, or hand back a proxy that ends it with the stream."""
    if kwargs.get("stream"):
        accumulator = accumulator_for(kind)
        if accumulator is not None:
            return proxy(result, live, accumulator)
    live.finish(result, False, ())
    return result


def _instrument(targets: Sequence[tuple[Any, ...]], client: Any) -> None:
    import importlib

    for path, module_name, class_name, kind in targets:
        try:
            if client is not None:
                resource = client
                for part in path:
                    resource = getattr(resource, part)
                is_async = type(resource).__name__.startswith("Async")
                resource.create = _wrap(resource.create, kind, is_async)
                continue
            module = importlib.import_module(module_name)
            for name in (class_name, f"Async{class_name}"):
                cls = getattr(module, name)
                cls.create = _wrap(cls.create, kind, name.startswith("Async"))
        except Exception:
            log_internal_error(f"instrument.{kind}")


def instrument_openai(client: Any = None) -> None:
    """Trace every OpenAI call: chat completions, the Responses API and embeddings,
    sync and async, streamed or not. ``client``: only that ``OpenAI`` /
    ``AsyncOpenAI`` client (default: every client, current and future).

    A streamed chat completion carries usage only when asked with
    ``stream_options={"include_usage": True}`` (its last chunk).
    """
    _instrument(_OPENAI, client)


def instrument_anthropic(client: Any = None) -> None:
    """Trace every Anthropic ``messages.create`` call, sync and async, streamed or not.
    ``client``: only that ``Anthropic`` / ``AsyncAnthropic`` client (default: all)."""
    _instrument(_ANTHROPIC, client)
