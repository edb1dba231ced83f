"""Export of traces for datasets: pages through the trace list, adds root input/output
and evaluations, and yields one record per trace; never holds more than a page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Literal

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import TraceFilter, iso
from llmpulse_collector.store.queries.traces import list_traces, root_io, trace_evaluations

__all__ = ["CSV_COLUMNS", "export_csv", "export_jsonl", "export_records"]

CHUNK = 1000
_FIELDS = (
    "trace_id", "start_time", "end_time", "duration_ms", "name", "service_name",
    "environment", "session_id", "user_id", "tags", "models", "spans", "errors",
    "llm_calls", "input_tokens", "output_tokens", "total_tokens", "cost_usd",
)  # fmt: skip
CSV_COLUMNS = (*_FIELDS, "input", "output", "evaluations_json", "feedback_json")


def export_records(
    store: Store,
    f: TraceFilter,
    *,
    sort: str = "start_time",
    order: Literal["desc", "asc"] = "desc",
    limit: int = 100_000,
    chunk: int = CHUNK,
) -> Iterator[dict[str, Any]]:
    """One record per matching trace, in list order, at most ``limit``."""
    cursor: str | None = None
    left = limit
    while left > 0:
        page = list_traces(
            store, f, sort=sort, order=order, limit=min(chunk, left), cursor=cursor, previews=False
        )
        traces = page.traces
        if traces:
            texts = root_io(store, f.project_id, traces)
            since = min(t["start_time_ns"] for t in traces)
            evaluations: dict[str, list[dict[str, Any]]] = {}
            for ev in trace_evaluations(
                store, f.project_id, [t["trace_id"] for t in traces], since
            ):
                evaluations.setdefault(ev["trace_id"], []).append(
                    {
                        "span_id": ev["span_id"],
                        "name": ev["name"],
                        "source": ev["source"],
                        "passed": ev["passed"],
                        "score": ev["score"],
                        "label": ev["label"],
                        "comment": ev["comment"],
                        "created_at": iso(ev["created_at_ns"]),
                    }
                )
            for trace in traces:
                record = {key: trace[key] for key in _FIELDS}
                record["input"], record["output"] = texts.get(trace["trace_id"], ("", ""))
                evs = evaluations.get(trace["trace_id"], [])
                record["evaluations"] = [e for e in evs if e["source"] != "feedback"]
                record["feedback"] = [e for e in evs if e["source"] == "feedback"]
                yield record
        left -= len(traces)
        cursor = page.next_cursor
        if cursor is None:
            return


def export_jsonl(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def export_csv(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for record in records:
        row = [record[key] for key in _FIELDS]
        row[_FIELDS.index("tags")] = ",".join(record["tags"])
        row[_FIELDS.index("models")] = ",".join(record["models"])
        row += [
            record["input"],
            record["output"],
            json.dumps(record["evaluations"], ensure_ascii=False),
            json.dumps(record["feedback"], ensure_ascii=False),
        ]
        writer.writerow(row)
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
