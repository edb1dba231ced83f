"""The demo app is instrumented with the llmpulse SDK the way a user would do it."""

from __future__ import annotations

import random

from llmpulse.testing import capture_spans
from llmpulse_collector import demo


def test_a_live_demo_turn_is_a_four_span_trace_with_an_llm_call() -> None:
    with capture_spans() as captured:
        turn = demo._live_app(random.Random(3))
        turn()
    by_name = {s["name"]: s for s in captured.as_dicts()}
    assert set(by_name) == {"answer_question", "search_docs", "chat", "create_ticket"}
    chat = by_name["chat"]["attributes"]
    assert chat["llmpulse.span_type"] == "llm"
    assert chat["gen_ai.response.model"] in {m.model for m in demo.MODELS}
    assert chat["gen_ai.usage.input_tokens"] > 0
    assert by_name["answer_question"]["attributes"]["session.id"].startswith("sess-user-")
