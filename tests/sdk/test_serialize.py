"""Any value becomes bounded JSON text; serialization never raises."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import re
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

import pydantic
import pytest

from llmpulse._content import ContentPolicy
from llmpulse._serialize import safe_repr, to_json, to_json_within


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


def test_a_self_referencing_return_value_with_a_raised_recursion_limit_does_not_crash():
    # The C encoder without cycle markers recursed until the C stack overflowed (a
    # segfault) once the application had raised the recursion limit.
    script = textwrap.dedent(
        """
        import json, sys
        sys.setrecursionlimit(1_000_000)
        import llmpulse
        from llmpulse.testing import capture_spans

        @llmpulse.observe
        def build():
            node = {"name": "loop", "items": []}
            node["items"].append(node)
            deep = []
            for _ in range(200_000):
                deep = [deep]
            node["deep"] = deep
            return node

        with capture_spans() as spans:
            result = build()
        print(spans.as_dicts()[0]["attributes"]["output.value"])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip()
    assert out.startswith('{"name": "loop", "items": ["<circular>"], "deep": [[[[')
    assert "…[truncated" not in out  # bounded nesting, not cut short by the size budget


class Counted:
    """Counts how many of its kind were turned into text."""

    reprs = 0

    def __repr__(self) -> str:
        Counted.reprs += 1
        return "c"


class CountingList(list):  # type: ignore[type-arg]
    """A list that counts the elements read through it."""

    read = 0

    def __iter__(self) -> Iterator[object]:
        for item in super().__iter__():
            CountingList.read += 1
            yield item


@pytest.mark.parametrize(
    "make",
    [
        lambda: [Counted() for _ in range(200_000)],
        lambda: {f"k{i}": Counted() for i in range(200_000)},
        lambda: CountingList(range(2_000_000)),
        lambda: {"prompt": "p" * 5_000_000, "more": [Counted()] * 100_000},
    ],
    ids=["list", "dict", "list-subclass", "str"],
)
def test_huge_values_cost_what_the_limit_keeps_not_their_size(make: Callable[[], object]):
    value = make()
    Counted.reprs = CountingList.read = 0
    text = ContentPolicy(max_chars=1_000).json(value)
    assert len(text) < 1_100
    assert re.search(r"…\[truncated \d+\+? chars\]$", text)
    # the serializer stopped at the budget (2 * 1,000 + 256 characters' worth)
    assert Counted.reprs + CountingList.read <= 2_256


def test_a_cut_value_starts_like_the_whole_value():
    value = {"rows": [{"id": i, "text": f"row {i}"} for i in range(5_000)]}
    whole = json.dumps(value, ensure_ascii=False)
    cut = to_json_within(value, 3_000)
    assert not cut.whole and len(cut.text) > 3_000
    assert cut.text[:3_000] == whole[:3_000]
    small = to_json_within({"a": [1, 2]}, 3_000)
    assert small == ('{"a": [1, 2]}', 0, True)
