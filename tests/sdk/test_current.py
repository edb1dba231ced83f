"""``llmpulse.current_span()`` (update, attributes, events, record_llm), traces of their
own linked to the current span (``new_trace``), and turning built-in redaction off or
extending it."""

from __future__ import annotations

import json

import llmpulse
from llmpulse.testing import CapturedSpans, capture_spans


def test_update_output_and_metadata_from_inside_the_function(spans: CapturedSpans) -> None:
    @llmpulse.observe
    def answer(question: str) -> str:
        handle = llmpulse.current_span()
        handle.update(output={"answer": "Paris", "sources": 2}, metadata={"kb": "v3", "k": 5})
        handle.set_attributes({"app.cache": "hit", "app.retries": 0})
        handle.add_event("retrieved", {"documents": 2})
        return "raw return value"

    assert answer("Capital?") == "raw return value"
    [span] = spans.spans
    attributes = dict(span.attributes or {})
    assert json.loads(str(attributes["output.value"])) == {"answer": "Paris", "sources": 2}
    assert attributes["output.mime_type"] == "application/json"
    assert (attributes["llmpulse.metadata.kb"], attributes["llmpulse.metadata.k"]) == ("v3", "5")
    assert (attributes["app.cache"], attributes["app.retries"]) == ("hit", 0)
    assert json.loads(str(attributes["input.value"])) == {"question": "Capital?"}
    [event] = span.events
    assert (event.name, dict(event.attributes or {})) == ("retrieved", {"documents": 2})


def test_record_llm_and_ids_on_the_current_span(spans: CapturedSpans) -> None:
    with llmpulse.span("call", "llm") as block:
        handle = llmpulse.current_span()
        handle.record_llm(model="gpt-4o", input_tokens=10, output_tokens=2)
        assert (handle.trace_id, handle.span_id) == (block.trace_id, block.span_id)
    [span] = spans.spans
    assert span.attributes is not None
    assert span.attributes["gen_ai.usage.input_tokens"] == 10


def test_handle_does_nothing_outside_a_span_or_before_configure() -> None:
    handle = llmpulse.current_span()
    handle.update(output="x", metadata={"a": 1})
    handle.add_event("e")
    assert handle.trace_id is None
    with capture_spans() as spans:
        llmpulse.current_span().update(output="nothing current")
    assert spans.spans == []


def test_new_trace_is_a_root_linked_to_the_current_span(spans: CapturedSpans) -> None:
    @llmpulse.observe(new_trace=True)
    def background_job() -> None:
        pass

    with llmpulse.span("request") as request:
        trace_id, span_id = request.trace_id, request.span_id
        background_job()
        with llmpulse.span("batch item", new_trace=True):
            pass
    job, item, parent = spans.spans
    assert trace_id is not None
    for span in (job, item):
        assert span.parent is None
        assert span.context is not None
        assert format(span.context.trace_id, "032x") != trace_id
        [link] = span.links
        assert format(link.context.span_id, "016x") == span_id
    assert parent.name == "request"


def test_builtin_redaction_can_be_turned_off_and_extended() -> None:
    @llmpulse.observe
    def echo(text: str) -> str:
        return text

    with capture_spans() as spans:
        echo("mail bob@example.com")
    assert spans.spans[0].attributes["output.value"] == "mail [REDACTED:email]"  # type: ignore[index]
    with capture_spans(redact_builtin=False) as spans:
        echo("mail bob@example.com")
    assert spans.spans[0].attributes["output.value"] == "mail bob@example.com"  # type: ignore[index]

    def order_ids(text: str) -> str:
        return text.replace("ORD-1234", "[REDACTED:order]")

    with capture_spans(redact=order_ids) as spans:
        echo("bob@example.com ORD-1234")
    assert spans.spans[0].attributes["output.value"] == "[REDACTED:email] [REDACTED:order]"  # type: ignore[index]


def test_configure_turns_builtin_redaction_off(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from llmpulse._state import HOLDER

    llmpulse.configure(span_exporter=InMemorySpanExporter(), redact_builtin=False)
    assert HOLDER.runtime is not None and HOLDER.runtime.policy.builtin is False
    monkeypatch.setenv("LLMPULSE_REDACT_BUILTIN", "true")
    llmpulse.configure(span_exporter=InMemorySpanExporter())
    assert HOLDER.runtime is not None and HOLDER.runtime.policy.builtin is True
