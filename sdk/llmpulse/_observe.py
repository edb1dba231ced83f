"""``@llmpulse.observe``: one decorator body, four ways of calling the function.

Everything that varies per function (name, static attributes, how to bind arguments,
which wrapper) is decided once, at decoration time. Per call, ``_start`` opens the span
(or returns None: not configured, sampled out, or an internal error), and the wrapper
only differs in how it calls the function and hands the result to ``LiveSpan``.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import AsyncGenerator, Callable, Coroutine, Generator, Sequence
from typing import Any, Final, ParamSpec, TypeVar, cast, overload

from opentelemetry.context import attach, detach

from ._content import truncate
from ._errors import log_internal_error
from ._evals import Check
from ._spans import LiveSpan, open_span, static_attributes
from ._state import HOLDER
from .semconv import SpanType

__all__ = ["observe"]

P = ParamSpec("P")
R = TypeVar("R")

_MAX_ITEMS: Final = 10_000

Binder = Callable[[tuple[Any, ...], dict[str, Any]], dict[str, Any]]


def _make_binder(func: Callable[..., Any]) -> Binder:
    """``(args, kwargs) -> {name: value}`` like ``Signature.bind``, minus self/cls."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return lambda args, kwargs: {"args": list(args), **kwargs}
    params = list(signature.parameters.values())
    skip = params[0].name if params and params[0].name in ("self", "cls") else None
    kinds = {p.kind for p in params}
    if kinds <= {inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY}:
        names = tuple(p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD)
        start = 1 if skip is not None else 0

        def bind_fast(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
            bound = dict(zip(names[start:], args[start:], strict=False))
            if kwargs:
                bound.update(kwargs)
            return bound

        return bind_fast

    def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        try:
            bound = dict(signature.bind(*args, **kwargs).arguments)
        except TypeError:
            return {"args": list(args), **kwargs}
        if skip is not None:
            bound.pop(skip, None)
        return bound

    return bind


class _Collector:
    """Items of a generator, aggregated and bounded: strings joined, others listed."""

    __slots__ = ("chars", "dropped", "items", "limit", "strings")

    def __init__(self, limit: int) -> None:
        self.items: list[Any] = []
        self.strings = True
        self.chars = 0
        self.dropped = 0
        self.limit = limit

    def add(self, item: Any) -> None:
        if isinstance(item, str):
            if self.chars > self.limit:
                self.dropped += len(item)
                return
            self.chars += len(item)
        else:
            self.strings = False
            if len(self.items) >= _MAX_ITEMS:
                self.dropped += 1
                return
        self.items.append(item)

    def result(self) -> Any:
        if self.strings and self.items:
            text = "".join(self.items)
            return truncate(text, len(text), self.dropped) if self.dropped else text
        return self.items


def _instrument(
    func: Callable[P, Any],
    *,
    name: str | None,
    span_type: SpanType,
    capture_input: bool,
    capture_output: bool,
    checks: Sequence[Check],
    new_trace: bool = False,
) -> Callable[P, Any]:
    qualname = getattr(func, "__qualname__", None)
    # "Class.method" stays; "outer.<locals>.inner" becomes "inner"
    span_name = name or (qualname.rpartition("<locals>.")[2] if qualname else repr(func))
    attributes = static_attributes(span_name, span_type)
    llm = span_type == "llm"
    bind = _make_binder(func) if capture_input or llm else None
    checks = tuple(checks)

    def _start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> LiveSpan | None:
        runtime = HOLDER.runtime
        if runtime is None:
            return None
        live = None
        try:
            live = open_span(runtime, span_name, attributes, llm, new_trace)
            if live.recording and bind is not None:
                arguments = bind(args, kwargs)
                if capture_input:
                    live.set_input(arguments)
                if llm:
                    live.set_llm_arguments(arguments)
        except Exception:
            log_internal_error("observe.start")
        return live

    def _finish(live: LiveSpan, output: Any) -> None:
        live.finish(output, capture_output, checks)

    if inspect.isasyncgenfunction(func):
        agen_func = cast(Callable[P, AsyncGenerator[Any, Any]], func)

        @functools.wraps(func)
        async def wrap_async_gen(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[Any, Any]:
            agen = agen_func(*args, **kwargs)
            live = _start(args, kwargs)
            if live is None:
                async for item in agen:  # forwards iteration only, like most wrappers
                    yield item
                return
            live.start_ns = time.perf_counter_ns()
            collector = _Collector(live.runtime.policy.max_chars)
            sent: Any = None
            thrown: BaseException | None = None
            while True:
                token = attach(live.context)
                try:
                    if thrown is not None:
                        item = await agen.athrow(thrown)
                    else:
                        item = await agen.asend(sent)
                except StopAsyncIteration:
                    detach(token)
                    _finish(live, collector.result())
                    return
                except BaseException as exc:
                    detach(token)
                    live.fail(exc, collector.result(), capture_output)
                    raise
                detach(token)
                if live.recording:
                    if not live.first_item_ns:
                        live.first_item()
                    collector.add(item)
                try:
                    sent, thrown = (yield item), None
                except GeneratorExit:
                    token = attach(live.context)
                    try:
                        await agen.aclose()
                    finally:
                        detach(token)
                        _finish(live, collector.result())
                    raise
                except BaseException as exc:
                    sent, thrown = None, exc

        return wrap_async_gen

    if inspect.isgeneratorfunction(func):
        gen_func = cast(Callable[P, Generator[Any, Any, Any]], func)

        @functools.wraps(func)
        def wrap_gen(*args: P.args, **kwargs: P.kwargs) -> Generator[Any, Any, Any]:
            live = _start(args, kwargs)
            if live is None:
                return (yield from gen_func(*args, **kwargs))
            gen = gen_func(*args, **kwargs)
            live.start_ns = time.perf_counter_ns()
            collector = _Collector(live.runtime.policy.max_chars)
            sent: Any = None
            thrown: BaseException | None = None
            while True:
                token = attach(live.context)
                try:
                    item = gen.throw(thrown) if thrown is not None else gen.send(sent)
                except StopIteration as stop:
                    detach(token)
                    _finish(live, collector.result())
                    return stop.value
                except BaseException as exc:
                    detach(token)
                    live.fail(exc, collector.result(), capture_output)
                    raise
                detach(token)
                if live.recording:
                    if not live.first_item_ns:
                        live.first_item()
                    collector.add(item)
                try:
                    sent, thrown = (yield item), None
                except GeneratorExit:
                    token = attach(live.context)
                    try:
                        gen.close()
                    finally:
                        detach(token)
                        _finish(live, collector.result())
                    raise
                except BaseException as exc:
                    sent, thrown = None, exc

        return wrap_gen

    if inspect.iscoroutinefunction(func):
        coro_func = cast(Callable[P, Coroutine[Any, Any, Any]], func)

        @functools.wraps(func)
        async def wrap_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            live = _start(args, kwargs)
            if live is None:
                return await coro_func(*args, **kwargs)
            token = attach(live.context)
            try:
                result = await coro_func(*args, **kwargs)
            except BaseException as exc:
                detach(token)
                live.fail(exc)
                raise
            detach(token)
            _finish(live, result)
            return result

        return wrap_async

    @functools.wraps(func)
    def wrap_sync(*args: P.args, **kwargs: P.kwargs) -> Any:
        live = _start(args, kwargs)
        if live is None:
            return func(*args, **kwargs)
        token = attach(live.context)
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            detach(token)
            live.fail(exc)
            raise
        detach(token)
        _finish(live, result)
        return result

    return wrap_sync


@overload
def observe(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def observe(
    func: None = None,
    /,
    *,
    name: str | None = None,
    span_type: SpanType = "chain",
    capture_input: bool = True,
    capture_output: bool = True,
    checks: Sequence[Check] = (),
    new_trace: bool = False,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def observe(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    span_type: SpanType = "chain",
    capture_input: bool = True,
    capture_output: bool = True,
    checks: Sequence[Check] = (),
    new_trace: bool = False,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Trace every call of a function: ``@observe`` or ``@observe(span_type="llm", ...)``.

    Works on functions, coroutines, generators and async generators (and methods: the
    ``self``/``cls`` argument is not recorded). Records the arguments as input, the
    return value (generators: the items, aggregated) as output, the duration, and any
    exception (re-raised unchanged). ``checks`` run on the output and are recorded as
    evaluation results; they never change what the function returns. ``new_trace``:
    each call starts a trace of its own, linked to the span current at the call.

    With ``@classmethod`` / ``@staticmethod``, put ``@observe`` below them (innermost).
    """

    def decorate(f: Callable[P, R]) -> Callable[P, R]:
        wrapped = _instrument(
            f,
            name=name,
            span_type=span_type,
            capture_input=capture_input,
            capture_output=capture_output,
            checks=checks,
            new_trace=new_trace,
        )
        return cast(Callable[P, R], wrapped)

    if func is not None:
        return decorate(func)
    return decorate
