"""The evaluation loop in ``llmpulse up --demo``: thumbs-down feedback on some demo
traces, a dataset built from them, a review queue with items (one labeled), and two
experiment runs over the dataset — a baseline and a regressed candidate — so the
datasets, review and experiments pages show real content.

``seed_evaluation_loop`` runs once per data directory (it stops when the dataset
exists) and never raises: the demo goes on without it.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import httpx

from llmpulse_collector.demo import _DOCS, _QUESTIONS

__all__ = ["DATASET", "QUEUE", "seed_evaluation_loop"]

log = logging.getLogger("llmpulse.demo")

DATASET = "support-thumbs-down"
QUEUE = "support-review"
_ANSWERS = dict(zip(_QUESTIONS, _DOCS, strict=True))


def _question(value: Any) -> str:
    return str(value.get("question", "")) if isinstance(value, dict) else str(value)


def _answer(question: str, *, regressed: bool) -> str:
    """The demo task: the docs' answer; the regressed candidate refuses some topics."""
    import llmpulse

    doc = _ANSWERS.get(question, "Please contact support.")
    with llmpulse.span("chat gpt-4o-mini", "llm") as s:
        s.record_llm(
            model="gpt-4o" if regressed else "gpt-4o-mini",
            provider="openai",
            input_tokens=420 + len(question),
            output_tokens=60,
        )
    if regressed and (len(question) % 3 == 0 or "refund" in question.lower()):
        return "I'm sorry, but I can't help with that."
    return f"{doc} Let me know if there is anything else I can help with."


def cites_docs(output: str, input: Any) -> tuple[bool, str]:
    doc = _ANSWERS.get(_question(input), "")
    return (bool(doc) and doc in output), "quotes the docs" if doc in output else "no docs quoted"


def helpfulness(output: str) -> float:
    return 0.2 if "sorry" in output.lower() else 0.9


def seed_evaluation_loop(collector_url: str, api_key: str, *, thumbs_every: int = 12) -> None:
    """Seed the demo's evaluation loop through the API with an admin key."""
    try:
        _seed(collector_url.rstrip("/"), api_key, thumbs_every)
    except Exception as exc:  # the demo must go on
        log.warning("demo: evaluation loop not seeded: %s", exc)


def _seed(url: str, key: str, thumbs_every: int) -> None:
    import llmpulse
    from llmpulse import checks

    http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60)

    def call(method: str, path: str, **kwargs: Any) -> Any:
        resp = http.request(method, path, **kwargs)
        resp.raise_for_status()
        return resp.json()

    with http:
        if http.get(f"/api/v1/datasets/{DATASET}").status_code == 200:
            return
        since = str(time.time() - 2 * 86_400)
        traces = call("GET", "/api/v1/traces", params={"limit": 500, "from": since})["traces"]
        for trace in traces[::thumbs_every]:
            call("POST", "/api/v1/feedback", json={"trace_id": trace["trace_id"],
                 "name": "thumbs", "value": False, "comment": "not helpful"})  # fmt: skip
        time.sleep(1.5)  # feedback is visible to queries within a second
        about = "Support answers users gave a thumbs-down, from the demo traffic"
        call("POST", "/api/v1/datasets", json={"name": DATASET, "description": about})
        filter_ = {"from": since, "has_feedback": "true", "has_failing_assertion": "true"}
        added = call("POST", f"/api/v1/datasets/{DATASET}/items/from-filter", params=filter_)
        call("POST", "/api/v1/review-queues", json={"name": QUEUE, "dataset": DATASET,
             "description": "A 10% sample of recent support answers", "evaluation_name":
             "reviewer_pass"})  # fmt: skip
        call("POST", f"/api/v1/review-queues/{QUEUE}/items/from-filter",
             params={"from": since, "sample_rate": 0.1, "limit": 25})  # fmt: skip
        first = call("GET", f"/api/v1/review-queues/{QUEUE}/next")["item"]
        if first is not None:
            call("POST", f"/api/v1/review-queues/{QUEUE}/items/{first['id']}/label",
                 json={"reviewer": "demo-reviewer", "passed": True, "comment": "fine"})  # fmt: skip
        for name, regressed in (("baseline", False), ("candidate-terse-prompt", True)):
            llmpulse.experiment(
                DATASET,
                lambda q, r=regressed: _answer(_question(q), regressed=r),
                evaluators=[cites_docs, helpfulness, checks.max_chars(400)],
                name=name,
                metadata={"prompt": "v2-terse" if regressed else "v1"},
                concurrency=4,
                progress=False,
                endpoint=url,
                api_key=key,
            )
    print(f"demo: dataset {DATASET!r} ({added['added']} items), review queue {QUEUE!r}, "
          "experiments 'baseline' and 'candidate-terse-prompt'", file=sys.stderr)  # fmt: skip
