"""Versioned rule definitions in a table: ``eval_rules`` and ``alert_rules``.

Each change is a row (ReplacingMergeTree on ``updated_at``, read with ``FINAL``);
a delete writes a tombstone. The definition is the rule's JSON.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from llmpulse_collector.store.client import Store

__all__ = [
    "RuleTable",
    "StoredDefinition",
    "delete_definition",
    "list_definitions",
    "put_definition",
]

RuleTable = Literal["eval_rules", "alert_rules"]
_TABLES: frozenset[str] = frozenset({"eval_rules", "alert_rules"})
_COLUMNS = [
    ("project_id", "String"),
    ("rule_id", "String"),
    ("name", "String"),
    ("definition", "String"),
    ("deleted", "Bool"),
    ("updated_at", "DateTime64(9, 'UTC')"),
]


@dataclass(frozen=True, slots=True)
class StoredDefinition:
    project_id: str
    rule_id: str
    name: str
    definition: dict[str, Any]
    updated_at_ns: int


def _table(store: Store, table: RuleTable) -> str:
    if table not in _TABLES:
        raise ValueError(f"not a rule table: {table!r}")
    return store.table(table)


def list_definitions(
    store: Store, table: RuleTable, project_id: str | None = None
) -> list[StoredDefinition]:
    """The live (not deleted) definitions, of one project or of all."""
    where = "NOT deleted"
    params: dict[str, Any] = {}
    if project_id is not None:
        where += " AND project_id = {project:String}"
        params["project"] = project_id
    rows = store.query(
        "SELECT project_id, rule_id, name, definition, "  # noqa: S608
        "toUnixTimestamp64Nano(updated_at) AS updated_ns "
        f"FROM {_table(store, table)} FINAL WHERE {where} ORDER BY project_id, name, rule_id",
        params,
    )
    return [
        StoredDefinition(
            r["project_id"], r["rule_id"], r["name"], json.loads(r["definition"]), r["updated_ns"]
        )
        for r in rows
    ]


def put_definition(
    store: Store,
    table: RuleTable,
    project_id: str,
    name: str,
    definition: dict[str, Any],
    rule_id: str | None = None,
) -> StoredDefinition:
    """Create (new id) or replace (given id) a definition."""
    rid = rule_id or uuid.uuid4().hex[:16]
    now = time.time_ns()
    body = json.dumps(definition, sort_keys=True)
    store.insert_rows(table, _COLUMNS, [[project_id], [rid], [name], [body], [False], [now]])
    return StoredDefinition(project_id, rid, name, definition, now)


def delete_definition(store: Store, table: RuleTable, project_id: str, rule_id: str) -> bool:
    """Write a tombstone; False when there is no such live definition."""
    live = {d.rule_id: d for d in list_definitions(store, table, project_id)}
    found = live.get(rule_id)
    if found is None:
        return False
    store.insert_rows(
        table,
        _COLUMNS,
        [[project_id], [rule_id], [found.name], ["{}"], [True], [time.time_ns()]],
    )
    return True
