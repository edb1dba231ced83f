"""Alert state (``alert_state``: latest row per rule wins) and history (``alert_events``)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.queries._where import decode_cursor, encode_cursor

__all__ = [
    "EventPage",
    "RuleState",
    "append_event",
    "list_events",
    "load_states",
    "page_events",
    "save_state",
]

_NS = "DateTime64(9, 'UTC')"
_STATE_COLUMNS = [
    ("project_id", "String"),
    ("rule_id", "String"),
    ("rule_name", "String"),
    ("status", "LowCardinality(String)"),
    ("since", _NS),
    ("value", "Nullable(Float64)"),
    ("baseline", "Nullable(Float64)"),
    ("samples", "UInt64"),
    ("last_evaluated_at", _NS),
    ("last_notified_at", _NS),
    ("updated_at", _NS),
]
_EVENT_COLUMNS = [
    ("project_id", "String"),
    ("rule_id", "String"),
    ("rule_name", "String"),
    ("event", "LowCardinality(String)"),
    ("severity", "LowCardinality(String)"),
    ("at", _NS),
    ("value", "Nullable(Float64)"),
    ("baseline", "Nullable(Float64)"),
    ("samples", "UInt64"),
    ("message", "String"),
    ("notified", "Bool"),
    ("payload", "String"),
]


@dataclass
class RuleState:
    project_id: str
    rule_id: str
    rule_name: str
    status: str = "ok"  # ok | firing
    since_ns: int = 0
    value: float | None = None
    baseline: float | None = None
    samples: int = 0
    last_evaluated_ns: int = 0
    last_notified_ns: int = 0  # 0: never

    def as_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "status": self.status,
            "since_ns": self.since_ns,
            "value": self.value,
            "baseline": self.baseline,
            "samples": self.samples,
            "last_evaluated_ns": self.last_evaluated_ns,
            "last_notified_ns": self.last_notified_ns,
        }


def load_states(store: Store, project_id: str | None = None) -> dict[tuple[str, str], RuleState]:
    where, params = "1", {}
    if project_id is not None:
        where, params = "project_id = {project:String}", {"project": project_id}
    rows = store.query(
        "SELECT project_id, rule_id, rule_name, status, "  # noqa: S608
        "toUnixTimestamp64Nano(since) AS since_ns, value, baseline, samples, "
        "toUnixTimestamp64Nano(last_evaluated_at) AS evaluated_ns, "
        "toUnixTimestamp64Nano(last_notified_at) AS notified_ns "
        f"FROM {store.table('alert_state')} FINAL WHERE {where}",
        params,
    )
    return {
        (r["project_id"], r["rule_id"]): RuleState(
            r["project_id"],
            r["rule_id"],
            r["rule_name"],
            r["status"],
            r["since_ns"],
            r["value"],
            r["baseline"],
            r["samples"],
            r["evaluated_ns"],
            r["notified_ns"],
        )
        for r in rows
    }


def save_state(store: Store, s: RuleState) -> None:
    # updated_at orders versions: wall clock, never older than the evaluation instant
    updated = max(time.time_ns(), s.last_evaluated_ns)
    values = [
        s.project_id,
        s.rule_id,
        s.rule_name,
        s.status,
        s.since_ns,
        s.value,
        s.baseline,
        s.samples,
        s.last_evaluated_ns,
        s.last_notified_ns,
        updated,
    ]
    store.insert_rows("alert_state", _STATE_COLUMNS, [[v] for v in values])


def append_event(
    store: Store,
    s: RuleState,
    event: str,
    severity: str,
    at_ns: int,
    message: str,
    notified: bool,
    payload: dict[str, Any],
) -> None:
    values = [
        s.project_id,
        s.rule_id,
        s.rule_name,
        event,
        severity,
        at_ns,
        s.value,
        s.baseline,
        s.samples,
        message,
        notified,
        json.dumps(payload, default=str),
    ]
    store.insert_rows("alert_events", _EVENT_COLUMNS, [[v] for v in values])


@dataclass
class EventPage:
    events: list[dict[str, Any]]
    next_cursor: str | None
    total: int  # events matching the range and rule, across all pages


def list_events(
    store: Store, project_id: str, t0: int, t1: int, rule_id: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The newest ``limit`` events in ``[t0, t1)``, newest first."""
    return page_events(store, project_id, t0, t1, rule_id, limit, with_total=False).events


def page_events(
    store: Store,
    project_id: str,
    t0: int,
    t1: int,
    rule_id: str | None = None,
    limit: int = 200,
    cursor: str | None = None,
    *,
    with_total: bool = True,
) -> EventPage:
    """One page of events in ``[t0, t1)``, newest first (then by rule and event); pass
    ``next_cursor`` back as ``cursor`` for the next page. Raises ``InvalidCursor``."""
    where = [
        "project_id = {project:String}",
        "at >= fromUnixTimestamp64Nano({t0:Int64})",
        "at < fromUnixTimestamp64Nano({t1:Int64})",
    ]
    params: dict[str, Any] = {"project": project_id, "t0": t0, "t1": t1}
    if rule_id:
        where.append("rule_id = {rule:String}")
        params["rule"] = rule_id
    table = store.table("alert_events")
    total = 0
    if with_total:
        counted = store.query(
            f"SELECT count() AS n FROM {table} WHERE {' AND '.join(where)}",  # noqa: S608
            params,
        )
        total = int(counted[0]["n"])
    if cursor:
        at_ns, c_rule, c_event = decode_cursor(cursor, "alert_events", (int, str, str))
        where.append(
            "(toUnixTimestamp64Nano(at) < {c_ns:Int64} OR (toUnixTimestamp64Nano(at) = {c_ns:Int64}"
            " AND (rule_id, event) > ({c_rule:String}, {c_event:String})))"
        )
        params.update(c_ns=at_ns, c_rule=c_rule, c_event=c_event)
    rows = store.query(
        "SELECT rule_id, rule_name, event, severity, toUnixTimestamp64Nano(at) AS at_ns, "  # noqa: S608
        "value, baseline, samples, message, notified, payload "
        f"FROM {table} WHERE {' AND '.join(where)} "
        "ORDER BY at DESC, rule_id, event LIMIT {limit:UInt32}",
        {**params, "limit": limit + 1},
    )
    more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        row["payload"] = json.loads(row["payload"]) if row["payload"] else {}
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor("alert_events", [last["at_ns"], last["rule_id"], last["event"]])
    return EventPage(rows, next_cursor, total)
