"""A small JSON client of the collector's query API, on the standard library.

Used by the explicit, synchronous calls of the SDK (datasets, experiments): they raise
``ApiError`` with the collector's message, unlike telemetry, which never raises.
The endpoint and key come from the arguments, else ``configure()``, else the
environment (``LLMPULSE_ENDPOINT``, ``LLMPULSE_API_KEY``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ._settings import resolve
from ._state import HOLDER

__all__ = ["ApiClient", "ApiError", "quote"]


class ApiError(Exception):
    """The collector refused a request (``status`` is the HTTP status, 0: unreachable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}" if status else message)
        self.status = status
        self.message = message


class ApiClient:
    def __init__(
        self, endpoint: str | None = None, api_key: str | None = None, timeout: float = 30.0
    ) -> None:
        runtime = HOLDER.runtime
        configured = runtime.settings if runtime is not None else None
        settings = resolve(
            {
                "endpoint": endpoint or (configured.endpoint if configured else None),
                "api_key": api_key or (configured.api_key if configured else None),
            }
        )
        self.endpoint = settings.endpoint
        self.headers = {"content-type": "application/json", **settings.auth_headers()}
        self.timeout = timeout

    def request(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """Send one request; the parsed JSON answer (text for non-JSON answers)."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = self.endpoint + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, headers=self.headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read().decode()
                kind = response.headers.get("content-type", "")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            try:
                message = json.loads(text)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = text or exc.reason
            raise ApiError(exc.code, str(message)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ApiError(0, f"cannot reach the collector at {self.endpoint}: {exc}") from None
        return json.loads(raw) if kind.startswith("application/json") else raw

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, **params: Any) -> Any:
        return self.request("POST", path, body, params=params)


def quote(ref: str) -> str:
    """A path segment (a dataset or run name may hold any character but '/')."""
    return urllib.parse.quote(ref, safe="")
