"""A real collector in a child process, on a free port and a temporary embedded store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def llmpulse(*args: str, data_dir: Path) -> str:
    """Run the ``llmpulse`` CLI; return its stdout (stripped)."""
    result = subprocess.run(
        [sys.executable, "-m", "llmpulse_collector.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@dataclass
class Collector:
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log = self.data_dir / f"collector-{time.time_ns()}.log"
        env = {**os.environ, "LLMPULSE_DATA_DIR": str(self.data_dir)}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "llmpulse_collector.cli",
                    "collector",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"collector not ready:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no flush, no shutdown hooks."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True)
class Keys:
    project: str
    ingest: str
    read: str


@pytest.fixture
def collector_data(tmp_path: Path) -> tuple[Path, Keys]:
    data_dir = tmp_path / "data"
    project = llmpulse("projects", "create", "e2e", data_dir=data_dir)
    ingest = llmpulse(
        "keys", "create", "--project", project, "--scope", "ingest", data_dir=data_dir
    )
    read = llmpulse("keys", "create", "--project", project, "--scope", "read", data_dir=data_dir)
    return data_dir, Keys(project, ingest, read)


@pytest.fixture
def collector(collector_data: tuple[Path, Keys]) -> Iterator[Collector]:
    data_dir, _ = collector_data
    proc = Collector(data_dir)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def keys(collector_data: tuple[Path, Keys]) -> Keys:
    return collector_data[1]
