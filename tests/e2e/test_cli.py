"""The command line: create projects and keys for scripts (the key alone on stdout)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import llmpulse


def test_projects_and_keys_print_only_what_they_create(tmp_path: Path) -> None:
    project = llmpulse("projects", "create", "Support Bot", data_dir=tmp_path)
    assert "\n" not in project and project
    key = llmpulse("keys", "create", "--project", project, "--scope", "read", data_dir=tmp_path)
    assert key.startswith("lp_") and "\n" not in key and " " not in key
    again = llmpulse("projects", "create", "Support Bot", data_dir=tmp_path)
    assert again == project
    operator = llmpulse("keys", "create-operator", data_dir=tmp_path)
    assert operator.startswith("lp_operator_") and "\n" not in operator


def test_a_key_for_an_unknown_project_is_refused_with_a_hint(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "llmpulse_collector.cli",
            "keys",
            "create",
            "--project",
            "nope",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "llmpulse projects create nope" in result.stderr
