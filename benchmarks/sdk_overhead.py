"""Per-call overhead of ``@llmpulse.observe`` against a raw OpenTelemetry span.

Prints microseconds per call for
  (a) a plain function,
  (b) the same function in a raw OpenTelemetry span with two attributes,
  (c) the function decorated with ``@llmpulse.observe`` (input and output captured),
all exporting to a no-op exporter through a ``BatchSpanProcessor``, and the ratio (c)/(b).

    .venv/bin/python benchmarks/sdk_overhead.py [--calls 5000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

import llmpulse


class NoopExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def per_call_us(
    fns: Sequence[Callable[[str], str]], calls: int, repeat: int, flush: Callable[[], object]
) -> list[float]:
    """Best of ``repeat`` runs per function, in microseconds per call.

    The functions take turns within each round, so a noisy neighbour slows them alike.
    """
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(calls):
                fn("What is the capital of France?")
            best[i] = min(best[i], time.perf_counter() - start)
            flush()  # untimed: keeps the queues from overflowing into the next round
    return [b / calls * 1e6 for b in best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    # Room for one round of spans, so no span is dropped (we flush between rounds): the
    # raw provider's queue as large as llmpulse's default (32,768), batches alike.
    queue = max(2 * args.calls, 32_768)

    raw_provider = TracerProvider(shutdown_on_exit=False)
    raw_provider.add_span_processor(
        BatchSpanProcessor(NoopExporter(), max_queue_size=queue, max_export_batch_size=2_048)
    )
    tracer = raw_provider.get_tracer("bench")
    llmpulse.configure(span_exporter=NoopExporter(), service_name="bench")

    def plain(question: str) -> str:
        return "Paris"

    def raw_span(question: str) -> str:
        with tracer.start_as_current_span("raw_span") as span:
            span.set_attribute("input.value", question)
            result = "Paris"
            span.set_attribute("output.value", result)
            return result

    @llmpulse.observe
    def observed(question: str) -> str:
        return "Paris"

    def flush() -> None:
        raw_provider.force_flush()
        llmpulse.flush()

    fns = [plain, raw_span, observed]
    per_call_us(fns, 1_000, 1, flush)  # warm up
    a, b, c = per_call_us(fns, args.calls, args.repeat, flush)
    assert llmpulse.stats()["spans_dropped"] == 0
    print(f"(a) plain function              {a:8.2f} us/call")
    print(f"(b) raw OTel span, 2 attributes {b:8.2f} us/call")
    print(f"(c) @llmpulse.observe           {c:8.2f} us/call")
    print(f"ratio (c)/(b)                   {c / b:8.2f}  (target <= 1.5)")
    llmpulse.shutdown()
    raw_provider.shutdown()


if __name__ == "__main__":
    main()
