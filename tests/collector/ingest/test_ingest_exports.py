"""The public surface of ``llmpulse_collector.ingest`` is exactly these names."""

from __future__ import annotations

import llmpulse_collector.ingest as ingest


def test_public_names():
    assert sorted(ingest.__all__) == [
        "DecodeError",
        "IngestError",
        "Limits",
        "MAX_GZIP_MEMBERS",
        "MAX_NESTING_DEPTH",
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
    assert all(hasattr(ingest, name) for name in ingest.__all__)
