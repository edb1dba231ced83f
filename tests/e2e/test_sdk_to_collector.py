"""Our SDK, in an app process of its own, sends to a real collector: everything arrives.

The app exits without calling flush(): the SDK flushes at interpreter exit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import httpx

from tests.e2e.conftest import Collector, Keys

APP = textwrap.dedent(
    """
    import sys
    import llmpulse
    from llmpulse import checks

    llmpulse.configure(endpoint=sys.argv[1], api_key=sys.argv[2], service_name="support-bot")

    @llmpulse.observe(span_type="retrieval")
    def search(query: str) -> list[str]:
        return ["Refunds are possible within 30 days."]

    @llmpulse.observe(span_type="llm", checks=[checks.max_chars(10), checks.contains("30 days")])
    def ask(question: str, docs: list[str]) -> dict:
        return {
            "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": "Within 30 days, my mail is a@b.io"}}],
            "usage": {"prompt_tokens": 820, "completion_tokens": 35, "total_tokens": 855},
        }

    @llmpulse.observe
    def answer(question: str) -> str:
        reply = ask(question, search(question))
        llmpulse.assertion("polite", True, score=0.9)
        return reply["choices"][0]["message"]["content"]

    with llmpulse.context(session_id="s-42", user_id="u-7", tags=["beta"]):
        answer("What is the refund policy?")
    """
)


CHECKS = {"max_chars(10)": (False, "sdk"), "contains('30 days')": (True, "sdk")}


def test_sdk_traces_arrive_normalized_with_evaluations_and_feedback(
    collector: Collector, keys: Keys
) -> None:
    subprocess.run(
        [sys.executable, "-c", APP, collector.url, keys.ingest],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    headers = {"Authorization": f"Bearer {keys.read}"}
    listed = httpx.get(f"{collector.url}/api/v1/traces", headers=headers).json()["traces"]
    assert len(listed) == 1
    trace_id = listed[0]["trace_id"]
    assert listed[0]["session_id"] == "s-42" and listed[0]["user_id"] == "u-7"
    assert listed[0]["tags"] == ["beta"]
    assert listed[0]["models"] == ["gpt-4o-mini-2024-07-18"]

    trace = httpx.get(f"{collector.url}/api/v1/traces/{trace_id}", headers=headers).json()
    (root,) = trace["roots"]
    assert (root["name"], root["span_type"], root["service_name"]) == (
        "answer",
        "chain",
        "support-bot",
    )
    assert "a@b.io" not in root["output"]  # redacted before export
    search, ask = root["children"]
    assert (search["span_type"], ask["span_type"]) == ("retrieval", "llm")
    assert (ask["input_tokens"], ask["output_tokens"], ask["finish_reason"]) == (820, 35, "stop")
    assert ask["cost_usd"] > 0
    checks = {e["name"]: (e["passed"], e["source"]) for e in ask["evaluations"]}
    assert checks == CHECKS, checks
    assert [(e["name"], e["passed"], e["score"]) for e in root["evaluations"]] == [
        ("polite", True, 0.9)
    ]

    feedback = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, llmpulse; llmpulse.configure(endpoint=sys.argv[1], api_key=sys.argv[2]);"
            "llmpulse.feedback(sys.argv[3], 'thumbs', False, comment='wrong policy');"
            "llmpulse.flush()",
            collector.url,
            keys.ingest,
            trace_id,
        ],
        timeout=60,
        check=True,
    )
    assert feedback.returncode == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        trace = httpx.get(f"{collector.url}/api/v1/traces/{trace_id}", headers=headers).json()
        if trace["evaluations"]:
            break
        time.sleep(0.1)
    assert [(e["name"], e["source"], e["passed"], e["comment"]) for e in trace["evaluations"]] == [
        ("thumbs", "feedback", False, "wrong policy")
    ]
