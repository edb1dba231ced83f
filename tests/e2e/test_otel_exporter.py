"""Any OpenTelemetry SDK pointed at the collector gets its spans stored, normalized, priced.

The app runs in its own process with the real ``opentelemetry-exporter-otlp-proto-http``
exporter, exactly as a user's service would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx

from tests.e2e.conftest import Collector, Keys

APP = textwrap.dedent(
    """
    import sys
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    endpoint, key = sys.argv[1], sys.argv[2]
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-app"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
        endpoint=endpoint + "/v1/traces", headers={"Authorization": "Bearer " + key})))
    tracer = provider.get_tracer("plain-otel")
    with tracer.start_as_current_span("handle_request") as root:
        root.set_attribute("session.id", "s-1")
        with tracer.start_as_current_span("chat gpt-4o-mini") as llm:
            llm.set_attribute("gen_ai.operation.name", "chat")
            llm.set_attribute("gen_ai.system", "openai")
            llm.set_attribute("gen_ai.request.model", "gpt-4o-mini")
            llm.set_attribute("gen_ai.usage.prompt_tokens", 1200)
            llm.set_attribute("gen_ai.usage.completion_tokens", 300)
        print(format(root.get_span_context().trace_id, "032x"))
    provider.shutdown()
    """
)


def test_spans_from_a_plain_otel_sdk_are_stored_normalized_and_priced(
    collector: Collector, keys: Keys
) -> None:
    out = subprocess.run(
        [sys.executable, "-c", APP, collector.url, keys.ingest],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    trace_id = out.stdout.strip()
    headers = {"Authorization": f"Bearer {keys.read}"}
    trace = httpx.get(f"{collector.url}/api/v1/traces/{trace_id}", headers=headers).json()

    assert trace["span_count"] == 2
    (root,) = trace["roots"]
    assert root["name"] == "handle_request"
    assert root["service_name"] == "otel-app"
    assert root["session_id"] == "s-1"
    (llm,) = root["children"]
    assert llm["span_type"] == "llm"
    assert llm["provider"] == "openai"
    assert llm["model"] == "gpt-4o-mini"
    assert (llm["input_tokens"], llm["output_tokens"]) == (1200, 300)
    assert llm["cost_usd"] is not None and llm["cost_usd"] > 0

    listed = httpx.get(f"{collector.url}/api/v1/traces", headers=headers).json()
    assert [t["trace_id"] for t in listed["traces"]] == [trace_id]
    assert listed["traces"][0]["cost_usd"] == llm["cost_usd"]
