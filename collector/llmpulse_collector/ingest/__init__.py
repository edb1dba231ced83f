"""The pure part of ingestion: decode OTLP/HTTP bodies, normalize spans, price LLM calls.

    request = decode_request(body, content_type, content_encoding, max_body_bytes=...)
    batch = normalize(request, project_id=..., now_ns=time.time_ns())
    # store batch.spans / batch.evaluations, then answer:
    encode_response(batch.rejected, "; ".join(batch.errors), content_type)

Errors (``IngestError`` subclasses) carry the HTTP status to answer with; answer them
with ``encode_status(exc.status, str(exc), content_type)``.
"""

from __future__ import annotations

from llmpulse_collector.ingest._decode import (
    decode_request,
    encode_response,
    encode_status,
    media_type,
)
from llmpulse_collector.ingest._errors import (
    DecodeError,
    IngestError,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from llmpulse_collector.ingest._limits import MAX_GZIP_MEMBERS, MAX_NESTING_DEPTH, Limits
from llmpulse_collector.ingest._log_content import attach_log_events
from llmpulse_collector.ingest._normalize import NormalizedBatch, normalize
from llmpulse_collector.ingest._pricing import compute_cost

__all__ = [
    "MAX_GZIP_MEMBERS",
    "MAX_NESTING_DEPTH",
    "DecodeError",
    "IngestError",
    "Limits",
    "NormalizedBatch",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "attach_log_events",
    "compute_cost",
    "decode_request",
    "encode_response",
    "encode_status",
    "media_type",
    "normalize",
]
