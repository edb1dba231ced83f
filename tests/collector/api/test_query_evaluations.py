"""Evaluations: pass rates per name with filled buckets, failing ones (with span
names, paging), and human feedback (listed, and written then read back)."""

from __future__ import annotations

from tests.collector.api.query_seed import (
    RANGE,
    T1,
    T2,
    Seeded,
    seeded_fixture,  # noqa: F401  (the ``seeded`` fixture)
)


def test_summary_per_name_with_buckets(seeded: Seeded) -> None:
    body = seeded.ok("/api/v1/evaluations/summary", **RANGE, interval="3600")
    names = {n["name"]: n for n in body["names"]}
    assert [n["name"] for n in body["names"]] == ["grounded", "polite", "thumbs", "relevance"]
    polite = names["polite"]
    assert (polite["total"], polite["passed"], polite["failed"]) == (3, 2, 1)
    assert polite["pass_rate"] == 2 / 3
    assert [(b["total"], b["pass_rate"]) for b in polite["buckets"]] == [
        (1, 1.0),
        (1, 0.0),
        (1, 1.0),
        (0, None),
    ]
    relevance = names["relevance"]  # a score without a verdict
    assert (relevance["total"], relevance["pass_rate"], relevance["avg_score"]) == (1, None, 0.7)
    sdk = seeded.ok("/api/v1/evaluations/summary", **RANGE, source="sdk")
    assert "thumbs" not in {n["name"] for n in sdk["names"]}
    assert sdk["interval"] == 120


def test_failing_newest_first_with_span_names(seeded: Seeded) -> None:
    rows = seeded.ok("/api/v1/evaluations/failing", **RANGE)["evaluations"]
    assert [(r["name"], r["trace_id"], r["span_name"], r["source"]) for r in rows] == [
        ("thumbs", T2, "", "feedback"),
        ("polite", T2, "", "sdk"),
        ("grounded", T1, "chat", "sdk"),
    ]
    assert rows[2]["comment"] == "no source" and rows[2]["label"] == "fail"
    only = seeded.ok("/api/v1/evaluations/failing", **RANGE, name="grounded")["evaluations"]
    assert [r["name"] for r in only] == ["grounded"]
    seen, cursor = [], None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = seeded.ok("/api/v1/evaluations/failing", **RANGE, limit=2, **extra)
        seen += [r["evaluation_id"] for r in page["evaluations"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [r["evaluation_id"] for r in rows]


def test_feedback_list(seeded: Seeded) -> None:
    (row,) = seeded.ok("/api/v1/feedback", **RANGE)["feedback"]
    assert (row["trace_id"], row["name"], row["passed"], row["comment"]) == (
        T2,
        "thumbs",
        False,
        "wrong",
    )


def test_posted_feedback_is_listed(api) -> None:  # a fresh app: this test writes
    resp = api.client.post(
        "/api/v1/feedback",
        json={"trace_id": "ab" * 16, "name": "stars", "value": 4, "comment": "good"},
        headers=api.headers(api.read_key),
    )
    assert resp.status_code == 201, resp.text
    (row,) = api.get("/api/v1/feedback").json()["feedback"]
    assert (row["trace_id"], row["name"], row["score"], row["comment"]) == (
        "ab" * 16,
        "stars",
        4.0,
        "good",
    )
