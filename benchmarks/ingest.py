"""End-to-end ingest throughput: concurrent OTLP/HTTP clients → collector → embedded chDB.

    .venv/bin/python benchmarks/ingest.py [--spans 1000000] [--clients 4] [--concurrency 8]

Starts a real collector (``llmpulse collector``) in a child process on a temporary
embedded store, sends realistic 4-span LLM traces (chain, retrieval, LLM call with
GenAI attributes and chat messages, tool; ~650 bytes per span as protobuf) from
several client processes, retrying 429/503 like the OTel exporter does, then checks
the stored count through the query API. Prints spans/s acknowledged, spans stored,
the collector's peak RSS and CPU time per span, and as a baseline the single-core
rate of decode + normalize in this process (the CPU ceiling of the Python part of
the pipeline).

The collector runs twice in one invocation, side by side: with the compiled ingest
core (when built) and with ``LLMPULSE_PURE_PYTHON=1`` (``--paths`` picks); the closing
lines compare the two.

Each client process keeps ``--concurrency`` requests in flight (one per thread), as
that many application processes with an OTel batch exporter each would: the
collector answers only once a request's spans are stored, and an insert has a fixed
cost of tens of ms, so with few requests in flight the benchmark measures latency,
not throughput (4 clients x 1 request = 2,048 spans in flight at most). Collector
settings can be given as ``LLMPULSE_*`` environment variables; they are passed on.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _traces import make_requests


def _cli(*args: str, data_dir: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "llmpulse_collector.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(args: tuple[str, str, int, int, int, int]) -> tuple[int, int, int]:
    """Send ``n_spans`` spans; returns (spans acknowledged, requests, retries)."""
    url, key, n_spans, seed, spans_per_request, concurrency = args
    start_ns = time.time_ns() - 3_600_000_000_000
    bodies = [
        (
            r.SerializeToString(),
            sum(len(ss.spans) for rs in r.resource_spans for ss in rs.scope_spans),
        )
        for r in make_requests(
            n_spans, spans_per_request=spans_per_request, seed=seed, start_ns=start_ns
        )
    ]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-protobuf"}
    barrier_file = Path(os.environ["BENCH_GO"])
    while not barrier_file.exists():
        time.sleep(0.01)
    todo = iter(bodies)
    lock = threading.Lock()

    def sender(http: httpx.Client) -> tuple[int, int, int]:
        acked = requests = retries = 0
        while True:
            with lock:
                item = next(todo, None)
            if item is None:
                return acked, requests, retries
            body, count = item
            while True:
                requests += 1
                resp = http.post(f"{url}/v1/traces", content=body)
                if resp.status_code == 200:
                    acked += count
                    break
                if resp.status_code in (429, 503):
                    retries += 1
                    time.sleep(float(resp.headers.get("Retry-After", "1")) / 10)
                    continue
                raise RuntimeError(f"{resp.status_code}: {resp.text[:200]}")

    with (
        httpx.Client(headers=headers, timeout=60) as http,
        ThreadPoolExecutor(concurrency) as pool,
    ):
        results = list(pool.map(sender, [http] * concurrency))
    return (
        sum(r[0] for r in results),
        sum(r[1] for r in results),
        sum(r[2] for r in results),
    )


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread name (Python threads are "python" or their own name)."""
    found: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return found


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return float("nan")


def _baseline(spans: int, compiled: bool) -> float:
    """Single-core decode + normalize rate (spans/s) in this process."""
    from llmpulse_collector.ingest import Limits, decode_request, normalize

    recent = time.time_ns() - 3_600_000_000_000  # older spans would be rejected
    bodies = [r.SerializeToString() for r in make_requests(spans, seed=99, start_ns=recent)]
    t0 = time.perf_counter()
    total = 0
    limits = Limits()
    for body in bodies:
        if compiled:
            from llmpulse_collector.ingest import _wire

            batch = _wire.normalize_protobuf(body, "bench", time.time_ns(), limits)
        else:
            msg = decode_request(body, "application/x-protobuf", None, max_body_bytes=1 << 26)
            batch = normalize(msg, project_id="bench", now_ns=time.time_ns())
        total += len(batch.spans)
    return total / (time.perf_counter() - t0)


def _health_during_export(url: str, key: str, megabytes: float) -> dict[str, float]:
    """``/healthz`` latencies (ms) while one export of about ``megabytes`` MB is sent,
    decoded and stored, and the export's own time (ms)."""
    import statistics

    spans = int(megabytes * 1e6 / 650)
    start_ns = time.time_ns() - 3_600_000_000_000
    body = b""
    while not body or len(body) > megabytes * 1e6:  # just under the size asked for
        (request,) = make_requests(spans, spans_per_request=spans, seed=5, start_ns=start_ns)
        body = request.SerializeToString()
        spans = spans * 19 // 20
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-protobuf"}
    done = threading.Event()
    latencies: list[float] = []
    export_ms = [0.0]

    def export() -> None:
        t0 = time.perf_counter()
        resp = httpx.post(f"{url}/v1/traces", content=body, headers=headers, timeout=120)
        export_ms[0] = (time.perf_counter() - t0) * 1e3
        resp.raise_for_status()
        done.set()

    with httpx.Client(timeout=60) as http:
        idle = []
        for _ in range(20):
            t0 = time.perf_counter()
            http.get(f"{url}/healthz")
            idle.append((time.perf_counter() - t0) * 1e3)
        sender = threading.Thread(target=export)
        sender.start()
        while not done.wait(0.01):
            t0 = time.perf_counter()
            http.get(f"{url}/healthz")
            latencies.append((time.perf_counter() - t0) * 1e3)
        sender.join()
    latencies = latencies or [float("nan")]
    return {
        "mb": len(body) / 1e6,
        "spans": float(spans * 20 // 19),
        "idle_ms": statistics.median(idle),
        "median_ms": statistics.median(latencies),
        "max_ms": max(latencies),
        "probes": float(len(latencies)),
        "export_ms": export_ms[0],
    }


def _wait_quiet(pid: int, idle_cores: float = 0.05, quiet_s: int = 3, limit_s: int = 300) -> None:
    """Wait until the process uses less than ``idle_cores`` for ``quiet_s`` seconds in a
    row: its background merges are done."""
    quiet = 0
    for _ in range(limit_s):
        before = _cpu_seconds(pid)
        time.sleep(1)
        quiet = quiet + 1 if _cpu_seconds(pid) - before < idle_cores else 0
        if quiet >= quiet_s:
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight per client process"
    )
    parser.add_argument(
        "--health-export-mb",
        type=float,
        default=15.0,
        help="size of the export during which /healthz is probed (after the run)",
    )
    parser.add_argument(
        "--paths",
        default="pure,compiled",
        help="collector ingest paths to run, in order: pure, compiled (default: both)",
    )
    args = parser.parse_args()
    from llmpulse_collector.ingest import COMPILED

    results: dict[str, dict[str, float]] = {}
    for path in args.paths.split(","):
        if path == "compiled" and not COMPILED:
            print("compiled core not built (or LLMPULSE_PURE_PYTHON=1): skipping its run")
            continue
        print(f"--- collector with the {path} ingest path")
        results[path] = _run(args, pure=path == "pure")
    if "pure" in results and "compiled" in results:
        pure, compiled = results["pure"], results["compiled"]
        print(
            f"side by side (same command, load average {os.getloadavg()[0]:.1f}): "
            f"compiled/pure spans/s {compiled['rate'] / pure['rate']:.2f}x, "
            f"collector CPU µs/span {pure['cpu_per_span']:.1f} -> "
            f"{compiled['cpu_per_span']:.1f}, decode+normalize baseline "
            f"{compiled['baseline'] / pure['baseline']:.2f}x"
        )
    if any(r["lost"] for r in results.values()):
        raise SystemExit("stored count differs from acknowledged count")


def _run(args: argparse.Namespace, *, pure: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="llmpulse-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        project = _cli("projects", "create", "bench", data_dir=data_dir)
        ingest = _cli(
            "keys", "create", "--project", project, "--scope", "ingest", data_dir=data_dir
        )
        read = _cli("keys", "create", "--project", project, "--scope", "read", data_dir=data_dir)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tmp) / "collector.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llmpulse_collector.cli",
                "collector",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LLMPULSE_PURE_PYTHON": "1" if pure else "0"},
        )
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            go = Path(tmp) / "go"
            os.environ["BENCH_GO"] = str(go)
            per_client = args.spans // args.clients
            jobs = [
                (url, ingest, per_client, seed, args.spans_per_request, args.concurrency)
                for seed in range(args.clients)
            ]
            with mp.get_context("spawn").Pool(args.clients) as pool:
                pending = pool.map_async(_client, jobs)
                time.sleep(5 + args.spans / 100_000)  # let clients build their payloads
                cpu0 = _cpu_seconds(proc.pid)
                t0 = time.perf_counter()
                go.touch()
                results = pending.get()
                elapsed = time.perf_counter() - t0
                cpu_acked = _cpu_seconds(proc.pid) - cpu0
                _wait_quiet(proc.pid)  # the merges that follow are part of the cost
                cpu = _cpu_seconds(proc.pid) - cpu0
            acked = sum(r[0] for r in results)
            requests = sum(r[1] for r in results)
            retries = sum(r[2] for r in results)
            summary = httpx.get(
                f"{url}/api/v1/metrics/summary",
                params={"from": str(time.time() - 7200)},
                headers={"Authorization": f"Bearer {read}"},
                timeout=60,
            ).json()
            stored = sum(g["spans"] for g in summary["groups"])
            rss = _peak_rss_mib(proc.pid)
            threads = _thread_cpu(proc.pid)
            metrics = httpx.get(f"{url}/metrics", timeout=60).text
            health = _health_during_export(url, ingest, args.health_export_mb)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
            log.close()

    baseline = _baseline(20_000, compiled=not pure)
    rate = acked / elapsed
    print(
        f"clients: {args.clients} processes x {args.concurrency} in flight, "
        f"{args.spans_per_request} spans/request, "
        f"{requests} requests, {retries} retried (429/503)"
    )
    print(f"acknowledged: {acked} spans in {elapsed:.2f} s = {rate:,.0f} spans/s")
    print(f"stored (query API count): {stored} spans; lost: {acked - stored}")
    print(f"collector peak RSS: {rss:,.0f} MiB")
    batches = _metric(metrics, "llmpulse_batch_spans_count")
    insert_s = _metric(metrics, "llmpulse_insert_seconds_sum")
    print(
        f"inserts: {batches:.0f} batches, {acked / max(batches, 1):,.0f} spans/batch, "
        f"{insert_s / max(batches, 1) * 1e3:.0f} ms/insert"
    )
    busiest = sorted(threads.items(), key=lambda item: -item[1])[:5]
    shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in busiest)
    print(f"collector CPU by thread (whole run incl. start-up): {shown}")
    print(
        f"collector CPU until the last answer: {cpu_acked:.1f} s = "
        f"{cpu_acked / max(acked, 1) * 1e6:.1f} µs/span ({cpu_acked / elapsed:.2f} cores busy)"
    )
    print(
        f"collector CPU incl. merges until quiet: {cpu:.1f} s = "
        f"{cpu / max(acked, 1) * 1e6:.1f} µs/span; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"/healthz during one {health['mb']:.1f} MB export ({health['spans']:,.0f} spans, "
        f"answered in {health['export_ms']:,.0f} ms): median {health['median_ms']:.0f} ms, "
        f"max {health['max_ms']:.0f} ms over {health['probes']:.0f} probes "
        f"(idle: {health['idle_ms']:.1f} ms)"
    )
    print(
        f"baseline, decode+normalize on one core in-process: {baseline:,.0f} spans/s; "
        f"end-to-end / baseline = {rate / baseline:.2f}"
    )
    print(
        f"target 50,000 spans/s: {'met' if rate >= 50_000 else 'NOT met'} "
        f"({rate / 50_000:.2f}x); RSS < 1 GiB: {'met' if rss < 1024 else 'NOT met'}"
    )
    return {
        "rate": rate,
        "cpu_per_span": cpu / max(acked, 1) * 1e6,
        "baseline": baseline,
        "lost": acked - stored,
        "health_median_ms": health["median_ms"],
        "health_max_ms": health["max_ms"],
    }


if __name__ == "__main__":
    main()
