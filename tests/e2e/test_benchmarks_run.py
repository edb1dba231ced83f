"""Every benchmark under ``benchmarks/`` still runs and prints its figures (tiny sizes:
these check that the scripts work, not how fast anything is). A benchmark prints its
verdict against its target and exits 0 when the target is missed (a busy machine);
only errors exit non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

CASES = {
    "sdk_overhead.py": (["--calls", "200", "--repeat", "2"], "ratio"),
    "normalize.py": (["--spans", "1024", "--repeat", "1"], "normalize"),
    "ingest.py": (
        ["--spans", "4096", "--clients", "2", "--concurrency", "2", "--health-export-mb", "1"],
        "stored (query API count): 4096 spans; lost: 0",
    ),
    "ingest_budget.py": (
        ["--spans", "2048", "--batch", "1024", "--repeat", "1"],
        "bare spans table (baseline)",
    ),
    # a target no machine meets: the verdict says NO, and the run still succeeds
    "query.py": (["--traces", "2000", "--runs", "2", "--budget-ms", "0.001"], "NO (worst p95"),
    "drift.py": (["--spans", "20000", "--repeat", "1"], "median"),
    "experiment.py": (
        ["--items", "50", "--compare-items", "50", "--traces", "500", "--runs", "1"],
        "compare two 50-item runs",
    ),
    "sdk_export.py": (["--rate", "200", "--seconds", "0.5", "--queued", "200"], "collector down"),
}


@pytest.mark.parametrize("script", sorted(CASES))
def test_benchmark_runs_and_prints_its_figures(script: str) -> None:
    arguments, expected = CASES[script]
    out = _run(script, *arguments)
    assert expected in out, out


def _run(script: str, *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def test_production_filter_runs_on_a_query_benchmark_store(tmp_path: Path) -> None:
    """``production_filter.py`` reads the store ``query.py --keep`` loaded."""
    store = str(tmp_path / "store")
    _run("query.py", "--traces", "2000", "--runs", "1", "--budget-ms", "0.001", "--keep", store)
    out = _run("production_filter.py", "--keep", store, "--runs", "1")
    assert "evaluations/summary" in out and "group_by=version" in out, out


def test_every_benchmark_is_covered() -> None:
    scripts = {path.name for path in BENCHMARKS.glob("*.py") if not path.name.startswith("_")}
    assert scripts == set(CASES) | {"production_filter.py"}
