"""The committed OpenAPI document (docs/openapi.json) is the app's, and it documents the
error envelope the app really answers."""

from __future__ import annotations

import json
from typing import Any

from llmpulse_collector.api.contract import render
from llmpulse_collector.openapi import COMMITTED, REGENERATE, current
from tests.collector.api.conftest import Api

_ENVELOPE = {"$ref": "#/components/schemas/ErrorResponse"}


def _operations(schema: dict[str, Any], prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        if path.startswith(prefix)
        for method, operation in operations.items()
    ]


def test_committed_openapi_matches_the_app() -> None:
    committed = COMMITTED.read_text(encoding="utf-8")
    assert committed == render(current()), (
        f"{COMMITTED} is out of date with the app: regenerate it with `{REGENERATE}`"
    )


def test_every_api_route_documents_the_error_envelope_and_no_422() -> None:
    schema = current()
    operations = _operations(schema, "/api/v1/")
    assert len(operations) > 50
    for path, method, operation in operations:
        responses = operation["responses"]
        assert "422" not in responses, (method, path)
        expected = {"400", "401", "403", "429", "503"} | ({"404"} if "{" in path else set())
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, answer in responses.items():
            if status.startswith(("4", "5")):
                assert answer["content"]["application/json"]["schema"] == _ENVELOPE
    assert "HTTPValidationError" not in json.dumps(schema)
    envelope = schema["components"]["schemas"]["ErrorResponse"]
    assert envelope["required"] == ["error"]
    detail = schema["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message"}


def test_routes_that_answer_409_document_it() -> None:
    schema = current()
    assert "409" in schema["paths"]["/api/v1/datasets"]["post"]["responses"]
    assert "409" in schema["paths"]["/api/v1/alerts/rules/{rule_id}"]["delete"]["responses"]


def test_validation_errors_are_answered_as_documented(api: Api) -> None:
    """The document says 400 with the envelope, not 422: so does the app."""
    answers = {
        400: api.get("/api/v1/traces", limit="many"),
        401: api.client.get("/api/v1/traces"),
    }
    for status, answer in answers.items():
        assert answer.status_code == status
        body = answer.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
        assert str(status) in current()["paths"]["/api/v1/traces"]["get"]["responses"]


def test_every_json_api_route_answers_a_named_model() -> None:
    """A new /api/v1 route without a response model fails here (the exports stream
    JSONL/CSV and have none)."""
    schema = current()
    untyped = []
    for path, method, operation in _operations(schema, "/api/v1/"):
        if path.endswith("/export"):
            continue
        [success] = [s for s in operation["responses"] if s.startswith("2")]
        answer = operation["responses"][success]["content"]["application/json"]["schema"]
        if not answer.get("$ref", "").startswith("#/components/schemas/"):
            untyped.append(f"{method.upper()} {path}")
    assert untyped == []
