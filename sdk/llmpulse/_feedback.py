"""``llmpulse.feedback()``: human / end-user feedback, sent in the background.

A daemon thread drains a bounded queue and POSTs each item as JSON to the collector's
``/api/v1/feedback``. The caller never waits on the network; a full queue drops (and
counts) the item; failures are counted and logged once, never raised.
"""

from __future__ import annotations

import json
import os
import queue
import re
import threading
import time
import urllib.request
from collections.abc import Mapping
from typing import Any, Final

from ._errors import count, log_internal_error, log_once
from ._state import HOLDER

__all__ = ["FeedbackSender", "feedback"]

_STOP: Final = object()
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")


class FeedbackSender:
    """One background thread POSTing JSON bodies to ``url``."""

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        max_queue: int = 1_000,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.headers = {"content-type": "application/json", **headers}
        self.timeout = timeout
        self._max_queue = max_queue
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._queue: queue.Queue[Any] = queue.Queue(self._max_queue)
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, body: dict[str, Any]) -> None:
        if self._closed:
            return
        if self._pid != os.getpid():  # forked (e.g. a pre-fork server): the thread is gone
            self._reset()
        self._ensure_thread()
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait(body)
        except queue.Full:
            self._done()
            count("feedback_dropped")
            log_once("feedback-full", "llmpulse: feedback queue full; dropping feedback")

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="llmpulse-feedback", daemon=True
                    )
                    self._thread.start()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending <= 0:
                self._idle.notify_all()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                self._send(item)
            finally:
                self._done()

    def _send(self, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers=self.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except Exception as exc:
            count("feedback_failed")
            log_once(
                "feedback-failed", "llmpulse: sending feedback to %s failed: %r", self.url, exc
            )
        else:
            count("feedback_sent")

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far was sent (or failed)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def shutdown(self, timeout: float) -> None:
        self.flush(timeout)
        self._closed = True
        if self._thread is not None:
            try:
                self._queue.put_nowait(_STOP)
            except queue.Full:  # pragma: no cover - flush timed out with a full queue
                return
            self._thread.join(timeout)


def _hex_id(value: str | int | None, width: int, pattern: re.Pattern[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        text = format(value, f"0{width}x")
    else:
        text = str(value).strip().lower().removeprefix("0x")
    if not pattern.fullmatch(text) or text == "0" * width:
        raise ValueError(f"expected {width} hex digits, got {value!r}")
    return text


def feedback(
    trace_id: str | int,
    name: str,
    value: bool | int | float | str,
    *,
    comment: str | None = None,
    span_id: str | int | None = None,
) -> None:
    """Send feedback on a trace (or one span of it) to the collector, in the background.

    Never blocks and never raises: invalid ids or a missing ``configure()`` are logged.
    """
    runtime = HOLDER.runtime
    if runtime is None or runtime.feedback is None:
        log_once("feedback-unconfigured", "llmpulse: feedback() before configure(); dropped")
        count("feedback_dropped")
        return
    try:
        body = {
            "trace_id": _hex_id(trace_id, 32, _TRACE_ID),
            "span_id": _hex_id(span_id, 16, _SPAN_ID),
            "name": str(name),
            "value": value if isinstance(value, bool | int | float | str) else str(value),
            "comment": None if comment is None else str(comment),
        }
    except ValueError as exc:
        log_once("feedback-invalid", "llmpulse: invalid feedback dropped: %s", exc)
        count("feedback_dropped")
        return
    try:
        runtime.feedback.submit(body)
    except Exception:
        log_internal_error("feedback")
