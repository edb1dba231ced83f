"""The API fixtures of tests/collector/api, for the API tests of this folder."""

from __future__ import annotations

from tests.collector.api.conftest import make_api

__all__ = ["make_api"]
