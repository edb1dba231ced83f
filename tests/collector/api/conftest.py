"""A collector app on its own database, with keys, driven through FastAPI's TestClient."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from llmpulse_collector.app import create_app
from llmpulse_collector.settings import Settings
from llmpulse_collector.store import Store
from llmpulse_collector.store.keys import create_key, create_operator_key, create_project
from tests.otlp import attributes


@dataclass
class Api:
    client: TestClient
    store: Store
    project: str
    ingest_key: str
    read_key: str
    admin_key: str
    operator_key: str = ""  # the instance-wide key (creates projects, manages any)

    def headers(self, key: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}", **extra}

    def send(self, message: ExportTraceServiceRequest, key: str | None = None) -> Any:
        return self.client.post(
            "/v1/traces",
            content=message.SerializeToString(),
            headers=self.headers(
                key or self.ingest_key, **{"Content-Type": "application/x-protobuf"}
            ),
        )

    def get(self, path: str, key: str | None = None, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers(key or self.read_key))


@contextlib.contextmanager
def started_api(chdb_url: str, **settings: Any) -> Iterator[Api]:
    """A collector app on a fresh database of its own; ``settings`` overrides apply."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    config = Settings(clickhouse_url=chdb_url, clickhouse_database=database, **settings)
    client = TestClient(create_app(config))
    client.__enter__()
    store = Store.open(chdb_url, database=database)
    try:
        project = create_project(store, "shop")
        yield Api(
            client=client,
            store=store,
            project=project,
            ingest_key=create_key(store, project, "ingest"),
            read_key=create_key(store, project, "read"),
            admin_key=create_key(store, project, "admin"),
            operator_key=create_operator_key(store),
        )
    finally:
        client.__exit__(None, None, None)
        try:
            store.command(f"DROP DATABASE IF EXISTS {store.database} SYNC")
        finally:
            store.close()


@pytest.fixture
def make_api(chdb_url: str) -> Iterator[Callable[..., Api]]:
    """Starts collector apps on fresh databases; ``settings`` overrides apply."""
    with contextlib.ExitStack() as stack:
        yield lambda **settings: stack.enter_context(started_api(chdb_url, **settings))


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


def otlp_span(
    trace_id: str,
    span_id: str,
    name: str,
    *,
    parent: str = "",
    start_ns: int | None = None,
    duration_ms: float = 10.0,
    error: bool = False,
    attrs: dict[str, Any] | None = None,
) -> Span:
    start = start_ns if start_ns is not None else time.time_ns() - 60_000_000_000
    return Span(
        trace_id=bytes.fromhex(trace_id),
        span_id=bytes.fromhex(span_id),
        parent_span_id=bytes.fromhex(parent) if parent else b"",
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(duration_ms * 1e6),
        attributes=attributes(attrs or {}),
        status=Status(code=Status.STATUS_CODE_ERROR if error else Status.STATUS_CODE_OK),
    )


def otlp_request(*spans: Span, service: str = "shop-api") -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(
                    attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))]
                ),
                scope_spans=[ScopeSpans(spans=list(spans))],
            )
        ]
    )
