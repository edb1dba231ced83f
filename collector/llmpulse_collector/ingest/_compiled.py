"""Body to ``NormalizedBatch`` in one call, through the compiled core when it is built.

``decode_and_normalize`` is ``normalize(decode_request(...))``: for protobuf bodies it
runs the compiled reader (``_wire``, a Cython extension built with the package) and
falls back to the protobuf runtime and the Python normalizer (the reference) when the
extension is missing, when ``LLMPULSE_PURE_PYTHON=1`` is set, or when a body is
anything but plain OTLP (``_wire.Fallback``). JSON bodies take the Python path.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Final

from llmpulse_collector.ingest._decode import PROTOBUF, parse_body, read_body
from llmpulse_collector.ingest._limits import Limits
from llmpulse_collector.ingest._normalize import NormalizedBatch, normalize

__all__ = ["COMPILED", "decode_and_normalize"]


def _load() -> ModuleType | None:
    if os.environ.get("LLMPULSE_PURE_PYTHON", "").strip() not in ("", "0"):
        return None
    try:
        from llmpulse_collector.ingest import _wire
    except ImportError:  # not built (no compiler at install time), or a big-endian host
        return None
    return _wire


_wire: Final = _load()
#: True when protobuf bodies go through the compiled core.
COMPILED: Final = _wire is not None
_DEFAULT_LIMITS: Final = Limits()


def decode_and_normalize(
    body: bytes,
    content_type: str,
    content_encoding: str | None,
    *,
    max_body_bytes: int,
    project_id: str,
    now_ns: int,
    limits: Limits = _DEFAULT_LIMITS,
) -> NormalizedBatch:
    """Decode an OTLP/HTTP trace export body and normalize its spans (see the module
    docstring); raise an ``IngestError`` as ``decode_request`` / ``normalize`` do."""
    kind, data = read_body(body, content_type, content_encoding, max_body_bytes=max_body_bytes)
    if kind == PROTOBUF and _wire is not None:
        try:
            batch: NormalizedBatch = _wire.normalize_protobuf(data, project_id, now_ns, limits)
        except _wire.Fallback:
            pass
        else:
            return batch
    request = parse_body(kind, data)
    return normalize(request, project_id=project_id, now_ns=now_ns, limits=limits)
