"""@llmpulse.observe: what one decorated call records, for every kind of function."""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading

import pytest

import llmpulse
from llmpulse.testing import CapturedSpans


def attrs(spans: CapturedSpans, name: str) -> dict[str, object]:
    return dict(spans.by_name(name).attributes or {})


# --- sync functions ---------------------------------------------------------------


def test_sync_function_records_input_output_and_type(spans: CapturedSpans):
    @llmpulse.observe
    def add(a: int, b: int = 2) -> int:
        return a + b

    assert add(1, b=3) == 4

    assert spans.as_dicts() == [
        {
            "name": "add",
            "trace": 1,
            "span": 1,
            "parent": None,
            "status": "UNSET",
            "attributes": {
                "llmpulse.span_type": "chain",
                "input.value": '{"a": 1, "b": 3}',
                "input.mime_type": "application/json",
                "output.value": "4",
                "output.mime_type": "application/json",
            },
            "events": [],
        }
    ]


def test_called_form_with_name_type_and_capture_flags(spans: CapturedSpans):
    @llmpulse.observe(name="lookup", span_type="retrieval", capture_input=False)
    def find(query: str) -> list[str]:
        return ["doc-1"]

    @llmpulse.observe(name="secret", capture_output=False)
    def secret(x: int) -> str:
        return "s3cr3t"

    find("q")
    secret(1)
    assert attrs(spans, "lookup") == {
        "llmpulse.span_type": "retrieval",
        "output.value": '["doc-1"]',
        "output.mime_type": "application/json",
    }
    assert "output.value" not in attrs(spans, "secret")
    assert attrs(spans, "secret")["input.value"] == '{"x": 1}'


def test_string_output_is_recorded_as_plain_text(spans: CapturedSpans):
    @llmpulse.observe
    def greet(name: str) -> str:
        return f"hello {name}"

    greet("ann")
    assert attrs(spans, "greet")["output.value"] == "hello ann"
    assert attrs(spans, "greet")["output.mime_type"] == "text/plain"


def test_variadic_and_keyword_only_arguments_are_bound(spans: CapturedSpans):
    @llmpulse.observe(name="f")
    def f(a: int, /, *rest: int, flag: bool = False, **extra: str) -> None:
        return None

    f(1, 2, 3, flag=True, colour="red")
    assert attrs(spans, "f")["input.value"] == (
        '{"a": 1, "rest": [2, 3], "flag": true, "extra": {"colour": "red"}}'
    )
    assert attrs(spans, "f")["output.value"] == "null"


def test_span_types_add_genai_operation_names(spans: CapturedSpans):
    for span_type in ("llm", "tool", "embedding", "agent", "evaluator", "guardrail"):
        llmpulse.observe(name=span_type, span_type=span_type)(lambda: None)()
    assert attrs(spans, "llm")["gen_ai.operation.name"] == "chat"
    assert attrs(spans, "tool")["gen_ai.operation.name"] == "execute_tool"
    assert attrs(spans, "tool")["gen_ai.tool.name"] == "tool"
    assert attrs(spans, "embedding")["gen_ai.operation.name"] == "embeddings"
    assert attrs(spans, "agent")["gen_ai.operation.name"] == "invoke_agent"
    assert "gen_ai.operation.name" not in attrs(spans, "evaluator")
    assert attrs(spans, "guardrail")["llmpulse.span_type"] == "guardrail"


def test_unknown_span_type_becomes_other(spans: CapturedSpans):
    llmpulse.observe(name="x", span_type="nonsense")(lambda: 1)()  # type: ignore[call-overload]
    assert attrs(spans, "x")["llmpulse.span_type"] == "other"


def test_wrapper_keeps_name_doc_and_signature():
    def original(a: int, *, b: str = "x") -> str:
        """Docs."""
        return b * a

    wrapped = llmpulse.observe(original)
    assert wrapped.__name__ == "original"
    assert wrapped.__doc__ == "Docs."
    assert wrapped.__wrapped__ is original  # type: ignore[attr-defined]
    assert inspect.signature(wrapped) == inspect.signature(original)


# --- methods --------------------------------------------------------------------------


class Assistant:
    prefix = ">"

    @llmpulse.observe
    def answer(self, question: str) -> str:
        return f"{self.prefix} {question}"

    @classmethod
    @llmpulse.observe
    def create(cls, name: str) -> str:
        return name

    @staticmethod
    @llmpulse.observe
    def helper(x: int) -> int:
        return x

    @llmpulse.observe
    async def answer_async(self, question: str) -> str:
        return question


async def test_methods_do_not_record_self_or_cls(spans: CapturedSpans):
    assistant = Assistant()
    assert assistant.answer("hi") == "> hi"
    assert Assistant.create("bob") == "bob"
    assert Assistant.helper(3) == 3
    assert await assistant.answer_async("yo") == "yo"
    assert attrs(spans, "Assistant.answer")["input.value"] == '{"question": "hi"}'
    assert attrs(spans, "Assistant.create")["input.value"] == '{"name": "bob"}'
    assert attrs(spans, "Assistant.helper")["input.value"] == '{"x": 3}'
    assert attrs(spans, "Assistant.answer_async")["input.value"] == '{"question": "yo"}'


# --- coroutines -------------------------------------------------------------------


async def test_coroutine_is_timed_across_awaits(spans: CapturedSpans):
    @llmpulse.observe(name="slow")
    async def slow(x: int) -> dict[str, int]:
        await asyncio.sleep(0.02)
        return {"x": x}

    assert inspect.iscoroutinefunction(slow)
    assert await slow(5) == {"x": 5}
    span = spans.by_name("slow")
    assert span.end_time is not None and span.start_time is not None
    assert span.end_time - span.start_time >= 15_000_000
    assert dict(span.attributes or {})["output.value"] == '{"x": 5}'


# --- generators -------------------------------------------------------------------


def test_generator_output_is_the_items_concatenated(spans: CapturedSpans):
    @llmpulse.observe(name="stream", span_type="llm")
    def stream(n: int):
        for i in range(n):
            yield f"tok{i} "
        return "done"

    assert inspect.isgeneratorfunction(stream)
    gen = stream(3)
    assert spans.spans == []  # the span opens on first iteration, closes at the end
    assert list(gen) == ["tok0 ", "tok1 ", "tok2 "]
    recorded = attrs(spans, "stream")
    assert recorded["output.value"] == "tok0 tok1 tok2 "
    assert recorded["output.mime_type"] == "text/plain"
    assert isinstance(recorded["llmpulse.time_to_first_token_ms"], float)


def test_generator_return_value_send_and_throw_are_forwarded(spans: CapturedSpans):
    @llmpulse.observe(name="echo")
    def echo():
        received = []
        try:
            while True:
                value = yield len(received)
                received.append(value)
        except KeyError:
            yield "caught"
        return received

    gen = echo()
    assert next(gen) == 0
    assert gen.send("a") == 1
    assert gen.throw(KeyError("k")) == "caught"
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == ["a"]
    assert attrs(spans, "echo")["output.value"] == '[0, 1, "caught"]'


def test_generator_closed_early_ends_the_span_ok(spans: CapturedSpans):
    closed = []

    @llmpulse.observe(name="endless")
    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.append(True)

    for item in endless():
        if item == 2:
            break
    assert closed == [True]
    span = spans.by_name("endless")
    assert span.status.status_code.name == "UNSET"
    assert dict(span.attributes or {})["output.value"] == "[0, 1, 2]"


def test_generator_error_is_recorded_and_reraised(spans: CapturedSpans):
    @llmpulse.observe(name="broken")
    def broken():
        yield 1
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        list(broken())
    span = spans.by_name("broken")
    assert span.status.status_code.name == "ERROR"
    assert span.events[0].name == "exception"
    assert dict(span.attributes or {})["output.value"] == "[1]"


def test_spans_inside_a_generator_are_its_children(spans: CapturedSpans):
    @llmpulse.observe(name="child")
    def child(i: int) -> int:
        return i

    @llmpulse.observe(name="parent")
    def parent():
        for i in range(2):
            yield child(i)

    @llmpulse.observe(name="outside")
    def outside() -> None:
        return None

    for _ in parent():
        outside()  # runs between items, in the caller's context: not a child
    by_name = {s["name"]: s for s in spans.as_dicts()}
    assert by_name["child"]["parent"] == by_name["parent"]["span"]
    assert by_name["outside"]["parent"] is None


# --- async generators ---------------------------------------------------------------


async def test_async_generator_items_and_time_to_first_token(spans: CapturedSpans):
    @llmpulse.observe(name="astream")
    async def astream(n: int):
        for i in range(n):
            await asyncio.sleep(0)
            yield {"i": i}

    assert inspect.isasyncgenfunction(astream)
    assert [item async for item in astream(2)] == [{"i": 0}, {"i": 1}]
    recorded = attrs(spans, "astream")
    assert recorded["output.value"] == '[{"i": 0}, {"i": 1}]'
    assert recorded["llmpulse.time_to_first_token_ms"] >= 0  # type: ignore[operator]


async def test_async_generator_asend_athrow_and_error(spans: CapturedSpans):
    @llmpulse.observe(name="agen")
    async def agen():
        got = yield "first"
        try:
            yield f"got {got}"
        except KeyError:
            yield "caught"
        raise RuntimeError("late failure")

    gen = agen()
    assert await gen.asend(None) == "first"
    assert await gen.asend("x") == "got x"
    assert await gen.athrow(KeyError()) == "caught"
    with pytest.raises(RuntimeError, match="late failure"):
        await gen.__anext__()
    span = spans.by_name("agen")
    assert span.status.status_code.name == "ERROR"
    # what was streamed before the failure is kept
    assert dict(span.attributes or {})["output.value"] == "firstgot xcaught"


async def test_async_generator_closed_early(spans: CapturedSpans):
    @llmpulse.observe(name="aendless")
    async def aendless():
        i = 0
        while True:
            yield str(i)
            i += 1

    gen = aendless()
    assert await gen.__anext__() == "0"
    assert await gen.__anext__() == "1"
    await gen.aclose()
    assert attrs(spans, "aendless")["output.value"] == "01"


# --- errors ---------------------------------------------------------------------------


class CustomError(Exception):
    pass


def test_exception_is_recorded_and_reraised_unchanged(spans: CapturedSpans):
    error = CustomError("bad input")

    @llmpulse.observe(name="fails")
    def fails() -> None:
        raise error

    with pytest.raises(CustomError) as caught:
        fails()
    assert caught.value is error
    [span] = spans.as_dicts()
    assert span["status"] == "ERROR"
    assert spans.spans[0].status.description == "CustomError: bad input"
    assert span["events"] == [
        {
            "name": "exception",
            "attributes": {
                "exception.type": f"{__name__}.CustomError",
                "exception.message": "bad input",
                "exception.escaped": "True",
            },
        }
    ]
    assert "output.value" not in span["attributes"]


async def test_async_exception_and_cancellation_are_recorded(spans: CapturedSpans):
    @llmpulse.observe(name="afails")
    async def afails() -> None:
        raise CustomError("async")

    @llmpulse.observe(name="hangs")
    async def hangs() -> None:
        await asyncio.sleep(10)

    with pytest.raises(CustomError):
        await afails()
    task = asyncio.ensure_future(hangs())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert spans.by_name("afails").status.status_code.name == "ERROR"
    assert spans.by_name("hangs").status.status_code.name == "ERROR"


# --- nesting and concurrency --------------------------------------------------------


def test_nested_calls_form_one_trace(spans: CapturedSpans):
    @llmpulse.observe(name="inner")
    def inner() -> int:
        return 1

    @llmpulse.observe(name="outer")
    def outer() -> int:
        return inner() + inner()

    outer()
    outer()
    shapes = [(s["name"], s["trace"], s["span"], s["parent"]) for s in spans.as_dicts()]
    assert shapes == [
        ("inner", 1, 2, 1),
        ("inner", 1, 3, 1),
        ("outer", 1, 1, None),
        ("inner", 2, 5, 4),
        ("inner", 2, 6, 4),
        ("outer", 2, 4, None),
    ]


async def test_concurrent_tasks_keep_their_own_parents(spans: CapturedSpans):
    @llmpulse.observe(name="leaf")
    async def leaf(i: int) -> int:
        await asyncio.sleep(0.001 * (3 - i))
        return i

    @llmpulse.observe(name="branch")
    async def branch(i: int) -> int:
        return await leaf(i)

    @llmpulse.observe(name="root")
    async def root() -> list[int]:
        return list(await asyncio.gather(*(branch(i) for i in range(3))))

    assert await root() == [0, 1, 2]
    dicts = spans.as_dicts()
    ids = {s["span"]: s for s in dicts}
    for leaf_span in (s for s in dicts if s["name"] == "leaf"):
        parent = ids[leaf_span["parent"]]
        assert parent["name"] == "branch"
        assert parent["attributes"]["input.value"] == leaf_span["attributes"]["input.value"]
        assert ids[parent["parent"]]["name"] == "root"
    assert {s["trace"] for s in dicts} == {1}


def test_threads_with_copied_context_join_the_trace(spans: CapturedSpans):
    import contextvars

    @llmpulse.observe(name="work")
    def work(i: int) -> int:
        return i

    @llmpulse.observe(name="fan_out")
    def fan_out() -> None:
        threads = [
            threading.Thread(target=contextvars.copy_context().run, args=(work, i))
            for i in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    fan_out()
    dicts = spans.as_dicts()
    root = next(s for s in dicts if s["name"] == "fan_out")
    workers = [s for s in dicts if s["name"] == "work"]
    assert len(workers) == 4
    assert all(w["parent"] == root["span"] and w["trace"] == root["trace"] for w in workers)


def test_partial_and_callable_objects_can_be_observed(spans: CapturedSpans):
    class Scorer:
        def __call__(self, text: str) -> int:
            return len(text)

    scored = llmpulse.observe(name="scorer")(Scorer())
    partial = llmpulse.observe(name="partial")(functools.partial(lambda a, b: a + b, 1))
    assert scored("abc") == 3
    assert partial(2) == 3
    assert attrs(spans, "scorer")["input.value"] == '{"text": "abc"}'
    assert attrs(spans, "partial")["input.value"] == '{"b": 2}'


def test_span_names_of_nested_functions_drop_the_locals_marker(spans: CapturedSpans):
    class Bot:
        @llmpulse.observe
        def reply(self) -> int:
            return 1

    @llmpulse.observe
    def inner() -> int:
        return Bot().reply()

    inner()
    assert [s["name"] for s in spans.as_dicts()] == ["Bot.reply", "inner"]
