"""Any value becomes bounded JSON text; serialization never raises."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from pathlib import PurePosixPath

import pydantic
import pytest

from llmpulse._serialize import safe_repr, to_json


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    tags: set[str]


class User(pydantic.BaseModel):
    name: str
    joined: datetime.date


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque thing>"


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        ("text", '"text"'),
        ("naïve ☃", '"naïve ☃"'),
        (3, "3"),
        (1.5, "1.5"),
        ({"a": [1, True]}, '{"a": [1, true]}'),
        ((1, 2), "[1, 2]"),
        (datetime.datetime(2024, 5, 1, 12, 30), '"2024-05-01T12:30:00"'),
        (datetime.date(2024, 5, 1), '"2024-05-01"'),
        (datetime.timedelta(seconds=90), '"0:01:30"'),
        ({3, 1, 2}, "[1, 2, 3]"),
        (frozenset({"b", "a"}), '["a", "b"]'),
        (b"bytes", '"bytes"'),
        (b"\xff\xfe", '"base64://4="'),
        (bytearray(b"ab"), '"ab"'),
        (Colour.RED, '"red"'),
        (uuid.UUID(int=1), '"00000000-0000-0000-0000-000000000001"'),
        (decimal.Decimal("1.10"), '"1.10"'),
        (PurePosixPath("/tmp/x"), '"/tmp/x"'),
        (Point(1, {"b", "a"}), '{"x": 1, "tags": ["a", "b"]}'),
        (
            User(name="ann", joined=datetime.date(2020, 1, 2)),
            '{"name": "ann", "joined": "2020-01-02"}',
        ),
        (Opaque(), '"<Opaque thing>"'),
        (BadRepr(), '"<unrepresentable BadRepr>"'),
        (int, "\"<class 'int'>\""),
    ],
)
def test_values_serialize_to_json(value: object, expected: str):
    assert to_json(value) == expected


def test_mixed_set_and_non_string_keys_fall_back_gracefully():
    assert set(json.loads(to_json({1, "a"}))) == {1, "a"}
    assert json.loads(to_json({(1, 2): "tuple key", 3: "int key"})) == {
        "(1, 2)": "tuple key",
        "3": "int key",
    }


def test_cycles_are_cut():
    data: dict[str, object] = {"name": "loop"}
    data["self"] = data
    assert json.loads(to_json(data)) == {"name": "loop", "self": "<circular>"}


def test_very_deep_nesting_is_bounded():
    deep: list[object] = []
    node = deep
    for _ in range(5_000):
        child: list[object] = []
        node.append(child)
        node = child
    text = to_json(deep)
    assert text.startswith("[[[[") and len(text) < 20_000


def test_long_reprs_are_cut():
    class Huge:
        def __repr__(self) -> str:
            return "x" * 10_000

    assert len(safe_repr(Huge())) == 2_001
