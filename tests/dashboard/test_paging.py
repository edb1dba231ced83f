"""Lists longer than a page: every user, session, alert event and failed result is reachable with
"Load more", the totals are the server's, and a selection made on the first page (by id)
still holds after more pages are loaded."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, tzinfo

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from llmpulse_collector.alerts.state import RuleState, append_event
from llmpulse_collector.store.keys import create_key, create_project
from llmpulse_dashboard import state
from llmpulse_dashboard.paging import PAGE_SIZE
from tests.dashboard.conftest import Collector, RunApp
from tests.dashboard.seed import crowd
from tests.dashboard.test_selection import click, table, url

PEOPLE = 130  # users and sessions: more than one page of each table
EVENTS_A, EVENTS_B = 110, 30  # alert events of two rules: more than a page together


@dataclass(frozen=True)
class Crowd:
    read_key: str
    ingest_key: str
    rule_b: str  # the id of the rule whose events are all on the history's second page


@pytest.fixture(scope="module")
def crowd_project(collector: Collector) -> Crowd:
    project = create_project(collector.store, f"crowd-{uuid.uuid4().hex[:8]}")
    ingest_key = create_key(collector.store, project, "ingest")
    crowd(collector.url, ingest_key, PEOPLE)
    admin = {"Authorization": f"Bearer {create_key(collector.store, project, 'admin')}"}
    rule_ids = []
    for name, metric in (("latency a", "latency_p95"), ("errors b", "error_rate")):
        rule = {"name": name, "metric": metric, "window": "1h"}
        rule["condition"] = {"kind": "threshold", "op": ">", "value": 1}
        resp = httpx.post(f"{collector.url}/api/v1/alerts/rules", json=rule, headers=admin)
        assert resp.status_code == 201, resp.text
        rule_ids.append(resp.json()["id"])
    # the events the engine would have written: rule a's newest, rule b's all older
    now = time.time_ns()
    for n in range(EVENTS_A + EVENTS_B):
        rule = (rule_ids[0], "latency a") if n < EVENTS_A else (rule_ids[1], "errors b")
        state = RuleState(project, *rule, value=float(n), baseline=1.0, samples=50)
        event = "firing" if n % 2 else "resolved"
        at_ns = now - (n + 1) * 60 * 10**9
        append_event(collector.store, state, event, "warning", at_ns, f"event {n}", True, {})
    return Crowd(create_key(collector.store, project, "read"), ingest_key, rule_ids[1])


@pytest.fixture
def crowded(
    monkeypatch: pytest.MonkeyPatch, dashboard_env: Collector, crowd_project: Crowd
) -> Crowd:
    monkeypatch.setenv("LLMPULSE_API_KEY", crowd_project.read_key)
    monkeypatch.delenv("LLMPULSE_API_KEYS", raising=False)
    monkeypatch.setenv("LLMPULSE_INGEST_KEY", crowd_project.ingest_key)
    return crowd_project


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def _history(at: AppTest) -> list[str]:
    """The Rule column of the history table (a table without selection has no key)."""
    found = next(t for t in at.dataframe if "Notified" in t.value.columns)
    return [str(rule) for rule in found.value["Rule"]]


def _a_minute_later() -> type[datetime]:
    """``datetime`` whose ``now()`` is a minute ahead (for ``state``'s time windows)."""

    class AMinuteLater(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> AMinuteLater:
            return cls.fromtimestamp(time.time() + 60, tz)

    return AMinuteLater


def _load_more(at: AppTest, key: str) -> AppTest:
    at.button(key=f"{key}_more").click().run()
    _ok(at)
    return at


def _has_more(at: AppTest, key: str) -> bool:
    return any(b.key == f"{key}_more" for b in at.button)


def test_every_user_is_reachable_and_a_first_page_selection_holds(
    crowded: Crowd, run_page: RunApp
) -> None:
    at = run_page("users")
    _ok(at)
    shown = table(at, "users_table")["User"]
    assert len(shown) == PAGE_SIZE and shown[0] == "user-000"
    assert f"user-{PEOPLE - 1:03d}" not in shown
    tiles = _tiles(at)  # the server's totals over every user, not the page's
    assert tiles["Users"] == str(PEOPLE) and tiles["Traces"] == str(PEOPLE)
    assert tiles["Error spans"] == str(PEOPLE // 10)
    assert f"Showing {PAGE_SIZE} of {PEOPLE} users" in _captions(at)

    click(at, "users_table", shown.index("user-007"))  # a user of the first page
    assert url(at, "user") == "user-007"
    _load_more(at, "users_table")
    shown = table(at, "users_table")["User"]
    assert len(shown) == PEOPLE and shown[-1] == f"user-{PEOPLE - 1:03d}"
    assert len(set(shown)) == PEOPLE  # no row twice
    assert url(at, "user") == "user-007"  # the selection holds, highlighted at its row
    assert at.session_state["users_table"]["selection"]["rows"] == [shown.index("user-007")]
    assert any("**user-007**" in m.value for m in at.markdown)
    assert not _has_more(at, "users_table")
    assert f"Showing {PEOPLE} of {PEOPLE} users" in _captions(at)

    click(at, "users_table", shown.index("user-120"))  # a user of the second page
    assert url(at, "user") == "user-120"
    assert any("**user-120**" in m.value for m in at.markdown)


def test_loaded_pages_stay_when_the_time_window_moves_on(
    crowded: Crowd, run_page: RunApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _load_more(run_page("users"), "users_table")
    before = state.time_window("24h")

    monkeypatch.setattr(state, "datetime", _a_minute_later())
    assert state.time_window("24h").end > before.end  # "last 24 hours" ends later now
    at.run()  # an auto-refresh a minute later: the same question, asked again
    _ok(at)
    assert len(table(at, "users_table")["User"]) == PEOPLE


def test_another_sort_order_starts_again_at_one_page(crowded: Crowd, run_page: RunApp) -> None:
    at = _load_more(run_page("users"), "users_table")
    assert len(table(at, "users_table")["User"]) == PEOPLE
    at.selectbox(key="sort").set_value("errors").run()
    _ok(at)
    shown = table(at, "users_table")["User"]
    assert len(shown) == PAGE_SIZE
    assert set(shown[: PEOPLE // 10]) == {f"user-{n:03d}" for n in range(0, PEOPLE, 10)}


def test_every_session_is_reachable_and_opens(crowded: Crowd, run_page: RunApp) -> None:
    at = run_page("sessions")
    _ok(at)
    shown = table(at, "sessions_table")["Session"]
    assert len(shown) == PAGE_SIZE and f"sess-{PEOPLE - 1:03d}" not in shown
    assert _tiles(at)["Sessions"] == str(PEOPLE)
    _load_more(at, "sessions_table")
    shown = table(at, "sessions_table")["Session"]
    assert len(shown) == PEOPLE and not _has_more(at, "sessions_table")

    click(at, "sessions_table", shown.index("sess-003"))  # first page, after loading more
    _ok(at)
    assert url(at, "session") == "sess-003"
    assert any(t.value == "Session sess-003" for t in at.title)
    at.button(key="back").click().run()
    _ok(at)
    shown = table(at, "sessions_table")["Session"]
    assert len(shown) == PEOPLE  # back to the list: the loaded pages stay
    click(at, "sessions_table", shown.index("sess-125"))  # second page
    _ok(at)
    assert url(at, "session") == "sess-125"
    assert any(t.value == "Session sess-125" for t in at.title)


def test_the_whole_alert_history_is_reachable_per_rule(crowded: Crowd, run_page: RunApp) -> None:
    at = run_page("alerts")
    _ok(at)
    total = EVENTS_A + EVENTS_B
    assert _tiles(at)["Events in range"] == f"{total:,}"
    history = _history(at)
    assert len(history) == PAGE_SIZE
    assert f"Showing {PAGE_SIZE} of {total} events" in _captions(at)
    _load_more(at, "alert_history_table")
    history = _history(at)
    assert len(history) == total and not _has_more(at, "alert_history_table")
    assert history.count("errors b") == EVENTS_B  # the oldest, on the second page

    at.selectbox(key="rule").set_value(crowded.rule_b).run()  # filtered by the server
    _ok(at)
    history = _history(at)
    assert set(history) == {"errors b"} and len(history) == EVENTS_B
    assert f"Showing {EVENTS_B} of {EVENTS_B} events" in _captions(at)


def test_every_failed_result_is_reachable_and_opens_its_trace(
    crowded: Crowd, run_page: RunApp
) -> None:
    at = run_page("evaluations")
    _ok(at)
    shown = table(at, "failing_table")["Explanation"]
    assert len(shown) == PAGE_SIZE and _has_more(at, "failing_table")
    assert f"Showing {PAGE_SIZE} of {PEOPLE} failed results" in _captions(at)  # the server's
    _load_more(at, "failing_table")
    shown = table(at, "failing_table")["Explanation"]
    assert len(shown) == PEOPLE and not _has_more(at, "failing_table")
    assert f"Showing {PEOPLE} of {PEOPLE} failed results" in _captions(at)
    click(at, "failing_table", shown.index("reply 120 was curt"))  # on the second page
    assert url(at, "trace") == f"{0xC0DE0000 + 120:032x}"
    assert url(at, "assertion") == "polite"


def test_the_traces_page_stays_when_the_time_window_moves_on(
    crowded: Crowd, run_page: RunApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page("traces")
    at.button(key="older").click().run()
    _ok(at)
    assert "51–100 of 130 traces" in _captions(at)
    monkeypatch.setattr(state, "datetime", _a_minute_later())
    at.run()
    _ok(at)
    assert "51–100 of 130 traces" in _captions(at)
