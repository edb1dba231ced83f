"""Experiments: the SDK's overhead per item, and the time to compare two large runs.

    .venv/bin/python benchmarks/experiment.py [--items 1000] [--compare-items 10000]
        [--traces 25000] [--runs 5]

1. ``llmpulse.experiment()`` over ``--items`` items with a cheap task and 3 evaluators
   (a bool check, a (score, reason) function, ``checks.max_chars``), llmpulse
   configured with its own batch processor exporting to an in-memory exporter, no
   upload; against the bare loop (task + the 3 evaluators, no tracing). Prints the
   overhead per item in µs at concurrency 1 and 8.
2. Two stored runs of ``--compare-items`` items with 3 evaluators each, in an embedded
   store holding ``--traces`` 4-span traces (``--traces 250000`` is 1M spans; the
   default, 100k spans, keeps the load short on a shared machine: the comparison
   reads the experiment tables and the traces of the runs only). Prints the time of
   ``compare_runs`` (2,000 bootstrap resamples per evaluator, 100 item diffs).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import llmpulse
from llmpulse import checks
from llmpulse_collector.store import Store
from llmpulse_collector.store.experiment_compare import compare_runs
from llmpulse_collector.store.experiments import ResultRow, ScoreRow, add_results, create_run

sys.path.insert(0, str(Path(__file__).parent))
from query import _settle, load


def task(x: int) -> str:
    return str(x * 2)


def exact(output: str, expected: str) -> bool:
    return output == expected


def length(output: str) -> tuple[float, str]:
    return min(1.0, len(output) / 4), "length"


def sdk_overhead(n: int, runs: int) -> None:
    items = [{"input": i, "expected_output": str(i * 2)} for i in range(n)]
    short = checks.max_chars(10)
    evaluators = [exact, length, short]

    def bare() -> float:
        t0 = time.perf_counter()
        for item in items:
            out = task(item["input"])  # type: ignore[arg-type]
            exact(out, item["expected_output"])  # type: ignore[arg-type]
            length(out)
            short(out)
        return time.perf_counter() - t0

    exporter = InMemorySpanExporter()
    llmpulse.configure(span_exporter=exporter)
    bare_s = statistics.median(bare() for _ in range(runs))
    print(f"bare loop: {bare_s / n * 1e6:.1f} µs/item ({n} items, 3 evaluators)")
    for concurrency in (1, 8):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            llmpulse.experiment(items, task, evaluators, name="bench", concurrency=concurrency,
                                upload=False, progress=False)  # fmt: skip
            times.append(time.perf_counter() - t0)
            exporter.clear()
        took = statistics.median(times)
        print(f"experiment(concurrency={concurrency}): {took / n * 1e6:.1f} µs/item, "
              f"overhead {(took - bare_s) / n * 1e6:.1f} µs/item")  # fmt: skip
    llmpulse.shutdown()


def compare_time(items: int, traces: int, runs: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="llmpulse-bench-exp-"))
    try:
        store = Store.open(f"chdb://{tmp}", database="bench")
        store.migrate(retention_days=30)
        t0 = time.perf_counter()
        load(store, "bench-7d", 7 * 86_400, traces)
        _settle(store)
        print(f"loaded {traces} traces ({traces * 4} spans) in {time.perf_counter() - t0:.1f} s")
        trace_ids = [
            r["trace_id"]
            for r in store.query(
                "SELECT trace_id FROM bench.traces GROUP BY trace_id LIMIT {n:UInt32}",
                {"n": 2 * items},
            )
        ]
        project = store.query("SELECT any(project_id) AS p FROM bench.spans")[0]["p"]
        rng = random.Random(13)
        stored = []
        for k, quality in enumerate((0.9, 0.85)):
            run = create_run(store, project, f"run-{k}")
            rows = []
            for i in range(items):
                ok = rng.random() < quality
                rows.append(ResultRow(
                    item_id=f"item-{i:06d}", trace_id=trace_ids[(k * items + i) % len(trace_ids)],
                    input={"q": i}, output=f"answer {i} {ok}", latency_ms=rng.uniform(50, 900),
                    scores=[ScoreRow("correct", 1.0 if ok else 0.0, ok),
                            ScoreRow("relevance", rng.random()),
                            ScoreRow("concise", 1.0 if rng.random() < 0.95 else 0.0)],
                ))  # fmt: skip
            for start in range(0, items, 5000):
                add_results(store, project, run["id"], rows[start : start + 5000])
            stored.append(run)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            result = compare_runs(store, project, stored[0], stored[1], max_drop=0.02)
            times.append(time.perf_counter() - t0)
        correct = next(e for e in result["evaluators"] if e["name"] == "correct")
        print(f"compare two {items}-item runs (3 evaluators, 2000 resamples): "
              f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
              f"over {runs} runs; correct drop {correct['drop']} "
              f"CI [{correct['drop_ci_low']}, {correct['drop_ci_high']}], "
              f"gate failed={result['gate']['failed']}")  # fmt: skip
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--compare-items", type=int, default=10_000)
    parser.add_argument("--traces", type=int, default=25_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sdk_overhead(args.items, args.runs)
    compare_time(args.compare_items, args.traces, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
