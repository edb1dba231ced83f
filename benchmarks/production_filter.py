"""What leaving experiment runs out of production reads costs, and drift by version.

    .venv/bin/python benchmarks/query.py --keep /tmp/qbench      # loads 1M spans a window
    .venv/bin/python benchmarks/production_filter.py --keep /tmp/qbench

On the store ``benchmarks/query.py`` loaded (project ``bench-24h``), in one process,
alternating: each read with the production conditions of ``store.traffic`` and without
them (the conditions replaced by ``1``), median process CPU per call (chDB runs in this
process, so the CPU time does not follow the machine's load as wall time does). Then
drift of latency over the last 24 h grouped by ``version`` and by ``service``: the
``service_version`` column of migration 0016 is computed from the resource map on read
for parts written before it; ``--materialize`` rewrites it into the parts first.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmpulse_collector.analysis.drift import DriftQuery, drift_report
from llmpulse_collector.store import Store
from llmpulse_collector.store.keys import list_projects
from llmpulse_collector.store.queries import _where
from llmpulse_collector.store.queries._where import TimeRange, TraceFilter
from llmpulse_collector.store.queries.evaluations import evaluation_summary, list_evaluations
from llmpulse_collector.store.queries.metrics import metrics_summary
from llmpulse_collector.store.queries.traces import list_traces

HOUR_NS = 3_600 * 10**9


def _cpu_ms(call: Callable[[], Any]) -> float:
    started = time.process_time()
    call()
    return (time.process_time() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, required=True, help="a benchmarks/query.py store")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--materialize", action="store_true")
    args = parser.parse_args()
    store = Store.open(f"chdb://{args.keep.resolve()}", database="bench")
    store.migrate()
    project = next(p.project_id for p in list_projects(store) if p.name == "bench-24h")
    now = time.time_ns()
    day = TimeRange(now - 24 * HOUR_NS, now)

    evaluation_condition = _where.production_evaluation
    span_conditions = dict(_where._PRODUCTION)

    def production(on: bool) -> None:
        _where.production_evaluation = evaluation_condition if on else (lambda table: "1")
        _where._PRODUCTION.update(span_conditions if on else dict.fromkeys(span_conditions, "1"))

    def traces(experiments: str) -> TraceFilter:
        return TraceFilter(project, day, experiments=experiments)  # type: ignore[arg-type]

    reads: dict[str, Callable[[bool], Any]] = {
        "evaluations/summary": lambda on: evaluation_summary(store, project, day, 3600),
        "evaluations/failing": lambda on: list_evaluations(store, project, day, failing=True),
        "metrics/summary": lambda on: metrics_summary(store, project, day),
        "traces (with total)": lambda on: list_traces(
            store, traces("exclude" if on else "include"), with_total=True
        ),
    }
    print(f"{'read (24 h, 1M spans)':28} {'production':>11} {'everything':>11}  CPU ms")
    for name, read in reads.items():
        cpu: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.runs):
            for on in (True, False):
                production(on)
                cpu[on].append(_cpu_ms(lambda: read(on)))  # noqa: B023
        production(True)
        print(
            f"{name:28} {statistics.median(cpu[True]):11.1f} {statistics.median(cpu[False]):11.1f}"
        )

    if args.materialize:
        for column in ("service_version", "prompt_version"):
            store.command(
                f"ALTER TABLE bench.spans MATERIALIZE COLUMN {column} SETTINGS mutations_sync = 1"
            )
    state = "materialized" if args.materialize else "as stored (old parts: computed on read)"
    print(f"drift of latency, 12 h against the 12 h before, service_version {state}")
    for key in ("version", "service"):
        q = DriftQuery(
            project,
            baseline=(now - 24 * HOUR_NS, now - 12 * HOUR_NS),
            current=(now - 12 * HOUR_NS, now),
            group_by=[key],
            numeric=["latency"],
            categorical=[],
        )
        runs = [_cpu_ms(lambda: drift_report(store, q)) for _ in range(args.runs)]  # noqa: B023
        print(f"  group_by={key:10} {statistics.median(runs):8.1f} CPU ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
