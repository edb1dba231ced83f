"""``SpanBatch``: the columns normalize appends to, seen as rows and encoded as Arrow."""

from __future__ import annotations

from llmpulse_collector.ingest import normalize
from llmpulse_collector.model import SpanBatch
from llmpulse_collector.store._arrow import batch_table, spans_table
from tests.collector.ingest.otlp_builders import NOW, make_request, make_span


def _batch() -> SpanBatch:
    request = make_request(
        make_span({"llmpulse.tags": ["a", "b"], "input.value": "q", "k": 1}, name="one"),
        make_span({"gen_ai.request.model": "gpt-4o"}, name="two", span_id=b"\x02" * 8),
        make_span(name="three", span_id=b"\x03" * 8),
    )
    return normalize(request, project_id="p", now_ns=NOW).spans


def test_rows_round_trip_and_indexing() -> None:
    batch = _batch()
    rows = list(batch)
    assert [row.name for row in rows] == ["one", "two", "three"]
    assert rows[0].tags == ["a", "b"] and rows[0].attributes == {
        "llmpulse.tags": '["a","b"]',
        "k": "1",
    }
    assert [batch[i] for i in range(3)] == rows
    assert (batch[-1], batch[1:]) == (rows[-1], rows[1:])
    assert list(SpanBatch.from_rows(rows)) == rows
    joined = SpanBatch.concat([batch, SpanBatch.from_rows(rows[:1])])
    assert list(joined) == [*rows, rows[0]]


def test_arrow_from_columns_equals_arrow_from_rows() -> None:
    batch = _batch()
    assert batch_table(batch, NOW).equals(spans_table(list(batch), NOW))
