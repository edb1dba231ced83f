"""``llmpulse up --demo``: one command gives a running collector with data to look at."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from llmpulse_collector import demo
from tests.e2e.conftest import free_port, llmpulse


def _env_without(name: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != name}


def test_up_with_demo_creates_keys_and_fills_the_store(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llmpulse_collector.cli",
                "up",
                "--demo",
                "--port",
                str(port),
                "--dashboard-port",
                str(free_port()),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            # the engine is on without LLMPULSE_ALERTS_ENABLED; evaluating every 2 s
            env={**_env_without("LLMPULSE_ALERTS_ENABLED"), "LLMPULSE_ALERT_INTERVAL_SECONDS": "2"},
        )
    try:
        creds_file = tmp_path / "data" / "credentials.json"
        deadline = time.monotonic() + 120
        spans = 0
        while time.monotonic() < deadline and spans < 10_000:
            time.sleep(0.5)
            assert proc.poll() is None, log.read_text()
            if not creds_file.exists():
                continue
            creds = json.loads(creds_file.read_text())
            try:
                resp = httpx.get(
                    f"{url}/api/v1/metrics/summary",
                    headers={"Authorization": f"Bearer {creds['read_key']}"},
                    timeout=10,
                )
            except httpx.HTTPError:
                continue
            if resp.status_code == 200:
                spans = sum(g["spans"] for g in resp.json()["groups"])
        assert spans >= 10_000, log.read_text()
        assert oct(creds_file.stat().st_mode & 0o777) == "0o600"
        banner = log.read_text()
        assert creds["ingest_key"] in banner and creds["read_key"] in banner

        by_model = httpx.get(
            f"{url}/api/v1/metrics/summary",
            params={"group_by": "model"},
            headers={"Authorization": f"Bearer {creds['read_key']}"},
        ).json()["groups"]
        models = {g["group"] for g in by_model}
        assert {"gpt-4o-mini", "claude-sonnet-4-5"} <= models
        priced = [g for g in by_model if g["group"] == "gpt-4o-mini"]
        assert priced[0]["cost_usd"] > 0

        # then live traffic from the SDK-instrumented demo app keeps arriving
        live: list[dict[str, object]] = []
        deadline = time.monotonic() + 30
        while not live and time.monotonic() < deadline:
            time.sleep(0.5)
            live = httpx.get(
                f"{url}/api/v1/traces",
                params={"name": "answer_question"},
                headers={"Authorization": f"Bearer {creds['read_key']}"},
            ).json()["traces"]
        assert live, log.read_text()

        # the alert engine runs, and the demo's rule fires on the demo's planted regression
        deadline = time.monotonic() + 60
        while True:
            found = httpx.get(
                f"{url}/api/v1/alerts/state",
                headers={"Authorization": f"Bearer {creds['read_key']}"},
            ).json()
            assert found["engine_running"], found
            firing = [s["rule_name"] for s in found["states"] if s["status"] == "firing"]
            if demo.DEMO_ALERT_RULE["name"] in firing:
                break
            assert time.monotonic() < deadline, (found, log.read_text())
            time.sleep(1)

        # the demo seeds its evaluation loop through the API: the console says so once,
        # not with a line per request (httpx logs every request at INFO)
        deadline = time.monotonic() + 120
        while "demo: dataset" not in log.read_text():
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.5)
        console = log.read_text()
        assert "HTTP Request:" not in console and "INFO httpx" not in console, console[-3000:]

        # the collector owns the embedded store; the CLI goes through its admin API
        key = llmpulse(
            "keys", "create", "--project", "default", "--scope", "read",
            data_dir=tmp_path / "data",
        )  # fmt: skip
        assert key.startswith("lp_read_")
        assert (
            httpx.get(
                f"{url}/api/v1/traces", headers={"Authorization": f"Bearer {key}"}
            ).status_code
            == 200
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0, log.read_text()

    # a second start reuses the keys and does not send the day of history again
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llmpulse_collector.cli", "up", "--demo", "--port", str(port),
             "--dashboard-port", str(free_port()), "--data-dir", str(tmp_path / "data")],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "demo: sending live traffic" not in log.read_text():
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.5)
        assert "no history sent" in log.read_text()
        assert json.loads(creds_file.read_text())["read_key"] == creds["read_key"]
        again = httpx.get(
            f"{url}/api/v1/metrics/summary",
            headers={"Authorization": f"Bearer {creds['read_key']}"},
        ).json()["groups"]
        assert sum(g["spans"] for g in again) < 2 * spans
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_up_does_not_trace_its_own_requests(tmp_path: Path) -> None:
    """The demo app shares the process with the collector: only the demo is traced."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llmpulse_collector.cli", "up", "--demo", "--port", str(port),
             "--dashboard-port", str(free_port()), "--data-dir", str(tmp_path / "data")],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        creds_file = tmp_path / "data" / "credentials.json"
        names: set[str] = set()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and "answer_question" not in names:
            time.sleep(1)
            if not creds_file.exists():
                continue
            key = json.loads(creds_file.read_text())["read_key"]
            try:
                resp = httpx.get(
                    f"{url}/api/v1/values/span_names",
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=10,
                )
            except httpx.HTTPError:
                continue
            if resp.status_code == 200:
                names = {v["value"] for v in resp.json()["values"]}
        time.sleep(6)  # a few export rounds of the live demo
        resp = httpx.get(
            f"{url}/api/v1/values/span_names", headers={"Authorization": f"Bearer {key}"}
        )
        names = {v["value"] for v in resp.json()["values"]}
        assert "answer_question" in names, log.read_text()
        assert not {n for n in names if n.startswith(("POST ", "GET ", "fastapi"))}, names
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
