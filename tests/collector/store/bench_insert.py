"""Insert throughput of ``Store.insert_spans`` into embedded chDB (not a test).

    .venv/bin/python -m tests.collector.store.bench_insert [--spans 100000] [--batch 20000]

Builds ~650-byte LLM spans (10 per trace), inserts them in batches into a fresh
database in a temporary chDB directory, and prints spans/s (best and median of runs).
With ``--writer`` the spans go through ``BatchWriter`` as 500-span requests (the OTel
exporter's default batch) from 64 concurrent clients: group commit, with encoding
overlapped with inserting, as in the collector.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from llmpulse_collector.model import SpanRow
from llmpulse_collector.store import BatchWriter, Store
from tests.collector.conftest import make_span


def spans(n: int) -> list[SpanRow]:
    now = time.time_ns()
    return [
        make_span(
            trace_id=f"{i // 10:032x}",
            parent_span_id="" if i % 10 == 0 else f"{i - i % 10:016x}",
            start_time=now - (n - i) * 1000,
            input=f"Question {i}: " + "how do I return a damaged item I ordered last week? " * 2,
            output=f"Answer {i}: " + "You can return it within 30 days for a full refund. " * 3,
            attributes={
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.request.temperature": "0.2",
                "llm.request.id": f"req-{i}",
            },
            tags=["prod", "v2"],
        )
        for i in range(n)
    ]


def payload_bytes(span: SpanRow) -> int:
    strings = [v for v in vars_of(span) if isinstance(v, str)]
    maps = [k + v for m in (span.attributes, span.resource_attributes) for k, v in m.items()]
    return sum(map(len, strings)) + sum(map(len, maps)) + sum(map(len, span.tags)) + 8 * 14


def vars_of(span: SpanRow) -> list[object]:
    return [getattr(span, name) for name in span.__slots__]  # type: ignore[attr-defined]


def through_writer(store: Store, rows: list[SpanRow], batch: int) -> None:
    writer = BatchWriter(store, max_batch_spans=batch, max_pending_spans=len(rows))
    writer.start()
    requests = [rows[i : i + 500] for i in range(0, len(rows), 500)]
    with ThreadPoolExecutor(64) as pool:
        list(pool.map(writer.write_sync, requests))
    writer.stop()
    stats = writer.stats()
    print(f"  {stats.batches_written} batches, last {stats.last_batch_spans} spans")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writer", action="store_true", help="go through BatchWriter")
    args = parser.parse_args()
    rows = spans(args.spans)
    print(f"{len(rows)} spans, ~{payload_bytes(rows[0])} bytes each, batches of {args.batch}")
    with tempfile.TemporaryDirectory() as tmp:
        rates = []
        for run in range(args.runs):
            store = Store.open(f"chdb://{tmp}", database=f"bench{run}")
            store.migrate()
            started = time.perf_counter()
            if args.writer:
                through_writer(store, rows, args.batch)
            else:
                for i in range(0, len(rows), args.batch):
                    store.insert_spans(rows[i : i + args.batch])
            elapsed = time.perf_counter() - started
            rates.append(len(rows) / elapsed)
            print(f"run {run}: {elapsed:.3f}s  {rates[-1]:,.0f} spans/s")
            store.close()
    print(f"best {max(rates):,.0f} spans/s, median {statistics.median(rates):,.0f} spans/s")


if __name__ == "__main__":
    main()
