"""Micro-benchmark of the pure ingest path: decode (protobuf, JSON, gzip), normalize,
and the Arrow encoding the batch writer does before an insert.

    .venv/bin/python benchmarks/normalize.py [--spans 10000] [--repeat 5]

Prints µs per span (best of ``--repeat`` runs) and spans/s for each stage, on
realistic 4-span LLM traces (see ``_traces.py``) in export requests of 512 spans.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _traces import make_requests, to_otlp_json
from llmpulse_collector.ingest import Limits, decode_request, normalize
from llmpulse_collector.ingest._compiled import COMPILED
from llmpulse_collector.model import SpanBatch
from llmpulse_collector.store._arrow import encode

_LIMIT = 64 * 1024 * 1024


def _best(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n: int = args.spans

    # recent spans: older than the retention would be rejected at normalize
    requests = make_requests(n, start_ns=time.time_ns() - 3_600_000_000_000)
    protobuf = [r.SerializeToString() for r in requests]
    gzipped = [gzip.compress(body, 6) for body in protobuf]
    json_bodies = [to_otlp_json(r) for r in requests]
    decoded = [
        decode_request(b, "application/x-protobuf", None, max_body_bytes=_LIMIT) for b in protobuf
    ]
    now = time.time_ns()
    # warm the pricing cache once, as a running collector would have it
    normalize(decoded[0], project_id="bench", now_ns=now)

    def decode(bodies: list[bytes], content_type: str, encoding: str | None) -> None:
        for body in bodies:
            decode_request(body, content_type, encoding, max_body_bytes=_LIMIT)

    def run_normalize() -> None:
        for request in decoded:
            normalize(request, project_id="bench", now_ns=now)

    # what the writer encodes: the requests' spans joined into one batch
    joined = SpanBatch.concat(normalize(r, project_id="bench", now_ns=now).spans for r in decoded)
    rows = list(joined)

    def end_to_end() -> None:
        for body in gzipped:
            request = decode_request(body, "application/x-protobuf", "gzip", max_body_bytes=_LIMIT)
            normalize(request, project_id="bench", now_ns=now)

    def pure(bodies: list[bytes]) -> None:
        for body in bodies:
            request = decode_request(body, "application/x-protobuf", None, max_body_bytes=_LIMIT)
            normalize(request, project_id="bench", now_ns=now)

    def compiled(bodies: list[bytes]) -> None:
        from llmpulse_collector.ingest import _wire

        limits = Limits()
        for body in bodies:
            _wire.normalize_protobuf(body, "bench", now, limits)

    sizes = {k: sum(map(len, v)) / n for k, v in (("protobuf", protobuf), ("gzip", gzipped))}
    sizes["JSON"] = sum(map(len, json_bodies)) / n
    shown = ", ".join(f"{k} {v:.0f} B/span" for k, v in sizes.items())
    print(f"{n} spans in {len(requests)} requests; {shown}")
    stages: list[tuple[str, Callable[[], object]]] = [
        ("decode protobuf", lambda: decode(protobuf, "application/x-protobuf", None)),
        ("decode protobuf+gzip", lambda: decode(gzipped, "application/x-protobuf", "gzip")),
        ("decode JSON", lambda: decode(json_bodies, "application/json", None)),
        ("normalize", run_normalize),
        ("Arrow encode (columns, as ingested)", lambda: encode(joined, ())),
        ("Arrow encode (SpanRow list)", lambda: encode(rows, ())),
        ("gzip protobuf decode + normalize", end_to_end),
        ("decode + normalize, pure Python", lambda: pure(protobuf)),
    ]
    if COMPILED:
        stages.append(("decode + normalize, compiled core", lambda: compiled(protobuf)))
    else:
        print("compiled core not built (or LLMPULSE_PURE_PYTHON=1): pure Python only")
    for label, run in stages:
        seconds = _best(args.repeat, run)
        print(f"{label:36s} {seconds / n * 1e6:8.2f} µs/span {n / seconds:12,.0f} spans/s")


if __name__ == "__main__":
    main()
