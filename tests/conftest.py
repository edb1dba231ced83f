"""Markers by folder: tests/sdk -> sdk, tests/collector -> collector, and so on."""

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
