"""``llmpulse.experiment()`` without a collector (``upload=False``): evaluator binding
and results, concurrency, async tasks, errors, the progress bar, item ids."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from typing import Any

import pytest

import llmpulse
from llmpulse import checks
from llmpulse._experiment import Score, _Progress, to_score
from llmpulse.testing import CapturedSpans

ITEMS = [{"input": n, "expected_output": n * 2, "metadata": {"n": n}} for n in range(6)]


def test_evaluator_kinds_and_argument_binding(spans: CapturedSpans) -> None:
    def exact(output: int, expected: int) -> bool:
        return output == expected

    def closeness(output, *, expected, metadata):  # type: ignore[no-untyped-def]
        return {"score": 1 / (1 + abs(output - expected)), "label": f"n={metadata['n']}"}

    def with_reason(answer: int) -> tuple[float, str]:
        return 0.5, "half"

    def skipped(output: int) -> None:
        return None

    result = llmpulse.experiment(
        ITEMS, lambda x: x * 2 if x < 4 else x, evaluators=[exact, closeness, with_reason,
        skipped, checks.is_json], name="doubling", upload=False, progress=False,
    )  # fmt: skip
    assert [r.output for r in result.results] == [0, 2, 4, 6, 4, 5]
    last = result.results[5].scores
    assert last["exact"] == Score("exact", 0.0, False)
    assert last["closeness"] == Score("closeness", 1 / 6, None, "n=5")
    assert last["with_reason"] == Score("with_reason", 0.5, None, "", "half")
    assert "skipped" not in last and last["is_json"].passed is True
    summary = result.summary()
    assert summary["exact"] == {"count": 6, "mean_score": 4 / 6, "pass_rate": 4 / 6}
    assert summary["with_reason"]["pass_rate"] is None
    roots = [s for s in spans.as_dicts() if s["name"] == "experiment doubling"]
    assert len(roots) == 6 and len({r["trace"] for r in roots}) == 6
    assert roots[0]["attributes"]["llmpulse.experiment.name"] == "doubling"
    assert roots[0]["attributes"]["llmpulse.tags"] == ("experiment:doubling",)
    assert {r["attributes"]["llmpulse.dataset.item_id"] for r in roots} == {
        r.item.id for r in result.results
    }


def test_task_errors_and_evaluator_errors_are_recorded() -> None:
    def task(x: int) -> int:
        if x == 3:
            raise ValueError("three")
        return x

    def fragile(output: int) -> bool:
        if output == 1:
            raise KeyError("boom")
        return True

    result = llmpulse.experiment(ITEMS, task, [fragile], upload=False, progress=False)
    assert result.errors == 1 and result.results[3].error == "ValueError: three"
    assert result.results[3].scores == {}
    assert result.results[1].scores["fragile"].label == "error"
    assert result.name == "task"


def test_concurrency_runs_items_at_once() -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def slow(x: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return x

    result = llmpulse.experiment(ITEMS, slow, concurrency=3, upload=False, progress=False)
    assert peak[0] == 3 and [r.output for r in result.results] == list(range(6))
    with pytest.raises(ValueError, match="concurrency"):
        llmpulse.experiment(ITEMS, slow, concurrency=0, upload=False)


def test_async_task_and_async_evaluator(spans: CapturedSpans) -> None:
    async def task(x: int) -> int:
        await asyncio.sleep(0.01)
        return x + 1

    async def positive(output: int) -> bool:
        await asyncio.sleep(0)
        return output > 0

    result = llmpulse.experiment(ITEMS, task, [positive], concurrency=4, upload=False,
                                 progress=False)  # fmt: skip
    assert [r.output for r in result.results] == [1, 2, 3, 4, 5, 6]
    assert all(r.scores["positive"].passed for r in result.results)
    assert all(r.latency_ms >= 10 for r in result.results)
    assert len({s["trace"] for s in spans.as_dicts()}) == 6


def test_item_task_signature_and_stable_ids() -> None:
    def task(item: Any) -> str:
        return f"{item.id}:{item.metadata['n']}"

    a = llmpulse.experiment(ITEMS, task, upload=False, progress=False)
    b = llmpulse.experiment(list(ITEMS), task, upload=False, progress=False)
    assert [r.item.id for r in a.results] == [r.item.id for r in b.results]
    assert a.results[2].output == f"{a.results[2].item.id}:2"
    dup = llmpulse.experiment([{"input": 1}, {"input": 1}], str, upload=False, progress=False)
    first, second = (r.item.id for r in dup.results)
    assert second == f"{first}-2"
    with pytest.raises(TypeError, match="'input'"):
        llmpulse.experiment([{"question": 1}], str, upload=False)
    with pytest.raises(TypeError, match="cannot fill parameter 'gold'"):
        llmpulse.experiment(ITEMS, str, [lambda output, gold: True], upload=False)


def test_to_score_rejects_other_types() -> None:
    assert to_score("x", (True, "fine")) == Score("x", 1.0, True, "", "fine")
    with pytest.raises(TypeError, match="return a bool"):
        to_score("x", "yes")


def test_progress_bar() -> None:
    out = io.StringIO()
    bar = _Progress("experiment x", 2, True, out)
    bar.step()
    bar.step()
    bar.close()
    assert out.getvalue().endswith("] 2/2\n") and out.getvalue().startswith("\rexperiment x [")
    quiet = io.StringIO()
    _Progress("x", 1, None, quiet).step()  # not a terminal: nothing
    assert quiet.getvalue() == ""
