"""The SDK's version (also reported as the instrumentation scope version)."""

from __future__ import annotations

__all__ = ["VERSION"]

VERSION = "0.1.0"
