"""Readable rendering of what spans carry: chat messages, JSON, numbers.

The parsing and formatting functions are pure (unit-tested); ``show_payload`` and
``show_messages`` draw with Streamlit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from llmpulse_dashboard.api_types import SpanNode

__all__ = [
    "Document",
    "Message",
    "chat_text",
    "documents_from",
    "flatten_spans",
    "fmt_change",
    "fmt_cost",
    "fmt_count",
    "fmt_ms",
    "fmt_pct",
    "fmt_points",
    "fmt_time",
    "messages_from",
    "parse_json",
    "parse_messages",
    "show_documents",
    "show_messages",
    "show_payload",
    "turn_messages",
]


# ---- numbers and times -----------------------------------------------------------------


def fmt_ms(ms: float | None) -> str:
    """``812 ms``, ``2.31 s``, ``3m 05s``; a dash when unknown."""
    if ms is None:
        return "–"
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.2f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes}m {seconds:02d}s"


def fmt_cost(usd: float | None) -> str:
    """``$12.35``, ``$0.0123``, ``$0.000045``; a dash when unknown."""
    if usd is None:
        return "–"
    if usd == 0:
        return "$0.00"
    if abs(usd) >= 1:
        return f"${usd:,.2f}"
    if abs(usd) >= 0.001:
        return f"${usd:.4f}"
    return f"${usd:.6f}"


def fmt_count(n: float | None) -> str:
    """``950``, ``12.3k``, ``4.56M``."""
    if n is None:
        return "–"
    value = float(n)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            scaled = value / limit
            return f"{scaled:.3g}{suffix}" if scaled < 100 else f"{scaled:.0f}{suffix}"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def percent(rate: float | None) -> float | None:
    """A rate (0..1) as a percentage for a number column; unknown stays unknown."""
    return None if rate is None else rate * 100


def fmt_pct(rate: float | None, digits: int = 1) -> str:
    """A rate in [0, 1] as a percentage."""
    return "–" if rate is None else f"{rate * 100:.{digits}f}%"


def fmt_time(value: str | int | None) -> str:
    """ISO 8601 text or unix nanoseconds as ``2026-11-27 10:00:05`` (UTC)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, int):
        moment = datetime.fromtimestamp(value / 1e9, UTC)
    else:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


# ---- trace trees ---------------------------------------------------------------------


def flatten_spans(roots: Iterable[SpanNode]) -> list[tuple[int, SpanNode]]:
    """Depth-first ``(depth, span)`` pairs, children in start order."""
    out: list[tuple[int, SpanNode]] = []

    def walk(span: SpanNode, depth: int) -> None:
        out.append((depth, span))
        children = sorted(span.get("children", []), key=lambda s: s.get("offset_ms", 0.0))
        for child in children:
            walk(child, depth + 1)

    for root in sorted(roots, key=lambda s: s.get("offset_ms", 0.0)):
        walk(root, 0)
    return out


# ---- messages ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message, normalized from the many shapes LLM APIs use."""

    role: str
    text: str
    tool_calls: tuple[str, ...] = field(default=())
    name: str = ""


def parse_json(text: str) -> Any:
    """The JSON value of ``text``, or ``None`` when it is not JSON (or is a bare scalar)."""
    stripped = text.strip() if text else ""
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def _part_text(part: Any) -> str:
    """Text of one content part (OpenAI, Anthropic or OTel GenAI ``parts``)."""
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return json.dumps(part, ensure_ascii=False)
    kind = str(part.get("type", "text"))
    if kind in ("text", "input_text", "output_text"):
        return str(part.get("text", part.get("content", "")))
    if kind in ("image_url", "image", "input_image", "blob", "uri", "file"):
        return f"[{kind}]"
    if kind in ("reasoning", "thinking"):
        return f"*(reasoning)* {part.get('content', part.get('thinking', ''))}"
    if kind in ("tool_call_response", "tool_result"):
        return _content_text(part.get("response", part.get("content", "")))
    if kind in ("tool_call", "tool_use"):
        return ""  # shown as a tool call
    return json.dumps(part, ensure_ascii=False)


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n\n".join(t for t in (_part_text(p) for p in content) if t)
    return json.dumps(content, ensure_ascii=False)


def _call(name: Any, arguments: Any) -> str:
    if isinstance(arguments, str):
        parsed = parse_json(arguments)
        arguments = parsed if parsed is not None else arguments
    args = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return f"{name}({args})"


def _tool_calls(message: dict[str, Any]) -> tuple[str, ...]:
    calls: list[str] = []
    for call in message.get("tool_calls") or []:
        if isinstance(call, dict):
            fn = call.get("function", call)
            if isinstance(fn, dict):
                calls.append(_call(fn.get("name", "?"), fn.get("arguments", "")))
    for part in [*(message.get("parts") or []), *_list(message.get("content"))]:
        if isinstance(part, dict) and part.get("type") in ("tool_call", "tool_use"):
            calls.append(_call(part.get("name", "?"), part.get("arguments", part.get("input"))))
    return tuple(calls)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("role"), str)


def _normalize(message: dict[str, Any]) -> Message:
    if "parts" in message and "content" not in message:
        text = _content_text(message.get("parts"))
    else:
        text = _content_text(message.get("content"))
    return Message(
        role=str(message["role"]),
        text=text,
        tool_calls=_tool_calls(message),
        name=str(message.get("name") or message.get("tool_call_id") or ""),
    )


def parse_messages(text: str) -> list[Message] | None:
    """Chat messages in ``text`` (a JSON message list, one message, a request body with
    ``messages`` or a completion with ``choices``), or ``None`` when it holds something else."""
    return messages_from(parse_json(text))


def messages_from(value: Any) -> list[Message] | None:
    """``parse_messages`` for an already decoded JSON value."""
    if isinstance(value, dict):
        if isinstance(value.get("messages"), list):
            value = value["messages"]
        elif isinstance(value.get("choices"), list):  # an OpenAI chat completion
            value = [
                c["message"] for c in value["choices"] if isinstance(c, dict) and "message" in c
            ]
        elif _is_message(value):
            value = [value]
    if not isinstance(value, list) or not value or not all(_is_message(m) for m in value):
        return None
    return [_normalize(m) for m in value]


_TEXT_KEYS = ("question", "query", "prompt", "input", "message", "content", "text",
              "answer", "output", "response", "result")  # fmt: skip


def chat_text(text: str) -> str:
    """What a person said in ``text``: the string under a key like ``question`` or
    ``answer`` when ``text`` is a JSON object holding one, else ``text`` itself."""
    value = parse_json(text)
    if isinstance(value, dict):
        for key in _TEXT_KEYS:
            if isinstance(value.get(key), str):
                return str(value[key])
    return text


def turn_messages(messages: Sequence[Message]) -> list[Message]:
    """The last exchange of a conversation: from the last user message to the end.

    LLM calls resend the whole history; a session view shows each turn once.
    """
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        return [m for m in messages if m.role != "system"]
    return list(messages[last_user:])


# ---- retrieved documents ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Document:
    """One document a retrieval span returned."""

    content: str
    doc_id: str = ""
    score: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


_DOC_TEXT = ("content", "page_content", "text", "chunk", "snippet")
_DOC_ID = ("id", "doc_id", "document_id", "source", "title", "url")
_DOC_LISTS = ("documents", "docs", "results", "chunks", "matches")
_OPENINFERENCE_DOCS = "retrieval.documents."


def _score(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _metadata(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = parse_json(value)
    return value if isinstance(value, dict) else {}


def _document(value: Any) -> Document | None:
    if isinstance(value, str):
        return Document(value)
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("document"), dict):  # OpenInference: {"document": {...}}
        value = value["document"]
    text = next((value[k] for k in _DOC_TEXT if isinstance(value.get(k), str)), None)
    if text is None:
        return None
    metadata = _metadata(value.get("metadata"))
    doc_id = next((str(value[k]) for k in _DOC_ID if value.get(k) not in (None, "")), "")
    if not doc_id:
        doc_id = next((str(metadata[k]) for k in _DOC_ID if metadata.get(k) not in (None, "")), "")
    return Document(text, doc_id, _score(value.get("score", value.get("relevance_score"))),
                    metadata)  # fmt: skip


def _documents(value: Any) -> list[Document] | None:
    if isinstance(value, dict):
        value = next((value[k] for k in _DOC_LISTS if isinstance(value.get(k), list)), None)
    if not isinstance(value, list) or not value:
        return None
    docs = [_document(v) for v in value]
    return [d for d in docs if d is not None] if all(d is not None for d in docs) else None


def _openinference_documents(attributes: dict[str, Any]) -> list[Document]:
    """``retrieval.documents.<i>.document.<field>`` attributes (OpenInference)."""
    fields: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        if not key.startswith(_OPENINFERENCE_DOCS):
            continue
        index, _, rest = key[len(_OPENINFERENCE_DOCS) :].partition(".")
        if index.isdigit():
            fields.setdefault(int(index), {})[rest.removeprefix("document.")] = value
    docs = [_document(fields[i]) for i in sorted(fields)]
    return [d for d in docs if d is not None]


def documents_from(span: SpanNode) -> list[Document]:
    """The documents a retrieval span returned: OpenInference ``retrieval.documents``
    attributes, or an output that is a list of texts or of document objects."""
    attributes = span.get("attributes", {})
    nested = attributes.get("retrieval.documents")
    found = _documents(nested) if isinstance(nested, list) else None
    if found:
        return found
    found = _openinference_documents(attributes)
    if found:
        return found
    return _documents(parse_json(span.get("output", ""))) or []


# ---- drawing ---------------------------------------------------------------------------

_AVATARS = {
    "system": ":material/settings:",
    "tool": ":material/build:",
    "function": ":material/build:",
    "developer": ":material/code:",
}
_CHAT_ROLES = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant"}


def show_messages(messages: Sequence[Message]) -> None:
    """Messages as a conversation."""
    for message in messages:
        role = _CHAT_ROLES.get(message.role.lower())
        if role is None:
            container = st.chat_message(message.role, avatar=_AVATARS.get(message.role.lower()))
        else:
            container = st.chat_message(role)
        with container:
            label = message.role if not message.name else f"{message.role} · {message.name}"
            st.caption(label)
            if message.text:
                st.markdown(message.text)
            for call in message.tool_calls:
                st.code(call, language="python", wrap_lines=True)
            if not message.text and not message.tool_calls:
                st.caption("(empty)")


_CARD_CHARS = 1500  # a card shows this much of a document; the rest behind "more"


def show_documents(docs: Sequence[Document]) -> None:
    """Retrieved documents as cards: id or rank, score, text, metadata."""
    for rank, doc in enumerate(docs, 1):
        with st.container(border=True, key=f"doc_card_{rank}"):
            score = f" :blue-badge[score {doc.score:.3g}]" if doc.score is not None else ""
            st.markdown(f"**#{rank} {doc.doc_id or 'document'}**{score}")
            st.markdown(doc.content[:_CARD_CHARS] or "*(empty)*")
            if len(doc.content) > _CARD_CHARS:
                with st.expander("Whole document"):
                    st.text(doc.content)
            if doc.metadata:
                st.caption(" · ".join(f"{k}: {v}" for k, v in doc.metadata.items()))


def show_payload(text: str, *, empty: str = "(nothing recorded)") -> None:
    """Span input or output: a conversation, pretty JSON, or the text itself."""
    if not text:
        st.caption(empty)
        return
    messages = parse_messages(text)
    if messages is not None:
        show_messages(messages)
        return
    value = parse_json(text)
    if value is not None:
        st.json(value, expanded=2)
        return
    st.markdown(text)


def fmt_change(current: float | None, previous: float | None) -> str | None:
    """Change for ``st.metric``'s delta: ``+12.5%``, or a multiple (``+25`` times) from
    ten times up; ``None`` when there is nothing to compare with."""
    if current is None or previous is None or previous <= 0:
        return None
    ratio = current / previous
    if ratio >= 10:  # "+287900.0%" reads worse than "+2,880 times"
        return f"+{ratio:,.0f}×"
    return f"{(ratio - 1) * 100:+.1f}%"


def fmt_points(current: float | None, previous: float | None) -> str | None:
    """Change of a rate in percentage points (``+0.4 pp``); ``None`` when unknown."""
    if current is None or previous is None:
        return None
    return f"{(current - previous) * 100:+.1f} pp"
