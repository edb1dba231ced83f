"""The one global llmpulse runtime, or None while unconfigured or after shutdown.

Hot paths read ``HOLDER.runtime`` once per call; ``None`` means "do nothing".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

    from ._content import ContentPolicy
    from ._feedback import FeedbackSender
    from ._processor import LlmpulseSpanProcessor
    from ._settings import Settings

__all__ = ["HOLDER", "Runtime"]


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
