"""Export: OTLP/HTTP protobuf to {endpoint}/v1/traces with the API key, in the background,
bounded (drops counted), and flushed at interpreter exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import llmpulse
from llmpulse import _state

from .conftest import Receiver


@llmpulse.observe(name="answer", span_type="llm")
def answer(question: str) -> str:
    return "Paris"


def decode(receiver: Receiver) -> list[tuple[dict[str, object], str, dict[str, object]]]:
    """(resource attributes, span name, span attributes) for every span received."""
    out = []
    for request in receiver.requests:
        message = ExportTraceServiceRequest()
        message.ParseFromString(request.body)
        for resource_spans in message.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                assert scope_spans.scope.name == "llmpulse"
                for span in scope_spans.spans:
                    attributes = {a.key: a.value.string_value for a in span.attributes}
                    out.append((resource, span.name, attributes))
    return out


def test_spans_reach_an_otlp_receiver_with_the_api_key(receiver: Receiver, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme")
    llmpulse.configure(
        endpoint=receiver.url, api_key="lp-secret", service_name="qa-bot", environment="test"
    )
    with llmpulse.context(session_id="s-9"):
        assert answer("Capital of France?") == "Paris"
    assert llmpulse.flush(timeout=10)

    [request] = receiver.requests
    assert request.path == "/v1/traces"
    assert request.headers["content-type"] == "application/x-protobuf"
    assert request.headers["authorization"] == "Bearer lp-secret"
    assert request.headers["x-tenant"] == "acme"
    [(resource, name, attributes)] = decode(receiver)
    assert resource["service.name"] == "qa-bot"
    assert resource["deployment.environment.name"] == "test"
    assert name == "answer"
    assert attributes["llmpulse.span_type"] == "llm"
    assert attributes["session.id"] == "s-9"
    assert attributes["output.value"] == "Paris"
    assert llmpulse.stats()["spans_exported"] == 1


def test_export_happens_in_the_background(receiver: Receiver):
    llmpulse.configure(endpoint=receiver.url)
    started = time.perf_counter()
    for _ in range(50):
        answer("q")
    assert time.perf_counter() - started < 1.0
    assert receiver.requests == []  # nothing sent on the caller's thread
    llmpulse.flush()
    assert len(decode(receiver)) == 50


def test_everything_is_flushed_at_interpreter_exit(receiver: Receiver):
    script = textwrap.dedent(
        f"""
        import llmpulse

        @llmpulse.observe
        def step(i):
            return i

        llmpulse.configure(endpoint={receiver.url!r}, api_key="exit-key")
        for i in range(3):
            step(i)
        # no flush(), no shutdown(): the atexit hook must send the spans
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMPULSE_", "OTEL_"))}
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert [name for _, name, _ in decode(receiver)] == ["step"] * 3
    assert {r.headers["authorization"] for r in receiver.requests} == {"Bearer exit-key"}


class BlockingExporter(SpanExporter):
    """Holds the first batch until released, so the queue behind it fills up."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.exported: list[str] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.entered.set()
        self.release.wait(10)
        self.exported.extend(s.name for s in spans)
        return SpanExportResult.SUCCESS


def test_a_full_queue_drops_spans_counts_them_and_logs_once(monkeypatch, caplog):
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "2")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2")
    exporter = BlockingExporter()
    llmpulse.configure(span_exporter=exporter)
    answer("1")
    answer("2")  # a full batch: the worker takes both and blocks in export()
    assert exporter.entered.wait(5)
    started = time.perf_counter()
    for i in range(5):
        assert answer(str(i)) == "Paris"  # never blocks on the stuck exporter
    assert time.perf_counter() - started < 1.0
    assert llmpulse.stats()["spans_dropped"] == 3
    assert caplog.text.count("export queue full") == 1
    exporter.release.set()
    llmpulse.flush()
    assert len(exporter.exported) == 4


class FailingExporter(SpanExporter):
    def __init__(self, raises: bool) -> None:
        self.raises = raises

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.raises:
            raise ConnectionError("collector down")
        return SpanExportResult.FAILURE


def test_failed_exports_are_counted_never_raised():
    for raises in (False, True):
        llmpulse.configure(span_exporter=FailingExporter(raises))
        assert answer("q") == "Paris"
        llmpulse.flush()
    assert llmpulse.stats()["spans_export_failed"] == 2


def test_an_unreachable_collector_does_not_block_or_raise(unused_url: str, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1")
    llmpulse.configure(endpoint=unused_url)
    started = time.perf_counter()
    assert answer("q") == "Paris"
    assert time.perf_counter() - started < 0.5
    llmpulse.flush(timeout=5)
    assert llmpulse.stats()["spans_export_failed"] == 1


def test_shutdown_honours_its_timeout_and_counts_what_it_drops(unused_url: str):
    llmpulse.configure(endpoint=unused_url)
    for i in range(5_000):
        answer(str(i))
    started = time.monotonic()
    llmpulse.shutdown(timeout=1)
    elapsed = time.monotonic() - started
    assert elapsed < 20  # took 7.5 s and more: the timeout only reached the feedback sender
    stats = llmpulse.stats()
    assert stats["spans_exported"] == 0
    assert stats["spans_dropped"] > 0  # still queued at the deadline
    assert stats["spans_dropped"] + stats["spans_export_failed"] == 5_000


def test_interpreter_exit_is_bounded_with_the_collector_down(unused_url: str):
    script = textwrap.dedent(
        f"""
        import atexit, json
        import llmpulse

        # registered first, so it runs after llmpulse's own exit hook
        atexit.register(lambda: print(json.dumps(llmpulse.stats())))

        @llmpulse.observe
        def step(i):
            return i

        llmpulse.configure(endpoint={unused_url!r})
        for i in range(5_000):
            step(i)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMPULSE_", "OTEL_"))}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        env={**env, "LLMPULSE_SHUTDOWN_TIMEOUT": "2"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 20, elapsed  # ~30 s before; now the 2 s timeout plus start-up
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["spans_dropped"] > 0
    assert stats["spans_dropped"] + stats["spans_export_failed"] == 5_000


def test_flush_returns_within_its_timeout_with_the_collector_down(unused_url: str):
    llmpulse.configure(endpoint=unused_url)
    for i in range(100):
        answer(str(i))
    started = time.monotonic()
    assert llmpulse.flush(timeout=0.5) is False
    assert time.monotonic() - started < 10  # the exporter's retries alone take ~10 s


def test_a_busy_app_on_a_healthy_collector_drops_nothing(receiver: Receiver):
    # A burst far above 2,000 calls/s: the default queue of 2,048 dropped spans.
    llmpulse.configure(endpoint=receiver.url)
    burst = 10_000
    for i in range(burst):
        answer(str(i))
    assert llmpulse.flush(timeout=60)
    stats = llmpulse.stats()
    assert stats["spans_dropped"] == 0
    assert stats["spans_exported"] == burst
    assert len(decode(receiver)) == burst


def test_queued_bytes_are_bounded_while_the_collector_is_away(monkeypatch):
    monkeypatch.setenv("LLMPULSE_MAX_QUEUE_BYTES", "200000")
    exporter = BlockingExporter()
    llmpulse.configure(span_exporter=exporter)
    echo = llmpulse.observe(name="echo")(lambda text: text)
    big = "x" * 10_000  # input and output: about 20 KB a span
    for _ in range(50):
        echo(big)
    runtime = _state.HOLDER.runtime
    assert runtime is not None
    budget = runtime.processor._budget
    assert budget is not None and budget.used <= 200_000
    dropped = llmpulse.stats()["spans_dropped"]
    assert 30 <= dropped < 50  # about 10 fit in 200 KB
    exporter.release.set()
    assert llmpulse.flush(timeout=10)
    assert len(exporter.exported) == 50 - dropped
    assert budget.used == 0
