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
    # assertions first, then human feedback
    assert [(n["name"], n["kind"]) for n in body["names"]] == [
        ("grounded", "assertion"),
        ("polite", "assertion"),
        ("relevance", "assertion"),
        ("thumbs", "feedback"),
    ]
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


def test_feedback_is_not_in_pass_rates(seeded: Seeded) -> None:
    """A thumbs-down is human feedback: it has a positive rate, no pass rate, and the
    assertions' overall pass rate (a server total) leaves it out."""
    body = seeded.ok("/api/v1/evaluations/summary", **RANGE, interval="3600")
    thumbs = next(n for n in body["names"] if n["name"] == "thumbs")
    assert (thumbs["pass_rate"], thumbs["positive_rate"]) == (None, 0.0)
    assert all(b["pass_rate"] is None for b in thumbs["buckets"])
    # polite 2 of 3, grounded 0 of 1, relevance no verdict: 2 of 4 (with thumbs: 2 of 5)
    assertions = body["totals"]["assertions"]
    assert (assertions["passed"], assertions["failed"], assertions["pass_rate"]) == (2, 2, 0.5)
    feedback = body["totals"]["feedback"]
    assert (feedback["total"], feedback["positive_rate"], feedback["pass_rate"]) == (1, 0.0, None)


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
