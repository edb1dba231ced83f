"""The SDK's export queue against a real local OTLP/HTTP receiver, and its exit bound.

Prints, for decorated calls paced at ``--rate`` per second for ``--seconds``, how many
spans were exported and dropped (a healthy collector should see none dropped); then,
with the collector gone (a closed port), how long ``shutdown()`` takes with
``--queued`` spans waiting, and what it counted as dropped.

    .venv/bin/python benchmarks/sdk_export.py [--rate 2000] [--seconds 5] [--queued 5000]
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import llmpulse
from llmpulse import _config


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@llmpulse.observe(name="answer", span_type="llm")
def answer(question: str) -> str:
    return "Paris"


def healthy(rate: int, seconds: float) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    llmpulse.configure(endpoint=f"http://127.0.0.1:{server.server_address[1]}")
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        due = int(elapsed * rate)
        while calls < due:
            answer("What is the capital of France?")
            calls += 1
        time.sleep(0.001)
    llmpulse.flush(timeout=60)
    stats = llmpulse.stats()
    print(
        f"healthy collector, {rate}/s for {seconds:g} s: {calls} calls, "
        f"{stats['spans_exported']} exported, {stats['spans_dropped']} dropped"
    )
    _config._reset_for_tests()
    server.shutdown()


def collector_down(queued: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    llmpulse.configure(endpoint=f"http://127.0.0.1:{port}")
    for _ in range(queued):
        answer("What is the capital of France?")
    start = time.perf_counter()
    llmpulse.shutdown()  # the default: LLMPULSE_SHUTDOWN_TIMEOUT, 3 s
    took = time.perf_counter() - start
    stats = llmpulse.stats()
    print(
        f"collector down, {queued} queued: shutdown() took {took:.2f} s; "
        f"{stats['spans_dropped']} dropped + {stats['spans_export_failed']} failed"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--queued", type=int, default=5_000)
    args = parser.parse_args()
    healthy(args.rate, args.seconds)
    collector_down(args.queued)


if __name__ == "__main__":
    main()
