"""``llmpulse up``: the collector, the dashboard and (optionally) demo traffic in one go.

On first start it creates a ``default`` project with an ingest, a read and an admin
key, and the instance-wide operator key (creates projects, manages any project), and
keeps them in ``<data-dir>/credentials.json`` (readable by the owner only), so later
starts, the dashboard, the demo and the CLI reuse them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import httpx
import uvicorn

from llmpulse_collector.app import create_app
from llmpulse_collector.settings import Settings
from llmpulse_collector.store import Store
from llmpulse_collector.store.keys import create_key, create_operator_key, create_project

__all__ = ["Credentials", "dashboard_command", "ensure_credentials", "run_up"]

DEFAULT_PROJECT = "default"


@dataclass(frozen=True)
class Credentials:
    project: str
    ingest_key: str
    read_key: str
    admin_key: str
    collector_url: str = ""
    operator_key: str = ""


def ensure_credentials(settings: Settings) -> tuple[Credentials, bool]:
    """Load the local default credentials, creating project and keys on first start."""
    path = settings.data_dir / "credentials.json"
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = f"http://{host}:{settings.port}"
    if path.exists():
        creds = Credentials(**json.loads(path.read_text()))
        if creds.collector_url != url or not creds.operator_key:
            if not creds.operator_key:  # credentials from before the operator key
                with _store(settings) as store:
                    creds = replace(creds, operator_key=create_operator_key(store))
            creds = replace(creds, collector_url=url)
            _save(path, creds)
        return creds, False
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _store(settings) as store:
        project = create_project(store, DEFAULT_PROJECT)
        creds = Credentials(
            project=project,
            ingest_key=create_key(store, project, "ingest"),
            read_key=create_key(store, project, "read"),
            admin_key=create_key(store, project, "admin"),
            collector_url=url,
            operator_key=create_operator_key(store),
        )
    _save(path, creds)
    return creds, True


@contextlib.contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    store = Store.open(
        settings.resolved_clickhouse_url,
        database=settings.clickhouse_database,
        cluster=settings.clickhouse_cluster,
    )
    try:
        store.migrate(retention_days=settings.retention_days)
        yield store
    finally:
        store.close()


def _save(path: Path, creds: Credentials) -> None:
    """Write the credentials readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(asdict(creds), fh, indent=2)


def dashboard_command(port: int, host: str) -> list[str]:
    """The dashboard server (``streamlit run`` after its imports are complete)."""
    return [
        sys.executable, "-m", "llmpulse_dashboard.serve",
        "--server.port", str(port), "--server.address", host,
    ]  # fmt: skip


def _start_dashboard(
    collector_url: str, creds: Credentials, port: int, host: str
) -> subprocess.Popen[bytes] | None:
    if (
        importlib.util.find_spec("llmpulse_dashboard.serve") is None
        or importlib.util.find_spec("streamlit") is None
    ):
        return None
    env = {
        **os.environ,
        "LLMPULSE_API_URL": collector_url,
        # the local instance's admin key: it reads too, and manages alert rules
        "LLMPULSE_API_KEY": creds.admin_key,
        "LLMPULSE_INGEST_KEY": creds.ingest_key,
    }
    return subprocess.Popen(dashboard_command(port, host), env=env)


def _wait_ready(url: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _has_recent_data(collector_url: str, read_key: str) -> bool:
    resp = httpx.get(
        f"{collector_url}/api/v1/metrics/summary",
        headers={"Authorization": f"Bearer {read_key}"},
        timeout=30,
    )
    return resp.status_code == 200 and any(g["spans"] for g in resp.json()["groups"])


def _start_demo(collector_url: str, creds: Credentials) -> None:
    from llmpulse_collector import demo, demo_evalloop

    def run() -> None:
        if not _wait_ready(collector_url):
            print("demo: collector did not become ready; no demo traffic", file=sys.stderr)
            return
        if _has_recent_data(collector_url, creds.read_key):
            print("demo: the project has data of the last day; no history sent", file=sys.stderr)
        else:
            sent = demo.backfill(collector_url, creds.ingest_key)
            print(f"demo: sent {sent} traces of history", file=sys.stderr)
        if demo.install_alert_rule(collector_url, creds.admin_key):
            print(f"demo: alert rule '{demo.DEMO_ALERT_RULE['name']}' created", file=sys.stderr)
        print("demo: sending live traffic", file=sys.stderr)
        demo.start_live(collector_url, creds.ingest_key)
        demo_evalloop.seed_evaluation_loop(collector_url, creds.admin_key)

    threading.Thread(target=run, name="llmpulse-demo-backfill", daemon=True).start()


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM/SIGINT after shutting down, which would skip stopping
    the dashboard; ``run_up`` installs the handlers itself and exits cleanly."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run_up(settings: Settings, *, demo: bool, dashboard_port: int = 8501) -> int:
    # the quickstart does the whole job: the alert engine runs (unless turned off with
    # LLMPULSE_ALERTS_ENABLED=false) and its notifications link to this dashboard
    updates: dict[str, object] = {}
    if "LLMPULSE_ALERTS_ENABLED" not in os.environ:
        updates["alerts_enabled"] = True
    if settings.dashboard_url is None:
        updates["dashboard_url"] = f"http://{settings.host}:{dashboard_port}"
    settings = settings.model_copy(update=updates)
    creds, created = ensure_credentials(settings)
    collector_url = f"http://{settings.host}:{settings.port}"
    dashboard = _start_dashboard(collector_url, creds, dashboard_port, settings.host)
    banner = [
        "",
        "llmpulse is starting",
        f"  collector (OTLP/HTTP + API): {collector_url}   docs: {collector_url}/docs",
        f"  dashboard:                   http://{settings.host}:{dashboard_port}"
        if dashboard
        else "  dashboard:                   not installed (pip install 'llmpulse[dashboard]')",
        f"  storage:                     {settings.resolved_clickhouse_url}",
        f"  alert engine:                every {settings.alert_interval_seconds:g}s"
        " (rules: the Alerts page, docs/alerts.md)"
        if settings.alerts_enabled
        else "  alert engine:                off (LLMPULSE_ALERTS_ENABLED=false)",
        f"  project '{creds.project}' keys{' (new)' if created else ''}:",
        f"    ingest: {creds.ingest_key}",
        f"    read:   {creds.read_key}",
        f"    admin:  {creds.admin_key}",
        f"  operator key (all projects; llmpulse projects/keys create use it): "
        f"{creds.operator_key}",
        "  send traces from your app:",
        f"    export OTEL_EXPORTER_OTLP_ENDPOINT={collector_url}",
        f"    export LLMPULSE_API_KEY={creds.ingest_key}",
        "",
    ]
    print("\n".join(banner), file=sys.stderr, flush=True)
    if demo:
        _start_demo(collector_url, creds)
    server = _Server(
        uvicorn.Config(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            timeout_graceful_shutdown=10,
        )
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, server.handle_exit)
    try:
        server.run()
    finally:
        if dashboard is not None:
            dashboard.terminate()
            try:
                dashboard.wait(timeout=10)
            except subprocess.TimeoutExpired:
                dashboard.kill()
    return 0
