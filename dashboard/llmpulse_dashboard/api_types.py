"""Generated from docs/openapi.json by ``python -m llmpulse_dashboard.gen_types``; do not edit.

The API's answer shapes, one TypedDict per response schema (regenerate after
changing the collector's response models and docs/openapi.json).
"""

from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "AlertEvaluation",
    "AlertEvent",
    "AlertHistoryPage",
    "AlertResult",
    "AlertRuleAnswer",
    "AlertRuleList",
    "AlertRuleState",
    "AlertStates",
    "Bucket",
    "CompareOut",
    "CostAnswer",
    "CostFigures",
    "CostGroup",
    "DatasetAddedOut",
    "DatasetDetailOut",
    "DatasetItemsPageOut",
    "DatasetListOut",
    "DatasetOut",
    "Deleted",
    "DriftAnswer",
    "DriftFeature",
    "DriftGroup",
    "EvalRuleAnswer",
    "EvalRuleList",
    "EvaluationBucket",
    "EvaluationName",
    "EvaluationRecord",
    "EvaluationSummaryAnswer",
    "EvaluationTotals",
    "EvaluatorCompareOut",
    "EvaluatorStats",
    "FailingEvaluation",
    "FailingPage",
    "FeedbackPage",
    "FeedbackStored",
    "GateOut",
    "ItemDiffOut",
    "ItemOut",
    "KeyInfo",
    "KeyList",
    "KeyRevoked",
    "LabelOut",
    "Latency",
    "LatencyStats",
    "MeAnswer",
    "MetricDefinition",
    "MetricDefinitionsAnswer",
    "Metrics",
    "MetricsGroup",
    "MetricsSummaryAnswer",
    "MetricsTimeseriesAnswer",
    "NewKey",
    "NextOut",
    "NotificationsSent",
    "PassCounts",
    "PeopleTotals",
    "Population",
    "PreviousSeries",
    "PreviousTotals",
    "ProjectAnswer",
    "ProjectList",
    "QueueAddedOut",
    "QueueItemsPageOut",
    "QueueListOut",
    "QueueOut",
    "ResultOut",
    "ReviewItemOut",
    "RunDetailOut",
    "RunListOut",
    "RunOut",
    "RunSummaryOut",
    "ScoreOut",
    "Series",
    "SessionDetail",
    "SessionPage",
    "SessionRow",
    "SessionTurn",
    "SideOut",
    "SpanEvent",
    "SpanNode",
    "StoredOut",
    "TopMover",
    "TraceDetail",
    "TracePage",
    "TraceSummary",
    "Ttft",
    "UserPage",
    "UserRow",
    "ValueCount",
    "ValuesAnswer",
    "VersionOut",
    "Window",
]


class AlertEvaluation(TypedDict):
    at_ns: int
    firing: int
    results: "list[AlertResult]"


class AlertEvent(TypedDict):
    at_ns: int
    baseline: NotRequired[float | None]
    # firing, renotify or resolved
    event: str
    message: NotRequired[str]
    notified: NotRequired[bool | None]
    payload: NotRequired[dict[str, Any]]
    rule_id: str
    rule_name: str
    samples: NotRequired[int | None]
    severity: str
    value: NotRequired[float | None]


class AlertHistoryPage(TypedDict):
    events: "list[AlertEvent]"
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    # rows across all pages
    total: NotRequired[int | None]


class AlertResult(TypedDict):
    """One rule evaluated once."""

    baseline: NotRequired[float | None]
    baseline_samples: NotRequired[int | None]
    change: NotRequired[float | None]
    link: NotRequired[str | None]
    message: NotRequired[str]
    metric: str
    rule_name: str
    samples: NotRequired[int | None]
    # firing, ok or insufficient_data
    status: str
    threshold: NotRequired[str | None]
    value: NotRequired[float | None]
    verdict: NotRequired[str | None]


class AlertRuleAnswer(TypedDict):
    id: str
    # the rule's definition (see AlertRule)
    rule: dict[str, Any]
    # api or file
    source: str
    updated_at_ns: NotRequired[int | None]


class AlertRuleList(TypedDict):
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    rules: "list[AlertRuleAnswer]"
    # rows across all pages
    total: NotRequired[int | None]


class AlertRuleState(TypedDict):
    baseline: NotRequired[float | None]
    last_evaluated_ns: int
    last_notified_ns: int
    project_id: str
    rule_id: str
    rule_name: str
    samples: int
    since_ns: int
    # ok or firing
    status: str
    value: NotRequired[float | None]


class AlertStates(TypedDict):
    engine_running: bool
    # rules firing now (across all pages)
    firing: NotRequired[int]
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    states: "list[AlertRuleState]"
    # rows across all pages
    total: NotRequired[int | None]


class Bucket(TypedDict):
    cost_usd: NotRequired[float | None]
    error_rate: NotRequired[float | None]
    errors: NotRequired[int | None]
    input_tokens: NotRequired[int | None]
    latency_ms: NotRequired["Latency | None"]
    llm_latency_ms: NotRequired["Latency | None"]
    offset: NotRequired[int | None]
    output_tokens: NotRequired[int | None]
    partial: NotRequired[bool | None]
    spans: NotRequired[int | None]
    time: str
    time_ns: int
    total_tokens: NotRequired[int | None]
    traces: NotRequired[int | None]
    ttft_ms: NotRequired["Ttft | None"]
    unpriced_llm_spans: NotRequired[int | None]


class CompareOut(TypedDict):
    baseline: "RunSummaryOut"
    candidate: "RunSummaryOut"
    evaluators: "list[EvaluatorCompareOut]"
    gate: "GateOut"
    improved_items: int
    # one page of item diffs, regressed first
    items: "list[ItemDiffOut]"
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    only_baseline: int
    only_candidate: int
    regressed_items: int
    shared_items: int
    # item diffs across all pages (items scored in both runs)
    total: int


class CostAnswer(TypedDict):
    from_ns: int
    group_by: str
    groups: "list[CostGroup]"
    groups_overlap: NotRequired[bool]
    to_ns: int
    total_cost_usd: float
    totals: "CostFigures"


class CostFigures(TypedDict):
    cost_usd: NotRequired[float | None]
    input_tokens: NotRequired[int | None]
    llm_calls: NotRequired[int | None]
    output_tokens: NotRequired[int | None]
    spans: NotRequired[int | None]
    traces: NotRequired[int | None]
    unpriced_llm_spans: NotRequired[int | None]


class CostGroup(TypedDict):
    cost_usd: NotRequired[float | None]
    group: str
    input_tokens: NotRequired[int | None]
    llm_calls: NotRequired[int | None]
    output_tokens: NotRequired[int | None]
    share: NotRequired[float | None]
    spans: NotRequired[int | None]
    traces: NotRequired[int | None]
    unpriced_llm_spans: NotRequired[int | None]


class DatasetAddedOut(TypedDict):
    added: int
    dataset_id: str
    item_ids: list[str]
    # the dataset's version after this change
    version: int
    version_ns: int


class DatasetDetailOut(TypedDict):
    created_at: str
    created_at_ns: int
    description: str
    id: str
    item_count: int
    metadata: dict[str, Any]
    name: str
    # the next page of versions; null: last page
    next_cursor: NotRequired[str | None]
    # versions across all pages
    total: int
    # latest version number (0 while empty)
    version: int
    # time of the latest version, unix ns (0 while empty)
    version_ns: int
    # one page of the versions, oldest first
    versions: "list[VersionOut]"


class DatasetItemsPageOut(TypedDict):
    dataset_id: str
    items: "list[ItemOut]"
    next_cursor: str | None
    total: int
    version: int
    version_ns: int


class DatasetListOut(TypedDict):
    datasets: "list[DatasetOut]"
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    # datasets across all pages
    total: int


class DatasetOut(TypedDict):
    created_at: str
    created_at_ns: int
    description: str
    id: str
    item_count: int
    metadata: dict[str, Any]
    name: str
    # latest version number (0 while empty)
    version: int
    # time of the latest version, unix ns (0 while empty)
    version_ns: int


class Deleted(TypedDict):
    id: str
    status: NotRequired[str]


class DriftAnswer(TypedDict):
    baseline: "Window"
    current: "Window"
    filters: dict[str, Any]
    group_by: list[str]
    groups: "list[DriftGroup]"
    thresholds: dict[str, float]


class DriftFeature(TypedDict):
    baseline_count: int
    baseline_counts: NotRequired[list[int] | None]
    bin_edges: NotRequired[list[float | None] | None]
    current_count: int
    current_counts: NotRequired[list[int] | None]
    feature: str
    js_distance: NotRequired[float | None]
    kind: str
    ks_p_value: NotRequired[float | None]
    ks_statistic: NotRequired[float | None]
    median_baseline: NotRequired[float | None]
    median_current: NotRequired[float | None]
    median_shift: NotRequired[float | None]
    median_shift_pct: NotRequired[float | None]
    message: NotRequired[str]
    psi: NotRequired[float | None]
    top_movers: NotRequired["list[TopMover] | None"]
    # stable, warning, drift or not_enough_data
    verdict: str


class DriftGroup(TypedDict):
    baseline_count: int
    current_count: int
    features: "list[DriftFeature]"
    group: dict[str, Any]
    verdict: str


class EvalRuleAnswer(TypedDict):
    """An evaluation rule: its id, where it comes from, and its definition's fields."""

    id: str
    name: str
    # api or file
    source: str
    updated_at_ns: NotRequired[int | None]


class EvalRuleList(TypedDict):
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    rules: "list[EvalRuleAnswer]"
    # rows across all pages
    total: NotRequired[int | None]


class EvaluationBucket(TypedDict):
    failed: int
    pass_rate: NotRequired[float | None]
    passed: int
    positive_rate: NotRequired[float | None]
    time: str
    time_ns: int
    total: int


class EvaluationName(TypedDict):
    avg_score: NotRequired[float | None]
    buckets: NotRequired["list[EvaluationBucket]"]
    failed: int
    kind: str
    name: str
    pass_rate: NotRequired[float | None]
    passed: int
    positive_rate: NotRequired[float | None]
    total: int


class EvaluationRecord(TypedDict):
    """An evaluation or a feedback (an evaluation from ``source=feedback``)."""

    comment: NotRequired[str]
    created_at: NotRequired[str | None]
    created_at_ns: int
    evaluation_id: str
    label: NotRequired[str]
    name: str
    passed: NotRequired[bool | None]
    score: NotRequired[float | None]
    source: NotRequired[str]
    span_id: NotRequired[str]
    trace_id: NotRequired[str | None]
    value: NotRequired[str | None]


class EvaluationSummaryAnswer(TypedDict):
    from_ns: int
    interval: int
    names: "list[EvaluationName]"
    to_ns: int
    totals: "EvaluationTotals"


class EvaluationTotals(TypedDict):
    assertions: "PassCounts"
    feedback: "PassCounts"


class EvaluatorCompareOut(TypedDict):
    baseline: "EvaluatorStats | None"
    candidate: "EvaluatorStats | None"
    # -mean_diff
    drop: float | None
    drop_ci_high: float | None
    drop_ci_low: float | None
    # mean of candidate - baseline
    mean_diff: float | None
    name: str
    # items scored in both runs
    paired: int
    regressed: bool


class EvaluatorStats(TypedDict):
    count: int
    mean_score: float | None
    name: str
    # passed / judged; None without verdicts
    pass_rate: float | None


class FailingEvaluation(TypedDict):
    comment: NotRequired[str]
    created_at: NotRequired[str | None]
    created_at_ns: int
    evaluation_id: str
    label: NotRequired[str]
    name: str
    passed: NotRequired[bool | None]
    score: NotRequired[float | None]
    source: NotRequired[str]
    span_id: NotRequired[str]
    span_name: NotRequired[str]
    trace_id: NotRequired[str | None]
    value: NotRequired[str | None]


class FailingPage(TypedDict):
    evaluations: "list[FailingEvaluation]"
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    # rows across all pages
    total: NotRequired[int | None]


class FeedbackPage(TypedDict):
    feedback: "list[EvaluationRecord]"
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    # rows across all pages
    total: NotRequired[int | None]


class FeedbackStored(TypedDict):
    name: str
    status: NotRequired[str]
    trace_id: str


class GateOut(TypedDict):
    confidence: float
    failed: bool
    max_drop: float
    # 'bootstrap+normal': some evaluator had too many items for resampling and its interval is the
    # normal approximation
    method: Literal["bootstrap", "bootstrap+normal"]
    regressed_evaluators: list[str]
    resamples: int
    rule: str
    seed: int


class ItemDiffOut(TypedDict):
    baseline: "SideOut | None"
    candidate: "SideOut | None"
    expected_output: Any
    input: Any
    item_id: str
    regressed: bool
    regressed_evaluators: list[str]
    # sum over evaluators of candidate - baseline
    score_delta: float


class ItemOut(TypedDict):
    added_at: str
    expected_output: Any
    id: str
    input: Any
    metadata: dict[str, Any]
    source_span_id: str | None
    source_trace_id: str | None
    # the version this item's content comes from
    version_ns: int


class KeyInfo(TypedDict):
    created_at: str
    key_id: str
    key_prefix: str
    revoked: bool
    scope: str


class KeyList(TypedDict):
    keys: "list[KeyInfo]"
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    # rows across all pages
    total: NotRequired[int | None]


class KeyRevoked(TypedDict):
    key_id: str
    revoked: bool


class LabelOut(TypedDict):
    dataset_item_id: str | None
    evaluation_id: str
    item: "ReviewItemOut"


class Latency(TypedDict):
    p50: NotRequired[float | None]
    p95: NotRequired[float | None]
    p99: NotRequired[float | None]


class LatencyStats(TypedDict):
    mean: float | None
    p50: float | None
    p95: float | None


class MeAnswer(TypedDict):
    project_id: str
    project_name: str
    scope: str


class MetricDefinition(TypedDict):
    aggregate: str
    alertable: NotRequired[bool]
    direction: NotRequired[str]
    doc: NotRequired[str]
    label: str
    name: str
    population: str
    unit: str


class MetricDefinitionsAnswer(TypedDict):
    metrics: "list[MetricDefinition]"
    min_baseline_samples: int
    populations: "list[Population]"
    quantile_function: str


class Metrics(TypedDict):
    """The metrics object of a group, a bucket or a total (see /metrics/definitions)."""

    cost_usd: NotRequired[float | None]
    error_rate: NotRequired[float | None]
    errors: NotRequired[int | None]
    input_tokens: NotRequired[int | None]
    latency_ms: NotRequired["Latency | None"]
    llm_latency_ms: NotRequired["Latency | None"]
    output_tokens: NotRequired[int | None]
    spans: NotRequired[int | None]
    total_tokens: NotRequired[int | None]
    traces: NotRequired[int | None]
    ttft_ms: NotRequired["Ttft | None"]
    unpriced_llm_spans: NotRequired[int | None]


class MetricsGroup(TypedDict):
    # per metric: the change
    comparison: NotRequired[dict[str, Any] | None]
    cost_usd: NotRequired[float | None]
    error_rate: NotRequired[float | None]
    errors: NotRequired[int | None]
    group: str
    input_tokens: NotRequired[int | None]
    latency_ms: NotRequired["Latency | None"]
    llm_latency_ms: NotRequired["Latency | None"]
    output_tokens: NotRequired[int | None]
    # the group in the previous period
    previous: NotRequired["Metrics | None"]
    spans: NotRequired[int | None]
    total_tokens: NotRequired[int | None]
    traces: NotRequired[int | None]
    ttft_ms: NotRequired["Ttft | None"]
    unpriced_llm_spans: NotRequired[int | None]


class MetricsSummaryAnswer(TypedDict):
    from_ns: int
    group_by: NotRequired[str | None]
    groups: "list[MetricsGroup]"
    previous: NotRequired["PreviousTotals | None"]
    to_ns: int


class MetricsTimeseriesAnswer(TypedDict):
    from_ns: int
    group_by: NotRequired[str | None]
    interval: int
    previous: NotRequired["PreviousSeries | None"]
    series: "list[Series]"
    to_ns: int


class NewKey(TypedDict):
    # the key itself, shown once
    key: str
    project_id: str
    scope: str


class NextOut(TypedDict):
    # None when nothing is pending
    item: "ReviewItemOut | None"
    pending: int
    # the trace, as GET /api/v1/traces/{id}
    trace: "TraceDetail | None"


class NotificationsSent(TypedDict):
    sent: dict[str, Any]


class PassCounts(TypedDict):
    failed: int
    pass_rate: NotRequired[float | None]
    passed: int
    positive_rate: NotRequired[float | None]
    total: int


class PeopleTotals(TypedDict):
    cost_usd: NotRequired[float | None]
    errors: NotRequired[int]
    input_tokens: NotRequired[int]
    output_tokens: NotRequired[int]
    total_tokens: NotRequired[int]
    traces: NotRequired[int]


class Population(TypedDict):
    doc: NotRequired[str]
    name: str
    table: str
    where: NotRequired[str]


class PreviousSeries(TypedDict):
    from_ns: int
    series: "list[Series]"
    to_ns: int


class PreviousTotals(TypedDict):
    from_ns: int
    # samples per population
    samples: NotRequired[dict[str, int] | None]
    to_ns: int
    totals: "Metrics"


class ProjectAnswer(TypedDict):
    name: str
    project_id: str


class ProjectList(TypedDict):
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    projects: "list[ProjectAnswer]"
    # rows across all pages
    total: NotRequired[int | None]


class QueueAddedOut(TypedDict):
    # new items (traces already queued are not added again)
    added: int
    item_ids: list[str]
    queue_id: str


class QueueItemsPageOut(TypedDict):
    items: "list[ReviewItemOut]"
    next_cursor: str | None
    queue_id: str
    total: int


class QueueListOut(TypedDict):
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    queues: "list[QueueOut]"
    # queues across all pages
    total: int


class QueueOut(TypedDict):
    categories: list[str]
    created_at: str
    dataset_id: str | None
    description: str
    done: int
    evaluation_name: str
    id: str
    label_kind: Literal["pass_fail", "numeric", "categorical"]
    max_score: float
    min_score: float
    name: str
    pending: int
    skipped: int


class ResultOut(TypedDict):
    cost_usd: float | None
    error: str | None
    evaluator_cost_usd: float | None
    expected_output: Any
    input: Any
    item_id: str
    latency_ms: float
    output: Any
    scores: "dict[str, ScoreOut]"
    trace_id: str | None


class ReviewItemOut(TypedDict):
    added_at: str
    evaluation_id: str | None
    id: str
    reviewer: str | None
    span_id: str | None
    status: Literal["pending", "done", "skipped"]
    trace_id: str
    updated_at: str


class RunDetailOut(TypedDict):
    # cost of the items' traces, evaluator spans excluded
    cost_usd: float
    created_at: str
    created_at_ns: int
    dataset_id: str | None
    dataset_name: str | None
    dataset_version: int | None
    dataset_version_ns: int | None
    errors: int
    # cost of the evaluator spans (LLM judges)
    evaluator_cost_usd: float
    evaluators: "list[EvaluatorStats]"
    id: str
    items: int
    latency_ms: "LatencyStats"
    metadata: dict[str, Any]
    name: str
    next_cursor: str | None
    results: "list[ResultOut]"
    status: Literal["running", "completed", "failed"]
    total: int
    updated_at: str


class RunListOut(TypedDict):
    experiments: "list[RunSummaryOut]"
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    # runs across all pages
    total: int


class RunOut(TypedDict):
    created_at: str
    created_at_ns: int
    dataset_id: str | None
    dataset_name: str | None
    dataset_version: int | None
    dataset_version_ns: int | None
    id: str
    metadata: dict[str, Any]
    name: str
    status: Literal["running", "completed", "failed"]
    updated_at: str


class RunSummaryOut(TypedDict):
    # cost of the items' traces, evaluator spans excluded
    cost_usd: float
    created_at: str
    created_at_ns: int
    dataset_id: str | None
    dataset_name: str | None
    dataset_version: int | None
    dataset_version_ns: int | None
    errors: int
    # cost of the evaluator spans (LLM judges)
    evaluator_cost_usd: float
    evaluators: "list[EvaluatorStats]"
    id: str
    items: int
    latency_ms: "LatencyStats"
    metadata: dict[str, Any]
    name: str
    status: Literal["running", "completed", "failed"]
    updated_at: str


class ScoreOut(TypedDict):
    label: str | None
    passed: bool | None
    reason: str | None
    score: float | None


class Series(TypedDict):
    buckets: "list[Bucket]"
    group: str
    totals: "Metrics"


class SessionDetail(TypedDict):
    # the session's first trace (all pages)
    first_seen: str
    # the session's last trace end (all pages)
    last_seen: str
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    session_id: str
    # traces across all pages
    total: int
    # sums over every trace (all pages)
    totals: NotRequired["PeopleTotals | None"]
    # one page of the traces, oldest first
    traces: "list[SessionTurn]"
    user_id: NotRequired[str]


class SessionPage(TypedDict):
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    sessions: "list[SessionRow]"
    # rows across all pages
    total: NotRequired[int | None]
    totals: NotRequired["PeopleTotals | None"]


class SessionRow(TypedDict):
    cost_usd: NotRequired[float | None]
    duration_ms: NotRequired[float | None]
    errors: NotRequired[int]
    first_seen: str
    input_tokens: NotRequired[int]
    last_seen: str
    output_tokens: NotRequired[int]
    session_id: str
    total_tokens: NotRequired[int]
    traces: int
    user_id: NotRequired[str]


class SessionTurn(TypedDict):
    assertions_failed: NotRequired[int]
    assertions_passed: NotRequired[int]
    avg_score: NotRequired[float | None]
    cost_usd: NotRequired[float | None]
    duration_ms: float
    end_time: str
    end_time_ns: int
    environment: NotRequired[str]
    errors: int
    feedback_negative: NotRequired[int]
    feedback_positive: NotRequired[int]
    input: NotRequired[str]
    input_preview: NotRequired[str]
    input_tokens: NotRequired[int]
    llm_calls: NotRequired[int]
    messages: NotRequired[list[dict[str, Any]]]
    models: NotRequired[list[str]]
    name: str
    output: NotRequired[str]
    output_preview: NotRequired[str]
    output_tokens: NotRequired[int]
    service_name: str
    session_id: NotRequired[str]
    spans: int
    start_time: str
    start_time_ns: int
    tags: NotRequired[list[str]]
    total_tokens: NotRequired[int]
    trace_id: str
    user_id: NotRequired[str]


class SideOut(TypedDict):
    error: str | None
    latency_ms: float
    output: Any
    scores: "dict[str, ScoreOut]"
    trace_id: str | None


class SpanEvent(TypedDict):
    attributes: NotRequired[dict[str, Any]]
    name: NotRequired[str]
    time_ns: NotRequired[int | None]


class SpanNode(TypedDict):
    """A span of a trace's tree, with its evaluations and children."""

    attributes: NotRequired[dict[str, Any]]
    cache_read_tokens: NotRequired[int]
    cache_write_tokens: NotRequired[int]
    children: NotRequired["list[SpanNode]"]
    cost_usd: NotRequired[float | None]
    depth: NotRequired[int]
    duration_ms: float
    end_time_ns: int
    environment: NotRequired[str]
    evaluations: NotRequired["list[EvaluationRecord]"]
    events: NotRequired["list[SpanEvent]"]
    finish_reason: NotRequired[str]
    input: NotRequired[str]
    input_tokens: NotRequired[int]
    kind: str
    model: NotRequired[str]
    name: str
    offset_ms: NotRequired[float]
    output: NotRequired[str]
    output_tokens: NotRequired[int]
    parent_span_id: str
    prompt_version: NotRequired[str]
    provider: NotRequired[str]
    reasoning_tokens: NotRequired[int]
    resource_attributes: NotRequired[dict[str, Any]]
    scope_name: NotRequired[str]
    service_name: NotRequired[str]
    service_version: NotRequired[str]
    session_id: NotRequired[str]
    span_id: str
    span_type: NotRequired[str]
    start_time_ns: int
    status_code: str
    status_message: NotRequired[str]
    tags: NotRequired[list[str]]
    time_to_first_token_ms: NotRequired[float | None]
    tool_name: NotRequired[str]
    user_id: NotRequired[str]


class StoredOut(TypedDict):
    run_id: str
    stored: int


class TopMover(TypedDict):
    baseline_share: float
    category: str
    change: float
    current_share: float


class TraceDetail(TypedDict):
    cost_usd: NotRequired[float | None]
    duration_ms: float
    end_time_ns: int
    errors: NotRequired[int]
    evaluations: NotRequired["list[EvaluationRecord]"]
    feedback: NotRequired["list[EvaluationRecord]"]
    input_tokens: NotRequired[int]
    logs: NotRequired[list[dict[str, Any]]]
    name: str
    output_tokens: NotRequired[int]
    roots: "list[SpanNode]"
    service_name: str
    session_id: NotRequired[str]
    span_count: int
    start_time: str
    start_time_ns: int
    trace_id: str
    user_id: NotRequired[str]


class TracePage(TypedDict):
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    # rows across all pages
    total: NotRequired[int | None]
    traces: "list[TraceSummary]"


class TraceSummary(TypedDict):
    """One row of the trace list (and of a session's traces)."""

    assertions_failed: NotRequired[int]
    assertions_passed: NotRequired[int]
    avg_score: NotRequired[float | None]
    cost_usd: NotRequired[float | None]
    duration_ms: float
    end_time: str
    end_time_ns: int
    environment: NotRequired[str]
    errors: int
    feedback_negative: NotRequired[int]
    feedback_positive: NotRequired[int]
    input_preview: NotRequired[str]
    input_tokens: NotRequired[int]
    llm_calls: NotRequired[int]
    models: NotRequired[list[str]]
    name: str
    output_preview: NotRequired[str]
    output_tokens: NotRequired[int]
    service_name: str
    session_id: NotRequired[str]
    spans: int
    start_time: str
    start_time_ns: int
    tags: NotRequired[list[str]]
    total_tokens: NotRequired[int]
    trace_id: str
    user_id: NotRequired[str]


class Ttft(TypedDict):
    p50: NotRequired[float | None]
    p95: NotRequired[float | None]


class UserPage(TypedDict):
    # the next page's cursor; null: last page
    next_cursor: NotRequired[str | None]
    # rows across all pages
    total: NotRequired[int | None]
    totals: NotRequired["PeopleTotals | None"]
    users: "list[UserRow]"


class UserRow(TypedDict):
    cost_usd: NotRequired[float | None]
    error_rate: NotRequired[float | None]
    errors: NotRequired[int]
    first_seen: str
    input_tokens: NotRequired[int]
    last_seen: str
    output_tokens: NotRequired[int]
    sessions: NotRequired[int]
    spans: NotRequired[int]
    total_tokens: NotRequired[int]
    traces: int
    user_id: str


class ValueCount(TypedDict):
    count: int
    value: Any


class ValuesAnswer(TypedDict):
    field: str
    values: "list[ValueCount]"


class VersionOut(TypedDict):
    created_at: str
    items_deleted: int
    items_written: int
    version: int
    version_ns: int


class Window(TypedDict):
    from_ns: int
    to_ns: int
