"""Turn any Python value into a JSON string, without ever raising.

The fast path is one ``JSONEncoder.encode`` call with a ``default`` hook for common
non-JSON types; values the encoder cannot handle (non-string keys, cycles, a raising
``__repr__``…) go through a slower, defensive converter.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import json
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

__all__ = ["jsonable", "safe_repr", "to_json"]

_MAX_DEPTH = 32
_MAX_REPR = 2_000


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
    """Map one non-JSON value to something the encoder understands."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        try:
            return sorted(value)
        except TypeError:
            return list(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw[:_MAX_REPR]).decode()
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
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list | tuple):  # subclasses like namedtuples go through here
        return list(value)
    return safe_repr(value)


def _make_encode() -> Callable[[Any], str]:
    """``JSONEncoder(ensure_ascii=False, default=_default).encode``, minus its per-call setup.

    The C encoder is built once; without cycle markers, a cycle ends in RecursionError,
    which ``to_json`` answers with the defensive converter.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    basestring = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or basestring is None:  # pragma: no cover - no C accelerator
        return json.JSONEncoder(ensure_ascii=False, default=_default).encode
    c_encode = make(None, _default, basestring, None, ": ", ", ", False, False, True)
    join = "".join

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return basestring(value)  # type: ignore[no-any-return]
        return join(c_encode(value, 0))

    return encode


_encode = _make_encode()


def jsonable(value: Any, depth: int = 0, seen: frozenset[int] = frozenset()) -> Any:
    """Defensive deep conversion to plain JSON types (str keys, no cycles, bounded depth)."""
    if value is None or isinstance(value, str | int | float):
        return value
    if depth >= _MAX_DEPTH:
        return safe_repr(value)
    if id(value) in seen:
        return "<circular>"
    inner = seen | {id(value)}
    if isinstance(value, dict):
        return {
            (k if isinstance(k, str) else safe_repr(k)): jsonable(v, depth + 1, inner)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [jsonable(v, depth + 1, inner) for v in value]
    try:
        converted = _default(value)
    except Exception:
        return safe_repr(value)
    if converted is value:  # pragma: no cover - _default always converts
        return safe_repr(value)
    return jsonable(converted, depth + 1, inner)


def to_json(value: Any) -> str:
    """JSON text for ``value``; never raises."""
    try:
        return _encode(value)
    except Exception:
        pass
    try:
        return _encode(jsonable(value))
    except Exception:
        return json.dumps(safe_repr(value), ensure_ascii=False)
