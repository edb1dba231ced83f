"""Every setting once: its environment variables, type, default and meaning.

Precedence: an explicit ``configure()`` argument, then the environment variables in the
order listed, then the default. An unparsable environment value is logged and ignored;
an invalid explicit argument raises ``ValueError`` from ``configure()``.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ._errors import log_once

__all__ = ["PARAMS", "Param", "Settings", "parse_headers", "resolve"]

DEFAULT_ENDPOINT: Final = "http://127.0.0.1:4318"


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def _parse_rate(raw: str) -> float:
    return _check_rate(float(raw))


def _check_rate(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"sample_rate must be between 0 and 1, got {value!r}")
    return float(value)


def _parse_positive_int(raw: str) -> int:
    return _check_positive_int(int(raw))


def _check_positive_int(value: int) -> int:
    if isinstance(value, bool) or value < 1:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return int(value)


def _parse_seconds(raw: str) -> float:
    return _check_seconds(float(raw))


def _check_seconds(value: float) -> float:
    if isinstance(value, bool) or not 0.0 <= value < 3600.0:
        raise ValueError(f"expected seconds between 0 and 3600, got {value!r}")
    return float(value)


def _parse_endpoint(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"endpoint must be an http(s) URL, got {raw!r}")
    return value


def _strip(raw: str) -> str:
    return raw.strip()


@dataclass(frozen=True)
class Param:
    """One setting: where it comes from and what it means."""

    env: tuple[str, ...]
    type: str
    default: Any
    doc: str
    parse: Callable[[str], Any] = _strip
    check: Callable[[Any], Any] | None = None


PARAMS: Final[Mapping[str, Param]] = {
    "endpoint": Param(
        ("LLMPULSE_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"),
        "str",
        DEFAULT_ENDPOINT,
        "Base URL of the collector; spans go to {endpoint}/v1/traces (OTLP/HTTP protobuf), "
        "feedback to {endpoint}/api/v1/feedback.",
        _parse_endpoint,
        _parse_endpoint,
    ),
    "api_key": Param(
        ("LLMPULSE_API_KEY",),
        "str | None",
        None,
        "Project API key, sent as 'Authorization: Bearer <api_key>'.",
    ),
    "service_name": Param(
        ("OTEL_SERVICE_NAME",),
        "str | None",
        None,
        "Resource attribute service.name (OpenTelemetry's default: 'unknown_service'); "
        "ignored when adding to an existing provider.",
    ),
    "environment": Param(
        ("LLMPULSE_ENVIRONMENT",),
        "str | None",
        None,
        "Resource attribute deployment.environment.name, e.g. 'production'.",
    ),
    "sample_rate": Param(
        ("LLMPULSE_SAMPLE_RATE",),
        "float",
        1.0,
        "Fraction of traces kept, decided per trace id (ParentBased(TraceIdRatioBased)), "
        "so a trace is kept or dropped whole. Only applies to a provider llmpulse creates.",
        _parse_rate,
        _check_rate,
    ),
    "capture_content": Param(
        ("LLMPULSE_CAPTURE_CONTENT",),
        "bool",
        True,
        "Record inputs, outputs and gen_ai messages. False drops them entirely.",
        _parse_bool,
    ),
    "max_content_chars": Param(
        ("LLMPULSE_MAX_CONTENT_CHARS",),
        "int",
        16_000,
        "Each recorded value is cut to this many characters, with a '…[truncated N chars]' marker.",
        _parse_positive_int,
        _check_positive_int,
    ),
    "redact": Param(
        (),
        "Callable[[str], str] | None",
        None,
        "Extra redaction applied after the built-in patterns (e-mails, API keys and tokens, "
        "card numbers) to every recorded value.",
    ),
    "shutdown_timeout": Param(
        ("LLMPULSE_SHUTDOWN_TIMEOUT",),
        "float",
        3.0,
        "Seconds shutdown() and interpreter exit spend sending what is queued; what is "
        "still queued then is dropped and counted in stats()['spans_dropped'].",
        _parse_seconds,
        _check_seconds,
    ),
    "max_queue_size": Param(
        ("OTEL_BSP_MAX_QUEUE_SIZE",),
        "int",
        32_768,
        "Spans waiting for export at most; beyond it (collector away or slow) new spans "
        "are dropped and counted. OpenTelemetry's default, 2,048, drops spans of a busy app.",
        _parse_positive_int,
        _check_positive_int,
    ),
    "max_queue_bytes": Param(
        ("LLMPULSE_MAX_QUEUE_BYTES",),
        "int",
        64 * 1024 * 1024,
        "Bytes of queued spans at most (estimated: their text attributes plus 512 each), "
        "so spans with large inputs and outputs can't fill memory while the collector is away.",
        _parse_positive_int,
        _check_positive_int,
    ),
    "max_export_batch_size": Param(
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE",),
        "int",
        2_048,
        "Spans per export request; an export starts as soon as this many are queued.",
        _parse_positive_int,
        _check_positive_int,
    ),
    "schedule_delay_millis": Param(
        ("OTEL_BSP_SCHEDULE_DELAY",),
        "int",
        1_000,
        "Milliseconds between exports when fewer than a batch are queued.",
        _parse_positive_int,
        _check_positive_int,
    ),
    "headers": Param(
        ("OTEL_EXPORTER_OTLP_HEADERS",),
        "Mapping[str, str] | None",
        None,
        "Extra headers for the OTLP export ('k1=v1,k2=v2', URL-encoded values). "
        "Environment only; api_key takes precedence for Authorization.",
        lambda raw: parse_headers(raw),  # noqa: PLW0108 - defined below
    ),
    "traces_endpoint": Param(
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",),
        "str | None",
        None,
        "Full URL spans are exported to (OpenTelemetry's signal-specific endpoint). Used "
        "when neither an endpoint argument nor LLMPULSE_ENDPOINT is given; it wins over "
        "OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces.",
        _parse_endpoint,
        _parse_endpoint,
    ),
    "export_all_spans": Param(
        ("LLMPULSE_EXPORT_ALL_SPANS",),
        "bool",
        False,
        "Export every span of the TracerProvider. By default only llmpulse's own spans and "
        "GenAI spans (gen_ai.*, OpenInference, OpenLLMetry/Traceloop, known LLM "
        "instrumentations) are, so an application's HTTP and database spans stay its own.",
        _parse_bool,
    ),
    "redact_builtin": Param(
        ("LLMPULSE_REDACT_BUILTIN",),
        "bool",
        True,
        "Apply the built-in redaction patterns (e-mails, API keys and tokens, card numbers) "
        "to recorded values. False turns them off; 'redact' still applies.",
        _parse_bool,
    ),
}


def parse_headers(raw: str) -> dict[str, str]:
    """Parse the OTEL_EXPORTER_OTLP_HEADERS format: ``k1=v1,k2=v2`` (values URL-encoded)."""
    headers: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"invalid header {item!r}")
        headers[urllib.parse.unquote(key.strip()).lower()] = urllib.parse.unquote(value.strip())
    return headers


@dataclass(frozen=True)
class Settings:
    """Resolved settings (see ``PARAMS`` for each field's meaning)."""

    endpoint: str = DEFAULT_ENDPOINT
    api_key: str | None = None
    service_name: str | None = None
    environment: str | None = None
    sample_rate: float = 1.0
    capture_content: bool = True
    max_content_chars: int = 16_000
    redact: Callable[[str], str] | None = None
    shutdown_timeout: float = 3.0
    max_queue_size: int = 32_768
    max_queue_bytes: int = 64 * 1024 * 1024
    max_export_batch_size: int = 2_048
    schedule_delay_millis: int = 1_000
    headers: Mapping[str, str] | None = None
    traces_endpoint: str | None = None
    export_all_spans: bool = False
    redact_builtin: bool = True

    @property
    def traces_url(self) -> str:
        return self.traces_endpoint or self.endpoint + "/v1/traces"

    @property
    def feedback_url(self) -> str:
        return self.endpoint + "/api/v1/feedback"

    def auth_headers(self) -> dict[str, str]:
        headers = dict(self.headers or {})
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        return headers


def _from_env(name: str, param: Param, environ: Mapping[str, str]) -> Any:
    for var in param.env:
        raw = environ.get(var)
        if raw is None or not raw.strip():
            continue
        try:
            return param.parse(raw)
        except ValueError as exc:
            log_once(f"env:{var}", "llmpulse: ignoring %s=%r (%s)", var, raw, exc)
    return param.default


def resolve(explicit: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from explicit arguments (None = not given) and the environment."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, param in PARAMS.items():
        value = explicit.get(name)
        if value is None:
            value = _from_env(name, param, env)
        elif param.check is not None:
            value = param.check(value)
        values[name] = value
    if explicit.get("endpoint") is not None or (env.get("LLMPULSE_ENDPOINT") or "").strip():
        values["traces_endpoint"] = None  # an endpoint of llmpulse's own wins over OTel's
    return Settings(**values)
