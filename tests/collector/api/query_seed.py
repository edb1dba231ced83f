"""A small dataset with known answers for the query API tests, and a module-scoped app.

Times are relative to ``A``, the top of the hour four hours ago; the tests query the
range ``R = [A, A + 4h)`` (``RANGE``), whose previous period is ``[A - 4h, A)``.

============  ==========  =========================================================
trace         starts at   content
============  ==========  =========================================================
``T0``        A - 2h      previous period: answer → chat (gpt-4o-mini), carol, s3
``T1``        A + 10min   answer (shop-api, alice, s1, [prod]) → chat (gpt-4o-mini,
                          JSON messages, ttft 200) → lookup (tool); REFUND text
``T2``        A + 70min   answer (shop-api, bob, s2, [prod, beta], ERROR) → chat
                          (claude-sonnet-4-5, ERROR, ttft 400)
``T3``        A + 130min  search (search-api, alice, s1, no tags) → chat (gpt-4o-mini)
(bucket 3)    A + 3h      nothing: an empty bucket
``TX``        A + 20min   another project's trace
============  ==========  =========================================================

Evaluations: T1 polite ✓ (trace), T1 grounded ✗ on its chat span, T2 polite ✗,
T3 polite ✓, T3 relevance (score 0.7, no verdict), T2 thumbs ✗ (feedback, "wrong").
Metadata: T1's lookup span ``llmpulse.metadata.plan=pro``; T2's root the plain
attribute ``plan=free`` and ``llmpulse.metadata.region=eu``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from llmpulse_collector.app import create_app
from llmpulse_collector.model import EvaluationRow, SpanRow
from llmpulse_collector.settings import Settings
from llmpulse_collector.store import Store
from llmpulse_collector.store.keys import create_key, create_project

H = 3_600_000_000_000
MIN = 60_000_000_000
MS = 1_000_000
A = (time.time_ns() // H - 4) * H
RANGE = {"from": str(A / 1e9), "to": str((A + 4 * H) / 1e9)}
T0, T1, T2, T3, TX = (f"{n:032x}" for n in (0xA0, 0xA1, 0xA2, 0xA3, 0xAF))

MESSAGES_IN = '[{"role": "user", "content": "How do I get a REFUND?"}]'
MESSAGES_OUT = '[{"role": "assistant", "content": "Refunds take 5 days."}]'


def span(project: str, trace: str, n: int, name: str, start: int, ms: float, **kw: Any) -> SpanRow:
    values: dict[str, Any] = {
        "project_id": project,
        "trace_id": trace,
        "span_id": f"{trace[-4:]}{n:012x}",
        "parent_span_id": "",
        "name": name,
        "kind": "INTERNAL",
        "service_name": "shop-api",
        "scope_name": "test",
        "environment": "prod",
        "start_time": start,
        "end_time": start + int(ms * MS),
        "duration_ms": ms,
        "status_code": "OK",
        "status_message": "",
        "span_type": "chain",
        "model": "",
        "provider": "",
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": None,
        "time_to_first_token_ms": None,
        "finish_reason": "",
        "tool_name": "",
        "session_id": "",
        "user_id": "",
        "tags": [],
        "input": "",
        "output": "",
        "attributes": {},
        "resource_attributes": {},
        "events": "[]",
    }
    values.update(kw)
    return SpanRow(**values)


def llm(project: str, trace: str, n: int, start: int, ms: float, model: str, **kw: Any) -> SpanRow:
    provider = "anthropic" if model.startswith("claude") else "openai"
    return span(
        project, trace, n, "chat", start, ms, span_type="llm", model=model, provider=provider, **kw
    )


def span_id(trace: str, n: int) -> str:
    return f"{trace[-4:]}{n:012x}"


def spans(p: str) -> list[SpanRow]:
    t1, t2, t3, t0 = A + 10 * MIN, A + 70 * MIN, A + 130 * MIN, A - 2 * H
    root1, root2, root3, root0 = (span_id(t, 1) for t in (T1, T2, T3, T0))
    return [
        span(p, T0, 1, "answer", t0, 2000, user_id="carol", session_id="s3"),
        llm(p, T0, 2, t0 + 50 * MS, 1500, "gpt-4o-mini", parent_span_id=root0,
            input_tokens=10, output_tokens=1, cost_usd=0.001),
        span(p, T1, 1, "answer", t1, 1000, user_id="alice", session_id="s1", tags=["prod"],
             input="How do I get a REFUND?", output="Refunds take 5 days."),
        llm(p, T1, 2, t1 + 100 * MS, 800, "gpt-4o-mini", parent_span_id=root1,
            input_tokens=100, output_tokens=10, cost_usd=0.01, time_to_first_token_ms=200.0,
            input=MESSAGES_IN, output=MESSAGES_OUT),
        span(p, T1, 3, "lookup", t1 + 200 * MS, 100, span_type="tool",
             parent_span_id=span_id(T1, 2), input="order 42", output="shipped",
             attributes={"llmpulse.metadata.plan": "pro"}),
        span(p, T2, 1, "answer", t2, 3000, user_id="bob", session_id="s2",
             tags=["prod", "beta"], status_code="ERROR", input="Cancel my plan",
             output="Something went wrong",
             attributes={"plan": "free", "llmpulse.metadata.region": "eu"}),
        llm(p, T2, 2, t2 + 50 * MS, 2900, "claude-sonnet-4-5", parent_span_id=root2,
            input_tokens=300, status_code="ERROR", cost_usd=0.03, time_to_first_token_ms=400.0),
        span(p, T3, 1, "search", t3, 500, service_name="search-api", user_id="alice",
             session_id="s1", environment="staging", input="Where is my order?",
             output="It ships TOMORROW."),
        llm(p, T3, 2, t3 + 50 * MS, 400, "gpt-4o-mini", parent_span_id=root3,
            service_name="search-api", environment="staging", input_tokens=50,
            output_tokens=5, cost_usd=0.005, input="plain prompt", output="plain answer"),
    ]  # fmt: skip


def evaluation(p: str, trace: str, name: str, at: int, **kw: Any) -> EvaluationRow:
    values: dict[str, Any] = {
        "project_id": p,
        "trace_id": trace,
        "span_id": "",
        "name": name,
        "source": "sdk",
        "passed": True,
        "score": None,
        "label": "",
        "comment": "",
        "value": "true",
        "created_at": at,
    }
    values.update(kw)
    return EvaluationRow(**values)


def evaluations(p: str) -> list[EvaluationRow]:
    return [
        evaluation(p, T1, "polite", A + 11 * MIN),
        evaluation(p, T1, "grounded", A + 12 * MIN, span_id=span_id(T1, 2), passed=False,
                   comment="no source", label="fail", score=0.0),
        evaluation(p, T2, "polite", A + 71 * MIN, passed=False),
        evaluation(p, T2, "thumbs", A + 80 * MIN, source="feedback", passed=False,
                   comment="wrong", label="negative", score=0.0),
        evaluation(p, T3, "polite", A + 131 * MIN),
        evaluation(p, T3, "relevance", A + 132 * MIN, passed=None, score=0.7),
    ]  # fmt: skip


@dataclass
class Seeded:
    client: TestClient
    store: Store
    project: str
    read_key: str
    ingest_key: str
    admin_key: str
    other_key: str  # a read key of another project

    def get(self, path: str, key: str | None = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {key or self.read_key}"}
        return self.client.get(path, params=params, headers=headers)

    def ok(self, path: str, **params: Any) -> Any:
        resp = self.get(path, **params)
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture(scope="module", name="seeded")
def seeded_fixture(chdb_url: str) -> Iterator[Seeded]:
    """One collector app on a fresh database holding the dataset above (read-only)."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    settings = Settings(clickhouse_url=chdb_url, clickhouse_database=database)
    with TestClient(create_app(settings)) as client:
        store = Store.open(chdb_url, database=database)
        try:
            project = create_project(store, "shop")
            other = create_project(store, "other")
            store.insert_spans(spans(project))
            store.insert_spans([span(other, TX, 1, "answer", A + 20 * MIN, 100)])
            store.insert_evaluations(evaluations(project))
            yield Seeded(
                client=client,
                store=store,
                project=project,
                read_key=create_key(store, project, "read"),
                ingest_key=create_key(store, project, "ingest"),
                admin_key=create_key(store, project, "admin"),
                other_key=create_key(store, other, "read"),
            )
        finally:
            store.command(f"DROP DATABASE IF EXISTS {database} SYNC")
            store.close()
