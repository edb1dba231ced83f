"""llmpulse.context(): session, user, tags and metadata on every span started inside."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import llmpulse
from llmpulse.testing import CapturedSpans


@llmpulse.observe(name="step")
def step(i: int = 0) -> int:
    return i


def context_attrs(span: dict[str, object]) -> dict[str, object]:
    attributes = span["attributes"]
    assert isinstance(attributes, dict)
    return {
        k: v
        for k, v in attributes.items()
        if k in ("session.id", "user.id", "llmpulse.tags") or k.startswith("llmpulse.metadata.")
    }


def test_context_attributes_are_stamped_on_spans(spans: CapturedSpans):
    with llmpulse.context(
        session_id="s-1", user_id="u-1", tags=["beta", "eu"], metadata={"plan": "pro", "n": 3}
    ):
        step()
    step()
    inside, outside = spans.as_dicts()
    assert context_attrs(inside) == {
        "session.id": "s-1",
        "user.id": "u-1",
        "llmpulse.tags": ("beta", "eu"),
        "llmpulse.metadata.plan": "pro",
        "llmpulse.metadata.n": "3",
    }
    assert context_attrs(outside) == {}


def test_nested_contexts_merge(spans: CapturedSpans):
    with llmpulse.context(session_id="s", tags=["a"], metadata={"k": "outer", "x": "1"}):
        with llmpulse.context(user_id="u", tags=["b", "a"], metadata={"k": "inner"}):
            step(1)
        step(2)
    inner, outer = spans.as_dicts()
    assert context_attrs(inner) == {
        "session.id": "s",
        "user.id": "u",
        "llmpulse.tags": ("a", "b"),
        "llmpulse.metadata.k": "inner",
        "llmpulse.metadata.x": "1",
    }
    assert context_attrs(outer) == {
        "session.id": "s",
        "llmpulse.tags": ("a",),
        "llmpulse.metadata.k": "outer",
        "llmpulse.metadata.x": "1",
    }


def test_context_applies_to_llmpulse_span_blocks_and_children(spans: CapturedSpans):
    with llmpulse.context(user_id="u"), llmpulse.span("block"):
        step()
    assert [context_attrs(s) for s in spans.as_dicts()] == [{"user.id": "u"}] * 2


async def test_context_follows_awaits_and_is_separate_per_task(spans: CapturedSpans):
    async def handle(user: str) -> None:
        async with llmpulse.context(user_id=user):
            await asyncio.sleep(0.001)
            step()
            await asyncio.sleep(0)
            step()

    await asyncio.gather(*(handle(f"user-{i}") for i in range(5)))
    users = [context_attrs(s).get("user.id") for s in spans.as_dicts()]
    assert sorted(users) == sorted(f"user-{i}" for i in range(5) for _ in range(2))


async def test_tasks_created_inside_inherit_the_context(spans: CapturedSpans):
    async def work() -> None:
        step()

    async with llmpulse.context(session_id="parent"):
        await asyncio.create_task(work())
    assert context_attrs(spans.as_dicts()[0]) == {"session.id": "parent"}


def test_threads_see_the_context_only_when_copied(spans: CapturedSpans):
    with llmpulse.context(session_id="s"):
        copied = threading.Thread(target=contextvars.copy_context().run, args=(step, 1))
        plain = threading.Thread(target=step, args=(2,))
        for t in (copied, plain):
            t.start()
            t.join()
    by_input = {s["attributes"]["input.value"]: context_attrs(s) for s in spans.as_dicts()}
    assert by_input == {'{"i": 1}': {"session.id": "s"}, '{"i": 2}': {}}


def test_context_works_before_configure():
    with llmpulse.context(session_id="s"):
        assert step(3) == 3
