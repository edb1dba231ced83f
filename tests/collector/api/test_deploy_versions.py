"""Which deploy: the service version (resource ``service.version``) and the prompt
version (llmpulse metadata ``prompt_version``) of a span are first-class: Drift groups,
filters and compares by them, the Traces list filters by them, the trace detail and the
metrics summary carry them. A deploy a day ago: 1.4.0 with prompt support-v7 in the
baseline window, 1.5.0 with support-v8 (and slower) in the current one."""

from __future__ import annotations

import time

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from llmpulse import semconv as sc
from tests.collector.api.conftest import Api, otlp_request, otlp_span

HOUR_NS = 3_600 * 10**9
N = 40


def _deploy(api: Api, version: str, prompt: str, hours_ago: float, ms: float, first: int) -> None:
    now = time.time_ns()
    spans = [
        otlp_span(
            f"{first + i:032x}",
            f"{first + i:016x}",
            "answer",
            start_ns=now - int(hours_ago * HOUR_NS) + i * 10**9,
            duration_ms=ms + i,
            attrs={f"{sc.ATTR_METADATA_PREFIX}prompt_version": prompt},
        )
        for i in range(N)
    ]
    message = otlp_request(*spans, service="support-bot")
    message.resource_spans[0].resource.attributes.append(
        KeyValue(key="service.version", value=AnyValue(string_value=version))
    )
    assert api.send(message).status_code == 200


def _seed(api: Api) -> None:
    _deploy(api, "1.4.0", "support-v7", 30, 100, 0x100)
    _deploy(api, "1.5.0", "support-v8", 2, 400, 0x200)


def test_drift_shows_the_version_change_and_latency_by_version(api: Api) -> None:
    _seed(api)
    resp = api.get("/api/v1/drift", features="latency,version,prompt_version", min_samples=30)
    assert resp.status_code == 200, resp.text
    [group] = resp.json()["groups"]
    features = {f["feature"]: f for f in group["features"]}
    version = features["version"]
    assert version["verdict"] == "drift"
    movers = {
        m["category"]: (m["baseline_share"], m["current_share"]) for m in version["top_movers"]
    }
    assert movers == {"1.4.0": (1.0, 0.0), "1.5.0": (0.0, 1.0)}
    assert features["prompt_version"]["top_movers"][0]["category"] in ("support-v7", "support-v8")

    # grouped by version: each version is a group of its own, in the window it ran in
    grouped = api.get("/api/v1/drift", features="latency", group_by="version").json()
    counts = {
        g["group"]["version"]: (g["baseline_count"], g["current_count"]) for g in grouped["groups"]
    }
    assert counts == {"1.4.0": (N, 0), "1.5.0": (0, N)}
    filtered = api.get("/api/v1/drift", features="latency", version="1.4.0").json()
    [only] = filtered["groups"]
    assert only["baseline_count"] == N and only["current_count"] == 0


def test_traces_filter_and_trace_detail_carry_the_version(api: Api) -> None:
    _seed(api)
    week = {"from": str(time.time() - 7 * 24 * 3600)}
    new = api.get("/api/v1/traces", version="1.5.0", limit=100, **week).json()["traces"]
    assert len(new) == N
    old = api.get("/api/v1/traces", prompt_version="support-v7", limit=100, **week).json()
    assert len(old["traces"]) == N
    assert not set(t["trace_id"] for t in new) & {t["trace_id"] for t in old["traces"]}
    detail = api.get(f"/api/v1/traces/{new[0]['trace_id']}").json()
    (root,) = detail["roots"]
    assert (root["service_version"], root["prompt_version"]) == ("1.5.0", "support-v8")

    versions = api.get("/api/v1/values/versions", **week).json()["values"]
    assert versions == [{"value": "1.4.0", "count": N}, {"value": "1.5.0", "count": N}]
    prompts = api.get("/api/v1/values/prompt_versions", **week).json()["values"]
    assert {v["value"] for v in prompts} == {"support-v7", "support-v8"}
    summary = api.get("/api/v1/metrics/summary", group_by="version", **week).json()
    p50 = {g["group"]: g["latency_ms"]["p50"] for g in summary["groups"]}
    assert p50 == {"1.4.0": 119.5, "1.5.0": 419.5}
