"""``GET /api/v1/drift`` through the app."""

from __future__ import annotations

from collections.abc import Callable

from tests.collector.analysis.test_drift import BASELINE, CURRENT, _spans
from tests.collector.api.conftest import Api


def test_drift_endpoint(make_api: Callable[..., Api]) -> None:
    api = make_api()
    api.store.insert_spans(
        _spans(BASELINE, [100.0 + i % 7 for i in range(300)], project_id=api.project)
        + _spans(CURRENT, [300.0 + i % 7 for i in range(300)], project_id=api.project)
    )
    resp = api.get(
        "/api/v1/drift",
        baseline_from=str(BASELINE[0] / 1e9),
        baseline_to=str(BASELINE[1] / 1e9),
        **{"from": str(CURRENT[0] / 1e9), "to": str(CURRENT[1] / 1e9)},
        group_by="model",
        features="latency,status",
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    [group] = body["groups"]
    assert group["group"] == {"model": "gpt-4o-mini"}
    assert [f["feature"] for f in group["features"]] == ["latency", "status"]
    assert group["features"][0]["verdict"] == "drift"
    assert body["thresholds"]["psi_drift"] == 0.2


def test_drift_endpoint_errors(make_api: Callable[..., Api]) -> None:
    api = make_api()
    bad = api.get("/api/v1/drift", group_by="user")
    assert bad.status_code == 400
    assert "group_by" in bad.json()["error"]["message"]
    bad = api.get("/api/v1/drift", features="vibes")
    assert bad.status_code == 400
    assert api.client.get("/api/v1/drift").status_code == 401
