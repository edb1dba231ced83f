"""Webhook and Slack notifiers against a local receiver: format and retries."""

from __future__ import annotations

from llmpulse_collector.alerts.notifiers import Notifier
from tests.collector.alerts.conftest import Receiver

PAYLOAD = {
    "event": "firing",
    "rule": {"name": "p95 up", "severity": "critical"},
    "message": "latency_p95 is 2400 ms, +98.0% vs the previous window (1210 ms)",
    "link": "http://dash.example/alerts?rule=x",
}


def test_webhook_posts_the_payload(receiver: Receiver) -> None:
    assert Notifier("hook", "webhook", receiver.url).send(PAYLOAD)
    assert receiver.received == [PAYLOAD]


def test_slack_format(receiver: Receiver) -> None:
    assert Notifier("ops", "slack", receiver.url).send(PAYLOAD)
    [body] = receiver.received
    assert body["text"].startswith(":rotating_light: [CRITICAL] FIRING: p95 up")
    assert "+98.0%" in body["text"] and "<http://dash.example/alerts?rule=x|" in body["text"]
    assert body["blocks"][0]["type"] == "header"


def test_retries_with_backoff_then_delivers(receiver: Receiver) -> None:
    receiver.fail_next.extend([503, 429])
    sleeps: list[float] = []
    notifier = Notifier("hook", "webhook", receiver.url, backoff_s=0.1, sleep=sleeps.append)
    assert notifier.send(PAYLOAD)
    assert sleeps == [0.1, 0.2]
    assert receiver.received == [PAYLOAD]


def test_gives_up_without_raising(receiver: Receiver) -> None:
    receiver.fail_next.extend([500] * 5)
    sleeps: list[float] = []
    notifier = Notifier("hook", "webhook", receiver.url, attempts=3, sleep=sleeps.append)
    assert not notifier.send(PAYLOAD)
    assert len(sleeps) == 2 and receiver.received == []
    receiver.fail_next.clear()
    receiver.fail_next.append(400)  # a client error is not retried
    assert not Notifier("hook", "webhook", receiver.url, sleep=sleeps.append).send(PAYLOAD)
    assert len(sleeps) == 2
    unreachable = Notifier(
        "x", "webhook", "http://127.0.0.1:9/none", attempts=2, sleep=sleeps.append
    )
    assert not unreachable.send(PAYLOAD)
