"""Span events: the bounded ``events`` JSON column, evaluation rows, event-borne content."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any, Final

from llmpulse import semconv as sc
from llmpulse_collector.ingest._content import EventContent, dumps
from llmpulse_collector.ingest._values import as_float, as_str, bounded, value_of
from llmpulse_collector.model import EvaluationRow

__all__ = ["DROPPED_ATTRIBUTES_COUNT", "FIRST_TOKEN_EVENTS", "SpanEvents", "read_events"]

# How many attributes of a stored event were not kept (OTel's own name for the count).
DROPPED_ATTRIBUTES_COUNT: Final = "dropped_attributes_count"

_PASS_LABELS: Final = {"pass": True, "passed": True, "fail": False, "failed": False}
# Events that mark the first streamed token: OpenInference's, OpenLLMetry's chunks
# (current and older name).
FIRST_TOKEN_EVENTS: Final = frozenset(
    {"First Token Stream Event", "gen_ai.content.completion.chunk", "llm.content.completion.chunk"}
)


class SpanEvents:
    """What the events of one span say."""

    __slots__ = ("content", "evaluations", "exception", "first_token_ns", "json")

    def __init__(self) -> None:
        self.json = "[]"
        self.evaluations: list[EvaluationRow] = []
        self.content = EventContent()
        self.exception = ""  # "Type: message" of the first exception event
        self.first_token_ns = 0  # time of the first FIRST_TOKEN_EVENTS event; 0: none


def read_events(
    events: Iterable[Any],
    *,
    project_id: str,
    trace_id: str,
    span_id: str,
    max_events: int,
    max_attributes: int,
    max_chars: int,
) -> SpanEvents:
    """What ``events`` say. An event is stored (the first ``max_events``) with its first
    ``max_attributes`` attributes and, when it had more, ``dropped_attributes_count``;
    evaluations, exceptions, first-token times and content read all its attributes."""
    result = SpanEvents()
    stored: list[dict[str, object]] = []
    for event in events:
        name: str = event.name
        attributes: dict[str, object] = {}
        for kv in event.attributes:
            value = value_of(kv.value)
            if type(value) is str and len(value) > max_chars:
                value = bounded(value, max_chars)
            attributes[kv.key] = value
        time_ns: int = event.time_unix_nano
        if len(stored) < max_events:
            stored.append(_stored(name, time_ns, attributes, max_attributes))
        if name == sc.EVENT_EVALUATION_RESULT:
            result.evaluations.append(
                _evaluation(attributes, project_id, trace_id, span_id, time_ns)
            )
        elif name in FIRST_TOKEN_EVENTS:
            if time_ns and (not result.first_token_ns or time_ns < result.first_token_ns):
                result.first_token_ns = time_ns
        elif name == "exception":
            if not result.exception:
                kind = as_str(attributes.get("exception.type", ""))
                message = as_str(attributes.get("exception.message", ""))
                result.exception = f"{kind}: {message}" if kind and message else kind or message
        else:
            result.content.add(name, attributes)
    if stored:
        result.json = dumps(stored)
    return result


def _stored(
    name: str, time_ns: int, attributes: dict[str, object], max_attributes: int
) -> dict[str, object]:
    if len(attributes) <= max_attributes:
        return {"name": name, "time_ns": time_ns, "attributes": attributes}
    kept = dict(itertools.islice(attributes.items(), max_attributes))
    return {
        "name": name,
        "time_ns": time_ns,
        "attributes": kept,
        DROPPED_ATTRIBUTES_COUNT: len(attributes) - max_attributes,
    }


def _evaluation(
    attributes: dict[str, object], project_id: str, trace_id: str, span_id: str, time_ns: int
) -> EvaluationRow:
    score = as_float(attributes.get(sc.ATTR_EVALUATION_SCORE_VALUE))
    label = as_str(attributes.get(sc.ATTR_EVALUATION_SCORE_LABEL, ""))
    passed = _passed(attributes.get(sc.ATTR_EVALUATION_PASSED), label)
    if score is not None:
        value = dumps(score)
    elif label:
        value = dumps(label)
    else:
        value = dumps(passed)
    return EvaluationRow(
        project_id=project_id,
        trace_id=trace_id,
        span_id=span_id,
        name=as_str(attributes.get(sc.ATTR_EVALUATION_NAME, "")),
        source="sdk",
        passed=passed,
        score=score,
        label=label,
        comment=as_str(attributes.get(sc.ATTR_EVALUATION_EXPLANATION, "")),
        value=value,
        created_at=time_ns,
    )


def _passed(flag: object, label: str) -> bool | None:
    if type(flag) is bool:
        return flag
    if type(flag) is str and flag.lower() in ("true", "false"):
        return flag.lower() == "true"
    return _PASS_LABELS.get(label.strip().lower())
