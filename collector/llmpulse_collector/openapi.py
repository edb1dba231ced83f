"""Write the collector's OpenAPI document: ``python -m llmpulse_collector.openapi [PATH]``.

PATH defaults to ``docs/openapi.json`` of the source checkout; a test fails when the
committed file differs from what the app generates.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from llmpulse_collector.api.contract import render
from llmpulse_collector.app import create_app
from llmpulse_collector.settings import Settings

__all__ = ["COMMITTED", "REGENERATE", "current", "main"]

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = "python -m llmpulse_collector.openapi"


def current() -> dict[str, Any]:
    """The document the app serves at ``/openapi.json`` (no storage is opened)."""
    return create_app(Settings()).openapi()


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else COMMITTED
    target.write_text(render(current()), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
