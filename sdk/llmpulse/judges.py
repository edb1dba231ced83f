"""LLM-as-judge evaluators for ``llmpulse.experiment(evaluators=[...])``.

    judge = judges.LLMJudge(
        "Is this answer correct for the question?\\nQuestion: {input}\\n"
        "Expected: {expected}\\nAnswer: {output}\\n"
        'Reply with JSON: {{"score": 0..1, "label": "pass"|"fail", "reason": "..."}}',
        model="gpt-4o-mini",
        name="correctness",
    )

The judge calls an OpenAI-compatible ``/chat/completions`` endpoint (``base_url``; the
key is read from the environment variable ``api_key_env``) with the standard library.
Each call is traced as a span of type ``evaluator`` marked ``llmpulse.judge = true``
with its model and token usage, so its cost is counted apart from the app's.
The answer is parsed by ``parse_verdict`` (or your ``parser``): a JSON object with
``score``/``label``/``reason``/``passed``, else ``Score: N``, ``Label: X`` and
``Reason: ...`` lines.
"""

from __future__ import annotations

import json
import os
import re
import string
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from ._spans import span

__all__ = ["PASS_LABELS", "LLMJudge", "Verdict", "parse_verdict"]

Verdict = dict[str, Any]
"""``{"score": float | None, "passed": bool | None, "label": str, "reason": str}``"""

PASS_LABELS = frozenset({"pass", "passed", "yes", "correct", "true", "good", "ok"})
FAIL_LABELS = frozenset({"fail", "failed", "no", "incorrect", "false", "bad", "wrong"})
_FIELDS = frozenset({"input", "output", "expected", "metadata"})
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_SCORE = re.compile(r"score\s*[:=]\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_LABEL = re.compile(r"(?:label|verdict)\s*[:=]\s*\"?([A-Za-z_-]+)", re.IGNORECASE)
_REASON = re.compile(r"(?:reason|explanation)\s*[:=]\s*(.+)", re.IGNORECASE | re.DOTALL)


def _passed_from_label(label: str) -> bool | None:
    low = label.strip().lower()
    if low in PASS_LABELS:
        return True
    if low in FAIL_LABELS:
        return False
    return None


def parse_verdict(text: str) -> Verdict:
    """A judge's answer as a verdict; ``ValueError`` when it holds neither a score nor
    a label."""
    found = _JSON_OBJECT.search(text)
    if found:
        try:
            data = json.loads(found.group(0))
        except ValueError:
            data = None
        if isinstance(data, Mapping):
            score = data.get("score")
            label = str(data.get("label") or data.get("verdict") or "")
            passed = data.get("passed")
            if passed is None and label:
                passed = _passed_from_label(label)
            if score is not None or label or passed is not None:
                return {
                    "score": None if score is None else float(score),
                    "passed": None if passed is None else bool(passed),
                    "label": label,
                    "reason": str(data.get("reason") or data.get("explanation") or ""),
                }
    score_match = _SCORE.search(text)
    label_match = _LABEL.search(text)
    if not score_match and not label_match:
        raise ValueError(f"the judge's answer has no score or label: {text[:200]!r}")
    label = label_match.group(1) if label_match else ""
    reason_match = _REASON.search(text)
    return {
        "score": float(score_match.group(1)) if score_match else None,
        "passed": _passed_from_label(label) if label else None,
        "label": label,
        "reason": reason_match.group(1).strip() if reason_match else "",
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


class LLMJudge:
    """An evaluator asking an LLM to grade an output (see the module docstring).

    ``prompt_template`` uses ``{output}``, ``{input}``, ``{expected}``, ``{metadata}``
    (``{{``/``}}`` for literal braces). ``pass_threshold``: a score at or above it
    passes when the answer gives no pass/fail label.
    """

    def __init__(
        self,
        prompt_template: str,
        *,
        model: str,
        base_url: str = "https://api.openai.com/v1",
        api_key_env: str = "OPENAI_API_KEY",
        name: str = "llm_judge",
        parser: Callable[[str], Verdict] = parse_verdict,
        system_prompt: str | None = None,
        temperature: float = 0.0,
        pass_threshold: float | None = None,
        timeout: float = 60.0,
        provider: str = "openai",
    ) -> None:
        fields = {f for _, f, _, _ in string.Formatter().parse(prompt_template) if f is not None}
        unknown = fields - _FIELDS
        if unknown:
            raise ValueError(
                f"prompt_template: unknown field(s) {sorted(unknown)}; use {sorted(_FIELDS)} "
                "and double braces {{ }} for literal ones"
            )
        self.prompt_template = prompt_template
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.name = name
        self.__name__ = name
        self.parser = parser
        self.system_prompt = system_prompt
        self.temperature = temperature
        self.pass_threshold = pass_threshold
        self.timeout = timeout
        self.provider = provider

    def prompt(
        self, output: Any, input: Any = None, expected: Any = None, metadata: Any = None
    ) -> str:
        return self.prompt_template.format(
            output=_text(output), input=_text(input), expected=_text(expected),
            metadata=_text(metadata),
        )  # fmt: skip

    def _complete(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        headers = {"content-type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["authorization"] = f"Bearer {key}"
        body = {"model": self.model, "messages": messages, "temperature": self.temperature}
        request = urllib.request.Request(
            self.base_url + "/chat/completions",
            data=json.dumps(body).encode(),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer: dict[str, Any] = json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise RuntimeError(f"judge {self.name}: HTTP {exc.code} from {self.base_url}: "
                               f"{detail}") from None  # fmt: skip
        return answer

    def messages(
        self, output: Any, input: Any = None, expected: Any = None, metadata: Any = None
    ) -> list[dict[str, str]]:
        """The chat messages of a grading request."""
        messages = []
        if self.system_prompt:
            messages.append({"role": "system", "content": self.system_prompt})
        messages.append({"role": "user", "content": self.prompt(output, input, expected, metadata)})
        return messages

    def ask(self, messages: list[dict[str, str]]) -> tuple[str, dict[str, Any]]:
        """One untraced call: the answer's text and the raw response (with ``usage``)."""
        answer = self._complete(messages)
        return str(answer["choices"][0]["message"]["content"] or ""), answer

    def finish(self, verdict: Verdict) -> Verdict:
        """Apply ``pass_threshold`` to a verdict without a pass/fail label."""
        if verdict.get("passed") is None and self.pass_threshold is not None:
            score = verdict.get("score")
            if score is not None:
                verdict["passed"] = score >= self.pass_threshold
        return verdict

    def __call__(
        self, output: Any, input: Any = None, expected: Any = None, metadata: Any = None
    ) -> Verdict:
        """Grade ``output``: the parsed verdict (raises when the call or parse fails)."""
        messages = self.messages(output, input, expected, metadata)
        with span(
            f"judge {self.name}", "evaluator", attributes={"llmpulse.judge": True,
                                                          "llmpulse.judge.name": self.name}
        ) as s:  # fmt: skip
            s.set_input(messages)
            text, answer = self.ask(messages)
            usage = answer.get("usage") or {}
            s.record_llm(
                model=self.model,
                provider=self.provider,
                input_tokens=usage.get("prompt_tokens"),
                output_tokens=usage.get("completion_tokens"),
                response_model=answer.get("model"),
            )
            s.set_output(text)
            verdict = self.parser(text)
        return self.finish(verdict)
