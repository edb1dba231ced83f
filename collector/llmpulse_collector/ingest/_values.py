"""OTLP ``AnyValue`` to Python values and to bounded strings, and value coercions."""

from __future__ import annotations

import base64
import json
import math
from json.encoder import encode_basestring
from typing import Any, Final

__all__ = [
    "as_float",
    "as_int",
    "as_str",
    "as_str_list",
    "bounded",
    "dumps",
    "to_text",
    "value_of",
]

_MAX_INT: Final = 2**63 - 1
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_NON_FINITE: Final = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_SCALARS: Final = frozenset({"int_value", "double_value", "bool_value"})


def value_of(value: Any) -> object:
    """The Python value of an OTLP ``AnyValue`` (lists and dicts for arrays and kvlists)."""
    text: str = value.string_value
    if text:  # the common case first: one field read, no WhichOneof
        return text
    number: int = value.int_value
    if number:  # token counts: skip the oneof dispatch
        return number
    which = value.WhichOneof("value")
    if which in _SCALARS:
        result: object = getattr(value, which)
        return result
    if which == "string_value":
        return ""
    if which == "array_value":
        return [value_of(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: value_of(kv.value) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None


def to_text(value: object) -> str:
    """Strings as they are; everything else as JSON (``true``, ``3``, ``["a","b"]``)."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else _NON_FINITE[repr(value)]
    if type(value) is list and all(type(item) is str for item in value):
        return f"[{','.join(map(encode_basestring, value))}]"
    return dumps(value)


def dumps(value: object) -> str:
    """Compact JSON, non-ASCII kept as is."""
    return _ENCODER.encode(value)


def bounded(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` chars with a visible ``…[truncated N chars]`` marker."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"


def as_int(value: object) -> int | None:
    """A token count from an int, float or numeric string; None if it is not a finite,
    non-negative number of at most 2^63 - 1 (the normalizer bounds it further)."""
    if type(value) is int:
        number = value
    elif type(value) is float:
        if not math.isfinite(value):
            return None
        number = int(value)
    elif type(value) is str:
        try:
            number = int(float(value)) if "." in value or "e" in value else int(value)
        except (ValueError, OverflowError):
            return None
    else:
        return None
    return number if 0 <= number <= _MAX_INT else None


def as_float(value: object) -> float | None:
    """A finite float from a number or numeric string; None otherwise."""
    if type(value) is float or type(value) is int:
        number = float(value)
    elif type(value) is str:
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_str(value: object) -> str:
    """Strings as they are, scalars as text, first element of an array."""
    if type(value) is str:
        return value
    if type(value) is list:
        return as_str(value[0]) if value else ""
    return to_text(value)


def as_str_list(value: object) -> list[str]:
    """A list of strings from an array, a JSON array string or a comma-separated string."""
    if type(value) is list:
        return [item if type(item) is str else to_text(item) for item in value]
    if type(value) is str:
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except (ValueError, RecursionError):
                parsed = None
            if isinstance(parsed, list):
                return [item if type(item) is str else to_text(item) for item in parsed]
        return [part.strip() for part in text.split(",") if part.strip()]
    return [to_text(value)] if value is not None else []
