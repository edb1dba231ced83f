"""The CLI's HTTP client of the collector API: URL and key from the flags or the
environment, errors as ``CliError`` with the collector's message."""

from __future__ import annotations

import argparse
import os
from typing import Any
from urllib.parse import quote

__all__ = ["DEFAULT_COLLECTOR", "Api", "CliError", "add_connection_args", "quote_ref"]

DEFAULT_COLLECTOR = "http://127.0.0.1:4318"
PAGE_LIMIT = 1000  # rows per page the CLI asks for (the API's largest page)


class CliError(Exception):
    """A failed command: the message is printed, the process exits with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def quote_ref(ref: str) -> str:
    return quote(ref, safe="")


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--collector",
        help=f"collector URL (default $LLMPULSE_COLLECTOR_URL, $LLMPULSE_ENDPOINT or "
        f"{DEFAULT_COLLECTOR})",
    )
    parser.add_argument(
        "--api-key", help="the project's key (default $LLMPULSE_API_KEY): read, or admin"
    )


class Api:
    def __init__(self, args: argparse.Namespace) -> None:
        import httpx

        self.url = (
            args.collector
            or os.environ.get("LLMPULSE_COLLECTOR_URL")
            or os.environ.get("LLMPULSE_ENDPOINT")
            or os.environ.get("LLMPULSE_API_URL")
            or DEFAULT_COLLECTOR
        ).rstrip("/")
        self.key = args.api_key or os.environ.get("LLMPULSE_API_KEY")
        if not self.key:
            raise CliError("pass --api-key (the project's key) or set LLMPULSE_API_KEY", 2)
        self._http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=300
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach the collector at {self.url}: {exc}") from exc
        if resp.status_code >= 400:
            try:
                message = resp.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = resp.text
            raise CliError(f"{resp.status_code} from the collector: {message}")
        if resp.headers.get("content-type", "").startswith("application/json"):
            return resp.json()
        return resp.text

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def get_all(self, path: str, field: str, **params: Any) -> dict[str, Any]:
        """The first page's answer with ``field`` holding the rows of every page (the
        API's lists are pages: this follows ``next_cursor`` to the last one)."""
        first: dict[str, Any] = self.get(path, limit=PAGE_LIMIT, **params)
        rows = list(first[field])
        cursor = first.get("next_cursor")
        while cursor:
            page = self.get(path, limit=PAGE_LIMIT, cursor=cursor, **params)
            rows += page[field]
            cursor = page.get("next_cursor")
        return {**first, field: rows, "next_cursor": None}

    def post(self, path: str, body: Any, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self.request("POST", path, json=body, params=clean)

    def close(self) -> None:
        self._http.close()
