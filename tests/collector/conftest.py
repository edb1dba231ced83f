"""Shared collector fixtures: ``store`` (a fresh, migrated database per test) and
``make_span`` (a valid ``SpanRow`` with overrides).

chDB hosts one engine path per process, so the whole session shares one chDB
directory and every test gets its own database (``t_<hex>``), dropped afterwards.
Set ``LLMPULSE_TEST_CLICKHOUSE_URL=http://user:pass@host:8123`` to also run every
``store`` test against a ClickHouse server.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from llmpulse_collector.model import EvaluationRow, SpanRow
from llmpulse_collector.store import Store, migrations

SERVER_URL_ENV = "LLMPULSE_TEST_CLICKHOUSE_URL"
_HOUR_NS = 3_600_000_000_000
# The top of the previous hour plus some nanoseconds: recent, so the retention TTL
# (which drops rows older than N days on insert) keeps the test rows.
BASE_TIME_NS = (time.time_ns() // _HOUR_NS - 1) * _HOUR_NS + 123_456_789


def _store_urls() -> list[Any]:
    server = os.environ.get(SERVER_URL_ENV)
    return [
        pytest.param("chdb", id="chdb"),
        pytest.param(
            server,
            id="server",
            marks=pytest.mark.skipif(not server, reason=f"{SERVER_URL_ENV} is not set"),
        ),
    ]


@pytest.fixture(params=_store_urls())
def store_url(request: pytest.FixtureRequest, chdb_url: str) -> str:
    """The URL of the database under test: the session's chDB dir, or the server."""
    return chdb_url if request.param == "chdb" else str(request.param)


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[..., Store]]:
    """Opens stores on fresh databases (``t_<hex>``); drops them after the test."""
    opened: list[Store] = []

    def _open(*, migrate: bool = True, database: str | None = None) -> Store:
        store = Store.open(store_url, database=database or f"t_{uuid.uuid4().hex[:12]}")
        opened.append(store)
        if migrate:
            store.migrate()
        return store

    yield _open
    for store in opened:
        store.close()
    with Store.open(store_url, database="default") as admin:
        for database in {store.database for store in opened}:
            admin.command(f"DROP DATABASE IF EXISTS {database} SYNC")


@pytest.fixture
def store(open_store: Callable[..., Store]) -> Store:
    """A migrated store on a database of its own."""
    return open_store()


#: ``(store, upgrade)``: a store migrated up to (not with) a migration; ``upgrade()``
#: applies the rest and returns the numbers it applied.
OldStore = tuple[Store, Callable[[], list[int]]]


@pytest.fixture
def store_before(
    open_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> Callable[[int], OldStore]:
    """Opens stores as an older release left them: every migration before ``number``
    applied, so a test can store data, upgrade and read it."""
    everything = migrations.load()

    def _open(number: int) -> OldStore:
        older = [m for m in everything if m.number < number]
        monkeypatch.setattr(migrations, "load", lambda: older)
        store = open_store()

        def upgrade() -> list[int]:
            monkeypatch.setattr(migrations, "load", lambda: everything)
            return store.migrate()

        return store, upgrade

    return _open


_ids = itertools.count(1)


def make_span(**overrides: Any) -> SpanRow:
    """A valid LLM span with unique ids; keyword arguments replace fields."""
    n = next(_ids)
    start = overrides.pop("start_time", BASE_TIME_NS + n * 1_000_000)
    end = overrides.pop("end_time", start + 1_250_000_000)
    values: dict[str, Any] = {
        "project_id": "demo",
        "trace_id": f"{n:032x}",
        "span_id": f"{n:016x}",
        "parent_span_id": "",
        "name": "chat gpt-4o-mini",
        "kind": "CLIENT",
        "service_name": "support-bot",
        "scope_name": "llmpulse",
        "environment": "test",
        "start_time": start,
        "end_time": end,
        "duration_ms": (end - start) / 1e6,
        "status_code": "OK",
        "status_message": "",
        "span_type": "llm",
        "model": "gpt-4o-mini",
        "provider": "openai",
        "input_tokens": 120,
        "output_tokens": 45,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": 0.000045,
        "time_to_first_token_ms": 310.5,
        "finish_reason": "stop",
        "tool_name": "",
        "session_id": "session-1",
        "user_id": "user-1",
        "tags": ["prod"],
        "input": "What is the refund policy for damaged items?",
        "output": "Damaged items can be refunded within 30 days.",
        "attributes": {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini"},
        "resource_attributes": {"service.name": "support-bot"},
        "events": "[]",
    }
    values.update(overrides)
    return SpanRow(**values)


def make_evaluation(**overrides: Any) -> EvaluationRow:
    """A passing SDK assertion on a trace; keyword arguments replace fields."""
    values: dict[str, Any] = {
        "project_id": "demo",
        "trace_id": f"{1:032x}",
        "span_id": "",
        "name": "answer_is_polite",
        "source": "sdk",
        "passed": True,
        "score": 1.0,
        "label": "pass",
        "comment": "",
        "value": "true",
        "created_at": BASE_TIME_NS,
    }
    values.update(overrides)
    return EvaluationRow(**values)


@pytest.fixture
def base_time_ns() -> int:
    """The default ``start_time`` base of ``make_span`` (recent, odd nanoseconds)."""
    return BASE_TIME_NS


@pytest.fixture(name="make_span")
def make_span_fixture() -> Callable[..., SpanRow]:
    """The ``make_span`` factory as a fixture."""
    return make_span


@pytest.fixture(name="make_evaluation")
def make_evaluation_fixture() -> Callable[..., EvaluationRow]:
    """The ``make_evaluation`` factory as a fixture."""
    return make_evaluation
