"""What one running collector holds: settings, store, writer, key cache, metrics."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from llmpulse_collector.alerts.engine import AlertEngine
from llmpulse_collector.api.auth import KeyCache
from llmpulse_collector.evalrules.ruleset import EvalRuleSet
from llmpulse_collector.metrics import CollectorMetrics
from llmpulse_collector.settings import Settings
from llmpulse_collector.store import BatchWriter, Store
from llmpulse_collector.store.keys import lookup_key

__all__ = ["Runtime"]

log = logging.getLogger("llmpulse.collector")


@dataclass
class Runtime:
    settings: Settings
    store: Store
    writer: BatchWriter
    keys: KeyCache
    metrics: CollectorMetrics
    eval_rules: EvalRuleSet | None = None
    alerts: AlertEngine | None = None  # only where settings.alerts_enabled
    # ingest requests decoded and normalized at once: it is Python work holding the GIL,
    # so a second one would only slow both down (and every request waiting behind them)
    ingest_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))

    @classmethod
    def start(cls, settings: Settings) -> Runtime:
        """Open storage, apply migrations and start the writer."""
        if settings.clickhouse_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store.open(
            settings.resolved_clickhouse_url,
            database=settings.clickhouse_database,
            cluster=settings.clickhouse_cluster,
        )
        applied = store.migrate(retention_days=settings.retention_days)
        if applied:
            log.info("applied migrations %s", applied)
        metrics = CollectorMetrics()
        writer = BatchWriter(
            store,
            max_batch_spans=settings.batch_max_spans,
            max_delay_s=settings.batch_max_delay_ms / 1000.0,
            max_pending_spans=settings.max_pending_spans,
            max_wait_s=settings.ingest_deadline_ms / 1000.0,
            on_batch=metrics.observe_batch,
        )
        writer.start()
        keys = KeyCache(lambda key: lookup_key(store, key), ttl=settings.key_cache_seconds)
        runtime = cls(settings=settings, store=store, writer=writer, keys=keys, metrics=metrics)
        runtime.eval_rules = EvalRuleSet(
            store, settings.eval_rules_file, settings.eval_rules_refresh_seconds
        )
        runtime.eval_rules.start()
        if settings.alerts_enabled:
            runtime.alerts = AlertEngine.from_settings(store, settings)
            runtime.alerts.start()
        return runtime

    def stop(self) -> None:
        """Flush what is pending, then close storage."""
        try:
            if self.alerts is not None:
                self.alerts.stop()
            if self.eval_rules is not None:
                self.eval_rules.stop()
            self.writer.stop()
        finally:
            self.store.close()
