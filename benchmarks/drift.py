"""Drift report over 1,000,000 spans in an embedded store; target: under 1 s.

    .venv/bin/python benchmarks/drift.py [--spans N] [--repeat R] [--group-by name,model]

Spans are generated inside ClickHouse (``INSERT ... SELECT FROM numbers(N)``, so the
MATERIALIZED output descriptors are computed on insert as for real traffic): three
models and four span names over two days; in the second day one model is slower
and writes longer answers. The report compares day 2 (current) with day 1 (baseline),
per group, with every numeric and categorical feature.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid

from llmpulse_collector.analysis import DriftQuery, drift_report
from llmpulse_collector.store import Store

_DAY_NS = 86_400 * 1_000_000_000

_INSERT = """
INSERT INTO {table} (project_id, trace_id, span_id, parent_span_id, name, kind, service_name,
    scope_name, environment, start_time, end_time, duration_ms, status_code, status_message,
    span_type, model, provider, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, reasoning_tokens, cost_usd, time_to_first_token_ms, finish_reason,
    tool_name, session_id, user_id, tags, input, output, attributes, resource_attributes,
    events, ingested_at)
SELECT 'bench', lower(hex(number)), lower(hex(number)), '',
    ['chat', 'summarize', 'classify', 'extract'][number % 4 + 1] AS nm, 'CLIENT', 'bot', 'b',
    'prod', t, t + toIntervalMillisecond(toUInt64(dur)), dur,
    if(rand(1) % 100 < 2, 'ERROR', 'OK'), '', 'llm', mdl, 'openai',
    100 + rand(2) % 400, otok, 0, 0, 0, otok * 0.00001, dur * 0.2,
    if(rand(3) % 10 = 0, 'length', 'stop'), '', '', '', [],
    'question', if(rand(4) % 20 = 0, '{"a": 1}', repeat('answer ', toUInt32(otok / 8))),
    map(), map(), '[]', now64(9)
FROM (
    SELECT number,
        fromUnixTimestamp64Nano(toInt64({t0:Int64} + number * {step:Int64})) AS t,
        number * {step:Int64} >= {day:Int64} AS day2,
        ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku'][number % 3 + 1] AS mdl,
        (200 + randExponential(1 / 300) ) * if(day2 AND mdl = 'gpt-4o', 1.6, 1.0) AS dur,
        toUInt64((20 + rand(5) % 200) * if(day2 AND mdl = 'gpt-4o', 1.5, 1.0)) AS otok
    FROM numbers({n:UInt64})
)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--group-by", default="name,model")
    args = parser.parse_args()
    t0 = (time.time_ns() // _DAY_NS - 2) * _DAY_NS
    step = 2 * _DAY_NS // args.spans
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"chdb://{tmp}", database=f"bench_{uuid.uuid4().hex[:8]}")
        store.migrate()
        started = time.perf_counter()
        store.command(
            _INSERT.replace("{table}", store.table("spans")),
            {"t0": t0, "step": step, "day": _DAY_NS, "n": args.spans},
        )
        store.command(f"OPTIMIZE TABLE {store.table('spans')} FINAL")
        loaded = time.perf_counter() - started
        [count] = store.query(f"SELECT count() AS n FROM {store.table('spans')}")
        print(f"loaded {count['n']:,} spans in {loaded:.1f} s")
        group_by = [g for g in args.group_by.split(",") if g]
        q = DriftQuery(
            project_id="bench",
            baseline=(t0, t0 + _DAY_NS),
            current=(t0 + _DAY_NS, t0 + 2 * _DAY_NS),
            group_by=group_by,
        )
        times, cpu = [], []
        report: dict[str, object] = {}
        for _ in range(args.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            report = drift_report(store, q)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        groups = report["groups"]
        assert isinstance(groups, list)
        features = sum(len(g["features"]) for g in groups)
        drifted = [
            (g["group"], f["feature"])
            for g in groups
            for f in g["features"]
            if f["verdict"] == "drift"
        ]
        print(
            f"drift report, group_by={args.group_by or '-'}: {len(groups)} groups x "
            f"{features // max(len(groups), 1)} features"
        )
        print(
            f"time: min {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms"
            f", max {max(times) * 1000:.0f} ms over {args.repeat} runs"
        )
        print(
            f"CPU time (all threads, embedded ClickHouse included): median "
            f"{statistics.median(cpu) * 1000:.0f} ms; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores"
        )
        groups_hit = sorted({"/".join(g.values()) for g, _ in drifted})
        features_hit = sorted({f for _, f in drifted})
        print(f"drift verdicts: {len(drifted)} in groups {groups_hit}: {features_hit}")
        store.close()


if __name__ == "__main__":
    main()
