"""LLM-judge evaluation rules on sampled production traffic.

A ``judge`` rule never runs on the ingest path: ``JudgeRule.evaluate`` only samples the
matching spans (deterministically by trace id, at the rule's ``sample_rate``) and hands
them to the ``JudgeWorker``, a background thread that calls the OpenAI-compatible
endpoint and stores each verdict as an evaluation with source ``judge`` (the judge's
model and token usage in its ``value``). A full queue drops spans (counted), so a slow
or down judge costs ingestion nothing.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from llmpulse.judges import LLMJudge, parse_verdict
from llmpulse_collector.evalrules.model import EvalRule, JudgeCheck
from llmpulse_collector.model import EvaluationRow, SpanRow
from llmpulse_collector.store.client import Store

__all__ = ["JudgeRule", "JudgeWorker", "sampled"]

log = logging.getLogger("llmpulse.evalrules")
_STOP: Final = object()


def sampled(trace_id: str, rate: float) -> bool:
    """The same trace is in or out of every sample of the same rate (ids are random)."""
    try:
        return int(trace_id[:8], 16) < rate * 0x1_0000_0000
    except ValueError:
        return False


@dataclass
class JudgeWorker:
    """One daemon thread judging queued spans and writing their evaluations."""

    store: Store
    max_queue: int = 1_000
    judged: int = 0
    failed: int = 0
    dropped: int = 0
    _queue: queue.Queue[object] = field(init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _idle: threading.Condition = field(default_factory=threading.Condition, init=False)
    _pending: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._queue = queue.Queue(self.max_queue)

    def submit(self, rule: JudgeRule, span: SpanRow) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="llmpulse-judge", daemon=True
                )
                self._thread.start()
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait((rule, span))
        except queue.Full:
            self.dropped += 1
            self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued span was judged (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            entry = self._queue.get()
            if entry is _STOP:
                return
            assert isinstance(entry, tuple)
            rule: JudgeRule = entry[0]
            span: SpanRow = entry[1]
            try:
                row = rule.judge(span)
                self.store.insert_evaluations([row])
                self.judged += 1
            except Exception as exc:
                self.failed += 1
                log.warning("judge rule %r on trace %s failed: %s", rule.name, span.trace_id, exc)
            finally:
                self._done()

    def stop(self, timeout: float = 5.0) -> None:
        self.wait_idle(timeout)
        if self._thread is not None:
            try:
                self._queue.put_nowait(_STOP)
            except queue.Full:
                return
            self._thread.join(timeout)


class JudgeRule:
    """A compiled ``judge`` rule: the same ``evaluate`` as the other rules, but it
    queues sampled spans for the worker and returns ``None`` (nothing inline)."""

    def __init__(
        self,
        rule_id: str,
        rule: EvalRule,
        worker: JudgeWorker,
        matches: Callable[[SpanRow], bool],
    ) -> None:
        check = rule.check
        assert isinstance(check, JudgeCheck)
        self.rule_id = rule_id
        self.name = rule.name
        self.check_type = "judge"
        self.field = check.field
        self.check = check
        self.matches = matches
        self.worker = worker
        self.llm = LLMJudge(
            check.prompt_template,
            model=check.model,
            base_url=check.base_url,
            api_key_env=check.api_key_env,
            name=rule.name,
            pass_threshold=check.pass_threshold,
        )

    def evaluate(self, span: SpanRow) -> EvaluationRow | None:
        if self.matches(span) and sampled(span.trace_id, self.check.sample_rate):
            self.worker.submit(self, span)
        return None

    def judge(self, span: SpanRow) -> EvaluationRow:
        """Call the judge on ``span`` (blocking: the worker's thread) and build the row."""
        output = span.output if self.field == "output" else span.input
        messages = self.llm.messages(output, input=span.input)
        text, answer = self.llm.ask(messages)
        verdict = self.llm.finish(parse_verdict(text))
        usage = answer.get("usage") or {}
        passed, score = verdict["passed"], verdict["score"]
        return EvaluationRow(
            project_id=span.project_id,
            trace_id=span.trace_id,
            span_id=span.span_id,
            name=self.name,
            source="judge",
            passed=passed,
            score=score if score is not None else (None if passed is None else float(passed)),
            label=str(verdict["label"])[:200],
            comment=str(verdict["reason"])[:1000],
            value=json.dumps(
                {
                    "rule_id": self.rule_id,
                    "check": "judge",
                    "model": self.check.model,
                    "input_tokens": usage.get("prompt_tokens"),
                    "output_tokens": usage.get("completion_tokens"),
                }
            ),
            created_at=time.time_ns(),
        )
