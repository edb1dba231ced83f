"""Where the CPU of one ingested span goes, stage by stage, against the budget that the
ingest target leaves: 50,000 spans/s on this machine's 2 cores is 40 µs of CPU per span,
for everything (HTTP, decoding, normalizing, storing, merging, and the load generator).

    .venv/bin/python benchmarks/ingest_budget.py [--spans 200000] [--batch 20000] [--repeat 3]

Measured in this process, with CPU time (all threads, chDB's included), on the same
realistic 4-span LLM traces as ``benchmarks/ingest.py``:

- decode: protobuf bytes to an ``ExportTraceServiceRequest``;
- normalize: request to canonical span columns (the collector's ``normalize``);
- decode + normalize, both paths side by side: the pure-Python path (protobuf runtime,
  then ``normalize``) and the compiled core (``_wire``: wire bytes to columns), when built;
- encode: columns to Arrow (what the batch writer hands to chDB);
- span-identity check: the writer's lookup of already stored identities before each
  insert, against a store holding half of the batches (new spans, and a retry);
- store: Arrow batches of ``--batch`` spans inserted into a fresh embedded store with
  every migration applied, and the background merges that follow, until none has run
  for 1.5 s (ClickHouse picks them as a long-running store would: a row is merged once
  or more). The full schema is stored both ways: through chDB's own insert (the
  collector's embedded path) and through clickhouse-connect (a temp file and
  ``INSERT ... FROM INFILE``).

The store stage is run again on variants of the schema, each without one feature that
the query API, drift analysis and dashboard rely on, to show what each costs:
the full-text index (migration 0006), the output descriptors (0005), the per-trace
summary view (0002), the wrapper-key view with the experiment flags and the trace key
(0017-0019); and without all of them (the bare spans table of 0001), which is
the baseline that the other figures are divided by; and the spans table's merges as
they were before migration 0015 (ClickHouse's default ``merge_selector_base``).
Medians of ``--repeat`` runs, the variants interleaved so that load drifts hit all.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _traces import make_requests
from llmpulse_collector.ingest import Limits, decode_request, normalize
from llmpulse_collector.ingest._compiled import COMPILED
from llmpulse_collector.model import SpanBatch
from llmpulse_collector.store import Store
from llmpulse_collector.store._arrow import EncodedBatch, encode
from llmpulse_collector.store.span_identity import identity_table, keep_mask

_CORES = 2
_TARGET = 50_000
_LIMIT = 1 << 26

_NO_INDEX = ("ALTER TABLE {spans} DROP INDEX idx_text",)
_NO_DESCRIPTORS = tuple(
    f"ALTER TABLE {{spans}} DROP COLUMN {column}"
    for column in ("output_chars", "output_is_json", "output_refusal", "output_script")
)
_NO_SUMMARY = ("DROP VIEW {database}.traces_mv",)
# what the reads of round 5 added at insert: the wrapper-key view (0017), the experiment
# flags (0018) and the trace key (0019)
_NO_READ_KEYS = (
    "DROP VIEW {database}.llm_wrapper_keys_mv",
    "ALTER TABLE {spans} DROP COLUMN is_experiment",
    "ALTER TABLE {database}.traces DROP COLUMN is_experiment",
    "ALTER TABLE {database}.traces DROP COLUMN trace_key",
)
_MERGES_BEFORE_0015 = ("ALTER TABLE {spans} MODIFY SETTING merge_selector_base = 5",)
VARIANTS: dict[str, tuple[str, ...]] = {
    "full schema (as shipped)": (),
    "merges as before 0015 (selector base 5)": _MERGES_BEFORE_0015,
    "without the text index (0006)": _NO_INDEX,
    "without the output descriptors (0005)": _NO_DESCRIPTORS,
    "without the trace summary view (0002)": _NO_SUMMARY,
    "without wrapper keys, flags (0017-19)": _NO_READ_KEYS,
    "bare spans table (baseline)": _NO_READ_KEYS + _NO_INDEX + _NO_DESCRIPTORS + _NO_SUMMARY,
}


def _cpu_per_span(run: Callable[[], object], spans: int, repeat: int) -> float:
    """Median CPU µs per span of ``run`` (process CPU time: every thread)."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        run()
        times.append((time.process_time() - started) / spans * 1e6)
    return statistics.median(times)


def _store_once(
    batches: Sequence[EncodedBatch], statements: Sequence[str], chdb_insert: bool = True
) -> float:
    """CPU seconds to insert ``batches`` into a fresh store and merge every row once."""
    with tempfile.TemporaryDirectory(prefix="llmpulse-budget-") as tmp:
        store = Store.open(f"chdb://{tmp}/clickhouse", chdb_insert=chdb_insert)
        try:
            store.migrate()
            spans = store.table("spans")
            for statement in statements:
                store.command(statement.format(spans=spans, database=store.database))
            started = time.process_time()
            for batch in batches:
                store.insert_encoded(batch)
            quiet = 0
            while quiet < 3:  # no merge running for 3 checks in a row, 0.5 s apart
                running = store.query("SELECT count() AS n FROM system.merges")[0]["n"]
                quiet = 0 if running else quiet + 1
                time.sleep(0.5)
            return time.process_time() - started
        finally:
            store.close()


def _identity_check(batches: Sequence[EncodedBatch], repeat: int) -> tuple[float, float]:
    """CPU µs per span of the batch writer's span-identity check before each insert
    (``stored_span_keys`` + ``keep_mask``), against a store holding the first half of
    ``batches``: on the second half (new spans: the usual case) and on the first half
    (every span stored already: a client's retry)."""
    half = max(1, len(batches) // 2)
    with tempfile.TemporaryDirectory(prefix="llmpulse-budget-") as tmp:
        store = Store.open(f"chdb://{tmp}/clickhouse")
        try:
            store.migrate()
            for batch in batches[:half]:
                store.insert_encoded(batch)
            if batches[0].spans is not None:  # warm up: the connection's first query
                store.stored_span_keys(identity_table(batches[0].spans))
            costs = []
            for part in (batches[half:] or batches[:half], batches[:half]):
                tables = [identity_table(b.spans) for b in part if b.spans is not None]
                n = sum(t.num_rows for t in tables)

                def check(tables: list[pa.Table] = tables) -> None:
                    for identities in tables:
                        keep_mask(identities, store.stored_span_keys(identities))

                costs.append(_cpu_per_span(check, n, repeat))
            return costs[0], costs[1]
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument(
        "--batch",
        type=int,
        default=12_000,
        help="spans per insert (the collector's inserts hold what arrived during the last)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start_ns = time.time_ns() - 3_600_000_000_000
    requests = make_requests(args.spans, seed=7, start_ns=start_ns)
    bodies = [request.SerializeToString() for request in requests]
    n = sum(len(s.spans) for r in requests for rs in r.resource_spans for s in rs.scope_spans)
    now = time.time_ns()
    normalize(requests[0], project_id="bench", now_ns=now)  # warm the price cache

    def decode() -> None:
        for body in bodies:
            decode_request(body, "application/x-protobuf", None, max_body_bytes=_LIMIT)

    def run_normalize() -> None:
        # each result dropped at once, as the collector's are once inserted: keeping
        # all of them alive makes the loop slower (allocation, cache) than it is there
        for r in requests:
            normalize(r, project_id="bench", now_ns=now)

    columns = [normalize(r, project_id="bench", now_ns=now).spans for r in requests]
    per_batch = max(1, args.batch // max(1, len(columns[0])))
    joined = [
        SpanBatch.concat(columns[i : i + per_batch]) for i in range(0, len(columns), per_batch)
    ]

    def run_encode() -> None:
        for batch in joined:
            encode(batch, ())

    limits = Limits()

    def run_compiled() -> None:
        from llmpulse_collector.ingest import _wire

        for body in bodies:
            _wire.normalize_protobuf(body, "bench", now, limits)

    encoded = [encode(batch, ()) for batch in joined]
    stages = {
        "decode (protobuf)": _cpu_per_span(decode, n, args.repeat),
        "normalize": _cpu_per_span(run_normalize, n, args.repeat),
        "encode (Arrow)": _cpu_per_span(run_encode, n, args.repeat),
    }
    fast = {"decode + normalize, compiled core": _cpu_per_span(run_compiled, n, args.repeat)}
    if not COMPILED:
        fast = {}
        print("compiled core not built (or LLMPULSE_PURE_PYTHON=1): pure Python only")
    identity_new, identity_stored = _identity_check(encoded, args.repeat)
    stages["span-identity check (new spans)"] = identity_new
    _store_once(encoded[:1], ())  # warm up: the engine's first start is not a cost per span
    runs: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.repeat):
        for name, statements in VARIANTS.items():
            runs[name].append(_store_once(encoded, statements) / n * 1e6)
    store_cost = {name: statistics.median(costs) for name, costs in runs.items()}
    # the two insert paths on the full schema, alternated so that load drifts hit both
    chdb_runs: list[float] = []
    connect_runs: list[float] = []
    for _ in range(args.repeat):
        chdb_runs.append(_store_once(encoded, ()) / n * 1e6)
        connect_runs.append(_store_once(encoded, (), chdb_insert=False) / n * 1e6)
    runs["full schema (as shipped)"] += chdb_runs
    store_cost["full schema (as shipped)"] = statistics.median(runs["full schema (as shipped)"])
    connect_cost = statistics.median(connect_runs)
    budget = _CORES * 1e6 / _TARGET
    baseline = store_cost["bare spans table (baseline)"]

    print(
        f"{n:,} spans, {len(bodies)} requests, inserts of {args.batch:,} spans, "
        f"median of {args.repeat}; CPU µs per span"
    )
    pure_front = stages["decode (protobuf)"] + stages["normalize"]
    for name, cost in stages.items():
        print(f"  {name:42s} {cost:6.1f}")
    print(f"  {'span-identity check (all stored: a retry)':42s} {identity_stored:6.1f}")
    print(f"  {'decode + normalize, pure Python':42s} {pure_front:6.1f}")
    for name, cost in fast.items():
        print(f"  {name:42s} {cost:6.1f}  ({pure_front / cost:.2f}x faster)")
    print("  store: insert + the merges that follow until quiet, by schema (runs)")
    for name, cost in store_cost.items():
        shown = ", ".join(f"{c:.1f}" for c in runs[name])
        print(f"    {name:40s} {cost:6.1f}  ({cost / baseline:.2f}x baseline; {shown})")
    full_store = store_cost["full schema (as shipped)"]
    print(
        f"    {'full schema, via clickhouse-connect':40s} {connect_cost:6.1f}  "
        f"(chDB's own insert saves {connect_cost - full_store:.1f})"
    )
    paths = {
        "pure Python, clickhouse-connect insert (before)": pure_front + connect_cost,
        "pure Python, chDB insert": pure_front + full_store,
    }
    for cost in fast.values():
        paths["compiled core, chDB insert"] = cost + full_store
    for name, front in paths.items():
        total = front + stages["encode (Arrow)"] + identity_new
        print(
            f"total, {name}: {total:.1f} µs/span ({total / budget:.2f}x the {budget:.0f} µs "
            f"budget of {_TARGET:,} spans/s on {_CORES} cores); ceiling "
            f"{_CORES * 1e6 / total:,.0f} spans/s with nothing else running"
        )
    gil = {"pure Python": pure_front, **fast}
    for name, cost in gil.items():
        thread = cost + stages["encode (Arrow)"] + identity_new
        print(
            f"the GIL thread alone ({name} + encode + identity check) caps ingest at "
            f"{1e6 / thread:,.0f} spans/s"
        )


if __name__ == "__main__":
    main()
