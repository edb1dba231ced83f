"""``llmpulse alerts check`` as a CI regression gate against a real collector."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.collector.api.conftest import otlp_request, otlp_span
from tests.e2e.conftest import Collector, Keys

RULES = """
rules:
  - name: error rate
    metric: error_rate
    window: 30m
    condition: {kind: threshold, op: ">", value: 0.1}
    min_samples: 10
  - name: p95 latency
    metric: latency_p95
    window: 30m
    condition: {kind: threshold, op: ">", value: 5000}
    min_samples: 10
"""


def _check(
    rules: Path, collector: Collector, key: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "llmpulse_collector.cli",
            "alerts",
            "check",
            "--rules",
            str(rules),
            "--collector",
            collector.url,
            "--api-key",
            key,
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_alerts_check_fails_the_build_when_a_rule_fires(
    collector: Collector, keys: Keys, tmp_path: Path
) -> None:
    now = time.time_ns() - 60_000_000_000
    spans = [
        otlp_span(
            f"{i + 1:032x}",
            f"{i + 1:016x}",
            "eval case",
            start_ns=now + i * 1000,
            duration_ms=200,
            error=i % 3 == 0,
        )
        for i in range(30)
    ]
    resp = httpx.post(
        f"{collector.url}/v1/traces",
        content=otlp_request(*spans).SerializeToString(),
        headers={
            "Authorization": f"Bearer {keys.ingest}",
            "Content-Type": "application/x-protobuf",
        },
        timeout=30,
    )
    assert resp.status_code == 200

    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    failed = _check(rules, collector, keys.read)
    assert failed.returncode == 1, failed.stderr
    header, *rows = failed.stdout.splitlines()[:3]
    assert header.split()[:3] == ["RULE", "METRIC", "STATUS"]
    assert "FIRING" in rows[0] and "OK" in rows[1]
    assert "FIRING: [error rate] error_rate is 33.3% over the last 30m" in failed.stdout
    assert "1 of 2 rule(s) firing" in failed.stderr

    rules.write_text(RULES.replace("value: 0.1}", "value: 0.5}"))
    passed = _check(rules, collector, keys.read)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "no rule fires" in passed.stderr

    rules.write_text("rules: [{name: x, metric: nope, condition: {kind: threshold, value: 1}}]")
    broken = _check(rules, collector, keys.read)
    assert broken.returncode == 2 and "metric must be one of" in broken.stderr
    bad_key = _check(tmp_path / "rules.yaml", collector, "lp_nope")
    assert bad_key.returncode == 2


def test_alerts_check_fails_when_the_traces_never_arrived(
    collector: Collector, keys: Keys, tmp_path: Path
) -> None:
    """A CI job whose traces never reached the collector: no rule can fire, and the gate
    must not pass silently. Exit 3 (not 1, a regression; not 2, an error) unless the job
    opts out with --allow-no-data."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    empty = _check(rules, collector, keys.read)
    assert empty.returncode == 3, empty.stdout + empty.stderr
    assert "INSUFFICIENT_DATA" in empty.stdout  # the table
    for name in ("error rate", "p95 latency"):
        assert f"NO DATA: [{name}] " in empty.stdout
    assert "2 of 2 rule(s) had too little data" in empty.stderr
    assert "did the traces arrive?" in empty.stderr
    assert "FIRING" not in empty.stdout

    allowed = _check(rules, collector, keys.read, "--allow-no-data")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "no rule fires (2 without enough data, allowed)" in allowed.stderr
