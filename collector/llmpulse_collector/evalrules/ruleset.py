"""``EvalRuleSet``: the rules the ingest path applies, cached in memory.

Rules come from the ``eval_rules`` table (API) and the YAML file
(``LLMPULSE_EVAL_RULES_FILE``). A background thread re-reads both every
``refresh_seconds``; the API calls ``refresh()`` after a change so it applies at
once on this collector. ``evaluate`` never touches the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from llmpulse_collector.evalrules.checks import CompiledRule, _matcher, compile_rule
from llmpulse_collector.evalrules.judge import JudgeRule, JudgeWorker
from llmpulse_collector.evalrules.model import EvalRule, JudgeCheck, load_eval_rules_file
from llmpulse_collector.model import EvaluationRow, SpanRow
from llmpulse_collector.rulestore import list_definitions
from llmpulse_collector.store.client import Store
from llmpulse_collector.store.keys import list_projects

__all__ = ["ALL_PROJECTS", "EvalRuleSet"]

log = logging.getLogger("llmpulse.evalrules")

#: key of file rules without a project: they apply to every project
ALL_PROJECTS = "*"


class EvalRuleSet:
    def __init__(
        self, store: Store, file: Path | None = None, refresh_seconds: float = 10.0
    ) -> None:
        self._store = store
        self._file = file
        self._refresh_seconds = refresh_seconds
        self._rules: dict[str, list[CompiledRule | JudgeRule]] = {}
        self.judges = JudgeWorker(store)  # judge rules run here, off the ingest path
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> None:
        """Re-read the table and the file; on error keep the rules we have."""
        rules: dict[str, list[CompiledRule | JudgeRule]] = {}
        for d in list_definitions(self._store, "eval_rules"):
            try:
                rule = EvalRule.model_validate(d.definition)
            except ValueError:
                log.warning("skipping invalid evaluation rule %s", d.rule_id)
                continue
            if rule.enabled:
                rules.setdefault(d.project_id, []).append(self._compile(d.rule_id, rule))
        if self._file is not None:
            for project, compiled in self._file_rules(self._file).items():
                rules.setdefault(project, []).extend(compiled)
        with self._lock:
            self._rules = rules

    def _compile(self, rule_id: str, rule: EvalRule) -> CompiledRule | JudgeRule:
        if isinstance(rule.check, JudgeCheck):
            return JudgeRule(rule_id, rule, self.judges, _matcher(rule.match))
        return compile_rule(rule_id, rule)

    def _file_rules(self, path: Path) -> dict[str, list[CompiledRule | JudgeRule]]:
        parsed = load_eval_rules_file(path)
        projects = {p.project_id: p.project_id for p in list_projects(self._store)}
        projects.update({p.name: p.project_id for p in list_projects(self._store)})
        out: dict[str, list[CompiledRule | JudgeRule]] = {}
        for i, rule in enumerate(parsed.eval_rules):
            if not rule.enabled:
                continue
            if rule.project is None:
                project = ALL_PROJECTS
            elif rule.project in projects:
                project = projects[rule.project]
            else:
                log.warning("evaluation rule %r: no project %r", rule.name, rule.project)
                continue
            out.setdefault(project, []).append(self._compile(f"file:{i}:{rule.name}", rule))
        return out

    def rules_for(self, project_id: str) -> list[CompiledRule | JudgeRule]:
        with self._lock:
            return [*self._rules.get(project_id, ()), *self._rules.get(ALL_PROJECTS, ())]

    def evaluate(self, project_id: str, spans: Sequence[SpanRow]) -> list[EvaluationRow]:
        """Evaluation rows (source ``rule``) for the spans the project's rules match."""
        rules = self.rules_for(project_id)
        if not rules:
            return []
        out: list[EvaluationRow] = []
        for span in spans:
            for rule in rules:
                row = rule.evaluate(span)
                if row is not None:
                    out.append(row)
        return out

    def start(self) -> None:
        """Load the rules now, then refresh them in a background thread."""
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="llmpulse-evalrules", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._refresh_seconds):
            try:
                self.refresh()
            except Exception:
                log.exception("refreshing evaluation rules failed; keeping the previous ones")

    def stop(self) -> None:
        self.judges.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
