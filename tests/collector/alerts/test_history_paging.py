"""``GET /api/v1/alerts/history`` pages with a cursor and counts every event."""

from __future__ import annotations

import time
from collections.abc import Callable

from llmpulse_collector.alerts.state import RuleState, append_event
from tests.collector.api.conftest import Api

MINUTE_NS = 60 * 1_000_000_000


def _seed(api: Api, now: int) -> set[tuple[int, str, str]]:
    """Seven events: two rules, two of them at the same instant (the cursor's tie)."""
    seeded = set()
    for n, (minutes_ago, rule, event) in enumerate(
        [
            (50, "a", "firing"),
            (40, "b", "firing"),
            (30, "a", "renotify"),
            (30, "b", "renotify"),
            (20, "a", "resolved"),
            (10, "b", "resolved"),
            (5, "a", "firing"),
        ]
    ):
        at = now - minutes_ago * MINUTE_NS
        state = RuleState(api.project, f"rule-{rule}", f"rule {rule}", value=float(n), samples=n)
        append_event(api.store, state, event, "warning", at, f"{rule} {event}", n % 2 == 0, {})
        seeded.add((at, f"rule-{rule}", event))
    return seeded


def test_history_pages_through_every_event_once_with_a_total(
    make_api: Callable[..., Api],
) -> None:
    api = make_api()
    now = time.time_ns()
    seeded = _seed(api, now)
    seen: list[tuple[int, str, str]] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = api.get("/api/v1/alerts/history", **params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["total"] == 7
        assert len(body["events"]) <= 2
        seen.extend((e["at_ns"], e["rule_id"], e["event"]) for e in body["events"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert len(seen) == 7 and set(seen) == seeded
    assert [at for at, _, _ in seen] == sorted((at for at, _, _ in seen), reverse=True)

    one_rule = api.get("/api/v1/alerts/history", rule_id="rule-b").json()
    assert one_rule["total"] == 3 and one_rule["next_cursor"] is None
    assert {e["rule_id"] for e in one_rule["events"]} == {"rule-b"}


def test_a_bad_history_cursor_is_a_400(make_api: Callable[..., Api]) -> None:
    api = make_api()
    answer = api.get("/api/v1/alerts/history", cursor="not-a-cursor")
    assert answer.status_code == 400
    assert "cursor" in answer.json()["error"]["message"]
    other_listing = "WyJzZXNzaW9ucyIsMSwiYSJd"  # a sessions cursor: ["sessions",1,"a"]
    assert api.get("/api/v1/alerts/history", cursor=other_listing).status_code == 400
