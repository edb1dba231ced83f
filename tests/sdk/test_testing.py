"""llmpulse.testing: capture spans in users' own tests, and the pytest fixture."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import llmpulse
from llmpulse.testing import capture_spans


@llmpulse.observe(name="step")
def step() -> str:
    return "ok"


def test_capture_restores_the_previous_configuration():
    exporter = InMemorySpanExporter()
    llmpulse.configure(span_exporter=exporter)
    with capture_spans() as captured:
        step()
    step()
    llmpulse.flush()
    assert [s.name for s in captured.spans] == ["step"]
    assert [s.name for s in exporter.get_finished_spans()] == ["step"]


def test_capture_without_configure_goes_back_to_no_op():
    with capture_spans() as captured:
        step()
        captured.clear()
        step()
    step()
    assert len(captured.spans) == 1


def test_by_name_requires_exactly_one():
    with capture_spans() as captured:
        step()
        step()
    try:
        captured.by_name("step")
    except AssertionError as exc:
        assert "found 2" in str(exc)
    else:
        raise AssertionError("by_name should have failed")


def test_pytest_plugin_fixture(tmp_path: Path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["llmpulse.testing"]\n')
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import llmpulse

            @llmpulse.observe
            def greet(name):
                return "hi " + name

            def test_greet(llmpulse_spans):
                assert greet("bo") == "hi bo"
                [span] = llmpulse_spans.as_dicts()
                assert span["attributes"]["output.value"] == "hi bo"
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
