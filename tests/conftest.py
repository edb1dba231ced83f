"""Markers by folder (tests/sdk -> sdk, tests/collector -> collector, ...) and the one
chDB directory of the test session (chDB hosts one data path per process)."""

from __future__ import annotations

from pathlib import Path

import pytest

_FOLDER_MARKERS = ("sdk", "collector", "dashboard", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        try:
            folder = Path(item.path).relative_to(root).parts[0]
        except ValueError:
            continue
        if folder in _FOLDER_MARKERS:
            item.add_marker(getattr(pytest.mark, folder))


@pytest.fixture(scope="session")
def chdb_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The one chDB directory of this test session, as a ``chdb:///`` URL; every test
    that needs embedded storage uses a database of its own in it."""
    return f"chdb://{tmp_path_factory.mktemp('chdb')}"
