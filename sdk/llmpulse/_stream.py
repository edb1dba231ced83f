"""Streamed LLM responses: pass every item through, record the call when the stream ends.

A stream proxy hands the caller each chunk unchanged while an accumulator rebuilds the
response the API would have returned without streaming (an OpenAI ``chat.completion``,
a Responses API ``response``, an Anthropic ``message``), as plain dicts. When the
stream ends (exhausted, closed, or left early) that response goes to the span's usual
``LiveSpan.finish``, so a streamed call is recorded by the same code as any other; the
first content chunk sets the time to first token.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any, Final

from ._errors import log_internal_error
from ._llm import _get
from ._spans import LiveSpan

__all__ = ["AsyncStreamProxy", "StreamProxy", "accumulator_for"]


def _dump(value: Any) -> Any:
    """A pydantic model (openai/anthropic types) as a dict; other values as they are."""
    dump = getattr(value, "model_dump", None)
    return dump() if callable(dump) else value


class _Accumulator:
    """Rebuilds one response from its stream; ``add`` says whether an item is content."""

    def add(self, item: Any) -> bool:
        raise NotImplementedError

    def response(self) -> Any:
        raise NotImplementedError


class _OpenAIChat(_Accumulator):
    def __init__(self) -> None:
        self.model: Any = None
        self.usage: Any = None
        self.choices: dict[int, dict[str, Any]] = {}

    def add(self, item: Any) -> bool:
        self.model = _get(item, "model") or self.model
        usage = _get(item, "usage")
        if usage is not None:  # the last chunk, with stream_options={"include_usage": True}
            self.usage = _dump(usage)
        content = False
        for choice in _get(item, "choices") or ():
            index = _get(choice, "index") or 0
            slot = self.choices.setdefault(
                index, {"text": [], "calls": {}, "finish_reason": None, "role": "assistant"}
            )
            delta = _get(choice, "delta")
            text = _get(delta, "content")
            if text:
                slot["text"].append(text)
                content = True
            for call in _get(delta, "tool_calls") or ():
                content = True
                entry = slot["calls"].setdefault(
                    _get(call, "index") or 0,
                    {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
                )
                entry["id"] = _get(call, "id") or entry["id"]
                function = _get(call, "function")
                entry["function"]["name"] += _get(function, "name") or ""
                entry["function"]["arguments"] += _get(function, "arguments") or ""
            reason = _get(choice, "finish_reason")
            if reason is not None:
                slot["finish_reason"] = reason
        return content

    def response(self) -> Any:
        choices = []
        for index, slot in sorted(self.choices.items()):
            message: dict[str, Any] = {"role": slot["role"], "content": "".join(slot["text"])}
            if slot["calls"]:
                message["tool_calls"] = [call for _, call in sorted(slot["calls"].items())]
            choices.append(
                {"index": index, "message": message, "finish_reason": slot["finish_reason"]}
            )
        return {
            "object": "chat.completion",
            "model": self.model,
            "choices": choices,
            "usage": self.usage,
        }


class _OpenAIResponses(_Accumulator):
    def __init__(self) -> None:
        self.final: Any = None

    def add(self, item: Any) -> bool:
        kind = _get(item, "type") or ""
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            self.final = _dump(_get(item, "response"))
        return kind.endswith(".delta")

    def response(self) -> Any:
        return self.final


class _AnthropicMessages(_Accumulator):
    def __init__(self) -> None:
        self.message: dict[str, Any] = {"type": "message", "role": "assistant", "content": []}
        self.usage: dict[str, Any] = {}
        self.blocks: dict[int, dict[str, Any]] = {}
        self.json: dict[int, list[str]] = {}

    def add(self, item: Any) -> bool:
        kind = _get(item, "type")
        if kind == "message_start":
            message = _dump(_get(item, "message")) or {}
            self.message["model"] = _get(message, "model")
            self.usage.update({k: v for k, v in (_get(message, "usage") or {}).items() if v})
        elif kind == "content_block_start":
            block = dict(_dump(_get(item, "content_block")) or {})
            self.blocks[_get(item, "index") or 0] = block
        elif kind == "content_block_delta":
            index = _get(item, "index") or 0
            block = self.blocks.setdefault(index, {"type": "text", "text": ""})
            delta = _get(item, "delta")
            delta_kind = _get(delta, "type")
            if delta_kind == "text_delta":
                block["text"] = (block.get("text") or "") + (_get(delta, "text") or "")
            elif delta_kind == "thinking_delta":
                block["thinking"] = (block.get("thinking") or "") + (_get(delta, "thinking") or "")
            elif delta_kind == "input_json_delta":
                self.json.setdefault(index, []).append(_get(delta, "partial_json") or "")
            return True
        elif kind == "message_delta":
            delta = _get(item, "delta")
            self.message["stop_reason"] = _get(delta, "stop_reason")
            usage = _dump(_get(item, "usage")) or {}
            self.usage.update({k: v for k, v in usage.items() if v is not None})
        return False

    def response(self) -> Any:
        for index, parts in self.json.items():
            with contextlib.suppress(ValueError, KeyError):  # cut short: keep what came
                self.blocks[index]["input"] = json.loads("".join(parts) or "{}")
        content = [block for _, block in sorted(self.blocks.items())]
        return {**self.message, "content": content, "usage": self.usage}


_ACCUMULATORS: Final = {
    "chat": _OpenAIChat,
    "responses": _OpenAIResponses,
    "messages": _AnthropicMessages,
}


def accumulator_for(kind: str) -> _Accumulator | None:
    factory = _ACCUMULATORS.get(kind)
    return factory() if factory is not None else None


class _Recorder:
    """What both proxies share: feed items, finish the span once."""

    __slots__ = ("accumulator", "done", "live")

    def __init__(self, live: LiveSpan, accumulator: _Accumulator) -> None:
        self.live = live
        self.accumulator = accumulator
        self.done = False

    def item(self, item: Any) -> None:
        if self.done:
            return
        try:
            if self.accumulator.add(item) and not self.live.first_item_ns:
                self.live.first_item()
        except Exception:
            log_internal_error("stream.item")

    def finish(self, error: BaseException | None = None) -> None:
        if self.done:
            return
        self.done = True
        response: Any = None
        try:
            response = self.accumulator.response()
        except Exception:
            log_internal_error("stream.finish")
        if error is not None:
            self.live.fail(error, response, capture=False)
        else:
            self.live.finish(response, False, ())


class StreamProxy:
    """A sync stream (``openai.Stream``, ``anthropic.Stream``) that records as it goes."""

    def __init__(self, stream: Any, live: LiveSpan, accumulator: _Accumulator) -> None:
        self._stream = stream
        self._iterator: Iterator[Any] | None = None
        self._recorder = _Recorder(live, accumulator)

    def __iter__(self) -> StreamProxy:
        return self

    def __next__(self) -> Any:
        if self._iterator is None:
            self._iterator = iter(self._stream)
        try:
            item = next(self._iterator)
        except StopIteration:
            self._recorder.finish()
            raise
        except BaseException as exc:
            self._recorder.finish(exc)
            raise
        self._recorder.item(item)
        return item

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._recorder.finish()

    def __enter__(self) -> StreamProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class AsyncStreamProxy:
    """An async stream (``openai.AsyncStream``, ``anthropic.AsyncStream``) that records."""

    def __init__(self, stream: Any, live: LiveSpan, accumulator: _Accumulator) -> None:
        self._stream = stream
        self._iterator: AsyncIterator[Any] | None = None
        self._recorder = _Recorder(live, accumulator)

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        if self._iterator is None:
            self._iterator = self._stream.__aiter__()
        try:
            item = await self._iterator.__anext__()
        except StopAsyncIteration:
            self._recorder.finish()
            raise
        except BaseException as exc:
            self._recorder.finish(exc)
            raise
        self._recorder.item(item)
        return item

    async def close(self) -> None:
        try:
            await self._stream.close()
        finally:
            self._recorder.finish()

    async def __aenter__(self) -> AsyncStreamProxy:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
