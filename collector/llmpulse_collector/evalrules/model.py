"""The evaluation rule format, shared by the YAML file and the API.

.. code-block:: yaml

    eval_rules:
      - name: answer_is_json
        project: shop                  # file only: project id or name; omitted = all
        match: {span_type: llm, model: "gpt-4o*"}   # glob patterns, all must match
        check: {type: json}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "Check",
    "EvalRule",
    "EvalRuleFile",
    "JudgeCheck",
    "SpanMatch",
    "load_eval_rules_file",
    "parse_eval_rules",
]

_MAX_PATTERN = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpanMatch(_Strict):
    """Which spans a rule applies to; each given field is a glob (``gpt-4o*``)."""

    span_name: str | None = None
    span_type: str | None = None
    model: str | None = None
    service: str | None = None


class JsonCheck(_Strict):
    type: Literal["json"]
    field: Literal["output", "input"] = "output"


class RegexCheck(_Strict):
    type: Literal["regex"]
    pattern: str = Field(min_length=1, max_length=_MAX_PATTERN)
    #: pass when the pattern is found (true) or when it is absent (false)
    must_match: bool = True
    field: Literal["output", "input"] = "output"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        from llmpulse_collector.evalrules.regex import compile_pattern

        compile_pattern(value)  # ValueError saying why RE2 can't run it
        return value


class LengthCheck(_Strict):
    type: Literal["length"]
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)
    field: Literal["output", "input"] = "output"


class ContainsCheck(_Strict):
    type: Literal["contains"]
    values: list[str] = Field(min_length=1)
    mode: Literal["any", "all"] = "any"
    case_sensitive: bool = False
    field: Literal["output", "input"] = "output"


class NotContainsCheck(_Strict):
    type: Literal["not_contains"]
    values: list[str] = Field(min_length=1)
    case_sensitive: bool = False
    field: Literal["output", "input"] = "output"


class RefusalCheck(_Strict):
    """Passes when the output has none of the refusal phrases (built-in list + extra)."""

    type: Literal["no_refusal"]
    phrases: list[str] = Field(default_factory=list)
    field: Literal["output", "input"] = "output"


class JudgeCheck(_Strict):
    """An LLM judge on a sample of the matching spans, run by a background worker
    (``evalrules.judge``); its verdicts are evaluations with source ``judge``."""

    type: Literal["judge"]
    prompt_template: str = Field(min_length=1, max_length=20_000)
    model: str = Field(min_length=1, max_length=200)
    base_url: str = Field("https://api.openai.com/v1", pattern=r"^https?://")
    api_key_env: str = Field("OPENAI_API_KEY", max_length=200)
    sample_rate: float = Field(0.1, gt=0, le=1, description="share of matching traces judged")
    pass_threshold: float | None = None
    field: Literal["output", "input"] = "output"

    @field_validator("prompt_template")
    @classmethod
    def _fields(cls, value: str) -> str:
        from llmpulse.judges import LLMJudge

        LLMJudge(value, model="check")  # ValueError naming unknown {fields}
        return value


Check = Annotated[
    JsonCheck
    | RegexCheck
    | LengthCheck
    | ContainsCheck
    | NotContainsCheck
    | RefusalCheck
    | JudgeCheck,
    Field(discriminator="type"),
]


class EvalRule(_Strict):
    name: str = Field(min_length=1, max_length=200, description="the evaluation's name")
    match: SpanMatch = Field(default_factory=SpanMatch)
    check: Check
    project: str | None = Field(None, description="YAML file only: project id or name")
    enabled: bool = True


class EvalRuleFile(_Strict):
    eval_rules: list[EvalRule] = Field(default_factory=list)


def parse_eval_rules(text: str) -> EvalRuleFile:
    data = yaml.safe_load(text) or {}
    return EvalRuleFile.model_validate(data)


def load_eval_rules_file(path: Path) -> EvalRuleFile:
    """Read and validate a YAML file; raises ``ValueError`` saying what is wrong."""
    try:
        return parse_eval_rules(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read evaluation rules from {path}: {exc}") from exc
