"""Message content that conventions spread over many attributes or events, as JSON text.

- OpenInference: ``llm.input_messages.0.message.role`` / ``.message.content`` /
  ``.message.contents.1.message_content.text`` / ``.message.tool_calls.0.tool_call.function.name``
- OpenLLMetry: ``gen_ai.prompt.0.role`` / ``.content``, ``gen_ai.completion.0.finish_reason``
- Older OTel GenAI events: ``gen_ai.user.message`` (and system/assistant/tool),
  ``gen_ai.choice``, ``gen_ai.content.prompt`` / ``gen_ai.content.completion``.

Each becomes a JSON array of ``{"role", "content", ...}`` objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from llmpulse_collector.ingest._conventions import INDEXED_PREFIXES
from llmpulse_collector.ingest._values import as_str, dumps, to_text

__all__ = ["EventContent", "IndexedMessages", "dumps", "with_system_instructions"]

_MESSAGE_EVENTS: Final = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_OUTPUT_FAMILIES: Final = ("llm.output_messages.", "gen_ai.completion.")


@dataclass(slots=True)
class IndexedMessages:
    """Collects ``<family>.<N>.<field>`` attributes; ``build`` returns the message lists."""

    inputs: dict[int, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, key: str, value: object) -> None:
        prefix = next(p for p in INDEXED_PREFIXES if key.startswith(p))
        index, _, name = key[len(prefix) :].partition(".")
        if not index.isdigit() or not name:
            return
        messages = self.outputs if prefix in _OUTPUT_FAMILIES else self.inputs
        message = messages.setdefault(int(index), {})
        name = name.removeprefix("message.")
        if name in ("role", "content", "finish_reason", "name", "tool_call_id"):
            message[name] = value
        elif name.startswith("contents."):  # OpenInference multi-part content
            part, _, rest = name[len("contents.") :].partition(".")
            if rest.endswith("text") and part.isdigit():
                message.setdefault("_parts", {})[int(part)] = as_str(value)
        elif name.startswith("tool_calls."):
            call, _, rest = name[len("tool_calls.") :].partition(".")
            leaf = rest.rpartition(".")[2]
            if call.isdigit() and leaf in ("name", "arguments", "id"):
                message.setdefault("_calls", {}).setdefault(int(call), {})[leaf] = value

    def build(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return _ordered(self.inputs), _ordered(self.outputs)


def _ordered(messages: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for _, message in sorted(messages.items()):
        parts = message.pop("_parts", None)
        if parts and "content" not in message:
            message["content"] = "\n".join(text for _, text in sorted(parts.items()))
        calls = message.pop("_calls", None)
        if calls:
            message["tool_calls"] = [call for _, call in sorted(calls.items())]
        result.append(message)
    return result


@dataclass(slots=True)
class EventContent:
    """Content carried by span events (older GenAI conventions)."""

    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    input_text: str = ""
    output_text: str = ""
    finish_reason: str = ""
    # attributes of a gen_ai.client.inference.operation.details event
    details: dict[str, object] = field(default_factory=dict)

    def add(self, name: str, attributes: dict[str, object]) -> bool:
        """Take what the event named ``name`` says about content; False if nothing."""
        role = _MESSAGE_EVENTS.get(name)
        if role is not None:
            message: dict[str, Any] = {"role": as_str(attributes.get("role") or role)}
            for key in ("content", "tool_calls", "id"):
                if key in attributes:
                    message[key] = attributes[key]
            self.inputs.append(message)
            return True
        if name == "gen_ai.choice":
            choice = dict(attributes)
            reason = choice.get("finish_reason")
            if reason is not None and not self.finish_reason:
                self.finish_reason = as_str(reason)
            self.outputs.append(choice)
            return True
        if name == "gen_ai.content.prompt":
            self.input_text = to_text(attributes.get("gen_ai.prompt"))
            return True
        if name == "gen_ai.content.completion":
            self.output_text = to_text(attributes.get("gen_ai.completion"))
            return True
        if name == "gen_ai.client.inference.operation.details":
            self.details.update(attributes)
            return True
        return False


def with_system_instructions(messages_json: str, instructions: str) -> str:
    """Put ``gen_ai.system_instructions`` in front of ``gen_ai.input.messages``."""
    # RecursionError: JSON text nested too deep to parse or print (hostile input).
    try:
        parts = json.loads(instructions)
    except (ValueError, RecursionError):
        parts = instructions
    system = {"role": "system", "parts": parts}
    try:
        if not messages_json:
            return dumps([system])
        messages = json.loads(messages_json)
        if not isinstance(messages, list):
            return messages_json
        return dumps([system, *messages])
    except (ValueError, RecursionError):
        return messages_json
