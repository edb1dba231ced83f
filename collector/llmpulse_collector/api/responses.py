"""Response models of the query API: one shape per concept, written once and reused by
the routes (and documented in docs/openapi.json).

Every model allows fields it does not name (``extra="allow"``): the routes answer what
the store queries return, and a field added there reaches the client before it is named
here. Fields a route may leave out are optional; those routes answer with
``response_model_exclude_unset`` so an absent field stays absent.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AlertHistoryPage",
    "CostAnswer",
    "DriftAnswer",
    "EvaluationRecord",
    "EvaluationSummaryAnswer",
    "FailingPage",
    "FeedbackPage",
    "MeAnswer",
    "MetricDefinitionsAnswer",
    "MetricsSummaryAnswer",
    "MetricsTimeseriesAnswer",
    "SessionDetail",
    "SessionPage",
    "TraceDetail",
    "TracePage",
    "TraceSummary",
    "UserPage",
]


class Open(BaseModel):
    """A JSON object whose named fields are typed and whose other fields pass through."""

    model_config = ConfigDict(extra="allow")


# -- shared pieces ------------------------------------------------------------------


class Latency(Open):
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


class Ttft(Open):
    p50: float | None = None
    p95: float | None = None


class Metrics(Open):
    """The metrics object of a group, a bucket or a total (see /metrics/definitions)."""

    spans: int | None = None
    traces: int | None = None
    errors: int | None = None
    error_rate: float | None = None
    latency_ms: Latency | None = None
    llm_latency_ms: Latency | None = None
    ttft_ms: Ttft | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cost_usd: float | None = None
    unpriced_llm_spans: int | None = None


class Paged(Open):
    """A page of a cursor-paged list: pass ``next_cursor`` back as ``cursor``."""

    next_cursor: str | None = Field(None, description="the next page's cursor; null: last page")


class Counted(Paged):
    total: int | None = Field(None, description="rows across all pages")


class PeopleTotals(Open):
    traces: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    total_tokens: int = 0


class EvaluationRecord(Open):
    """An evaluation or a feedback (an evaluation from ``source=feedback``)."""

    evaluation_id: str
    trace_id: str | None = None
    span_id: str = ""
    name: str
    source: str = ""
    passed: bool | None = None
    score: float | None = None
    label: str = ""
    comment: str = ""
    value: str | None = None
    created_at_ns: int
    created_at: str | None = None


# -- traces ------------------------------------------------------------------------


class TraceSummary(Open):
    """One row of the trace list (and of a session's traces)."""

    trace_id: str
    start_time: str
    end_time: str
    start_time_ns: int
    end_time_ns: int
    duration_ms: float
    name: str
    service_name: str
    environment: str = ""
    spans: int
    errors: int
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None
    session_id: str = ""
    user_id: str = ""
    tags: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    input_preview: str = ""
    output_preview: str = ""
    assertions_passed: int = 0
    assertions_failed: int = 0
    avg_score: float | None = None
    feedback_positive: int = 0
    feedback_negative: int = 0


class TracePage(Counted):
    traces: list[TraceSummary]


class SpanEvent(Open):
    name: str = ""
    time_ns: int | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class SpanNode(Open):
    """A span of a trace's tree, with its evaluations and children."""

    span_id: str
    parent_span_id: str
    name: str
    kind: str
    start_time_ns: int
    end_time_ns: int
    duration_ms: float
    status_code: str
    status_message: str = ""
    service_name: str = ""
    scope_name: str = ""
    environment: str = ""
    service_version: str = ""  # the resource's service.version
    prompt_version: str = ""  # llmpulse metadata prompt_version or llm.prompt_template.version
    provider: str = ""
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    finish_reason: str = ""
    tool_name: str = ""
    session_id: str = ""
    user_id: str = ""
    span_type: str = ""
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    time_to_first_token_ms: float | None = None
    tags: list[str] = Field(default_factory=list)
    input: str = ""
    output: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)
    resource_attributes: dict[str, Any] = Field(default_factory=dict)
    events: list[SpanEvent] = Field(default_factory=list)
    offset_ms: float = 0.0
    depth: int = 0
    evaluations: list[EvaluationRecord] = Field(default_factory=list)
    children: list[SpanNode] = Field(default_factory=list)


class TraceDetail(Open):
    trace_id: str
    start_time_ns: int
    end_time_ns: int
    start_time: str
    duration_ms: float
    span_count: int
    name: str
    service_name: str
    session_id: str = ""
    user_id: str = ""
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    roots: list[SpanNode]
    evaluations: list[EvaluationRecord] = Field(default_factory=list)
    feedback: list[EvaluationRecord] = Field(default_factory=list)
    logs: list[dict[str, Any]] = Field(default_factory=list)


# -- metrics -----------------------------------------------------------------------


class MetricsGroup(Metrics):
    group: str
    previous: Metrics | None = Field(None, description="the group in the previous period")
    comparison: dict[str, Any] | None = Field(None, description="per metric: the change")


class Bucket(Metrics):
    time: str
    time_ns: int
    offset: int | None = None
    partial: bool | None = None


class Series(Open):
    group: str
    totals: Metrics
    buckets: list[Bucket]


class Window(Open):
    from_ns: int
    to_ns: int


class PreviousTotals(Window):
    totals: Metrics
    samples: dict[str, int] | None = Field(None, description="samples per population")


class MetricsSummaryAnswer(Window):
    group_by: str | None = None
    groups: list[MetricsGroup]
    previous: PreviousTotals | None = None


class PreviousSeries(Window):
    series: list[Series]


class MetricsTimeseriesAnswer(Window):
    interval: int
    group_by: str | None = None
    series: list[Series]
    previous: PreviousSeries | None = None


class CostFigures(Open):
    spans: int | None = None
    llm_calls: int | None = None
    traces: int | None = None
    unpriced_llm_spans: int | None = None
    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


class CostGroup(CostFigures):
    group: str
    share: float | None = None


class CostAnswer(Window):
    group_by: str
    total_cost_usd: float
    totals: CostFigures
    groups_overlap: bool = False
    groups: list[CostGroup]


class Population(Open):
    name: str
    table: str
    where: str = ""
    doc: str = ""


class MetricDefinition(Open):
    name: str
    label: str
    population: str
    aggregate: str
    unit: str
    direction: str = ""
    alertable: bool = False
    doc: str = ""


class MetricDefinitionsAnswer(Open):
    quantile_function: str
    min_baseline_samples: int
    populations: list[Population]
    metrics: list[MetricDefinition]


# -- sessions and users ------------------------------------------------------------


class SessionRow(Open):
    session_id: str
    user_id: str = ""
    traces: int
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None
    first_seen: str
    last_seen: str
    duration_ms: float | None = None


class SessionPage(Counted):
    sessions: list[SessionRow]
    totals: PeopleTotals | None = None


class SessionTurn(TraceSummary):
    input: str = ""
    output: str = ""
    messages: list[dict[str, Any]] = Field(default_factory=list)


class SessionDetail(Open):
    session_id: str
    user_id: str = ""
    first_seen: str = Field(description="the session's first trace (all pages)")
    last_seen: str = Field(description="the session's last trace end (all pages)")
    traces: list[SessionTurn] = Field(description="one page of the traces, oldest first")
    total: int = Field(description="traces across all pages")
    next_cursor: str | None = Field(None, description="the next page's cursor; null: last page")
    totals: PeopleTotals | None = Field(None, description="sums over every trace (all pages)")


class UserRow(Open):
    user_id: str
    traces: int
    sessions: int = 0
    spans: int = 0
    errors: int = 0
    error_rate: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None
    first_seen: str
    last_seen: str


class UserPage(Counted):
    users: list[UserRow]
    totals: PeopleTotals | None = None


# -- evaluations, feedback ---------------------------------------------------------


class PassCounts(Open):
    total: int
    passed: int
    failed: int
    pass_rate: float | None = None
    positive_rate: float | None = None


class EvaluationBucket(PassCounts):
    time: str
    time_ns: int


class EvaluationName(PassCounts):
    name: str
    kind: str
    avg_score: float | None = None
    buckets: list[EvaluationBucket] = Field(default_factory=list)


class EvaluationTotals(Open):
    assertions: PassCounts
    feedback: PassCounts


class EvaluationSummaryAnswer(Window):
    interval: int
    names: list[EvaluationName]
    totals: EvaluationTotals


class FailingEvaluation(EvaluationRecord):
    span_name: str = ""


class FailingPage(Counted):
    evaluations: list[FailingEvaluation]


class FeedbackPage(Counted):
    feedback: list[EvaluationRecord]


# -- drift, me ---------------------------------------------------------------------


class TopMover(Open):
    category: str
    baseline_share: float
    current_share: float
    change: float


class DriftFeature(Open):
    feature: str
    kind: str
    baseline_count: int
    current_count: int
    verdict: str = Field(description="stable, warning, drift or not_enough_data")
    message: str = ""
    psi: float | None = None
    ks_statistic: float | None = None
    ks_p_value: float | None = None
    median_baseline: float | None = None
    median_current: float | None = None
    median_shift: float | None = None
    median_shift_pct: float | None = None
    bin_edges: list[float | None] | None = None
    baseline_counts: list[int] | None = None
    current_counts: list[int] | None = None
    js_distance: float | None = None
    top_movers: list[TopMover] | None = None


class DriftGroup(Open):
    group: dict[str, Any]
    baseline_count: int
    current_count: int
    features: list[DriftFeature]
    verdict: str


class DriftAnswer(Open):
    baseline: Window
    current: Window
    group_by: list[str]
    filters: dict[str, Any]
    thresholds: dict[str, float]
    groups: list[DriftGroup]


class MeAnswer(Open):
    project_id: str
    project_name: str
    scope: str


# -- alerts ------------------------------------------------------------------------


class AlertEvent(Open):
    rule_id: str
    rule_name: str
    event: str = Field(description="firing, renotify or resolved")
    severity: str
    at_ns: int
    value: float | None = None
    baseline: float | None = None
    samples: int | None = None
    message: str = ""
    notified: bool | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


class AlertHistoryPage(Counted):
    events: list[AlertEvent]


class AlertRuleAnswer(Open):
    id: str
    source: str = Field(description="api or file")
    updated_at_ns: int | None = None
    rule: dict[str, Any] = Field(description="the rule's definition (see AlertRule)")


class AlertRuleList(Counted):
    rules: list[AlertRuleAnswer]


class AlertRuleState(Open):
    project_id: str
    rule_id: str
    rule_name: str
    status: str = Field(description="ok or firing")
    since_ns: int
    value: float | None = None
    baseline: float | None = None
    samples: int
    last_evaluated_ns: int
    last_notified_ns: int


class AlertStates(Counted):
    engine_running: bool
    firing: int = Field(0, description="rules firing now (across all pages)")
    states: list[AlertRuleState]


class AlertResult(Open):
    """One rule evaluated once."""

    rule_name: str
    metric: str
    status: str = Field(description="firing, ok or insufficient_data")
    value: float | None = None
    baseline: float | None = None
    change: float | None = None
    threshold: str | None = None
    samples: int | None = None
    baseline_samples: int | None = None
    verdict: str | None = None
    message: str = ""
    link: str | None = None


class AlertEvaluation(Open):
    at_ns: int
    firing: int
    results: list[AlertResult]


class NotificationsSent(Open):
    sent: dict[str, Any]


# -- evaluation rules, feedback, values, admin -------------------------------------


class EvalRuleAnswer(Open):
    """An evaluation rule: its id, where it comes from, and its definition's fields."""

    id: str
    source: str = Field(description="api or file")
    updated_at_ns: int | None = None
    name: str


class EvalRuleList(Counted):
    rules: list[EvalRuleAnswer]


class Deleted(Open):
    status: str = "deleted"
    id: str


class FeedbackStored(Open):
    status: str = "stored"
    trace_id: str
    name: str


class ValueCount(Open):
    value: Any
    count: int


class ValuesAnswer(Open):
    field: str
    values: list[ValueCount]


class ProjectAnswer(Open):
    project_id: str
    name: str


class ProjectList(Counted):
    projects: list[ProjectAnswer]


class NewKey(Open):
    key: str = Field(description="the key itself, shown once")
    project_id: str
    scope: str


class KeyInfo(Open):
    key_id: str
    key_prefix: str
    scope: str
    created_at: str
    revoked: bool


class KeyList(Counted):
    keys: list[KeyInfo]


class KeyRevoked(Open):
    key_id: str
    revoked: bool
