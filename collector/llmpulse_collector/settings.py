"""Collector settings: every setting once, with its environment variable and default.

All variables carry the ``LLMPULSE_`` prefix (``LLMPULSE_CLICKHOUSE_URL``, ...). The
app factory takes a ``Settings`` object; nothing reads the environment at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """The collector's configuration (environment variables ``LLMPULSE_<NAME>``)."""

    model_config = SettingsConfigDict(env_prefix="LLMPULSE_", extra="ignore")

    data_dir: Path = Field(
        Path(".llmpulse"), description="Directory for embedded storage and local state."
    )
    clickhouse_url: str | None = Field(
        None,
        description="chdb:///path (embedded, default <data_dir>/clickhouse) or "
        "http(s)://user:pass@host:8123 for a ClickHouse server.",
    )
    clickhouse_database: str = Field("llmpulse", description="ClickHouse database name.")
    clickhouse_cluster: str | None = Field(
        None, description="Cluster name: ON CLUSTER DDL, Replicated and Distributed tables."
    )
    retention_days: int = Field(30, ge=1, description="Days spans are kept (TTL).")
    host: str = Field("127.0.0.1", description="Address the collector listens on.")
    port: int = Field(4318, description="Port of OTLP/HTTP ingestion and the query API.")
    max_body_bytes: int = Field(
        16 * 1024 * 1024, description="Largest accepted request body, after decompression."
    )
    batch_max_spans: int = Field(65_536, description="Spans per insert at most.")
    batch_max_delay_ms: float = Field(20.0, description="Longest wait to fill a batch.")
    max_pending_spans: int = Field(
        200_000, description="Spans waiting to be written before ingestion answers 429."
    )
    ingest_deadline_ms: float = Field(
        4_000.0,
        gt=0,
        description="How long an ingest request may wait, from its arrival, for a decoding "
        "slot and then for its insert to start. Past it, it is answered 429 with "
        "Retry-After and never stored (OTel exporters give up after 10 s).",
    )
    key_cache_seconds: float = Field(
        10.0, description="How long a looked-up API key is trusted before re-checking."
    )
    dashboard_url: str | None = Field(None, description="Public URL of the dashboard.")
    eval_rules_file: Path | None = Field(
        None, description="YAML file of server-side evaluation rules, applied at ingest."
    )
    eval_rules_refresh_seconds: float = Field(
        10.0, gt=0, description="How often evaluation rules are re-read (table and file)."
    )
    alerts_enabled: bool = Field(
        False, description="Run the alert engine here (on one collector of a deployment)."
    )
    alert_rules_file: Path | None = Field(
        None, description="YAML file of alert rules and notifiers for the alert engine."
    )
    alert_interval_seconds: float = Field(
        60.0, ge=1, description="How often the alert engine evaluates every rule."
    )
    alert_webhook_url: str | None = Field(
        None, description="Default generic JSON webhook for alert notifications."
    )
    alert_slack_webhook_url: str | None = Field(
        None, description="Default Slack incoming-webhook URL for alert notifications."
    )

    @property
    def resolved_clickhouse_url(self) -> str:
        if self.clickhouse_url:
            return self.clickhouse_url
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
