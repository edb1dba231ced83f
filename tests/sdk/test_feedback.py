"""llmpulse.feedback(): POSTed as JSON to the collector from a background thread."""

from __future__ import annotations

import logging
import time

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import llmpulse
from llmpulse._feedback import FeedbackSender

from .conftest import Receiver

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"


def configure(url: str) -> None:
    llmpulse.configure(endpoint=url, api_key="fb-key", span_exporter=InMemorySpanExporter())


def test_feedback_is_posted_with_auth(receiver: Receiver):
    configure(receiver.url)
    llmpulse.feedback(TRACE_ID, "thumbs_up", True, comment="great answer")
    llmpulse.feedback(int(TRACE_ID, 16), "rating", 4, span_id=SPAN_ID)
    llmpulse.feedback(TRACE_ID.upper(), "label", "wrong-language", span_id=int(SPAN_ID, 16))
    assert llmpulse.flush(timeout=5)

    assert {r.path for r in receiver.requests} == {"/api/v1/feedback"}
    assert {r.headers["authorization"] for r in receiver.requests} == {"Bearer fb-key"}
    assert {r.headers["content-type"] for r in receiver.requests} == {"application/json"}
    bodies = sorted((r.json() for r in receiver.requests), key=lambda b: b["name"])  # type: ignore[index]
    assert bodies == [
        {
            "trace_id": TRACE_ID,
            "span_id": SPAN_ID,
            "name": "label",
            "value": "wrong-language",
            "comment": None,
        },
        {"trace_id": TRACE_ID, "span_id": SPAN_ID, "name": "rating", "value": 4, "comment": None},
        {
            "trace_id": TRACE_ID,
            "span_id": None,
            "name": "thumbs_up",
            "value": True,
            "comment": "great answer",
        },
    ]
    assert llmpulse.stats()["feedback_sent"] == 3


def test_feedback_on_the_current_trace(receiver: Receiver):
    configure(receiver.url)
    with llmpulse.span("request"):
        trace_id = llmpulse.current_trace_id()
        assert trace_id is not None
        llmpulse.feedback(trace_id, "score", 0.5)
    llmpulse.flush()
    assert receiver.requests[0].json()["trace_id"] == trace_id  # type: ignore[index]


def test_an_unreachable_endpoint_neither_blocks_nor_raises(unused_url: str, caplog):
    configure(unused_url)
    started = time.perf_counter()
    for _ in range(3):
        llmpulse.feedback(TRACE_ID, "thumbs_up", False)
    assert time.perf_counter() - started < 0.1
    with caplog.at_level(logging.WARNING, "llmpulse"):
        assert llmpulse.flush(timeout=10)
    assert llmpulse.stats()["feedback_failed"] == 3
    assert caplog.text.count("sending feedback") == 1  # logged once


def test_server_errors_are_counted_as_failures(receiver: Receiver):
    receiver.status = 500
    configure(receiver.url)
    llmpulse.feedback(TRACE_ID, "x", 1)
    llmpulse.flush()
    assert llmpulse.stats()["feedback_failed"] == 1


@pytest.mark.parametrize(
    ("trace_id", "span_id"),
    [("not-hex", None), ("abc", None), ("0" * 32, None), (TRACE_ID, "xyz"), (TRACE_ID, 2**64)],
)
def test_invalid_ids_are_dropped_and_logged(receiver: Receiver, caplog, trace_id, span_id):
    configure(receiver.url)
    with caplog.at_level(logging.WARNING, "llmpulse"):
        llmpulse.feedback(trace_id, "x", 1, span_id=span_id)
    llmpulse.flush()
    assert receiver.requests == []
    assert llmpulse.stats()["feedback_dropped"] == 1
    assert "invalid feedback" in caplog.text


def test_feedback_before_configure_is_dropped():
    llmpulse.feedback(TRACE_ID, "x", 1)
    assert llmpulse.stats()["feedback_dropped"] == 1


def test_a_full_queue_drops_instead_of_blocking(unused_url: str):
    sender = FeedbackSender(unused_url + "/api/v1/feedback", {}, max_queue=2)
    for _ in range(50):
        sender.submit({"n": 1})
    sender.shutdown(timeout=10)
    stats = llmpulse.stats()
    assert stats["feedback_dropped"] + stats["feedback_failed"] == 50
    assert stats["feedback_dropped"] >= 47
