"""Every ``Client`` method is declared to return the generated type that docs/openapi.json
documents for the route the method calls (or a list of its one array field).

The methods run against a transport that answers each route with a minimal instance of
its documented answer schema; a method annotated with another route's type, calling a
route the contract does not have, or unwrapping a field the answer does not have fails.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from typing import Any

import httpx
import pytest

from llmpulse_dashboard import api_types, client, gen_types
from llmpulse_dashboard.client import Client

DOCUMENT: dict[str, Any] = json.loads(gen_types.OPENAPI.read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]

# a value for each required argument, by its annotation
ARGUMENTS: dict[str, Any] = {
    "str": "ref",
    "Params": {},
    "Params | None": None,
    "ValueField": "models",
    "Mapping[str, Any]": {"name": "r"},
    "Sequence[Mapping[str, Any]]": [],
    "Sequence[tuple[str, str | None]]": [],
    "bool | float | str": True,
}
NOT_CALLS = {"close", "clear_cache"}


def _route(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """(path template, operation) of the contract's route for a request."""
    for template, operations in DOCUMENT["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path} is not a route of docs/openapi.json")


def _answer_schema(operation: dict[str, Any]) -> str | None:
    for status, answer in operation["responses"].items():
        if status.startswith("2"):
            ref = answer.get("content", {}).get("application/json", {}).get("schema", {})
            return str(ref["$ref"]).rsplit("/", 1)[1] if "$ref" in ref else None
    return None


def _instance(schema: Any) -> Any:
    """A minimal value the schema accepts: required fields only, first union member."""
    if "$ref" in schema:
        return _instance(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in schema:
        return _instance(schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _instance(properties[name]) for name in schema.get("required", [])}
    simple = {"string": "x", "integer": 0, "number": 0.0, "boolean": False, "array": []}
    return simple.get(kind)


def _array_field(schema_name: str) -> tuple[str, str]:
    """(field, item schema) of the one required array field of an answer schema."""
    schema = SCHEMAS[schema_name]
    arrays = [
        (name, prop["items"]["$ref"].rsplit("/", 1)[1])
        for name, prop in schema["properties"].items()
        if name in schema.get("required", []) and prop.get("type") == "array"
    ]
    assert len(arrays) == 1, f"{schema_name}: not a list wrapper"
    return arrays[0]


def _methods() -> list[str]:
    return sorted(
        name
        for name, member in vars(Client).items()
        if inspect.isfunction(member) and not name.startswith("_") and name not in NOT_CALLS
    )


@pytest.mark.parametrize("name", _methods())
def test_a_client_method_returns_the_type_of_the_route_it_calls(name: str) -> None:
    called: list[tuple[str, str, str | None]] = []

    def contract(request: httpx.Request) -> httpx.Response:
        template, operation = _route(request.method, request.url.path)
        schema = _answer_schema(operation)
        called.append((request.method, template, schema))
        return httpx.Response(200, json=_instance(SCHEMAS[schema]) if schema else {})

    method = getattr(Client, name)
    signature = inspect.signature(method)
    required = [
        p for p in list(signature.parameters.values())[1:] if p.default is inspect.Parameter.empty
    ]
    unknown = [p.annotation for p in required if p.annotation not in ARGUMENTS]
    assert not unknown, f"Client.{name}: add a value for {unknown} to ARGUMENTS"
    args = {p.name: ARGUMENTS[p.annotation] for p in required}
    with Client("http://collector", "key", transport=httpx.MockTransport(contract)) as api:
        result = getattr(api, name)(**args)
    assert len(called) == 1, f"Client.{name} made {len(called)} calls"
    http_method, template, schema = called[0]
    returns = typing.get_type_hints(method, vars(client))["return"]
    if returns is type(None) or returns is bytes:  # nothing, or a file (not JSON)
        return
    assert schema is not None, f"{http_method} {template} documents no JSON answer"
    answer = _instance(SCHEMAS[schema])
    if typing.get_origin(returns) is list:
        field, item = _array_field(schema)
        (of,) = typing.get_args(returns)
        assert of is getattr(api_types, item), f"Client.{name}: {of} for {schema}.{field}"
        assert result == answer[field]
        return
    assert typing.is_typeddict(returns), f"Client.{name} returns {returns}, not an API type"
    assert returns is getattr(api_types, schema), (
        f"Client.{name} calls {http_method} {template}, which answers {schema}, "
        f"but is declared to return {returns.__name__}"
    )
    assert result == answer


def test_the_client_declares_no_answer_types_of_its_own() -> None:
    own = [
        name
        for name, value in vars(client).items()
        if typing.is_typeddict(value) and value.__module__ == client.__name__
    ]
    assert own == [], f"declare answer types in the contract, not in client.py: {own}"
