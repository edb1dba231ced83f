"""Spans made by the real OpenTelemetry SDK, encoded by the real OTLP encoder, normalize."""

from __future__ import annotations

import json
import time

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from llmpulse_collector.ingest import decode_request, normalize


def test_sdk_spans_round_trip_through_otlp_protobuf():
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": "support-bot", "deployment.environment.name": "test"}
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("llmpulse", "0.1.0")

    with (
        tracer.start_as_current_span(
            "answer", attributes={"llmpulse.span_type": "chain", "input.value": "Hi?"}
        ),
        tracer.start_as_current_span(
            "chat gpt-4o-mini",
            kind=SpanKind.CLIENT,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 50,
                "gen_ai.usage.output_tokens": 7,
                "gen_ai.response.finish_reasons": ("stop",),
            },
        ) as llm,
    ):
        llm.add_event(
            "gen_ai.evaluation.result",
            {"gen_ai.evaluation.name": "is_polite", "llmpulse.evaluation.passed": True},
        )
        llm.set_status(Status(StatusCode.OK))
    provider.shutdown()

    body = encode_spans(exporter.get_finished_spans()).SerializeToString()
    request: ExportTraceServiceRequest = decode_request(
        body, "application/x-protobuf", None, max_body_bytes=1 << 20
    )
    batch = normalize(request, project_id="p", now_ns=time.time_ns())

    llm_row, root_row = batch.spans  # children finish first
    assert (root_row.span_type, root_row.parent_span_id, root_row.input) == ("chain", "", "Hi?")
    assert llm_row.parent_span_id == root_row.span_id
    assert llm_row.trace_id == root_row.trace_id and len(llm_row.trace_id) == 32
    assert (llm_row.span_type, llm_row.kind, llm_row.status_code) == ("llm", "CLIENT", "OK")
    assert (llm_row.model, llm_row.provider, llm_row.finish_reason) == (
        "gpt-4o-mini",
        "openai",
        "stop",
    )
    assert (llm_row.input_tokens, llm_row.output_tokens) == (50, 7)
    assert llm_row.cost_usd is not None and llm_row.cost_usd > 0
    assert (llm_row.service_name, llm_row.environment, llm_row.scope_name) == (
        "support-bot",
        "test",
        "llmpulse",
    )
    assert llm_row.resource_attributes["telemetry.sdk.name"] == "opentelemetry"
    (evaluation,) = batch.evaluations
    assert (evaluation.name, evaluation.passed, evaluation.span_id) == (
        "is_polite",
        True,
        llm_row.span_id,
    )
    assert json.loads(llm_row.events)[0]["name"] == "gen_ai.evaluation.result"
