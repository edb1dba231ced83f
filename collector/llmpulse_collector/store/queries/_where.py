"""The one filter builder of the read queries: conditions, bound parameters, cursors.

``Where`` collects ``WHERE`` and ``HAVING`` clauses with their parameters. The
``*_where`` functions turn API filters into clauses; every value is a server-side
parameter (``{name:Type}``) and the only spliced identifiers are table names from
``Store.table`` and expressions from this package's fixed maps.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from llmpulse_collector.store.client import Store
from llmpulse_collector.store.schema import (
    OPEN_PARENT_ROWS,
    TRACE_COST_USD,
    TRACE_INPUT_TOKENS,
    TRACE_OUTPUT_TOKENS,
    only_open_traces,
    without_open_wrappers,
)
from llmpulse_collector.store.traffic import (
    EXPERIMENT_TRACE,
    EXPERIMENT_TRACE_ROW,
    PRODUCTION_SPAN,
    Experiments,
    is_experiment_tag,
    production_evaluation,
)

__all__ = [
    "MARGIN_NS",
    "InvalidCursor",
    "TimeRange",
    "TraceFilter",
    "Where",
    "bind_trace_totals",
    "decode_cursor",
    "encode_cursor",
    "evaluation_where",
    "iso",
    "like_pattern",
    "span_where",
    "trace_where",
]

#: How far a trace's spans may lie after its first span (and partial summary rows
#: before or after it): bounds the partial rows read for a time range.
MARGIN_NS = 86_400 * 1_000_000_000

Order = Literal["desc", "asc"]


class InvalidCursor(ValueError):
    """A paging cursor that this API did not hand out (or for another sort)."""


@dataclass(frozen=True, slots=True)
class TimeRange:
    start_ns: int
    end_ns: int

    @property
    def length_ns(self) -> int:
        return self.end_ns - self.start_ns

    def previous(self) -> TimeRange:
        """The period of the same length right before this one."""
        return TimeRange(self.start_ns - self.length_ns, self.start_ns)


@dataclass(frozen=True, slots=True)
class TraceFilter:
    project_id: str
    time: TimeRange
    service: str | None = None
    name: str | None = None
    model: str | None = None
    environment: str | None = None
    status: Literal["ok", "error"] | None = None
    session_id: str | None = None
    user_id: str | None = None
    tag: str | None = None
    q: str | None = None
    min_latency_ms: float | None = None
    max_latency_ms: float | None = None
    min_cost_usd: float | None = None
    max_cost_usd: float | None = None
    has_failing_assertion: bool | None = None
    has_feedback: bool | None = None
    user_id_contains: str | None = None
    session_id_contains: str | None = None
    assertion: str | None = None  # an assertion (evaluation that is not feedback) name
    assertion_result: Literal["pass", "fail"] | None = None
    metadata: tuple[tuple[str, str], ...] = ()  # (key, value): some span carries it
    experiments: Experiments = "exclude"  # experiment runs (``store.traffic``)
    version: str | None = None  # a span's service version (``service.version``)
    prompt_version: str | None = None  # a span's prompt version


@dataclass
class Where:
    """``WHERE`` and ``HAVING`` clauses and the parameters they bind."""

    clauses: list[str] = field(default_factory=list)
    having_clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, clause: str, **params: Any) -> Where:
        self.clauses.append(clause)
        self.params.update(params)
        return self

    def having(self, clause: str, **params: Any) -> Where:
        self.having_clauses.append(clause)
        self.params.update(params)
        return self

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1"

    def having_sql(self) -> str:
        return " AND ".join(self.having_clauses) if self.having_clauses else "1"


#: The production condition (``store.traffic``) per time column of ``span_where``'s
#: tables: spans, partial ``traces`` rows (for value lists; trace listings decide per
#: trace in ``trace_where``).
_PRODUCTION = {
    "start_time": PRODUCTION_SPAN,
    "traces.start_time": f"NOT {EXPERIMENT_TRACE_ROW}",
}


def span_where(
    project_id: str, time: TimeRange, column: str = "start_time", *, production: bool = True
) -> Where:
    """Rows of the project whose ``column`` (a DateTime64) lies in the range, of
    production traffic (experiment runs left out: ``store.traffic``) unless
    ``production`` is false."""
    w = Where()
    w.add("project_id = {project:String}", project=project_id)
    w.add(f"{column} >= fromUnixTimestamp64Nano({{t0:Int64}})", t0=time.start_ns)
    w.add(f"{column} < fromUnixTimestamp64Nano({{t1:Int64}})", t1=time.end_ns)
    if production and column in _PRODUCTION:
        w.add(_PRODUCTION[column])
    return w


def evaluation_where(store: Store, project_id: str, time: TimeRange) -> Where:
    """Evaluations of the project created in the range, of production traces (the
    evaluations of experiment runs left out: ``store.traffic``)."""
    w = span_where(project_id, time, column="created_at")
    return w.add(production_evaluation(store.table("traces")))


# Aggregates over partial ``traces`` rows, for HAVING and ORDER BY (no aliases, so
# WHERE may still name the columns).
TRACE_START_NS = "toUnixTimestamp64Nano(min(traces.start_time))"
TRACE_DURATION_NS = (
    "(toUnixTimestamp64Nano(max(traces.end_time)) - toUnixTimestamp64Nano(min(traces.start_time)))"
)
TRACE_COST = f"round({TRACE_COST_USD}, 12)"
TRACE_TOKENS = f"({TRACE_INPUT_TOKENS} + {TRACE_OUTPUT_TOKENS})"


def trace_where(store: Store, f: TraceFilter) -> Where:
    """Conditions on the ``traces`` summary (``WHERE`` on partial rows, ``HAVING`` on
    the per-trace aggregates) selecting the traces that match ``f``."""
    t = f.time
    w = Where(params={"project": f.project_id, "t0": t.start_ns, "t1": t.end_ns})
    w.add("traces.project_id = {project:String}")
    # The partial rows of a trace in range start at or after it and at most a margin
    # after it. A trace with a row in the margin before the range started before it:
    # left out by its number key (migration 0019) rather than by aggregating that day's
    # rows only for HAVING to drop them (the same traces: a trace in range has no row
    # before it; two traces sharing a 64-bit key is vanishingly unlikely).
    w.add("traces.start_time >= fromUnixTimestamp64Nano({t0:Int64})")
    w.add("traces.start_time < fromUnixTimestamp64Nano({t1:Int64}) + INTERVAL 1 DAY")
    w.add(
        f"traces.trace_key NOT IN (SELECT trace_key FROM {store.table('traces')} "
        "WHERE project_id = {project:String} "
        "AND start_time >= fromUnixTimestamp64Nano({t0:Int64}) - INTERVAL 1 DAY "
        "AND start_time < fromUnixTimestamp64Nano({t0:Int64}))"
    )
    w.having(f"{TRACE_START_NS} >= {{t0:Int64}}")
    w.having(f"{TRACE_START_NS} < {{t1:Int64}}")

    spans = _span_filters(f)
    if spans:
        spans_sql = " AND ".join(spans)
        w.add(
            f"trace_id IN (SELECT trace_id FROM {store.table('spans')} "
            "WHERE project_id = {project:String} "
            "AND start_time >= fromUnixTimestamp64Nano({t0:Int64}) "
            "AND start_time < fromUnixTimestamp64Nano({t1:Int64}) + INTERVAL 1 DAY "
            f"AND {spans_sql})"
        )
        w.params.update(_span_params(f))
    if f.model:
        w.having("has(groupUniqArrayArray(traces.models), {model:String})", model=f.model)
    if f.environment:
        w.having("max(traces.environment) = {environment:String}", environment=f.environment)
    if f.status == "error":
        w.having("sum(traces.error_count) > 0")
    elif f.status == "ok":
        w.having("sum(traces.error_count) = 0")
    if f.session_id:
        w.having("max(traces.session_id) = {session:String}", session=f.session_id)
    if f.user_id:
        w.having("max(traces.user_id) = {user:String}", user=f.user_id)
    if f.session_id_contains:
        w.having(
            "positionCaseInsensitiveUTF8(max(traces.session_id), {session_part:String}) > 0",
            session_part=f.session_id_contains,
        )
    if f.user_id_contains:
        w.having(
            "positionCaseInsensitiveUTF8(max(traces.user_id), {user_part:String}) > 0",
            user_part=f.user_id_contains,
        )
    if f.tag:
        w.having("has(groupUniqArrayArray(traces.tags), {tag:String})", tag=f.tag)
    experiments = f.experiments
    if experiments == "exclude" and f.tag and is_experiment_tag(f.tag):
        experiments = "include"  # the filter names an experiment run: show it
    if experiments != "include":
        negate = "" if experiments == "only" else "NOT "
        w.having(f"{negate}({EXPERIMENT_TRACE})")
    if f.min_latency_ms is not None:
        w.having(f"{TRACE_DURATION_NS} >= {{min_lat:Float64}} * 1e6", min_lat=f.min_latency_ms)
    if f.max_latency_ms is not None:
        w.having(f"{TRACE_DURATION_NS} <= {{max_lat:Float64}} * 1e6", max_lat=f.max_latency_ms)
    if f.min_cost_usd is not None:
        w.having(f"{TRACE_COST} >= {{min_cost:Float64}}", min_cost=f.min_cost_usd)
    if f.max_cost_usd is not None:
        w.having(f"{TRACE_COST} <= {{max_cost:Float64}}", max_cost=f.max_cost_usd)
    evaluations = store.table("evaluations")
    if f.has_failing_assertion is not None:
        negate = "" if f.has_failing_assertion else "NOT "
        w.add(
            f"trace_id {negate}IN (SELECT trace_id FROM {evaluations} "
            "WHERE project_id = {project:String} AND passed = false "
            "AND created_at >= fromUnixTimestamp64Nano({t0:Int64}) - INTERVAL 1 DAY)"
        )
    if f.assertion or f.assertion_result:
        w.add(_assertion_clause(evaluations, f))
        if f.assertion:
            w.params["assertion"] = f.assertion
    if f.has_feedback is not None:
        negate = "" if f.has_feedback else "NOT "
        w.add(
            f"trace_id {negate}IN (SELECT trace_id FROM {evaluations} "
            "WHERE project_id = {project:String} AND source = 'feedback' "
            "AND created_at >= fromUnixTimestamp64Nano({t0:Int64}) - INTERVAL 1 DAY)"
        )
    return w


def bind_trace_totals(store: Store, sql: str, params: dict[str, Any]) -> str:
    """``sql``, a query over the ``traces`` summary of a range that uses the ``TRACE_*``
    totals (with ``trace_where``'s parameters), ready to run: when no partial row of the
    range holds an open parent (a wrapper decided by an insert after its own), the
    totals need none of the open arrays (``schema.without_open_wrappers``: the
    aggregation over many traces costs about half), else only those traces' arrays
    (``schema.only_open_traces``). The answers are the same either way."""
    without = without_open_wrappers(sql)
    if without == sql:  # no trace totals in it (a page by start time, say)
        return sql
    traces = store.table("traces")
    found = store.query(
        f"SELECT 1 AS found FROM {traces} WHERE {OPEN_PARENT_ROWS} LIMIT 1",
        {"project": params["project"], "t0": params["t0"], "t1": params["t1"]},
    )
    return only_open_traces(sql, traces) if found else without


def _assertion_clause(evaluations: str, f: TraceFilter) -> str:
    """Traces with an assertion result (not human feedback) of the name and/or result."""
    conditions = ["project_id = {project:String}", "source != 'feedback'"]
    conditions.append("created_at >= fromUnixTimestamp64Nano({t0:Int64}) - INTERVAL 1 DAY")
    if f.assertion:
        conditions.append("name = {assertion:String}")
    if f.assertion_result == "pass":
        conditions.append("passed = true")
    elif f.assertion_result == "fail":
        conditions.append("passed = false")
    return f"trace_id IN (SELECT trace_id FROM {evaluations} WHERE {' AND '.join(conditions)})"


#: Where span attributes carry the SDK's metadata (``llmpulse.context(metadata=...)``);
#: a metadata filter matches that key or a plain attribute of the same name.
METADATA_PREFIX = "llmpulse.metadata."


#: The expression the ``idx_text`` ngram index (migration 0005) is built on.
SEARCH_TEXT = "lower(concat(input, '\\n', output))"


def _span_filters(f: TraceFilter) -> list[str]:
    out = []
    if f.name:
        out.append("name = {name:String}")
    if f.service:
        out.append("service_name = {service:String}")
    if f.version:
        out.append("service_version = {version:String}")
    if f.prompt_version:
        out.append("prompt_version = {prompt_version:String}")
    if f.q:
        out.append(f"{SEARCH_TEXT} LIKE {{q:String}}")
    for i in range(len(f.metadata)):
        out.append(
            f"(attributes[{{meta_key_{i}:String}}] = {{meta_value_{i}:String}} "
            f"OR attributes[{{meta_plain_{i}:String}}] = {{meta_value_{i}:String}})"
        )
    return out


def _span_params(f: TraceFilter) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if f.name:
        params["name"] = f.name
    if f.service:
        params["service"] = f.service
    if f.version:
        params["version"] = f.version
    if f.prompt_version:
        params["prompt_version"] = f.prompt_version
    if f.q:
        params["q"] = like_pattern(f.q)
    for i, (key, value) in enumerate(f.metadata):
        params[f"meta_key_{i}"] = METADATA_PREFIX + key
        params[f"meta_plain_{i}"] = key
        params[f"meta_value_{i}"] = value
    return params


_LIKE_SPECIAL = re.compile(r"([\\%_])")


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` (lower-cased) anywhere, wildcards escaped."""
    return "%" + _LIKE_SPECIAL.sub(r"\\\1", text.lower()) + "%"


def encode_cursor(kind: str, values: list[Any]) -> str:
    """An opaque cursor: ``kind`` names the listing and sort it belongs to."""
    raw = json.dumps([kind, *values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, types: tuple[type, ...]) -> list[Any]:
    """The values of a cursor made by ``encode_cursor(kind, ...)``, checked by type."""
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        decoded = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("invalid cursor: pass the next_cursor of a previous page") from exc
    if not isinstance(decoded, list) or not decoded or decoded[0] != kind:
        raise InvalidCursor(
            "invalid cursor: it belongs to another listing or sort; "
            "pass the next_cursor of a previous page with the same sort and order"
        )
    values = decoded[1:]
    if len(values) != len(types) or not all(
        isinstance(v, t) and not (t is int and isinstance(v, bool))
        for v, t in zip(values, types, strict=True)
    ):
        raise InvalidCursor("invalid cursor: pass the next_cursor of a previous page")
    return values


def iso(value: datetime | int) -> str:
    """ISO 8601 in UTC from an aware datetime or unix nanoseconds."""
    if isinstance(value, int):
        seconds, ns = divmod(value, 1_000_000_000)
        value = datetime.fromtimestamp(seconds, UTC).replace(microsecond=ns // 1000)
    return value.astimezone(UTC).isoformat()
