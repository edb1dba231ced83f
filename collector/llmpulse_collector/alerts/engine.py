"""The alert engine: evaluates every rule on a schedule, keeps state, notifies on change.

Runs on the one collector configured with ``LLMPULSE_ALERTS_ENABLED``. Rules are the
file's (``LLMPULSE_ALERT_RULES_FILE``, re-read when it changes) plus the API's
(``alert_rules`` table). Per rule and evaluation:

- ok -> firing: a ``firing`` event, notified unless the last notification of the rule
  is more recent than ``cooldown``;
- firing -> firing: a ``renotify`` event every ``renotify`` (when set);
- firing -> ok: a ``resolved`` event, notified;
- not enough data: no transition.

``run_once(now_ns)`` is the whole step (tests call it with their own clock).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmpulse_collector.alerts.evaluate import Evaluation, evaluate_rule
from llmpulse_collector.alerts.notifiers import Notifier, default_notifiers, pick
from llmpulse_collector.alerts.rules import AlertRule, RuleFile, load_rules_file
from llmpulse_collector.alerts.state import RuleState, append_event, load_states, save_state
from llmpulse_collector.rulestore import list_definitions
from llmpulse_collector.store.client import Store
from llmpulse_collector.store.keys import list_projects

__all__ = ["ActiveRule", "AlertEngine", "build_payload", "file_rule_id"]

log = logging.getLogger("llmpulse.alerts")


@dataclass(frozen=True, slots=True)
class ActiveRule:
    project_id: str
    rule_id: str
    rule: AlertRule
    source: str  # file | api


def file_rule_id(rule: AlertRule) -> str:
    return f"file:{rule.name}"


def build_payload(
    event: str, project_id: str, rule_id: str, rule: AlertRule, ev: Evaluation | None, at_ns: int
) -> dict[str, Any]:
    """What a notification says: what changed, by how much, against what, and a link."""
    body: dict[str, Any] = {
        "event": event,
        "at_ns": at_ns,
        "project_id": project_id,
        "rule": {
            "id": rule_id,
            "name": rule.name,
            "metric": rule.metric,
            "severity": rule.severity,
            "filters": rule.filters,
            "window": rule.window,
            "condition": rule.condition.model_dump(),
        },
    }
    if ev is not None:
        body.update(
            message=ev.message,
            value=ev.value,
            baseline=ev.baseline,
            change=ev.change,
            threshold=ev.threshold,
            verdict=ev.verdict,
            samples=ev.samples,
            baseline_samples=ev.baseline_samples,
            window={"from_ns": ev.window[0], "to_ns": ev.window[1]},
            baseline_window=(
                {"from_ns": ev.baseline_window[0], "to_ns": ev.baseline_window[1]}
                if ev.baseline_window
                else None
            ),
            link=ev.link,
        )
    if event == "resolved" and ev is not None:
        body["message"] = f"resolved: {ev.message}"
    return body


class AlertEngine:
    def __init__(
        self,
        store: Store,
        *,
        rules_file: Path | None = None,
        notifiers: list[Notifier] | None = None,
        interval_s: float = 60.0,
        dashboard_url: str | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._store = store
        self._rules_file = rules_file
        self._extra_notifiers = notifiers or []
        self._interval_s = interval_s
        self._dashboard_url = dashboard_url
        self._clock = clock
        self._file: RuleFile = RuleFile()
        self._file_mtime: float | None = None
        self._states: dict[tuple[str, str], RuleState] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, store: Store, settings: Any) -> AlertEngine:
        return cls(
            store,
            rules_file=settings.alert_rules_file,
            notifiers=default_notifiers(
                settings.alert_webhook_url, settings.alert_slack_webhook_url
            ),
            interval_s=settings.alert_interval_seconds,
            dashboard_url=settings.dashboard_url,
        )

    # -- rules --------------------------------------------------------------------

    def _reload_file(self) -> None:
        if self._rules_file is None:
            return
        mtime = self._rules_file.stat().st_mtime
        if mtime != self._file_mtime:
            self._file = load_rules_file(self._rules_file)
            self._file_mtime = mtime
            log.info("loaded %d alert rules from %s", len(self._file.rules), self._rules_file)

    @property
    def notifiers(self) -> list[Notifier]:
        from_file = [Notifier.from_config(n) for n in self._file.notifiers]
        return [*self._extra_notifiers, *from_file]

    def active_rules(self) -> list[ActiveRule]:
        """Every enabled rule: the file's (with a known project) and the API's."""
        out: list[ActiveRule] = []
        if self._file.rules:
            projects = list_projects(self._store)
            ids = {p.project_id: p.project_id for p in projects}
            ids.update({p.name: p.project_id for p in projects})
            for rule in self._file.rules:
                project = ids.get(rule.project or "")
                if project is None and rule.project is None and len(projects) == 1:
                    project = projects[0].project_id
                if project is None:
                    log.warning("alert rule %r: unknown project %r", rule.name, rule.project)
                elif rule.enabled:
                    out.append(ActiveRule(project, file_rule_id(rule), rule, "file"))
        for d in list_definitions(self._store, "alert_rules"):
            try:
                rule = AlertRule.model_validate(d.definition)
            except ValueError:
                log.warning("skipping invalid alert rule %s", d.rule_id)
                continue
            if rule.enabled:
                out.append(ActiveRule(d.project_id, d.rule_id, rule, "api"))
        return out

    # -- one step -----------------------------------------------------------------

    def run_once(self, now_ns: int | None = None) -> list[tuple[ActiveRule, Evaluation]]:
        """Evaluate every rule at ``now_ns`` (default: the clock); apply transitions."""
        now = self._clock() if now_ns is None else now_ns
        with self._lock:
            self._reload_file()
            if self._states is None:
                self._states = load_states(self._store)
            results = []
            for active in self.active_rules():
                try:
                    ev = evaluate_rule(
                        self._store,
                        active.project_id,
                        active.rule,
                        now,
                        rule_id=active.rule_id,
                        dashboard_url=self._dashboard_url,
                    )
                except Exception:
                    log.exception("evaluating alert rule %r failed", active.rule.name)
                    continue
                self._transition(active, ev, now)
                results.append((active, ev))
            return results

    def _transition(self, active: ActiveRule, ev: Evaluation, now: int) -> None:
        assert self._states is not None
        key = (active.project_id, active.rule_id)
        state = self._states.get(key) or RuleState(
            active.project_id, active.rule_id, active.rule.name, since_ns=now
        )
        self._states[key] = state
        state.last_evaluated_ns = now
        if ev.status != "insufficient_data":
            state.value, state.baseline, state.samples = ev.value, ev.baseline, ev.samples
        rule = active.rule
        event: str | None = None
        if ev.status == "firing" and state.status != "firing":
            event = "firing"
            state.status, state.since_ns = "firing", now
        elif ev.status == "firing":
            renotify = rule.renotify_ns
            if renotify and now - state.last_notified_ns >= renotify:
                event = "renotify"
        elif ev.status == "ok" and state.status == "firing":
            event = "resolved"
            state.status, state.since_ns = "ok", now
        notified = False
        if event is not None:
            quiet = (
                event == "firing"
                and state.last_notified_ns
                and now - state.last_notified_ns < rule.cooldown_ns
            )
            payload = build_payload(event, active.project_id, active.rule_id, rule, ev, now)
            if not quiet:
                notified = self._notify(rule, payload)
                state.last_notified_ns = now
            append_event(
                self._store,
                state,
                event,
                rule.severity,
                now,
                str(payload.get("message", "")),
                notified,
                payload,
            )
        save_state(self._store, state)

    def _notify(self, rule: AlertRule, payload: dict[str, Any]) -> bool:
        own = [Notifier.from_config(n) for n in rule.notifiers or ()]
        named = pick(self.notifiers, rule.notify) if rule.notify is not None or not own else []
        targets = [*named, *own]
        results = [n.send(payload) for n in targets]
        return bool(results) and all(results)

    def states(self, project_id: str) -> list[RuleState]:
        with self._lock:
            if self._states is None:
                return list(load_states(self._store, project_id).values())
            return [s for (p, _), s in self._states.items() if p == project_id]

    # -- schedule -----------------------------------------------------------------

    def start(self) -> None:
        self._reload_file()  # a broken file fails the start, with its error
        self._thread = threading.Thread(target=self._run, name="llmpulse-alerts", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.run_once()
            except Exception:
                log.exception("alert evaluation failed; retrying at the next interval")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
