"""The trace list: every filter, every sort in both orders, cursor paging through each
sort, full-text search; and trace detail as a tree with depth, evaluations, feedback.
Data: ``query_seed`` (T1, T2, T3 in range; T0 in the previous period)."""

from __future__ import annotations

import pytest

from tests.collector.api.query_seed import (
    RANGE,
    T0,
    T1,
    T2,
    T3,
    Seeded,
    seeded_fixture,  # noqa: F401  (the ``seeded`` fixture)
)


def ids(api: Seeded, **params: object) -> list[str]:
    return [t["trace_id"] for t in api.ok("/api/v1/traces", **{**RANGE, **params})["traces"]]


def test_list_is_newest_first_with_totals_and_previews(seeded: Seeded) -> None:
    page = seeded.ok("/api/v1/traces", **RANGE)
    assert [t["trace_id"] for t in page["traces"]] == [T3, T2, T1]
    assert page["next_cursor"] is None
    t1 = page["traces"][2]
    assert t1 | {"start_time_ns": 0, "end_time_ns": 0, "start_time": "", "end_time": ""} == {
        "trace_id": T1,
        "start_time": "",
        "end_time": "",
        "start_time_ns": 0,
        "end_time_ns": 0,
        "duration_ms": 1000.0,
        "name": "answer",
        "service_name": "shop-api",
        "environment": "prod",
        "spans": 3,
        "errors": 0,
        "llm_calls": 1,
        "input_tokens": 100,
        "output_tokens": 10,
        "total_tokens": 110,
        "cost_usd": 0.01,
        "session_id": "s1",
        "user_id": "alice",
        "tags": ["prod"],
        "models": ["gpt-4o-mini"],
        "input_preview": "How do I get a REFUND?",
        "output_preview": "Refunds take 5 days.",
        "assertions_passed": 1,
        "assertions_failed": 1,
        "avg_score": 0.0,
        "feedback_positive": 0,
        "feedback_negative": 0,
    }
    scores = {
        t["trace_id"]: (
            t["assertions_passed"],
            t["assertions_failed"],
            t["avg_score"],
            t["feedback_positive"],
            t["feedback_negative"],
        )
        for t in page["traces"]
    }
    # T2: polite failed, thumbs down (feedback: not an assertion, no score in avg_score)
    assert scores[T2] == (0, 1, None, 0, 1)
    assert scores[T3] == (1, 0, 0.7, 0, 0)  # relevance's score without a verdict
    assert "total" not in page  # counting is asked for


def test_total_counts_every_matching_trace_on_every_page(seeded: Seeded) -> None:
    first = seeded.ok("/api/v1/traces", **RANGE, limit=1, with_total="true")
    assert first["total"] == 3 and len(first["traces"]) == 1
    second = seeded.ok(
        "/api/v1/traces", **RANGE, limit=1, with_total="true", cursor=first["next_cursor"]
    )
    assert second["total"] == 3
    filtered = seeded.ok("/api/v1/traces", **RANGE, user_id="alice", with_total="true")
    assert filtered["total"] == 2


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "error"}, [T2]),
        ({"status": "ok"}, [T3, T1]),
        ({"model": "claude-sonnet-4-5"}, [T2]),
        ({"service": "search-api"}, [T3]),
        ({"name": "lookup"}, [T1]),
        ({"environment": "staging"}, [T3]),
        ({"user_id": "alice"}, [T3, T1]),
        ({"session_id": "s2"}, [T2]),
        ({"tag": "beta"}, [T2]),
        ({"q": "refund"}, [T1]),  # case-insensitive, root input
        ({"q": "ships tomorrow"}, [T3]),  # output
        ({"q": "ORDER 42"}, [T1]),  # a child span's input
        ({"q": "%"}, []),  # LIKE wildcards are literal
        ({"min_latency_ms": 1000}, [T2, T1]),
        ({"max_latency_ms": 1000}, [T3, T1]),
        ({"min_latency_ms": 600, "max_latency_ms": 2000}, [T1]),
        ({"min_cost_usd": 0.01}, [T2, T1]),
        ({"max_cost_usd": 0.006}, [T3]),
        ({"has_failing_assertion": "true"}, [T2, T1]),
        ({"has_failing_assertion": "false"}, [T3]),
        ({"has_feedback": "true"}, [T2]),
        ({"has_feedback": "false"}, [T3, T1]),
        ({"status": "ok", "user_id": "alice", "q": "order"}, [T3, T1]),
        ({"user_id_contains": "LIC"}, [T3, T1]),  # case-insensitive part
        ({"user_id_contains": "ali", "user_id": "alice"}, [T3, T1]),
        ({"user_id_contains": "%"}, []),  # no wildcards
        ({"session_id_contains": "2"}, [T2]),
        ({"assertion": "polite"}, [T3, T2, T1]),
        ({"assertion": "polite", "assertion_result": "fail"}, [T2]),
        ({"assertion": "polite", "assertion_result": "pass"}, [T3, T1]),
        ({"assertion": "grounded", "assertion_result": "fail"}, [T1]),
        ({"assertion": "relevance"}, [T3]),  # a score without a verdict is a result
        ({"assertion": "thumbs"}, []),  # human feedback is not an assertion
        ({"assertion_result": "fail"}, [T2, T1]),
        ({"metadata": "plan=pro"}, [T1]),  # llmpulse.metadata.plan on a child span
        ({"metadata": "plan=free"}, [T2]),  # a plain attribute of that name
        ({"metadata": "region=eu"}, [T2]),
        ({"metadata": "plan=PRO"}, []),  # values match exactly
        ({"metadata": ["plan=free", "region=eu"]}, [T2]),  # every pair
        ({"metadata": ["plan=pro", "region=eu"]}, []),
    ],
)
def test_filters(seeded: Seeded, params: dict[str, object], expected: list[str]) -> None:
    assert ids(seeded, **params) == expected


def test_time_range_selects_traces_by_start(seeded: Seeded) -> None:
    assert ids(seeded, **{"from": RANGE["from"], "to": str(float(RANGE["from"]) + 3600)}) == [T1]
    earlier = {"from": str(float(RANGE["from"]) - 4 * 3600), "to": RANGE["from"]}
    assert ids(seeded, **earlier) == [T0]


SORTED = {
    ("start_time", "desc"): [T3, T2, T1],
    ("duration_ms", "desc"): [T2, T1, T3],
    ("cost_usd", "desc"): [T2, T1, T3],
    ("total_tokens", "desc"): [T2, T1, T3],
}


@pytest.mark.parametrize(("sort", "order"), [(s, o) for s, _ in SORTED for o in ("desc", "asc")])
def test_every_sort_pages_through_every_trace_once(seeded: Seeded, sort: str, order: str) -> None:
    expected = SORTED[(sort, "desc")] if order == "desc" else SORTED[(sort, "desc")][::-1]
    assert ids(seeded, sort=sort, order=order) == expected
    seen: list[str] = []
    cursor = None
    while True:
        params = {**RANGE, "sort": sort, "order": order, "limit": 1}
        page = seeded.ok("/api/v1/traces", **params, **({"cursor": cursor} if cursor else {}))
        seen += [t["trace_id"] for t in page["traces"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


def test_bad_parameters_say_what_to_fix(seeded: Seeded) -> None:
    def error(**params: object) -> str:
        resp = seeded.get("/api/v1/traces", **params)
        assert resp.status_code == 400, resp.text
        return str(resp.json()["error"]["message"])

    cursor = seeded.ok("/api/v1/traces", **RANGE, limit=1)["next_cursor"]
    assert "another listing or sort" in error(**RANGE, sort="cost_usd", cursor=cursor)
    assert "next_cursor" in error(cursor="garbage")
    assert "sort" in error(sort="name")
    assert "min_latency_ms" in error(min_latency_ms=5, max_latency_ms=1)
    assert "min_cost_usd" in error(min_cost_usd=-1)
    assert "has_feedback" in error(has_feedback="maybe")
    assert "key=value" in error(metadata="plan")
    assert "key=value" in error(metadata="=pro")
    assert "assertion_result" in error(assertion_result="maybe")
    assert "metadata" in error(metadata=[f"k{i}=v" for i in range(11)])


def test_detail_is_a_tree_with_depth_offsets_evaluations_and_feedback(seeded: Seeded) -> None:
    trace = seeded.ok(f"/api/v1/traces/{T1}")
    assert (trace["span_count"], trace["duration_ms"], trace["cost_usd"]) == (3, 1000.0, 0.01)
    (root,) = trace["roots"]
    (chat,) = root["children"]
    (lookup,) = chat["children"]
    assert [
        (s["name"], s["depth"], s["offset_ms"], s["duration_ms"]) for s in (root, chat, lookup)
    ] == [
        ("answer", 0, 0.0, 1000.0),
        ("chat", 1, 100.0, 800.0),
        ("lookup", 2, 200.0, 100.0),
    ]
    assert [e["name"] for e in trace["evaluations"]] == ["polite"]
    assert [(e["name"], e["passed"], e["comment"]) for e in chat["evaluations"]] == [
        ("grounded", False, "no source")
    ]
    assert trace["feedback"] == []
    t2 = seeded.ok(f"/api/v1/traces/{T2}")
    assert [(f["name"], f["comment"]) for f in t2["feedback"]] == [("thumbs", "wrong")]
    assert [e["name"] for e in t2["evaluations"]] == ["polite", "thumbs"]
