"""Server-side evaluation rules: deterministic checks applied at ingest.

For apps that cannot change their code: a rule matches spans (name, type, model,
service) and checks their output (valid JSON, regex, length bounds, contains / not
contains, refusal phrases), writing one evaluation row per matching span with
source ``rule``, like the SDK's assertions.

- ``model``: the rule format (YAML file and API body).
- ``checks``: compiled checks.
- ``storage``: the ``eval_rules`` table.
- ``ruleset``: the in-memory cache the ingest path uses, refreshed in the background.
"""

from __future__ import annotations

from llmpulse_collector.evalrules.model import EvalRule, EvalRuleFile, load_eval_rules_file
from llmpulse_collector.evalrules.ruleset import EvalRuleSet

__all__ = ["EvalRule", "EvalRuleFile", "EvalRuleSet", "load_eval_rules_file"]
