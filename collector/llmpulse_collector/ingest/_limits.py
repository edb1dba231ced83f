"""Every bound the ingest pipeline puts on one request and one span, in one place.

docs/api.md ("OTLP ingestion: limits") lists the same table for users. The bounds keep
the work per request linear in its size and the memory per request proportional to
its size, whatever the body holds:

- request: gzip/deflate members, message nesting depth (the same for protobuf and
  JSON), and the text a request may expand to once resource attributes are copied
  onto each of its spans;
- span: attribute, resource-attribute, tag, event and event-attribute counts; key, name, label and
  value lengths; the time window; the range of token counts and costs.

What happens past a bound: a count bound keeps the first N (and says how many more
there were, e.g. ``llmpulse.dropped_attributes``); a length bound cuts the text and
marks it (``…[truncated N chars]``); a span with a time outside the window is
rejected on its own (OTLP ``partial_success``); an absurd token count or cost is
dropped (treated as missing) and named in ``llmpulse.invalid_values``; a request over
a request bound is refused whole (400 or 413) with a message that says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_GZIP_MEMBERS", "MAX_NESTING_DEPTH", "Limits"]

# Nested messages below the ExportTraceServiceRequest. The protobuf runtime (upb)
# refuses deeper bodies with this default, so OTLP/JSON uses the same number: in the
# JSON mapping each message is one object, so it is the JSON object nesting.
MAX_NESTING_DEPTH: Final = 100
# Members of a gzip (or deflate) stream: exporters send one; a few allow concatenation.
MAX_GZIP_MEMBERS: Final = 1_024

_DAY_NS: Final = 86_400 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one request and one span may store (see the module docstring)."""

    # --- counts per span ---
    max_attributes: int = 128  # span attributes kept in the map; the rest are counted
    max_resource_attributes: int = 128  # resource attributes kept (copied onto each span)
    max_events: int = 128  # events kept in the events JSON
    max_event_attributes: int = 128  # attributes kept per stored event; the rest counted
    max_tags: int = 64  # distinct tags kept
    # --- lengths (characters) ---
    max_attribute_chars: int = 8_192  # per attribute value (span, resource, event)
    max_content_chars: int = 32_768  # per input / output text
    max_key_chars: int = 256  # per attribute key (longer keys are cut and marked)
    max_name_chars: int = 1_024  # span name, scope name
    max_label_chars: int = 256  # model, provider, session / user id, tool, tag, service, ...
    max_status_message_chars: int = 8_192  # status message (or the exception it came from)
    # --- values ---
    max_tokens: int = 1_000_000_000  # per token count of one span; more is dropped
    max_cost_usd: float = 1_000_000.0  # per span; negative or more is dropped
    # --- time window of a span's start (and end) ---
    retention_days: int = 30  # older spans would be dropped by the TTL: rejected instead
    max_future_ns: int = _DAY_NS  # clock skew allowed: later spans are rejected
    # --- per request ---
    # Text a request may expand to: each span's attributes, content and events, plus its
    # copy of the resource attributes. Past it the request is refused with 413.
    max_expanded_chars: int = 64 * 1024 * 1024

    def time_window(self, now_ns: int) -> tuple[int, int]:
        """The ``[earliest, latest]`` span time (unix ns) accepted at ``now_ns``."""
        return now_ns - self.retention_days * _DAY_NS, now_ns + self.max_future_ns
