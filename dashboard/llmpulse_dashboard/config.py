"""The dashboard's settings, read from the environment on each use (never at import).

| variable              | meaning                                                      |
|-----------------------|--------------------------------------------------------------|
| `LLMPULSE_API_URL`    | the collector's base URL (default http://127.0.0.1:4318)     |
| `LLMPULSE_API_KEY`    | a read key: one project                                      |
| `LLMPULSE_API_KEYS`   | comma-separated read keys: one project each                  |
| `LLMPULSE_INGEST_KEY` | an ingest key, shown in the "send your first trace" snippet  |
| `LLMPULSE_DASHBOARD_REFRESH_SECONDS` | auto-refresh interval (default 30)            |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_API_URL", "DashboardConfig", "load_config"]

DEFAULT_API_URL = "http://127.0.0.1:4318"


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    api_url: str
    api_keys: tuple[str, ...]
    ingest_key: str
    refresh_seconds: float


def load_config(env: Mapping[str, str] | None = None) -> DashboardConfig:
    """Settings from ``env`` (default ``os.environ``); keys deduplicated, order kept."""
    source = os.environ if env is None else env
    keys: list[str] = []
    for raw in [
        source.get("LLMPULSE_API_KEY", ""),
        *source.get("LLMPULSE_API_KEYS", "").split(","),
    ]:
        key = raw.strip()
        if key and key not in keys:
            keys.append(key)
    try:
        refresh = float(source.get("LLMPULSE_DASHBOARD_REFRESH_SECONDS", "30"))
    except ValueError:
        refresh = 30.0
    return DashboardConfig(
        api_url=(source.get("LLMPULSE_API_URL") or DEFAULT_API_URL).rstrip("/"),
        api_keys=tuple(keys),
        ingest_key=source.get("LLMPULSE_INGEST_KEY", "").strip(),
        refresh_seconds=max(5.0, refresh),
    )
