"""Prometheus metrics of one collector instance (a registry per app, not global)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from llmpulse_collector.store.writer import BatchReport

__all__ = ["CollectorMetrics"]


@dataclass
class CollectorMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.spans_accepted = Counter(
            "llmpulse_spans_accepted", "Spans acknowledged and stored.", registry=r
        )
        self.spans_rejected = Counter(
            "llmpulse_spans_rejected", "Spans rejected, by reason.", ["reason"], registry=r
        )
        self.requests_rejected = Counter(
            "llmpulse_ingest_requests_rejected",
            "Ingest requests answered with an error, by HTTP status.",
            ["status"],
            registry=r,
        )
        self.evaluations_accepted = Counter(
            "llmpulse_evaluations_accepted", "Evaluation rows stored.", registry=r
        )
        self.invalid_values = Counter(
            "llmpulse_invalid_values",
            "Token counts and costs dropped as invalid or absurd (named on the span).",
            registry=r,
        )
        self.unpriced_spans = Counter(
            "llmpulse_unpriced_spans", "LLM spans whose model has no known price.", registry=r
        )
        self.batch_spans = Histogram(
            "llmpulse_batch_spans",
            "Spans per insert batch.",
            buckets=(1, 10, 100, 500, 1_000, 5_000, 10_000, 20_000, 50_000),
            registry=r,
        )
        self.insert_seconds = Histogram(
            "llmpulse_insert_seconds",
            "Latency of one batch insert.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.queue_depth = Gauge(
            "llmpulse_writer_pending_spans", "Spans waiting to be written.", registry=r
        )
        self.insert_failures = Counter(
            "llmpulse_insert_failures", "Batch inserts that failed.", registry=r
        )

    def observe_batch(self, report: BatchReport) -> None:
        """Called by the writer after every insert."""
        self.batch_spans.observe(report.spans)
        self.insert_seconds.observe(report.seconds)
        if report.error is not None:
            self.insert_failures.inc()
