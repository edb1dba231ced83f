"""The one global llmpulse runtime, or None while unconfigured or after shutdown.

Hot paths read ``HOLDER.runtime`` once per call; ``None`` means "do nothing".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    from ._content import ContentPolicy
    from ._feedback import FeedbackSender
    from ._processor import LlmpulseSpanProcessor
    from ._settings import Settings

__all__ = ["HOLDER", "Runtime", "recording_span"]


@dataclass(eq=False)
class Runtime:
    """Everything ``configure()`` built; replaced as a whole, never mutated in place."""

    settings: Settings
    policy: ContentPolicy
    tracer: Tracer
    provider: TracerProvider
    owns_provider: bool
    processor: LlmpulseSpanProcessor
    feedback: FeedbackSender | None = None
    key: tuple[object, ...] = field(default=())


class _Holder:
    __slots__ = ("runtime",)

    def __init__(self) -> None:
        self.runtime: Runtime | None = None


HOLDER = _Holder()


def recording_span() -> tuple[Runtime, Span] | None:
    """The runtime and the current span, when llmpulse is configured and that span is
    recording; ``None`` means there is nothing to record on."""
    runtime = HOLDER.runtime
    if runtime is None:
        return None
    span = trace.get_current_span()
    return (runtime, span) if span.is_recording() else None
