"""``python -m llmpulse_dashboard.serve --port P --address HOST``: the dashboard server.

``streamlit run app.py`` with the options ``llmpulse up`` and ``llmpulse dashboard``
share, after ``llmpulse_dashboard.warmup`` has finished the heavy imports in the main
thread, before the server accepts its first session.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["APP", "main"]

APP = Path(__file__).with_name("app.py")

# no telemetry, no browser to open, nothing fetched from outside the machine
_OPTIONS = (
    "--server.headless", "true",
    "--browser.gatherUsageStats", "false",
    "--client.toolbarMode", "minimal",
)  # fmt: skip


def main(argv: list[str]) -> None:
    from streamlit.web import cli

    import llmpulse_dashboard.warmup  # noqa: F401  (imports complete before any session)

    cli.main(["run", str(APP), *_OPTIONS, *argv], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
