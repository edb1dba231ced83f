"""Write the dashboard's API types from the collector's contract:
``python -m llmpulse_dashboard.gen_types [OPENAPI [TARGET]]``.

Reads ``docs/openapi.json`` (no collector needed) and writes ``api_types.py``: one
``TypedDict`` per schema that a 2xx answer of the API can contain. A field the schema
does not list as required is ``NotRequired`` (routes leave unset fields out), a
nullable one is ``X | None``, an enum a ``Literal``. A test regenerates the module in
memory and fails when the committed one differs.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["OPENAPI", "REGENERATE", "TARGET", "main", "render", "response_schemas"]

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
TARGET = Path(__file__).resolve().with_name("api_types.py")
REGENERATE = "python -m llmpulse_dashboard.gen_types"

_REF = "#/components/schemas/"
_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
_IGNORED = {
    # documentation and validation keywords: they do not change the Python type
    "title",
    "description",
    "default",
    "examples",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "pattern",
    "format",
    "discriminator",
}


class UnsupportedSchema(ValueError):
    """A schema uses a JSON Schema construct this generator does not translate."""


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            yield ref.removeprefix(_REF)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def response_schemas(document: dict[str, Any]) -> list[str]:
    """The component schemas a 2xx JSON answer can contain, sorted by name."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    pending: list[str] = []
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                if status.startswith("2"):
                    pending.extend(_refs(answer.get("content", {})))
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending.extend(_refs(schemas[name]))
    return sorted(reached)


def _union(members: list[str]) -> str:
    unique = list(dict.fromkeys(members))
    if "Any" in unique:
        return "Any"
    if "None" in unique:  # nullable: ``X | None``
        unique = [m for m in unique if m != "None"] + ["None"]
    return " | ".join(unique)


def _literal(values: list[Any], where: str) -> str:
    if not all(isinstance(v, str | int | bool) or v is None for v in values):
        raise UnsupportedSchema(f"{where}: enum values must be strings, integers, booleans or null")
    shown = [json.dumps(v) if isinstance(v, str) else repr(v) for v in values if v is not None]
    literal = f"Literal[{', '.join(shown)}]"
    return _union([literal, "None"]) if None in values else literal


def _type(schema: Any, where: str) -> str:
    """The Python annotation of a (sub)schema."""
    if schema is True or schema == {}:
        return "Any"
    if not isinstance(schema, dict):
        raise UnsupportedSchema(f"{where}: expected a schema object, got {schema!r}")
    unknown = set(schema) - _IGNORED - {
        "$ref", "anyOf", "oneOf", "allOf", "enum", "const", "type", "items",
        "properties", "additionalProperties", "required",
    }  # fmt: skip
    if unknown:
        raise UnsupportedSchema(f"{where}: unsupported keywords {sorted(unknown)}")
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_REF)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _union([_type(m, f"{where}.{key}") for m in schema[key]])
    if "allOf" in schema:
        if len(schema["allOf"]) != 1:
            raise UnsupportedSchema(f"{where}: allOf with several members")
        return _type(schema["allOf"][0], f"{where}.allOf")
    if "enum" in schema:
        return _literal(schema["enum"], where)
    if "const" in schema:
        return _literal([schema["const"]], where)
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union([_type({**schema, "type": k}, where) for k in kind])
    if kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "array":
        return f"list[{_type(schema.get('items', {}), f'{where}[]')}]"
    if kind is None and not ({"properties", "additionalProperties"} & set(schema)):
        return "Any"  # any JSON value
    if kind == "object" or kind is None:
        if schema.get("properties"):
            raise UnsupportedSchema(f"{where}: an inline object with properties (name it)")
        values = schema.get("additionalProperties", True)
        return f"dict[str, {_type(values, f'{where}{{}}')}]"
    raise UnsupportedSchema(f"{where}: unsupported type {kind!r}")


def _comment(text: str, indent: str) -> list[str]:
    width = 100 - len(indent) - 2
    return [f"{indent}# {line}" for line in textwrap.wrap(" ".join(text.split()), width)]


def _typeddict(name: str, schema: dict[str, Any], names: set[str]) -> list[str]:
    if not name.isidentifier() or schema.get("type") != "object":
        raise UnsupportedSchema(f"{name}: a response schema must be a named object")
    lines = [f"class {name}(TypedDict):"]
    if schema.get("description"):
        doc = " ".join(str(schema["description"]).split()).replace('"""', "'''")
        if len(doc) <= 90:
            lines.append(f'    """{doc}"""')
        else:
            first, *rest = textwrap.wrap(doc, 92)
            lines += [f'    """{first}', *(f"    {line}" for line in rest), '    """']
        lines.append("")
    required = set(schema.get("required", []))
    properties: dict[str, Any] = schema.get("properties", {})
    for field, field_schema in properties.items():
        if not field.isidentifier() or keyword.iskeyword(field):
            raise UnsupportedSchema(f"{name}.{field}: not a Python identifier")
        annotation = _type(field_schema, f"{name}.{field}")
        if set(re.findall(r"\w+", annotation)) & names:  # a forward reference
            annotation = f'"{annotation}"'
        if field not in required:
            annotation = f"NotRequired[{annotation}]"
        if isinstance(field_schema, dict) and field_schema.get("description"):
            lines += _comment(str(field_schema["description"]), "    ")
        lines.append(f"    {field}: {annotation}")
    if not properties:
        lines.append("    pass")
    return lines


def render(document: dict[str, Any]) -> str:
    """The source of ``api_types.py`` for an OpenAPI document."""
    names = response_schemas(document)
    schemas = document["components"]["schemas"]
    body: list[str] = []
    for name in names:
        body += ["", "", *_typeddict(name, schemas[name], set(names))]
    exports = [f'    "{name}",' for name in names]
    header = [
        f'"""Generated from docs/openapi.json by ``{REGENERATE}``; do not edit.',
        "",
        "The API's answer shapes, one TypedDict per response schema (regenerate after",
        "changing the collector's response models and docs/openapi.json).",
        '"""',
        "",
        "from typing import",
        "",
        "__all__ = [",
        *exports,
        "]",
    ]
    used = "\n".join(body)
    imports = [n for n in ("Any", "Literal", "NotRequired") if re.search(rf"\b{n}\b", used)]
    header[header.index("from typing import")] = (
        f"from typing import {', '.join(imports)}, TypedDict"
    )
    return "\n".join(header + body) + "\n"


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else OPENAPI
    target = Path(argv[1]) if len(argv) > 1 else TARGET
    document = json.loads(source.read_text(encoding="utf-8"))
    target.write_text(render(document), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
