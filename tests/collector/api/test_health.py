"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from tests.collector.api.conftest import Api, otlp_request, otlp_span


def test_health_and_readiness(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json() == {"status": "ready"}


def test_metrics_count_accepted_and_rejected_spans(api: Api) -> None:
    message = otlp_request(
        otlp_span(
            "1" * 32,
            "0000000000000001",
            "chat",
            attrs={"gen_ai.request.model": "my-private-model", "gen_ai.usage.input_tokens": 5},
        ),
        otlp_span("0" * 32, "0000000000000002", "bad"),
    )
    assert api.send(message).status_code == 200
    api.client.post("/v1/traces", content=b"x", headers={"Content-Type": "text/plain"})
    text = api.client.get("/metrics").text
    assert "llmpulse_spans_accepted_total 1.0" in text
    assert 'llmpulse_spans_rejected_total{reason="invalid"} 1.0' in text
    assert 'llmpulse_ingest_requests_rejected_total{status="401"} 1.0' in text
    assert "llmpulse_unpriced_spans_total 1.0" in text
    # the batch writer's inserts: one batch of one span, its size and how long it took
    assert "llmpulse_batch_spans_count 1.0" in text
    assert "llmpulse_batch_spans_sum 1.0" in text
    assert 'llmpulse_batch_spans_bucket{le="1.0"} 1.0' in text
    assert "llmpulse_insert_seconds_count 1.0" in text
    assert "llmpulse_writer_pending_spans 0.0" in text
