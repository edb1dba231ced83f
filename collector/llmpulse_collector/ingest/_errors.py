"""Errors of the ingest pipeline, one per HTTP status the OTLP endpoint answers with.

    IngestError            base class; ``status`` is the HTTP status to answer with
     ├── UnsupportedMediaType   415: Content-Type / Content-Encoding we do not speak
     ├── PayloadTooLarge        413: body (or its decompressed form) over the limit
     └── DecodeError            400: the body is not a valid OTLP trace export

The message of each says what the client should fix.
"""

from __future__ import annotations

from typing import ClassVar

from llmpulse_collector.ingest._limits import MAX_NESTING_DEPTH

__all__ = ["DecodeError", "IngestError", "PayloadTooLarge", "UnsupportedMediaType", "too_deep"]


class IngestError(Exception):
    """A request the ingest pipeline refuses; ``status`` is the HTTP status code."""

    status: ClassVar[int] = 400


class UnsupportedMediaType(IngestError):
    status = 415


class PayloadTooLarge(IngestError):
    status = 413


class DecodeError(IngestError):
    status = 400


def too_deep() -> DecodeError:
    """The error for a body nested deeper than ``MAX_NESTING_DEPTH`` (either encoding)."""
    return DecodeError(
        f"body nests messages more than {MAX_NESTING_DEPTH} levels deep "
        "(e.g. arrays or kvlists inside attribute values): flatten the attribute values"
    )
