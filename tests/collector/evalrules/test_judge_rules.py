"""Judge evaluation rules on production traffic through the real app: sampled spans
are judged by a background worker against a fake OpenAI-compatible server on
loopback, and the verdicts are evaluations with source 'judge'."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from llmpulse_collector.evalrules.judge import sampled
from tests.collector.api.conftest import Api, otlp_request, otlp_span
from tests.fake_openai import fake_openai_server


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


def _rule(url: str, sample_rate: float) -> dict[str, Any]:
    return {
        "name": "judge_correct",
        "match": {"span_name": "answer"},
        "check": {"type": "judge", "model": "gpt-4o-mini", "base_url": url,
                  "prompt_template": "Question: {input}\nAnswer: {output}\nGrade it.",
                  "sample_rate": sample_rate, "api_key_env": "JUDGE_TEST_KEY"},
    }  # fmt: skip


def _send(api: Api, n: int, answer: str) -> str:
    trace = f"{n:032x}"
    attrs = {"input.value": "capital of France?", "output.value": answer}
    span = otlp_span(trace, trace[:16], "answer", attrs=attrs)
    assert api.send(otlp_request(span)).status_code == 200
    return trace


def test_judge_rule_writes_judge_evaluations(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_TEST_KEY", "sk-judge")
    with fake_openai_server() as fake:
        resp = api.client.post("/api/v1/eval-rules", json=_rule(fake.url, 1.0),
                               headers=api.headers(api.admin_key))  # fmt: skip
        assert resp.status_code == 201, resp.text
        good = _send(api, 0xA1 << 96, "Paris")  # trace ids whose sample hash is known
        bad = _send(api, 0xA2 << 96, "Lyon")
        other = otlp_span("ab" * 16, "cd" * 8, "not-matched", attrs={"output.value": "x"})
        api.send(otlp_request(other))
        worker = api.client.app.state.runtime.eval_rules.judges  # type: ignore[attr-defined]
        assert worker.wait_idle(30)
    assert worker.judged == 2 and len(fake.requests) == 2
    assert fake.headers[0]["authorization"] == "Bearer sk-judge"
    assert fake.requests[0]["messages"][-1]["content"].startswith("Question: capital of France?")
    time.sleep(0.2)
    evs = {}
    for trace in (good, bad):
        (root,) = api.get(f"/api/v1/traces/{trace}").json()["roots"]
        (ev,) = root["evaluations"]  # on the judged span
        evs[trace] = ev
    assert (evs[good]["source"], evs[good]["passed"], evs[good]["score"]) == ("judge", True, 1.0)
    assert (evs[bad]["passed"], evs[bad]["score"], evs[bad]["comment"]) == (
        False,
        0.2,
        "wrong city",
    )
    value = json.loads(evs[bad]["value"])
    assert value["model"] == "gpt-4o-mini" and value["input_tokens"] == 50


def test_sample_rate_judges_a_deterministic_share(api: Api) -> None:
    with fake_openai_server() as fake:
        api.client.post("/api/v1/eval-rules", json=_rule(fake.url, 0.25),
                        headers=api.headers(api.admin_key))  # fmt: skip
        ids = [(i * 0x9E3779B1 % (1 << 32)) << 96 | i for i in range(1, 41)]
        for n in ids:
            _send(api, n, "Paris")
        worker = api.client.app.state.runtime.eval_rules.judges  # type: ignore[attr-defined]
        assert worker.wait_idle(30)
    expected = sum(sampled(f"{n:032x}", 0.25) for n in ids)
    assert 3 <= expected <= 20
    assert worker.judged == expected == len(fake.requests)


def test_judge_rule_validation(api: Api) -> None:
    bad = _rule("http://127.0.0.1:9/v1", 1.0)
    bad["check"]["prompt_template"] = "Grade {answer}"
    resp = api.client.post("/api/v1/eval-rules", json=bad, headers=api.headers(api.admin_key))
    assert resp.status_code == 400 and "unknown field" in resp.json()["error"]["message"]
    zero = _rule("http://127.0.0.1:9/v1", 0.0)
    resp = api.client.post("/api/v1/eval-rules", json=zero, headers=api.headers(api.admin_key))
    assert resp.status_code == 400


def test_an_unreachable_judge_costs_ingestion_nothing(api: Api) -> None:
    api.client.post("/api/v1/eval-rules", json=_rule("http://127.0.0.1:9/v1", 1.0),
                    headers=api.headers(api.admin_key))  # fmt: skip
    trace = _send(api, 0xA3 << 96, "Paris")
    worker = api.client.app.state.runtime.eval_rules.judges  # type: ignore[attr-defined]
    assert worker.wait_idle(30)
    assert worker.failed == 1 and worker.judged == 0
    assert api.get(f"/api/v1/traces/{trace}").status_code == 200
