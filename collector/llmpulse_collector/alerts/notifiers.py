"""Notifications: a generic JSON webhook and Slack incoming webhooks, with retries.

``Notifier.send(payload)`` posts and retries connection errors, 429 and 5xx with
exponential backoff; it returns True once delivered and False when it gave up (it
never raises: an unreachable receiver must not stop the alert engine).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from llmpulse_collector.alerts.rules import NotifierConfig

__all__ = ["Notifier", "default_notifiers", "pick", "slack_body"]

log = logging.getLogger("llmpulse.alerts")

_EMOJI = {
    "firing": ":rotating_light:",
    "renotify": ":bell:",
    "resolved": ":white_check_mark:",
    "test": ":wave:",
}


def slack_body(payload: dict[str, Any]) -> dict[str, Any]:
    """Slack incoming-webhook format: ``text`` (fallback) plus blocks."""
    event = str(payload.get("event", ""))
    rule = payload.get("rule") or {}
    title = (
        f"{_EMOJI.get(event, '')} [{str(rule.get('severity', '')).upper()}] "
        f"{event.upper()}: {rule.get('name', '')}".strip()
    )
    text = f"{title}\n{payload.get('message', '')}"
    if payload.get("link"):
        text += f"\n<{payload['link']}|Open in llmpulse>"
    return {
        "text": text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text[len(title) + 1 :] or " "}},
        ],
    }


@dataclass
class Notifier:
    name: str
    kind: str  # webhook | slack
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    attempts: int = 4
    backoff_s: float = 0.5
    timeout_s: float = 10.0
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def from_config(cls, config: NotifierConfig, **options: Any) -> Notifier:
        return cls(config.name, config.type, config.url, dict(config.headers), **options)

    def body(self, payload: dict[str, Any]) -> dict[str, Any]:
        return slack_body(payload) if self.kind == "slack" else payload

    def send(self, payload: dict[str, Any]) -> bool:
        body = self.body(payload)
        delay = self.backoff_s
        for attempt in range(1, self.attempts + 1):
            try:
                response = httpx.post(
                    self.url, json=body, headers=self.headers, timeout=self.timeout_s
                )
                if response.status_code < 300:
                    return True
                retry = response.status_code == 429 or response.status_code >= 500
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                retry, reason = True, f"{type(exc).__name__}: {exc}"
            if not retry or attempt == self.attempts:
                log.warning(
                    "notifier %s gave up after %d attempt(s): %s", self.name, attempt, reason
                )
                return False
            self.sleep(delay)
            delay *= 2
        return False


def default_notifiers(webhook_url: str | None, slack_url: str | None) -> list[Notifier]:
    """The notifiers of the settings ``alert_webhook_url`` / ``alert_slack_webhook_url``."""
    out: list[Notifier] = []
    if webhook_url:
        out.append(Notifier("webhook", "webhook", webhook_url))
    if slack_url:
        out.append(Notifier("slack", "slack", slack_url))
    return out


def pick(notifiers: Sequence[Notifier], names: Sequence[str] | None) -> list[Notifier]:
    """The notifiers a rule names, or all of them."""
    if names is None:
        return list(notifiers)
    wanted = set(names)
    return [n for n in notifiers if n.name in wanted]
