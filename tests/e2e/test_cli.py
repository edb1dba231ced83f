"""The command line: create projects and keys for scripts (the key alone on stdout)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.conftest import Collector, llmpulse


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


def test_while_the_collector_runs_the_cli_goes_through_it_with_the_operator_key(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    collector = Collector(data_dir)
    # as `llmpulse up` does, in a process of its own: this one's embedded store is open
    # elsewhere (one chDB path per process)
    made = subprocess.run(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from llmpulse_collector.settings import Settings; "
         "from llmpulse_collector.up import ensure_credentials; "
         "c, _ = ensure_credentials(Settings(data_dir=Path(sys.argv[1]), port=int(sys.argv[2]))); "
         "print(c.admin_key)",
         str(data_dir), str(collector.port)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    admin_key = made.stdout.strip().splitlines()[-1]
    collector.start()
    try:
        project = llmpulse("projects", "create", "Billing", data_dir=data_dir)
        key = llmpulse("keys", "create", "--project", project, "--scope", "read", data_dir=data_dir)
        resp = httpx.get(
            f"{collector.url}/api/v1/traces", headers={"Authorization": f"Bearer {key}"}
        )
        assert (project, resp.status_code) == ("billing", 200)
        # the default project's admin key may not create projects: only the operator
        refused = httpx.post(
            f"{collector.url}/api/v1/projects",
            json={"name": "other"},
            headers={"Authorization": f"Bearer {admin_key}"},
        )
        assert refused.status_code == 403
    finally:
        collector.stop()
