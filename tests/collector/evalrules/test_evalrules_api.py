"""Evaluation rules through the API and a YAML file, applied at ingest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.collector.api.conftest import Api, otlp_request, otlp_span

LLM = {"gen_ai.request.model": "gpt-4o", "gen_ai.operation.name": "chat"}


def _trace_evaluations(api: Api, trace_id: str) -> list[dict[str, Any]]:
    body = api.get(f"/api/v1/traces/{trace_id}").json()
    out: list[dict[str, Any]] = []

    def walk(spans: list[dict[str, Any]]) -> None:
        for span in spans:
            out.extend(span["evaluations"])
            walk(span["children"])

    walk(body["roots"])
    return out


def _send(api: Api, trace_id: str, output: str) -> None:
    span = otlp_span(
        trace_id,
        trace_id[:16],
        "chat gpt-4o",
        attrs={**LLM, "gen_ai.completion": output, "output.value": output},
    )
    assert api.send(otlp_request(span)).status_code == 200


def test_api_rules_apply_at_ingest(make_api: Callable[..., Api]) -> None:
    api = make_api()
    admin = api.headers(api.admin_key)
    created = api.client.post(
        "/api/v1/eval-rules",
        json={"name": "answer_is_json", "match": {"model": "gpt-4o*"}, "check": {"type": "json"}},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    assert (
        api.client.post(
            "/api/v1/eval-rules",
            json={"name": "x", "check": {"type": "json"}},
            headers=api.headers(api.read_key),
        ).status_code
        == 403
    )

    _send(api, "a" * 32, '{"ok": true}')
    _send(api, "b" * 32, "not json")
    [good] = _trace_evaluations(api, "a" * 32)
    [bad] = _trace_evaluations(api, "b" * 32)
    assert (good["name"], good["source"], good["passed"]) == ("answer_is_json", "rule", True)
    assert (bad["passed"], bad["label"]) == (False, "fail")
    assert "not valid JSON" in bad["comment"]

    listed = api.get("/api/v1/eval-rules").json()["rules"]
    assert [(r["id"], r["name"], r["source"]) for r in listed] == [
        (rule_id, "answer_is_json", "api")
    ]
    assert api.client.delete(f"/api/v1/eval-rules/{rule_id}", headers=admin).status_code == 200
    assert api.client.delete(f"/api/v1/eval-rules/{rule_id}", headers=admin).status_code == 404
    _send(api, "c" * 32, "not json")
    assert _trace_evaluations(api, "c" * 32) == []
    assert api.get("/api/v1/eval-rules").json()["rules"] == []


def test_rules_from_a_yaml_file(make_api: Callable[..., Api], tmp_path: Path) -> None:
    rules = tmp_path / "eval-rules.yaml"
    rules.write_text(
        "eval_rules:\n"
        "  - name: no_refusal\n"
        "    match: {span_type: llm}\n"
        "    check: {type: no_refusal}\n"
        "  - name: other_project_only\n"
        "    project: elsewhere\n"
        "    check: {type: json}\n"
    )
    api = make_api(eval_rules_file=rules)
    _send(api, "d" * 32, "I'm sorry, but I cannot help with that.")
    [ev] = _trace_evaluations(api, "d" * 32)
    assert (ev["name"], ev["passed"], ev["source"]) == ("no_refusal", False, "rule")
    listed = api.get("/api/v1/eval-rules").json()["rules"]
    assert [r["source"] for r in listed] == ["file", "file"]
    assert (
        api.client.delete(
            f"/api/v1/eval-rules/{listed[0]['id']}", headers=api.headers(api.admin_key)
        ).status_code
        == 409
    )


def test_invalid_rule_is_a_400(make_api: Callable[..., Api]) -> None:
    api = make_api()
    resp = api.client.post(
        "/api/v1/eval-rules",
        json={"name": "x", "check": {"type": "length", "min": -1}},
        headers=api.headers(api.admin_key),
    )
    assert resp.status_code == 400
    assert "min" in resp.json()["error"]["message"]


def test_a_pattern_re2_cannot_run_is_a_400_that_says_why(make_api: Callable[..., Api]) -> None:
    api = make_api()
    resp = api.client.post(
        "/api/v1/eval-rules",
        json={"name": "x", "check": {"type": "regex", "pattern": r"(\w+) \1"}},
        headers=api.headers(api.admin_key),
    )
    assert resp.status_code == 400
    message = resp.json()["error"]["message"]
    assert "RE2" in message and "backreferences" in message
    assert api.get("/api/v1/eval-rules").json()["rules"] == []


def test_a_catastrophic_pattern_costs_ingest_nothing(make_api: Callable[..., Api]) -> None:
    # Python's re needs ~1.5 s for ^(a+)+$ over 26 characters, doubling with each more.
    api = make_api()
    created = api.client.post(
        "/api/v1/eval-rules",
        json={"name": "only_as", "check": {"type": "regex", "pattern": "^(a+)+$"}},
        headers=api.headers(api.admin_key),
    )
    assert created.status_code == 201, created.text
    _send(api, "d" * 32, "a" * 50_000 + "!")
    [row] = _trace_evaluations(api, "d" * 32)
    assert (row["name"], row["passed"]) == ("only_as", False)
    assert api.client.get("/healthz").status_code == 200
