"""The public surface: exactly these names, everything else private."""

from __future__ import annotations

import importlib
import pkgutil

import llmpulse


def test_public_names_are_pinned():
    assert llmpulse.__all__ == [
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
    for name in llmpulse.__all__:
        assert getattr(llmpulse, name) is not None


def test_every_module_declares_all_and_only_four_are_public():
    modules = [m.name for m in pkgutil.iter_modules(llmpulse.__path__)]
    public = sorted(m for m in modules if not m.startswith("_"))
    assert public == ["checks", "judges", "semconv", "testing"]
    for name in modules:
        module = importlib.import_module(f"llmpulse.{name}")
        assert isinstance(module.__all__, list), name
        for exported in module.__all__:
            assert hasattr(module, exported), (name, exported)


def test_testing_module_is_loaded_lazily():
    assert llmpulse.testing.capture_spans is not None
    assert llmpulse.checks.is_json("{}") is True
