"""``configure()``, ``flush()``, ``shutdown()``, ``stats()`` and ``current_trace_id()``.

``configure()`` builds one ``Runtime`` (see ``_state``) from the settings table in
``_settings``: a ``TracerProvider`` (the application's own, or one we create with
parent-based trace-id-ratio sampling), our span processor on it (a real
``BatchSpanProcessor`` + ``OTLPSpanExporter``, or the ``span_exporter`` given), and the
feedback sender. Calling it again with the same arguments does nothing; with different
ones, the new runtime replaces the old, which is flushed and shut down.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
import weakref
from collections.abc import Callable

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, Sampler, TraceIdRatioBased

from . import _errors
from ._content import ContentPolicy
from ._errors import log_internal_error, logger
from ._feedback import FeedbackSender
from ._filter import is_llm_span
from ._processor import CountingExporter, LlmpulseSpanProcessor, QueueBudget
from ._settings import Settings, resolve
from ._state import HOLDER, Runtime
from ._version import VERSION
from .semconv import ATTR_ENVIRONMENT

__all__ = [
    "configure",
    "current_trace_id",
    "flush",
    "install",
    "sampler_for",
    "shutdown",
    "stats",
]

_LOCK = threading.RLock()
_OUR_PROVIDERS: weakref.WeakSet[TracerProvider] = weakref.WeakSet()
_ATEXIT: list[bool] = []  # non-empty once our atexit hook is registered

_STATS_KEYS = (
    "spans_exported",
    "spans_export_failed",
    "spans_dropped",
    "feedback_sent",
    "feedback_failed",
    "feedback_dropped",
    "internal_errors",
)


def _exporter_for(settings: Settings) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=settings.traces_url, headers=settings.auth_headers())


def _batch_processor(settings: Settings, exporter: SpanExporter) -> BatchSpanProcessor:
    """Sized for a busy app: a batch goes out as soon as it is queued, and the queue
    holds many batches, so a healthy collector sees no drops (settings: OTEL_BSP_*)."""
    queue = settings.max_queue_size
    return BatchSpanProcessor(
        exporter,
        max_queue_size=queue,
        schedule_delay_millis=settings.schedule_delay_millis,
        max_export_batch_size=min(settings.max_export_batch_size, queue),
    )


def sampler_for(rate: float) -> Sampler:
    """Parent-based, by trace id ratio: a trace is kept or dropped whole."""
    if rate >= 1.0:
        return ParentBased(ALWAYS_ON)  # same decisions as a ratio of 1, less work
    return ParentBased(TraceIdRatioBased(rate))


def _own_provider(settings: Settings) -> TracerProvider:
    attributes: dict[str, str] = {}
    if settings.service_name is not None:
        attributes["service.name"] = settings.service_name
    if settings.environment is not None:
        attributes[ATTR_ENVIRONMENT] = settings.environment
    # OTEL_TRACES_SAMPLER / _ARG (read by the provider itself) apply unless a
    # sample_rate below 1 is configured.
    env_sampler = settings.sample_rate == 1.0 and os.environ.get("OTEL_TRACES_SAMPLER", "").strip()
    provider = TracerProvider(
        resource=Resource.create(attributes),
        sampler=None if env_sampler else sampler_for(settings.sample_rate),
        shutdown_on_exit=False,  # our atexit hook flushes and shuts down
    )
    _OUR_PROVIDERS.add(provider)
    return provider


def install(
    settings: Settings,
    *,
    tracer_provider: TracerProvider | None = None,
    span_exporter: SpanExporter | None = None,
    processor: SpanProcessor | None = None,
    feedback: bool = True,
    key: tuple[object, ...] = (),
) -> Runtime | None:
    """Build a runtime and make it the active one; returns the one it replaced."""
    budget = QueueBudget(settings.max_queue_bytes)
    if processor is None:
        exporter = span_exporter if span_exporter is not None else _exporter_for(settings)
        processor = _batch_processor(settings, CountingExporter(exporter, budget))
    ours = LlmpulseSpanProcessor(
        processor,
        budget=budget,
        shutdown_timeout=settings.shutdown_timeout,
        export_filter=None if settings.export_all_spans else is_llm_span,
    )
    provider = tracer_provider
    if provider is None:
        existing = trace.get_tracer_provider()
        if isinstance(existing, TracerProvider) and existing not in _OUR_PROVIDERS:
            provider = existing  # the application's own: add to it, don't replace it
    owns = provider is None
    if provider is None:
        provider = _own_provider(settings)
        if not isinstance(trace.get_tracer_provider(), TracerProvider):
            trace.set_tracer_provider(provider)
    elif settings.sample_rate != 1.0:
        logger.info("llmpulse: sample_rate applies to a provider llmpulse creates; not this one")
    provider.add_span_processor(ours)
    runtime = Runtime(
        settings=settings,
        policy=ContentPolicy(
            capture=settings.capture_content,
            max_chars=settings.max_content_chars,
            user_redact=settings.redact,
            builtin=settings.redact_builtin,
        ),
        tracer=provider.get_tracer("llmpulse", VERSION),
        provider=provider,
        owns_provider=owns,
        processor=ours,
        feedback=(
            FeedbackSender(settings.feedback_url, settings.auth_headers()) if feedback else None
        ),
        key=key,
    )
    with _LOCK:
        previous, HOLDER.runtime = HOLDER.runtime, runtime
    return previous


def close(runtime: Runtime, timeout: float | None = None) -> None:
    """Flush and shut down a runtime that is no longer active, within ``timeout``
    seconds (default: its ``shutdown_timeout`` setting)."""
    if timeout is None:
        timeout = runtime.settings.shutdown_timeout
    deadline = time.monotonic() + timeout
    try:
        runtime.processor.shutdown(int(timeout * 1000))
        if runtime.feedback is not None:
            runtime.feedback.shutdown(max(deadline - time.monotonic(), 0.0))
        if runtime.owns_provider:
            runtime.provider.shutdown()
    except Exception:
        log_internal_error("shutdown")


def configure(
    *,
    endpoint: str | None = None,
    api_key: str | None = None,
    service_name: str | None = None,
    environment: str | None = None,
    sample_rate: float | None = None,
    capture_content: bool | None = None,
    redact: Callable[[str], str] | None = None,
    max_content_chars: int | None = None,
    tracer_provider: TracerProvider | None = None,
    span_exporter: SpanExporter | None = None,
    export_all_spans: bool | None = None,
    redact_builtin: bool | None = None,
) -> None:
    """Start sending spans. Safe to call more than once (same arguments: no-op).

    Each setting falls back to its environment variables, then its default: see the
    table in ``llmpulse._settings.PARAMS``. Defaults: ``endpoint`` http://127.0.0.1:4318,
    ``sample_rate`` 1.0, ``capture_content`` True, ``max_content_chars`` 16000.
    ``tracer_provider``: add llmpulse to this provider instead of the global one (an
    application's existing SDK provider is used automatically). ``span_exporter``:
    export to this instead of OTLP/HTTP (e.g. an in-memory exporter in tests).
    ``export_all_spans``: export every span of the provider, not only llmpulse's own and
    GenAI spans (the default keeps an application's HTTP / database spans out).
    ``redact``: your own redaction, applied after the built-in patterns;
    ``redact_builtin=False`` turns the built-in patterns off.

    Raises ``ValueError`` only for an invalid explicit argument.
    """
    settings = resolve(
        {
            "endpoint": endpoint,
            "api_key": api_key,
            "service_name": service_name,
            "environment": environment,
            "sample_rate": sample_rate,
            "capture_content": capture_content,
            "redact": redact,
            "max_content_chars": max_content_chars,
            "export_all_spans": export_all_spans,
            "redact_builtin": redact_builtin,
        }
    )
    key: tuple[object, ...] = (settings, tracer_provider, span_exporter)
    with _LOCK:
        current = HOLDER.runtime
        if current is not None and current.key == key:
            return
        try:
            previous = install(
                settings, tracer_provider=tracer_provider, span_exporter=span_exporter, key=key
            )
        except Exception:
            log_internal_error("configure")
            return
        if not _ATEXIT:
            atexit.register(_at_exit)
            _ATEXIT.append(True)
    if previous is not None:
        close(previous)


def flush(timeout: float = 10.0) -> bool:
    """Export everything recorded so far; False if something could not be flushed in time."""
    runtime = HOLDER.runtime
    if runtime is None:
        return True
    try:
        ok = runtime.processor.force_flush(int(timeout * 1000))
        if runtime.feedback is not None:
            ok = runtime.feedback.flush(timeout) and ok
        return ok
    except Exception:
        log_internal_error("flush")
        return False


def shutdown(timeout: float | None = None) -> None:
    """Flush and stop, within ``timeout`` seconds (default: the ``shutdown_timeout``
    setting, LLMPULSE_SHUTDOWN_TIMEOUT, 3 s); spans not sent by then are dropped and
    counted. Decorated code keeps working, untraced, until ``configure()``."""
    with _LOCK:
        runtime, HOLDER.runtime = HOLDER.runtime, None
    if runtime is not None:
        close(runtime, timeout)


def _at_exit() -> None:
    with contextlib.suppress(BaseException):  # never fail interpreter exit
        shutdown()


def stats() -> dict[str, int]:
    """Counters since start: spans exported / failed / dropped, feedback, internal errors."""
    counters = _errors.counters()
    return {key: counters.get(key, 0) for key in _STATS_KEYS}


def current_trace_id() -> str | None:
    """The current trace id as 32 hex digits, or None outside any span."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def _reset_for_tests() -> None:
    """Forget all global state: the runtime, OTel's global provider, counters."""
    shutdown(timeout=2.0)
    from opentelemetry.util._once import Once

    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    _errors._reset()
