"""llmpulse: production tracing for LLM apps, on OpenTelemetry.

    import llmpulse

    llmpulse.configure(api_key="...")          # or LLMPULSE_API_KEY; once, at startup

    @llmpulse.observe(span_type="llm")
    def ask(question: str) -> str: ...

Everything works (and does nothing) before ``configure()`` and after ``shutdown()``;
nothing here raises into your code once configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import checks, judges, semconv
from ._config import configure, current_trace_id, flush, shutdown, stats
from ._context import context
from ._current import CurrentSpan, current_span
from ._datasets import Dataset
from ._evals import assertion
from ._experiment import ExperimentResult, experiment
from ._feedback import feedback
from ._instrument import instrument_anthropic, instrument_openai
from ._llm import record_llm
from ._observe import observe
from ._spans import SpanHandle, span
from ._version import VERSION as __version__
from .semconv import SpanType

if TYPE_CHECKING:
    from . import testing

__all__ = [
    "CurrentSpan",
    "Dataset",
    "ExperimentResult",
    "SpanHandle",
    "SpanType",
    "__version__",
    "assertion",
    "checks",
    "configure",
    "context",
    "current_span",
    "current_trace_id",
    "experiment",
    "feedback",
    "flush",
    "instrument_anthropic",
    "instrument_openai",
    "judges",
    "observe",
    "record_llm",
    "semconv",
    "shutdown",
    "span",
    "stats",
    "testing",
]


def __getattr__(name: str) -> Any:
    # `llmpulse.testing` imports pytest when available: load it only on first use.
    if name == "testing":
        import importlib

        return importlib.import_module(".testing", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
