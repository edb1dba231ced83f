"""The dashboard's API types are generated from docs/openapi.json: the committed module
is what the generator writes today, and the generator translates the contract's
constructs (required, nullable, enums, arrays, references) into honest TypedDicts."""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, NotRequired

import pytest

from llmpulse_dashboard import api_types, gen_types


def _document(schemas: dict[str, Any], answers: list[str]) -> dict[str, Any]:
    """An OpenAPI document whose routes answer the schemas ``answers``."""
    paths = {
        f"/api/v1/thing{i}": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": ref(name)}}}},
                    "400": {"content": {"application/json": {"schema": {"$ref": ref("Error")}}}},
                }
            }
        }
        for i, name in enumerate(answers)
    }
    return {"paths": paths, "components": {"schemas": schemas}}


def ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def _module(source: str) -> types.ModuleType:
    module = types.ModuleType("generated")
    exec(compile(source, "generated.py", "exec", dont_inherit=True), module.__dict__)
    return module


SCHEMAS: dict[str, Any] = {
    "Node": {
        "type": "object",
        "description": "A node of a tree.",
        "properties": {
            "id": {"type": "string"},
            "cost": {
                "anyOf": [{"type": "number"}, {"type": "null"}],
                "description": "null: unpriced",
            },
            "status": {"enum": ["ok", "error"], "type": "string"},
            "level": {"enum": [1, 2, None]},
            "flag": {"const": True},
            "children": {"type": "array", "items": {"$ref": ref("Node")}},
            "attributes": {"type": "object", "additionalProperties": True},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "payload": {"title": "Payload"},
            "parent": {"anyOf": [{"$ref": ref("Node")}, {"type": "null"}]},
        },
        "required": ["id", "status", "cost"],
    },
    "Page": {
        "type": "object",
        "properties": {
            "nodes": {"type": "array", "items": {"$ref": ref("Node")}},
            "next_cursor": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["nodes"],
    },
    "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
    "NodeIn": {"type": "object", "properties": {"id": {"type": "string"}}},  # a request body
}


def test_the_committed_module_is_what_the_contract_generates() -> None:
    document = json.loads(gen_types.OPENAPI.read_text(encoding="utf-8"))
    committed = gen_types.TARGET.read_text(encoding="utf-8")
    assert gen_types.render(document) == committed, (
        f"{gen_types.TARGET.name} differs from docs/openapi.json: run {gen_types.REGENERATE}"
    )
    assert committed.startswith('"""Generated from docs/openapi.json by')
    assert "do not edit" in committed.splitlines()[0]


def test_every_answer_schema_of_the_contract_has_a_type() -> None:
    document = json.loads(gen_types.OPENAPI.read_text(encoding="utf-8"))
    names = gen_types.response_schemas(document)
    assert set(api_types.__all__) == set(names)
    assert {"TracePage", "SpanNode", "UserPage", "SessionPage", "AlertHistoryPage"} <= set(names)
    assert "ErrorResponse" not in names and "AlertRule" not in names  # error body, request body
    for name in names:
        assert typing.is_typeddict(getattr(api_types, name)), name


def test_required_nullable_enum_array_and_nested_fields_are_typed() -> None:
    source = gen_types.render(_document(SCHEMAS, ["Page"]))
    generated = _module(source)
    assert generated.__all__ == ["Node", "Page"]  # 2xx answers and what they contain
    node, page = generated.Node, generated.Page
    assert node.__doc__ == "A node of a tree."
    assert node.__required_keys__ == {"id", "status", "cost"}
    hints = typing.get_type_hints(node, vars(generated), include_extras=True)
    assert hints["id"] is str
    assert hints["cost"] == float | None  # required, but may be null
    assert hints["status"] == Literal["ok", "error"]
    assert hints["level"] == NotRequired[Literal[1, 2] | None]
    assert hints["flag"] == NotRequired[Literal[True]]
    assert hints["children"] == NotRequired[list[node]]
    assert hints["attributes"] == NotRequired[dict[str, Any]]
    assert hints["counts"] == NotRequired[dict[str, int]]
    assert hints["payload"] == NotRequired[Any]  # any JSON value
    assert hints["parent"] == NotRequired[node | None]
    page_hints = typing.get_type_hints(page, vars(generated), include_extras=True)
    assert page_hints == {"nodes": list[node], "next_cursor": NotRequired[str | None]}
    assert "    # null: unpriced\n    cost: float | None\n" in source


def test_a_construct_the_generator_cannot_translate_is_refused_by_name() -> None:
    schemas = {
        "Odd": {
            "type": "object",
            "properties": {"both": {"allOf": [{"type": "string"}, {"type": "integer"}]}},
        }
    }
    with pytest.raises(gen_types.UnsupportedSchema, match=r"Odd\.both: allOf with several"):
        gen_types.render(_document(schemas, ["Odd"]))
    nested = {"type": "object", "properties": {"y": {"type": "string"}}}
    inline = {"Odd": {"type": "object", "properties": {"x": nested}}}
    with pytest.raises(gen_types.UnsupportedSchema, match=r"Odd\.x: an inline object"):
        gen_types.render(_document(inline, ["Odd"]))


def test_main_writes_the_module_from_a_document(tmp_path: Path) -> None:
    source, target = tmp_path / "openapi.json", tmp_path / "api_types.py"
    source.write_text(json.dumps(_document(SCHEMAS, ["Page"])), encoding="utf-8")
    assert gen_types.main([str(source), str(target)]) == 0
    assert target.read_text(encoding="utf-8") == gen_types.render(_document(SCHEMAS, ["Page"]))
