"""Every list of the API is a bounded page with a cursor and a server total: more rows
than one page, walked to the end, give every row exactly once; a bad cursor is a 400 in
the error envelope; another project's rows never appear."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from llmpulse_collector.alerts.state import RuleState, save_state
from llmpulse_collector.store.keys import create_key, create_project
from llmpulse_collector.store.queries._where import encode_cursor
from tests.collector.api.conftest import Api, otlp_request, otlp_span

Ids = Callable[[dict[str, Any]], str]


def _post(api: Api, path: str, body: Any, key: str) -> Any:
    resp = api.client.post(path, json=body, headers=api.headers(key))
    assert resp.status_code == 201, resp.text
    return resp.json()


def walk(
    api: Api, path: str, field: str, key: str, limit: int, **params: Any
) -> tuple[list[dict[str, Any]], int, int]:
    """Every page of a list: ``(rows, total, pages)``; the total is the same on each."""
    rows: list[dict[str, Any]] = []
    totals: set[int] = set()
    cursor: str | None = None
    pages = 0
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        resp = api.get(path, key=key, **query)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert len(page[field]) <= limit
        rows += page[field]
        totals.add(page["total"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 100, "the cursor does not move on"
    assert len(totals) == 1, totals
    return rows, totals.pop(), pages


def check_list(
    api: Api,
    path: str,
    field: str,
    *,
    key: str,
    other_key: str,
    ids: Ids,
    mine: set[str],
    theirs: set[str],
    limit: int = 3,
    **params: Any,
) -> list[dict[str, Any]]:
    """The list pages through ``mine`` exactly once with the right total; the other
    project's key sees ``theirs`` only; bad cursors are 400s."""
    rows, total, pages = walk(api, path, field, key, limit, **params)
    seen = [ids(r) for r in rows]
    assert len(seen) == len(set(seen)), "a row came twice"
    assert set(seen) == mine
    assert total == len(mine)
    assert pages == -(-len(mine) // limit)
    other_rows, other_total, _ = walk(api, path, field, other_key, limit, **params)
    assert {ids(r) for r in other_rows} == theirs
    assert other_total == len(theirs)
    for bad in ("not-a-cursor", "WyJ0cmFjZXMiLDFd"):  # garbage; another listing's cursor
        resp = api.get(path, key=key, cursor=bad, limit=limit, **params)
        assert resp.status_code == 400, resp.text
        assert "cursor" in resp.json()["error"]["message"]
        assert resp.json()["error"]["code"] == "bad_request"
    return rows


@pytest.fixture
def other(api: Api) -> dict[str, str]:
    project = create_project(api.store, "billing")
    return {
        "project": project,
        "read": create_key(api.store, project, "read"),
        "admin": create_key(api.store, project, "admin"),
    }


def test_experiment_runs(api: Api, other: dict[str, str]) -> None:
    mine = {
        _post(api, "/api/v1/experiments", {"name": f"run-{i}"}, api.read_key)["id"]
        for i in range(7)
    }
    theirs = {_post(api, "/api/v1/experiments", {"name": "b"}, other["read"])["id"]}
    rows = check_list(
        api,
        "/api/v1/experiments",
        "experiments",
        key=api.read_key,
        other_key=other["read"],
        ids=lambda r: r["id"],
        mine=mine,
        theirs=theirs,
    )
    created = [r["created_at_ns"] for r in rows]
    assert created == sorted(created, reverse=True)  # newest first across pages


def _results(api: Api, run_id: str, scores: dict[str, float]) -> None:
    body = {
        "results": [
            {"item_id": item, "output": item, "scores": [{"name": "acc", "score": score}]}
            for item, score in scores.items()
        ]
    }
    _post(api, f"/api/v1/experiments/{run_id}/results", body, api.read_key)


def test_compare_items_page_in_regressed_first_order_with_summaries_over_all(api: Api) -> None:
    base = _post(api, "/api/v1/experiments", {"name": "base"}, api.read_key)["id"]
    cand = _post(api, "/api/v1/experiments", {"name": "cand"}, api.read_key)["id"]
    # 12 items: 5 regressed (two tied at -0.5), 3 improved, 4 unchanged (all tied at 0)
    before = {f"item-{i:02d}": 1.0 for i in range(12)}
    after = dict(before)
    for item, score in [("item-03", 0.5), ("item-07", 0.5), ("item-01", 0.0), ("item-09", 0.8),
                        ("item-05", 0.9)]:  # fmt: skip
        after[item] = score
    for item in ("item-00", "item-02", "item-04"):
        before[item] = 0.0
    _results(api, base, before)
    _results(api, cand, after)
    params = {"baseline": base, "candidate": cand}
    one = api.get("/api/v1/experiments/compare", limit=1000, **params).json()
    rows = check_list(
        api,
        "/api/v1/experiments/compare",
        "items",
        key=api.read_key,
        other_key=api.read_key,
        ids=lambda r: r["item_id"],
        mine=set(before),
        theirs=set(before),
        limit=5,
        **params,
    )
    order = [r["item_id"] for r in rows]
    assert order == [r["item_id"] for r in one["items"]]  # pages continue one order
    assert order[:5] == ["item-01", "item-03", "item-07", "item-09", "item-05"]
    assert [r["regressed"] for r in rows] == [True] * 5 + [False] * 7
    assert order[5:8] == ["item-00", "item-02", "item-04"]  # improved, by id (tied +1)
    assert order[8:] == ["item-06", "item-08", "item-10", "item-11"]  # unchanged, by id
    # the summary of every page is the one of all items, not of the page
    page2 = api.get(
        "/api/v1/experiments/compare", limit=5, cursor=_first_cursor(api, params), **params
    ).json()
    for field in ("regressed_items", "improved_items", "shared_items", "evaluators", "gate"):
        assert page2[field] == one[field]
    assert one["regressed_items"] == 5 and one["improved_items"] == 3
    assert one["evaluators"][0]["paired"] == 12
    # another project can't compare these runs at all
    b_read = create_key(api.store, create_project(api.store, "other"), "read")
    assert api.get("/api/v1/experiments/compare", key=b_read, **params).status_code == 404


def _first_cursor(api: Api, params: dict[str, str]) -> str:
    cursor = api.get("/api/v1/experiments/compare", limit=5, **params).json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def test_datasets_and_their_versions(api: Api, other: dict[str, str]) -> None:
    mine = {
        _post(api, "/api/v1/datasets", {"name": f"ds-{i}"}, api.read_key)["id"] for i in range(7)
    }
    theirs = {_post(api, "/api/v1/datasets", {"name": "ds-0"}, other["read"])["id"]}
    rows = check_list(
        api,
        "/api/v1/datasets",
        "datasets",
        key=api.read_key,
        other_key=other["read"],
        ids=lambda r: r["id"],
        mine=mine,
        theirs=theirs,
    )
    assert [r["name"] for r in rows] == [f"ds-{i}" for i in range(7)]
    for i in range(8):  # 8 versions of ds-0
        _post(api, "/api/v1/datasets/ds-0/items", {"items": [{"input": i}]}, api.read_key)
    versions = check_list(
        api,
        "/api/v1/datasets/ds-0",
        "versions",
        key=api.read_key,
        other_key=api.read_key,
        ids=lambda v: str(v["version"]),
        mine={str(n) for n in range(1, 9)},
        theirs={str(n) for n in range(1, 9)},
    )
    assert [v["version"] for v in versions] == list(range(1, 9))
    assert api.get("/api/v1/datasets/ds-0", key=other["read"]).json()["total"] == 0


def test_review_queues(api: Api, other: dict[str, str]) -> None:
    mine = {
        _post(api, "/api/v1/review-queues", {"name": f"q-{i}"}, api.read_key)["id"]
        for i in range(7)
    }
    theirs = {_post(api, "/api/v1/review-queues", {"name": "q-0"}, other["read"])["id"]}
    check_list(
        api,
        "/api/v1/review-queues",
        "queues",
        key=api.read_key,
        other_key=other["read"],
        ids=lambda r: r["id"],
        mine=mine,
        theirs=theirs,
    )


def test_eval_rules(api: Api, other: dict[str, str]) -> None:
    def rule(key: str, name: str) -> str:
        body = {"name": name, "check": {"type": "json"}}
        return str(_post(api, "/api/v1/eval-rules", body, key)["id"])

    mine = {rule(api.admin_key, f"rule-{i}") for i in range(7)}
    theirs = {rule(other["admin"], "rule-0")}
    check_list(
        api,
        "/api/v1/eval-rules",
        "rules",
        key=api.read_key,
        other_key=other["read"],
        ids=lambda r: r["id"],
        mine=mine,
        theirs=theirs,
    )


ALERT_RULE = {
    "metric": "error_rate",
    "window": "10m",
    "condition": {"kind": "threshold", "op": ">", "value": 0.05},
}


def test_alert_rules_and_state(api: Api, other: dict[str, str]) -> None:
    def rule(key: str, name: str) -> str:
        return str(_post(api, "/api/v1/alerts/rules", {**ALERT_RULE, "name": name}, key)["id"])

    mine = {rule(api.admin_key, f"alert-{i}") for i in range(7)}
    theirs = {rule(other["admin"], "alert-0")}
    check_list(
        api,
        "/api/v1/alerts/rules",
        "rules",
        key=api.read_key,
        other_key=other["read"],
        ids=lambda r: r["id"],
        mine=mine,
        theirs=theirs,
    )
    now = time.time_ns()
    for i, rule_id in enumerate(sorted(mine)):
        status = "firing" if i % 3 == 0 else "ok"
        save_state(api.store, RuleState(api.project, rule_id, f"alert-{i}", status, now))
    save_state(api.store, RuleState(other["project"], next(iter(theirs)), "alert-0", "ok", now))
    states = check_list(
        api,
        "/api/v1/alerts/state",
        "states",
        key=api.read_key,
        other_key=other["read"],
        ids=lambda s: s["rule_id"],
        mine=mine,
        theirs=theirs,
    )
    assert [s["status"] for s in states] == ["firing"] * 3 + ["ok"] * 4


def test_keys_and_projects(api: Api, other: dict[str, str]) -> None:
    mine = {
        r["key_id"] for r in api.get("/api/v1/keys", key=api.admin_key, limit=1000).json()["keys"]
    }
    for _ in range(4):
        resp = api.client.post(
            "/api/v1/keys", json={"scope": "read"}, headers=api.headers(api.admin_key)
        )
        assert resp.status_code == 201, resp.text
    mine = {
        r["key_id"] for r in api.get("/api/v1/keys", key=api.admin_key, limit=1000).json()["keys"]
    }
    assert len(mine) == 7  # ingest, read, admin and 4 new
    theirs = {
        r["key_id"] for r in api.get("/api/v1/keys", key=other["admin"], limit=1000).json()["keys"]
    }
    check_list(
        api,
        "/api/v1/keys",
        "keys",
        key=api.admin_key,
        other_key=other["admin"],
        ids=lambda r: r["key_id"],
        mine=mine,
        theirs=theirs,
    )
    for i in range(5):
        create_project(api.store, f"team-{i}")
    projects, total, _ = walk(api, "/api/v1/projects", "projects", api.operator_key, 3)
    names = [p["name"] for p in projects]
    assert len(names) == len(set(names)) == total == 7  # shop, billing and 5 teams
    resp = api.get("/api/v1/projects", key=api.operator_key, cursor="nope")
    assert resp.status_code == 400
    assert api.get("/api/v1/projects", key=api.admin_key).status_code == 403


def _session_trace(api: Api, n: int, session: str, start_ns: int) -> str:
    trace_id = f"{n:032x}"
    span = otlp_span(
        trace_id,
        f"{n:016x}",
        "chat",
        start_ns=start_ns,
        attrs={"session.id": session, "user.id": "ada", "input.value": f"turn {n}"},
    )
    assert api.send(otlp_request(span)).status_code == 200
    return trace_id


def test_session_traces(api: Api, other: dict[str, str]) -> None:
    t0 = time.time_ns() - 3_600_000_000_000
    mine = [_session_trace(api, 0x100 + i, "chat-1", t0 + i * 1_000_000_000) for i in range(7)]
    _session_trace(api, 0x200, "chat-2", t0)  # another session of the same project
    other_ingest = create_key(api.store, other["project"], "ingest")
    theirs = otlp_span(f"{0x300:032x}", f"{0x300:016x}", "chat", start_ns=t0,
                       attrs={"session.id": "chat-1"})  # fmt: skip
    assert api.send(otlp_request(theirs), key=other_ingest).status_code == 200
    rows = check_list(
        api,
        "/api/v1/sessions/chat-1",
        "traces",
        key=api.read_key,
        other_key=other["read"],
        ids=lambda t: t["trace_id"],
        mine=set(mine),
        theirs={f"{0x300:032x}"},
    )
    assert [t["trace_id"] for t in rows] == mine  # oldest first across pages
    page2 = api.get("/api/v1/sessions/chat-1", limit=3, cursor=_cursor(api)).json()
    # the session's header is the whole session's on every page
    assert page2["first_seen"] == rows[0]["start_time"]
    assert page2["last_seen"] == rows[-1]["end_time"]
    assert page2["user_id"] == "ada"
    assert page2["traces"][0]["input"] == "turn 259"  # root input of 0x103
    assert page2["totals"]["traces"] == page2["total"] == 7
    # a cursor past the last trace (its traces expired since): no traces, the same header
    past = encode_cursor("session:chat-1", [2**62, "f" * 32])
    after = api.get("/api/v1/sessions/chat-1", limit=3, cursor=past).json()
    assert after["traces"] == []
    assert after["next_cursor"] is None
    assert {k: after[k] for k in ("total", "totals", "first_seen", "last_seen", "user_id")} == {
        k: page2[k] for k in ("total", "totals", "first_seen", "last_seen", "user_id")
    }


def _cursor(api: Api) -> str:
    cursor = api.get("/api/v1/sessions/chat-1", limit=3).json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def test_failing_evaluations_and_feedback_totals(api: Api, other: dict[str, str]) -> None:
    t0 = time.time_ns() - 600_000_000_000

    def thumb(key: str, trace_id: str, up: bool) -> None:
        body = {"trace_id": trace_id, "name": "thumb", "value": up}
        resp = api.client.post("/api/v1/feedback", json=body, headers=api.headers(key))
        assert resp.status_code < 300, resp.text

    for n in range(7):
        thumb(api.ingest_key, _session_trace(api, 0x400 + n, "s", t0 + n), n % 2 == 0)
    other_ingest = create_key(api.store, other["project"], "ingest")
    span = otlp_span(f"{0x500:032x}", f"{0x500:016x}", "chat", start_ns=t0)
    assert api.send(otlp_request(span), key=other_ingest).status_code == 200
    thumb(other_ingest, f"{0x500:032x}", False)
    feedback, total, _ = walk(api, "/api/v1/feedback", "feedback", api.read_key, 3)
    assert total == len(feedback) == 7
    assert len({f["evaluation_id"] for f in feedback}) == 7
    failing, total, _ = walk(api, "/api/v1/evaluations/failing", "evaluations", api.read_key, 2)
    assert total == len(failing) == 3  # thumbs down: n = 1, 3, 5
    theirs, total, _ = walk(api, "/api/v1/feedback", "feedback", other["read"], 3)
    assert [f["trace_id"] for f in theirs] == [f"{0x500:032x}"] and total == 1
    resp = api.get("/api/v1/feedback", cursor="xyz")
    assert resp.status_code == 400 and "cursor" in resp.json()["error"]["message"]
