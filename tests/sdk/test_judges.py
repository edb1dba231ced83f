"""``llmpulse.judges``: an LLM judge against a fake OpenAI-compatible server on
loopback (a real HTTP server), its traced call, its parser, and its use in an
experiment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import llmpulse
from llmpulse.judges import LLMJudge, parse_verdict
from llmpulse.testing import CapturedSpans
from tests.fake_openai import FakeOpenAI, fake_openai_server


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with fake_openai_server() as server:
        yield server


TEMPLATE = "Question: {input}\nExpected: {expected}\nAnswer: {output}\nGrade it."


def _judge(fake: FakeOpenAI, **kw: Any) -> LLMJudge:
    return LLMJudge(TEMPLATE, model="gpt-4o-mini", base_url=fake.url,
                    api_key_env="JUDGE_KEY", name="correct", **kw)  # fmt: skip


def test_judge_calls_the_endpoint_and_parses(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUDGE_KEY", "sk-test")
    judge = _judge(fake_openai, system_prompt="You grade answers.")
    assert judge("Paris", input="capital of France?", expected="Paris") == {
        "score": 1.0, "passed": True, "label": "pass", "reason": "matches",
    }  # fmt: skip
    assert judge("Lyon", input={"q": "capital?"}) == {
        "score": 0.2, "passed": False, "label": "fail", "reason": "wrong city",
    }  # fmt: skip
    first, second = fake_openai.requests
    assert first["model"] == "gpt-4o-mini" and first["temperature"] == 0.0
    assert first["messages"][0] == {"role": "system", "content": "You grade answers."}
    assert first["messages"][1]["content"] == (
        "Question: capital of France?\nExpected: Paris\nAnswer: Paris\nGrade it."
    )
    assert 'Question: {"q": "capital?"}' in second["messages"][1]["content"]
    assert fake_openai.headers[0]["authorization"] == "Bearer sk-test"


def test_judge_call_is_an_evaluator_span_with_usage(
    fake_openai: FakeOpenAI, spans: CapturedSpans
) -> None:
    _judge(fake_openai)("Paris")
    (judge_span,) = spans.as_dicts()
    attrs = judge_span["attributes"]
    assert judge_span["name"] == "judge correct"
    assert attrs["llmpulse.span_type"] == "evaluator" and attrs["llmpulse.judge"] is True
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
    assert attrs["gen_ai.usage.input_tokens"] == 50
    assert attrs["gen_ai.usage.output_tokens"] == 12


def test_judge_in_an_experiment_is_a_child_of_the_item_trace(
    fake_openai: FakeOpenAI, spans: CapturedSpans
) -> None:
    items = [{"input": "capital of France?", "expected_output": "Paris"},
             {"input": "capital of Italy?", "expected_output": "Rome"}]  # fmt: skip
    answers = {"capital of France?": "Paris", "capital of Italy?": "Milan"}
    result = llmpulse.experiment(
        items, answers.__getitem__, evaluators=[_judge(fake_openai)], name="geo",
        upload=False, progress=False,
    )  # fmt: skip
    assert [r.scores["correct"].passed for r in result.results] == [True, False]
    assert result.results[1].scores["correct"].reason == "wrong city"
    assert result.summary()["correct"] == {"count": 2, "mean_score": 0.6, "pass_rate": 0.5}
    dicts = spans.as_dicts()
    roots = [s for s in dicts if s["name"] == "experiment geo"]
    judges = [s for s in dicts if s["name"] == "judge correct"]
    assert len(roots) == 2 and len(judges) == 2
    assert {j["parent"] for j in judges} == {r["span"] for r in roots}
    assert {r["trace"] for r in roots} == {j["trace"] for j in judges}
    assert len({r["trace"] for r in roots}) == 2  # each item its own trace
    events = [e["attributes"]["gen_ai.evaluation.name"] for r in roots for e in r["events"]]
    assert events == ["correct", "correct"]


def test_judge_errors_are_item_scores_not_crashes(
    fake_openai: FakeOpenAI, spans: CapturedSpans
) -> None:
    fake_openai.status = 500
    result = llmpulse.experiment([{"input": "q"}], str.upper, evaluators=[_judge(fake_openai)],
                                 upload=False, progress=False)  # fmt: skip
    score = result.results[0].scores["correct"]
    assert score.label == "error" and "HTTP 500" in score.reason and score.score is None
    assert result.results[0].output == "Q"


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ('{"score": 0.9, "reason": "ok"}',
         {"score": 0.9, "passed": None, "label": "", "reason": "ok"}),
        ('```json\n{"passed": false, "reason": "no"}\n```',
         {"score": None, "passed": False, "label": "", "reason": "no"}),
        ("Score: 4\nReason: mostly right", {"score": 4.0, "passed": None, "label": "",
                                            "reason": "mostly right"}),
        ("Verdict: PASS", {"score": None, "passed": True, "label": "PASS", "reason": ""}),
    ],
)  # fmt: skip
def test_parse_verdict(text: str, verdict: dict[str, Any]) -> None:
    assert parse_verdict(text) == verdict


def test_parse_verdict_and_template_errors() -> None:
    with pytest.raises(ValueError, match="no score or label"):
        parse_verdict("I think it is fine")
    with pytest.raises(ValueError, match="unknown field"):
        LLMJudge("Grade {answer}", model="m")


def test_pass_threshold(fake_openai: FakeOpenAI) -> None:
    judge = LLMJudge("Answer: {output}", model="m", base_url=fake_openai.url,
                     parser=lambda text: {"score": 0.7, "passed": None, "label": "", "reason": ""},
                     pass_threshold=0.5)  # fmt: skip
    assert judge("x")["passed"] is True
