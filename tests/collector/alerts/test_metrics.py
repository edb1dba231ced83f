"""Alert metrics over spans count one LLM call once when LLM spans nest."""

from __future__ import annotations

from collections.abc import Callable

from llmpulse_collector.alerts.metrics import measure
from llmpulse_collector.alerts.rules import AlertRule
from llmpulse_collector.model import SpanRow
from llmpulse_collector.store import Store


def test_cost_and_tokens_count_a_nested_call_once(
    store: Store, make_span: Callable[..., SpanRow], base_time_ns: int
) -> None:
    wrapper = make_span(span_id="w" * 16, parent_span_id="", start_time=base_time_ns)
    inner = make_span(
        trace_id=wrapper.trace_id, parent_span_id="w" * 16, start_time=base_time_ns + 1
    )
    store.insert_spans([wrapper, inner])
    window = (base_time_ns - 1, base_time_ns + 1_000_000_000)

    def value(metric: str) -> float | None:
        condition = {"kind": "threshold", "op": ">", "value": 0}
        rule = AlertRule(name="r", metric=metric, condition=condition)  # type: ignore[arg-type]
        return measure(store, "demo", rule, *window).value

    assert value("cost_total") == inner.cost_usd
    assert value("tokens_total") == inner.input_tokens + inner.output_tokens
    assert value("cost_per_call") == inner.cost_usd
