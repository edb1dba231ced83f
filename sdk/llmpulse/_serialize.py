"""Turn any Python value into a JSON string, without ever raising, at a bounded cost.

Two paths, chosen by a cheap probe that walks at most ``budget`` characters' worth of
the value:

- plain JSON data (dict with str keys, list, tuple, str, int, float, bool, None) that
  is acyclic, at most ``_MAX_DEPTH`` deep and fits the budget goes through the C
  encoder in one call;
- anything else (other types, cycles, deep nesting, too large) goes through a careful
  converter that stops after ``budget`` characters' worth, so a 2-million-element list
  costs what its first few thousand elements cost. Its result is plain, acyclic and
  shallow, so the C encoder then never recurses deeper than ``_MAX_DEPTH`` (no C stack
  overflow, whatever ``sys.setrecursionlimit`` the application set).

Sizes are counted as a lower bound of the JSON text's length, so text that was cut is
always longer than the budget: a caller that keeps ``budget`` characters keeps exactly
what the whole value's JSON would have started with.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import json
import reprlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any, NamedTuple

from ._errors import log_once

__all__ = ["CUT", "Json", "safe_repr", "to_json", "to_json_within"]

_MAX_DEPTH = 32
_MAX_REPR = 2_000
#: what stands for the rest of a value the budget did not reach
CUT = "…"
_CIRCULAR = "<circular>"
_SHALLOW = reprlib.Repr()
_NESTED = (list, tuple, dict, set, frozenset)


def safe_repr(value: object) -> str:
    """``repr(value)``, bounded, and a placeholder if ``__repr__`` itself fails."""
    try:
        text = repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"
    if len(text) > _MAX_REPR:
        return text[:_MAX_REPR] + "…"
    return text


def _default(value: Any) -> Any:
    """Map one non-JSON value (not a str, number, mapping, list, tuple, set, bytes) to
    something JSON-like."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal | PurePath | datetime.timedelta):
        return str(value)
    if isinstance(value, type):
        return safe_repr(value)
    model_dump = getattr(value, "model_dump", None)  # pydantic v2 models
    if callable(model_dump):
        try:
            return model_dump(mode="json")
        except Exception:
            return safe_repr(value)
    if dataclasses.is_dataclass(value):
        return {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
    return safe_repr(value)


#: non-JSON types the C encoder may meet: each becomes a short string (``_leaf``)
_LEAVES = frozenset(
    {datetime.datetime, datetime.date, datetime.time, datetime.timedelta, uuid.UUID, Decimal}
)


def _leaf(value: Any) -> str:
    """The text of a ``_LEAVES`` value, as ``_default`` makes it."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value) if type(value) in _LEAVES else safe_repr(value)


def _make_encode() -> Callable[[Any], str]:
    """``JSONEncoder(ensure_ascii=False, check_circular=False, default=_leaf).encode``,
    minus its per-call setup. Only ever given plain, acyclic data at most ``_MAX_DEPTH``
    deep (plus ``_LEAVES``)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    basestring = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or basestring is None:  # pragma: no cover - no C accelerator
        return json.JSONEncoder(ensure_ascii=False, check_circular=False, default=_leaf).encode
    c_encode = make(None, _leaf, basestring, None, ": ", ", ", False, False, True)
    join = "".join

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return basestring(value)  # type: ignore[no-any-return]
        return join(c_encode(value, 0))

    return encode


_encode = _make_encode()


def _fits(value: Any, left: int, depth: int, path: set[int]) -> int:
    """``left`` minus a lower bound of ``value``'s JSON length, when ``value`` is plain
    JSON data, acyclic and shallow enough for the C encoder; -1 otherwise (or when the
    budget runs out). Visits at most ``left`` elements."""
    kind = type(value)
    if kind is str:
        return left - len(value) - 2
    if kind is int or kind is float:
        return left - 1
    if value is None or kind is bool or kind in _LEAVES:
        return left - 4
    if depth >= _MAX_DEPTH or (kind is not list and kind is not tuple and kind is not dict):
        return -1
    if len(value) > left:
        return -1
    ident = id(value)
    if ident in path:
        return -1
    path.add(ident)
    left -= 2
    # Leaves inline (this runs on every decorated call): one call per container.
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return -1
            left -= len(key) + 4
            kind = type(item)
            if kind is str:
                left -= len(item) + 2
            elif kind is int or kind is float:
                left -= 1
            elif item is None or kind is bool or kind in _LEAVES:
                left -= 4
            else:
                left = _fits(item, left, depth + 1, path)
            if left < 0:
                return -1
    else:
        for item in value:
            kind = type(item)
            if kind is str:
                left -= len(item) + 3
            elif kind is int or kind is float:
                left -= 2
            elif item is None or kind is bool or kind in _LEAVES:
                left -= 5
            else:
                left = _fits(item, left - 1, depth + 1, path)
            if left < 0:
                return -1
    path.discard(ident)
    return left


class _Converter:
    """Plain, acyclic, shallow JSON data for any value, stopping after ``left``
    characters' worth (lower bound of the JSON length)."""

    __slots__ = ("cut", "dropped", "left", "path")

    def __init__(self, budget: int) -> None:
        self.left = budget
        self.cut = False  # items of a list, set or mapping were left out (marked CUT)
        self.dropped = 0  # characters of strings left out (not marked in the text)
        self.path: set[int] = set()

    def text(self, value: str) -> str:
        if len(value) + 2 <= self.left:
            self.left -= len(value) + 2
            return str(value)
        keep, self.left = max(self.left - 2, 0), 0
        self.dropped += len(value) - keep
        return value[:keep]

    def convert(self, value: Any, depth: int = 0) -> Any:
        if value is None or isinstance(value, bool):
            self.left -= 4
            return value
        if isinstance(value, int | float) and not isinstance(value, enum.Enum):
            self.left -= 1
            return value.__float__() if isinstance(value, float) else value.__index__()
        if isinstance(value, str) and not isinstance(value, enum.Enum):
            return self.text(value)
        if depth >= _MAX_DEPTH:  # reprlib: repr() itself would recurse without bound
            return self.text(
                _SHALLOW.repr(value) if isinstance(value, _NESTED) else safe_repr(value)
            )
        ident = id(value)
        if ident in self.path:
            return self.text(_CIRCULAR)
        self.path.add(ident)
        try:
            return self._container(value, depth)
        finally:
            self.path.discard(ident)

    def _container(self, value: Any, depth: int) -> Any:
        if isinstance(value, Mapping):
            return self._mapping(value.items(), depth)
        if isinstance(value, list | tuple):
            return self._items(value, depth)
        if isinstance(value, set | frozenset):
            if len(value) <= self.left:
                try:
                    return self._items(sorted(value), depth)
                except TypeError:
                    pass
            return self._items(value, depth)
        if isinstance(value, bytes | bytearray | memoryview):
            return self.text(_bytes_text(bytes(value[: max(self.left, 0) + 1])))
        try:
            converted = _default(value)
        except Exception:
            converted = safe_repr(value)
        if isinstance(converted, str):
            return self.text(converted)
        return self.convert(converted, depth + 1)

    # Charges are a lower bound of the JSON text: "[" or "{" now, ", " before every
    # item but the first; the closing bracket is not charged (it may come after a cut).

    def _mapping(self, items: Iterable[tuple[Any, Any]], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self.left -= 1
        for key, item in items:
            if self.left <= 0:
                self.cut = True
                out[CUT] = CUT
                break
            name = key if isinstance(key, str) else _key_text(key)
            self.left -= len(name) + (6 if out else 4)  # ", " "name" ": "
            out[name] = self.convert(item, depth + 1)
        return out

    def _items(self, items: Iterable[Any], depth: int) -> list[Any]:
        out: list[Any] = []
        append = out.append
        self.left -= 1
        for item in items:
            if self.left <= 0:
                self.cut = True
                append(CUT)
                break
            if out:
                self.left -= 2
            kind = type(item)
            if kind is int or kind is float:  # the common case of long lists, inline
                self.left -= 1
                append(item)
            else:
                append(self.convert(item, depth + 1))
        return out


def _key_text(key: Any) -> str:
    """A non-str mapping key as JSON would write it (``true``, ``null``, ``3``), or its repr."""
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)
    return safe_repr(key)


def _bytes_text(raw: bytes) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(raw[:_MAX_REPR]).decode()


class Json(NamedTuple):
    """JSON text for a value, maybe cut short by a budget."""

    text: str
    #: characters of strings left out of ``text`` (cut at their end, unmarked)
    dropped: int = 0
    #: False when items of lists, sets or mappings were left out (each place marked
    #: with a ``"…"`` item or key), so the whole size is unknown
    whole: bool = True


def to_json_within(value: Any, budget: int | None = None) -> Json:
    """JSON text for ``value``; never raises.

    With a ``budget`` (characters), the work stops once that much text is certain: the
    text is then longer than ``budget`` and its first ``budget`` characters are those
    of the whole value's JSON.
    """
    limit = (1 << 62) if budget is None else budget
    try:
        if _fits(value, limit, 0, set()) >= 0:
            return Json(_encode(value))
    except Exception:  # e.g. an int too long for str(): the careful path says so
        log_once("serialize-fast", "llmpulse: fast JSON path failed; using the careful one")
    try:
        converter = _Converter(limit)
        text = _encode(converter.convert(value))
        return Json(text, converter.dropped, not converter.cut)
    except Exception:
        return Json(json.dumps(safe_repr(value), ensure_ascii=False))


def to_json(value: Any) -> str:
    """JSON text for the whole of ``value`` (cycles and nesting cut); never raises."""
    return to_json_within(value).text
