"""configure(): settings and their environment variables, idempotency, providers, sampling,
and the no-op states before configure() and after shutdown()."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import llmpulse
from llmpulse._settings import PARAMS, Settings, parse_headers, resolve
from llmpulse._state import HOLDER
from llmpulse.testing import capture_spans


@llmpulse.observe(name="work")
def work(x: int = 1) -> int:
    return x


@llmpulse.observe(name="parent")
def parent() -> None:
    work()
    work()


def runtime():
    assert HOLDER.runtime is not None
    return HOLDER.runtime


# --- the settings table -------------------------------------------------------------


def test_every_setting_is_in_the_table_once_with_a_doc():
    assert list(PARAMS) == [f.name for f in dataclasses.fields(Settings)]
    for name, param in PARAMS.items():
        assert param.doc and param.type, name
        assert getattr(Settings(), name) == param.default


def test_defaults():
    settings = resolve({}, environ={})
    assert settings.traces_url == "http://127.0.0.1:4318/v1/traces"
    assert settings.feedback_url == "http://127.0.0.1:4318/api/v1/feedback"
    assert settings.sample_rate == 1.0
    assert settings.capture_content is True
    assert settings.max_content_chars == 16_000
    assert settings.auth_headers() == {}


def test_environment_variables():
    settings = resolve(
        {},
        environ={
            "LLMPULSE_ENDPOINT": "https://collector.example:4318/",
            "LLMPULSE_API_KEY": "lp-key",
            "OTEL_SERVICE_NAME": "checkout",
            "LLMPULSE_ENVIRONMENT": "staging",
            "LLMPULSE_SAMPLE_RATE": "0.25",
            "LLMPULSE_CAPTURE_CONTENT": "false",
            "LLMPULSE_MAX_CONTENT_CHARS": "500",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-team=ml,x-note=a%20b",
        },
    )
    assert settings.traces_url == "https://collector.example:4318/v1/traces"
    assert settings.service_name == "checkout"
    assert settings.environment == "staging"
    assert settings.sample_rate == 0.25
    assert settings.capture_content is False
    assert settings.max_content_chars == 500
    assert settings.auth_headers() == {
        "x-team": "ml",
        "x-note": "a b",
        "authorization": "Bearer lp-key",
    }


def test_llmpulse_endpoint_wins_over_otel_and_arguments_win_over_both():
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318",
        "LLMPULSE_ENDPOINT": "http://ours:4318",
    }
    assert resolve({}, environ=environ).endpoint == "http://ours:4318"
    assert resolve({}, environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318"}).endpoint == (
        "http://otel:4318"
    )
    assert resolve({"endpoint": "http://arg:1"}, environ=environ).endpoint == "http://arg:1"
    assert resolve({"sample_rate": 0.0}, environ={"LLMPULSE_SAMPLE_RATE": "1"}).sample_rate == 0


def test_bad_environment_values_are_logged_and_ignored(caplog):
    with caplog.at_level(logging.WARNING, "llmpulse"):
        settings = resolve(
            {}, environ={"LLMPULSE_SAMPLE_RATE": "lots", "LLMPULSE_CAPTURE_CONTENT": "maybe"}
        )
    assert settings.sample_rate == 1.0
    assert settings.capture_content is True
    assert "LLMPULSE_SAMPLE_RATE" in caplog.text
    assert "LLMPULSE_CAPTURE_CONTENT" in caplog.text


@pytest.mark.parametrize(
    "kwargs",
    [{"sample_rate": 1.5}, {"sample_rate": -0.1}, {"endpoint": "collector:4318"}],
)
def test_bad_explicit_arguments_raise_a_clear_error(kwargs):
    with pytest.raises(ValueError):
        llmpulse.configure(**kwargs)


def test_headers_parsing():
    assert parse_headers("a=1, b = two ,") == {"a": "1", "b": "two"}
    with pytest.raises(ValueError):
        parse_headers("novalue")


def test_configure_reads_the_environment(monkeypatch):
    monkeypatch.setenv("LLMPULSE_API_KEY", "env-key")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    llmpulse.configure(span_exporter=InMemorySpanExporter())
    assert runtime().settings.api_key == "env-key"
    assert runtime().provider.resource.attributes["service.name"] == "from-env"


# --- idempotency and providers --------------------------------------------------------


def test_configure_twice_with_the_same_arguments_changes_nothing():
    exporter = InMemorySpanExporter()
    llmpulse.configure(span_exporter=exporter, service_name="svc")
    first = runtime()
    llmpulse.configure(span_exporter=exporter, service_name="svc")
    assert runtime() is first
    work()
    llmpulse.flush()
    assert len(exporter.get_finished_spans()) == 1  # one processor, not two


def test_configure_with_new_arguments_replaces_and_flushes_the_old_runtime():
    old, new = InMemorySpanExporter(), InMemorySpanExporter()
    llmpulse.configure(span_exporter=old)
    work(1)
    llmpulse.configure(span_exporter=new, capture_content=False)
    work(2)
    llmpulse.flush()
    assert [s.name for s in old.get_finished_spans()] == ["work"]
    [span] = new.get_finished_spans()
    assert "input.value" not in (span.attributes or {})


def test_own_provider_has_our_resource_and_becomes_global():
    llmpulse.configure(
        span_exporter=InMemorySpanExporter(), service_name="shop", environment="prod"
    )
    provider = runtime().provider
    assert trace.get_tracer_provider() is provider
    attributes = provider.resource.attributes
    assert attributes["service.name"] == "shop"
    assert attributes["deployment.environment.name"] == "prod"
    assert attributes["telemetry.sdk.name"] == "opentelemetry"


def test_an_existing_global_provider_is_added_to_not_replaced():
    app_exporter = InMemorySpanExporter()
    app_provider = TracerProvider(resource=Resource.create({"service.name": "app"}))
    app_provider.add_span_processor(SimpleSpanProcessor(app_exporter))
    trace.set_tracer_provider(app_provider)

    ours = InMemorySpanExporter()
    llmpulse.configure(span_exporter=ours, service_name="ignored")
    assert trace.get_tracer_provider() is app_provider
    with trace.get_tracer("app").start_as_current_span("app-request"):
        work()
    llmpulse.flush()

    assert [s.name for s in app_exporter.get_finished_spans()] == ["work", "app-request"]
    # the app's own span (an HTTP request) is not llmpulse's to export
    assert [s.name for s in ours.get_finished_spans()] == ["work"]
    work_span = ours.get_finished_spans()[0]
    assert work_span.resource.attributes["service.name"] == "app"
    assert work_span.parent is not None

    llmpulse.shutdown()  # leaves the app's provider working
    with trace.get_tracer("app").start_as_current_span("after"):
        pass
    assert app_exporter.get_finished_spans()[-1].name == "after"
    assert len(ours.get_finished_spans()) == 1


def test_a_joined_provider_exports_genai_spans_of_other_libraries_not_the_rest():
    app_provider = TracerProvider()
    trace.set_tracer_provider(app_provider)
    ours = InMemorySpanExporter()
    llmpulse.configure(span_exporter=ours)
    tracer = trace.get_tracer("opentelemetry.instrumentation.requests")
    with tracer.start_as_current_span("GET /health"):
        pass
    with trace.get_tracer("openinference.instrumentation.openai").start_as_current_span(
        "ChatCompletion"
    ):
        pass
    with trace.get_tracer("my.own.llm.code").start_as_current_span("chat") as span:
        span.set_attribute("gen_ai.request.model", "gpt-4o")
    llmpulse.flush()
    assert [s.name for s in ours.get_finished_spans()] == ["ChatCompletion", "chat"]


def test_export_all_spans_opts_in_to_every_span(monkeypatch):
    trace.set_tracer_provider(TracerProvider())
    ours = InMemorySpanExporter()
    monkeypatch.setenv("LLMPULSE_EXPORT_ALL_SPANS", "true")
    llmpulse.configure(span_exporter=ours)
    with trace.get_tracer("app").start_as_current_span("app-request"):
        work()
    llmpulse.flush()
    assert [s.name for s in ours.get_finished_spans()] == ["work", "app-request"]


def test_otel_traces_endpoint_and_sampler_variables(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/custom/v1/traces")
    assert resolve({}).traces_url == "http://traces:4318/custom/v1/traces"
    assert resolve({"endpoint": "http://mine:4318"}).traces_url == "http://mine:4318/v1/traces"
    monkeypatch.setenv("LLMPULSE_ENDPOINT", "http://lp:4318")
    assert resolve({}).traces_url == "http://lp:4318/v1/traces"

    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.0")
    exporter = InMemorySpanExporter()
    llmpulse.configure(span_exporter=exporter)
    for _ in range(20):
        work()
    llmpulse.flush()
    assert exporter.get_finished_spans() == ()
    kept = InMemorySpanExporter()
    llmpulse.configure(span_exporter=kept, sample_rate=0.999999)  # ours wins when set
    work()
    llmpulse.flush()
    assert len(kept.get_finished_spans()) == 1


def test_an_explicit_tracer_provider_is_used():
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    llmpulse.configure(tracer_provider=provider, span_exporter=exporter)
    assert runtime().provider is provider
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)  # global untouched
    work()
    llmpulse.flush()
    assert len(exporter.get_finished_spans()) == 1


# --- sampling -------------------------------------------------------------------------


def test_sampling_keeps_or_drops_whole_traces():
    exporter = InMemorySpanExporter()
    llmpulse.configure(span_exporter=exporter, sample_rate=0.5)
    for _ in range(200):
        parent()
    llmpulse.flush()
    by_trace: dict[int, list[str]] = {}
    for span in exporter.get_finished_spans():
        assert span.context is not None
        by_trace.setdefault(span.context.trace_id, []).append(span.name)
    assert all(sorted(names) == ["parent", "work", "work"] for names in by_trace.values())
    assert 60 < len(by_trace) < 140


def test_sampled_out_calls_still_run_normally():
    with capture_spans(sample_rate=0.0) as spans:
        assert work(7) == 7
        with llmpulse.span("block") as handle:
            handle.set_output("x")
        assert handle.trace_id is None
    assert spans.spans == []


# --- before configure, after shutdown -----------------------------------------------


async def test_everything_is_a_no_op_before_configure():
    @llmpulse.observe
    async def coro() -> int:
        return 1

    @llmpulse.observe
    def gen():
        yield from (1, 2)

    @llmpulse.observe
    async def agen():
        yield 3

    assert HOLDER.runtime is None
    assert work(5) == 5
    assert await coro() == 1
    assert list(gen()) == [1, 2]
    assert [x async for x in agen()] == [3]
    assert llmpulse.current_trace_id() is None
    assert llmpulse.flush() is True
    llmpulse.shutdown()
    llmpulse.feedback("0" * 31 + "1", "thumbs", True)


def test_after_shutdown_calls_run_untraced_until_configured_again():
    exporter = InMemorySpanExporter()
    llmpulse.configure(span_exporter=exporter)
    work()
    llmpulse.shutdown()
    assert len(exporter.get_finished_spans()) == 1  # flushed on shutdown
    assert work(2) == 2
    assert len(exporter.get_finished_spans()) == 1
    llmpulse.shutdown()  # twice is fine

    again = InMemorySpanExporter()
    llmpulse.configure(span_exporter=again)
    work()
    llmpulse.flush()
    assert len(again.get_finished_spans()) == 1


def test_current_trace_id():
    with capture_spans():
        assert llmpulse.current_trace_id() is None
        with llmpulse.span("s") as handle:
            trace_id = llmpulse.current_trace_id()
            assert trace_id == handle.trace_id
            assert trace_id is not None and len(trace_id) == 32
            int(trace_id, 16)
