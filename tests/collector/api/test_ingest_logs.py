"""``POST /v1/logs`` with the real OpenTelemetry SDK's OTLP log exporter as the client.

``opentelemetry-instrumentation-openai-v2`` on default settings sends a chat span
without content and the prompt and completion as GenAI log events; the trace detail
shows them as the span's input and output, whichever arrived first, and lists every
log record of the trace.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from fastapi.testclient import TestClient
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from requests.structures import CaseInsensitiveDict

from tests.collector.api.conftest import Api

ENDPOINT = "http://collector"


class _ToApp(requests.adapters.BaseAdapter):
    """A requests transport that hands each request to the app's TestClient."""

    def __init__(self, client: TestClient) -> None:
        super().__init__()
        self.client = client

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        answer = self.client.request(
            request.method or "POST",
            urlsplit(request.url).path,
            content=request.body,  # type: ignore[arg-type]
            headers=dict(request.headers),
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(answer.headers)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def _session(api: Api) -> requests.Session:
    session = requests.Session()
    session.mount(ENDPOINT, _ToApp(api.client))
    return session


@pytest.fixture
def providers(api: Api) -> Iterator[tuple[TracerProvider, LoggerProvider]]:
    headers = {"Authorization": f"Bearer {api.ingest_key}"}
    resource = Resource.create({"service.name": "chat-app"})
    tracer_provider = TracerProvider(resource=resource)
    span_exporter = OTLPSpanExporter(
        endpoint=f"{ENDPOINT}/v1/traces", headers=headers, session=_session(api)
    )
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    logger_provider = LoggerProvider(resource=resource)
    log_exporter = OTLPLogExporter(
        endpoint=f"{ENDPOINT}/v1/logs",
        headers=headers,
        session=_session(api),
        compression=Compression.Gzip,
    )
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    yield tracer_provider, logger_provider
    tracer_provider.shutdown()
    logger_provider.shutdown()


TOOL_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


def test_openai_v2_content_events_attach_to_their_span(
    api: Api, providers: tuple[TracerProvider, LoggerProvider]
) -> None:
    tracer_provider, logger_provider = providers
    tracer = tracer_provider.get_tracer("opentelemetry.instrumentation.openai_v2")
    logger = logger_provider.get_logger("opentelemetry.instrumentation.openai_v2")
    with tracer.start_as_current_span("POST /ask") as root:
        logger.emit(body="request received", severity_number=SeverityNumber.INFO,
                    severity_text="INFO")  # fmt: skip
        with tracer.start_as_current_span("chat gpt-4o-mini") as span:
            for key, value in {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.response.finish_reasons": ["tool_calls"],
                "gen_ai.usage.input_tokens": 40,
                "gen_ai.usage.output_tokens": 12,
            }.items():
                span.set_attribute(key, value)
            events: list[tuple[str, Any]] = [
                ("gen_ai.system.message", {"content": "Be brief."}),
                ("gen_ai.user.message", {"content": "Weather in Paris?"}),
                (
                    "gen_ai.choice",
                    {
                        "index": 0,
                        "finish_reason": "tool_calls",
                        "message": {"role": "assistant", "tool_calls": [TOOL_CALL]},
                    },
                ),
            ]
            for name, body in events:  # exported now, before the span
                logger.emit(event_name=name, body=body, attributes={"gen_ai.system": "openai"})
        trace_id = format(root.get_span_context().trace_id, "032x")
        chat_span_id = format(span.get_span_context().span_id, "016x")

    resp = api.get(f"/api/v1/traces/{trace_id}")
    assert resp.status_code == 200, resp.text
    trace = resp.json()
    [root_span] = trace["roots"]
    [chat] = root_span["children"]
    assert chat["span_id"] == chat_span_id
    assert json.loads(chat["input"]) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    [choice] = json.loads(chat["output"])
    assert choice["message"]["tool_calls"] == [TOOL_CALL]
    assert (chat["finish_reason"], chat["model"]) == ("tool_calls", "gpt-4o-mini-2024-07-18")
    assert chat["cost_usd"] > 0

    logs = trace["logs"]
    assert [log["event_name"] for log in logs] == [
        "",
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.choice",
    ]
    assert (logs[0]["body"], logs[0]["severity_text"]) == ("request received", "INFO")
    assert logs[0]["span_id"] == format(root.get_span_context().span_id, "016x")
    assert logs[1]["attributes"] == {"gen_ai.system": "openai"}


def _json_logs(trace_id: str, span_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]
                },
                "scopeLogs": [
                    {
                        "scope": {"name": "openlit"},
                        "logRecords": [
                            {
                                "timeUnixNano": str(time.time_ns() - 60_000_000_000),
                                "eventName": "gen_ai.user.message",
                                "traceId": trace_id,
                                "spanId": span_id,
                                "body": {
                                    "kvlistValue": {
                                        "values": [
                                            {"key": k, "value": {"stringValue": v}}
                                            for k, v in body.items()
                                        ]
                                    }
                                },
                            }
                        ],
                    }
                ],
            }
        ]
    }


def test_otlp_json_and_gzip_are_accepted(api: Api) -> None:
    document = _json_logs("ab" * 16, "cd" * 8, {"content": "Hi"})
    resp = api.client.post(
        "/v1/logs",
        content=gzip.compress(json.dumps(document).encode()),
        headers=api.headers(
            api.ingest_key, **{"Content-Type": "application/json", "Content-Encoding": "gzip"}
        ),
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {}
    [row] = api.store.query(
        f"SELECT trace_id, span_id, event_name, body FROM {api.store.table('logs')}"
    )
    assert row == {
        "trace_id": "ab" * 16,
        "span_id": "cd" * 8,
        "event_name": "gen_ai.user.message",
        "body": '{"content":"Hi"}',
    }


def test_same_auth_and_limits_as_traces(make_api: Any) -> None:
    api: Api = make_api(max_body_bytes=2_000)
    json_headers = {"Content-Type": "application/json"}
    body = json.dumps(_json_logs("ab" * 16, "cd" * 8, {"content": "Hi"})).encode()
    no_key = api.client.post("/v1/logs", content=body, headers=json_headers)
    assert no_key.status_code == 401
    read_key = api.client.post(
        "/v1/logs", content=body, headers=api.headers(api.read_key, **json_headers)
    )
    assert read_key.status_code == 403
    big = json.dumps(_json_logs("ab" * 16, "cd" * 8, {"content": "x" * 5_000})).encode()
    too_big = api.client.post(
        "/v1/logs", content=big, headers=api.headers(api.ingest_key, **json_headers)
    )
    assert too_big.status_code == 413
    garbage = api.client.post(
        "/v1/logs",
        content=b"\x00\xff",
        headers=api.headers(api.ingest_key, **{"Content-Type": "application/x-protobuf"}),
    )
    assert garbage.status_code == 400
    bad_id = json.dumps(_json_logs("ab" * 4, "cd" * 8, {"content": "Hi"})).encode()
    partial = api.client.post(
        "/v1/logs", content=bad_id, headers=api.headers(api.ingest_key, **json_headers)
    )
    assert partial.status_code == 200
    assert partial.json()["partialSuccess"]["rejectedLogRecords"] == "1"
    stored = api.store.query(f"SELECT count() AS n FROM {api.store.table('logs')}")
    assert stored == [{"n": 0}]
