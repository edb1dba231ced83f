"""A typed client of the collector's query API (``/api/v1``, see docs/api.md).

Errors, all raised from ``Client`` methods::

    ApiError                  a call failed; str(err) says what failed and why
    ├── CollectorUnreachable  no answer: connection refused, DNS, timeout
    └── EndpointMissing       this collector does not serve the endpoint (older version)

The client knows nothing of Streamlit: pages wrap calls with ``ui.call``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict, cast
from urllib.parse import quote

import httpx

__all__ = [
    "AlertEvaluation",
    "AlertEvent",
    "AlertRuleEntry",
    "AlertState",
    "AlertStates",
    "ApiError",
    "Client",
    "CollectorUnreachable",
    "CostGroup",
    "CostReport",
    "Dataset",
    "DatasetAdded",
    "DatasetDetail",
    "DatasetItem",
    "DatasetItemPage",
    "DriftFeature",
    "DriftGroup",
    "DriftReport",
    "EndpointMissing",
    "Evaluation",
    "EvaluationNameSummary",
    "EvaluationSummary",
    "EvaluatorComparison",
    "EvaluatorStats",
    "ExperimentComparison",
    "ExperimentDetail",
    "ExperimentItemDiff",
    "ExperimentResult",
    "ExperimentRun",
    "FailingEvaluation",
    "FailingPage",
    "Feedback",
    "FeedbackPage",
    "Me",
    "Metrics",
    "Params",
    "ReviewItem",
    "ReviewLabelled",
    "ReviewNext",
    "ReviewQueue",
    "Session",
    "SessionDetail",
    "SessionPage",
    "Span",
    "Summary",
    "SummaryGroup",
    "Timeseries",
    "TopMover",
    "TraceDetail",
    "TracePage",
    "TraceSummary",
    "User",
    "UserPage",
    "ValueCount",
]

ParamValue = str | int | float | bool | None
Params = Mapping[str, ParamValue]


class ApiError(Exception):
    """A call to the collector failed.

    ``what`` names the call (``GET /api/v1/traces``), ``status`` is the HTTP status
    (``None`` when there was no answer) and ``message`` the server's explanation.
    """

    def __init__(
        self, message: str, *, what: str, status: int | None = None, code: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.what = what
        self.status = status
        self.code = code

    def __str__(self) -> str:
        status = f" ({self.status})" if self.status is not None else ""
        return f"{self.what} failed{status}: {self.message}"


class CollectorUnreachable(ApiError):
    """The collector did not answer (not running, wrong URL, or too slow)."""


class EndpointMissing(ApiError):
    """The collector answered 404/405 for the route itself: it is an older version."""


# ---- response shapes (docs/api.md) ---------------------------------------------------


class Me(TypedDict):
    project_id: str
    project_name: str
    scope: str


class Latency(TypedDict):
    p50: float | None
    p95: float | None
    p99: float | None


class Metrics(TypedDict, total=False):
    spans: int
    traces: int
    errors: int
    error_rate: float
    latency_ms: Latency  # trace latency: root spans
    llm_latency_ms: Latency  # LLM spans (the latency of a model group)
    ttft_ms: dict[str, float | None]
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: float


class SummaryGroup(Metrics, total=False):
    group: str
    unpriced_llm_spans: int
    previous: Metrics | None


class PreviousTotals(TypedDict):
    from_ns: int
    to_ns: int
    totals: Metrics


class Summary(TypedDict, total=False):
    from_ns: int
    to_ns: int
    group_by: str | None
    groups: list[SummaryGroup]
    previous: PreviousTotals | None


class Bucket(Metrics, total=False):
    time: str
    time_ns: int
    offset: int


class Series(TypedDict):
    group: str
    totals: Metrics
    buckets: list[Bucket]


class PreviousSeries(TypedDict):
    from_ns: int
    to_ns: int
    series: list[Series]


class Timeseries(TypedDict, total=False):
    from_ns: int
    to_ns: int
    interval: int
    group_by: str | None
    series: list[Series]
    previous: PreviousSeries | None


class TraceSummary(TypedDict, total=False):
    trace_id: str
    start_time: str
    end_time: str
    start_time_ns: int
    duration_ms: float
    name: str
    service_name: str
    environment: str
    spans: int
    errors: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: float | None
    session_id: str
    user_id: str
    tags: list[str]
    models: list[str]
    input_preview: str
    output_preview: str
    assertions_passed: int
    assertions_failed: int
    avg_score: float | None
    feedback_positive: int
    feedback_negative: int


class TracePage(TypedDict, total=False):
    traces: list[TraceSummary]
    next_cursor: str | None
    total: int  # with ``with_total=True``


class Evaluation(TypedDict, total=False):
    evaluation_id: str
    span_id: str
    name: str
    source: str
    passed: bool | None
    score: float | None
    label: str
    comment: str
    value: str
    created_at_ns: int


class SpanEvent(TypedDict, total=False):
    name: str
    time_ns: int
    attributes: dict[str, Any]


class Span(TypedDict, total=False):
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    service_name: str
    scope_name: str
    environment: str
    start_time_ns: int
    end_time_ns: int
    duration_ms: float
    offset_ms: float
    depth: int
    status_code: str
    status_message: str
    span_type: str
    model: str
    provider: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: float | None
    time_to_first_token_ms: float | None
    finish_reason: str
    tool_name: str
    session_id: str
    user_id: str
    tags: list[str]
    input: str
    output: str
    attributes: dict[str, Any]
    resource_attributes: dict[str, Any]
    events: list[SpanEvent]
    evaluations: list[Evaluation]
    children: list[Span]


class TraceDetail(TypedDict, total=False):
    trace_id: str
    start_time_ns: int
    end_time_ns: int
    start_time: str
    duration_ms: float
    span_count: int
    name: str
    service_name: str
    session_id: str
    user_id: str
    errors: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    roots: list[Span]
    evaluations: list[Evaluation]
    feedback: list[Evaluation]


class Session(TypedDict, total=False):
    session_id: str
    user_id: str
    traces: int
    first_seen: str
    last_seen: str
    duration_ms: float
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: float
    errors: int


class SessionPage(TypedDict):
    sessions: list[Session]
    next_cursor: str | None


class SessionTrace(TraceSummary, total=False):
    input: str
    output: str
    messages: list[dict[str, Any]]


class SessionDetail(TypedDict, total=False):
    session_id: str
    user_id: str
    first_seen: str
    last_seen: str
    traces: list[SessionTrace]


class User(TypedDict, total=False):
    user_id: str
    traces: int
    sessions: int
    spans: int
    errors: int
    error_rate: float
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: float
    first_seen: str
    last_seen: str


class UserPage(TypedDict):
    users: list[User]
    next_cursor: str | None


class PassRateBucket(TypedDict, total=False):
    time: str
    time_ns: int
    total: int
    passed: int
    failed: int
    pass_rate: float | None


class EvaluationNameSummary(TypedDict, total=False):
    name: str
    kind: str  # "assertion" or "feedback" (human thumbs: no assertion)
    total: int
    passed: int
    failed: int
    pass_rate: float | None
    avg_score: float | None
    buckets: list[PassRateBucket]


class EvaluationCounts(TypedDict, total=False):
    total: int
    passed: int
    failed: int
    pass_rate: float | None
    positive_rate: float | None


class EvaluationTotals(TypedDict, total=False):
    assertions: EvaluationCounts
    feedback: EvaluationCounts


class EvaluationSummary(TypedDict, total=False):
    from_ns: int
    to_ns: int
    interval: int
    names: list[EvaluationNameSummary]
    totals: EvaluationTotals  # per kind over every name, counted by the server


class FailingEvaluation(TypedDict, total=False):
    evaluation_id: str
    trace_id: str
    span_id: str
    span_name: str
    name: str
    source: str
    score: float | None
    label: str
    comment: str
    created_at: str
    created_at_ns: int


class FailingPage(TypedDict):
    evaluations: list[FailingEvaluation]
    next_cursor: str | None


class Feedback(TypedDict, total=False):
    evaluation_id: str
    trace_id: str
    span_id: str
    name: str
    passed: bool | None
    score: float | None
    label: str
    comment: str
    value: str
    created_at: str
    created_at_ns: int


class FeedbackPage(TypedDict):
    feedback: list[Feedback]
    next_cursor: str | None


class CostGroup(TypedDict, total=False):
    group: str
    cost_usd: float
    share: float
    spans: int
    llm_calls: int
    traces: int
    input_tokens: int
    output_tokens: int
    unpriced_llm_spans: int | None  # None for user and tag groups


class CostTotals(TypedDict, total=False):
    cost_usd: float
    spans: int
    llm_calls: int
    traces: int
    input_tokens: int
    output_tokens: int
    unpriced_llm_spans: int


class CostReport(TypedDict, total=False):
    from_ns: int
    to_ns: int
    group_by: str
    total_cost_usd: float
    totals: CostTotals  # every span once (groups may overlap)
    groups_overlap: bool  # tag groups: a trace with several tags is in each
    groups: list[CostGroup]


class ValueCount(TypedDict):
    value: str
    count: int


class TopMover(TypedDict):
    category: str
    baseline_share: float
    current_share: float
    change: float


class DriftFeature(TypedDict, total=False):
    """One feature of one group (docs/alerts.md, "Drift"). ``verdict`` is ``stable``,
    ``warning``, ``drift`` or ``not_enough_data`` (then ``message`` says why and the
    statistics are absent)."""

    feature: str
    kind: Literal["numeric", "categorical"]
    verdict: str
    message: str
    baseline_count: int
    current_count: int
    psi: float
    ks_statistic: float | None
    ks_p_value: float | None
    median_baseline: float | None
    median_current: float | None
    median_shift: float | None
    median_shift_pct: float | None
    bin_edges: list[float | None]
    baseline_counts: list[int]
    current_counts: list[int]
    js_distance: float
    top_movers: list[TopMover]


class DriftGroup(TypedDict, total=False):
    group: dict[str, str]
    baseline_count: int
    current_count: int
    verdict: str
    features: list[DriftFeature]


class DriftWindow(TypedDict):
    from_ns: int
    to_ns: int


class DriftReport(TypedDict, total=False):
    baseline: DriftWindow
    current: DriftWindow
    group_by: list[str]
    filters: dict[str, str]
    thresholds: dict[str, float]
    groups: list[DriftGroup]


class AlertRuleEntry(TypedDict, total=False):
    """A rule as listed: ``source`` is ``api`` (editable) or ``file`` (read-only);
    ``rule`` is the rule's definition (name, metric, filters, window, condition, ...)."""

    id: str
    source: Literal["api", "file"]
    updated_at_ns: int
    rule: dict[str, Any]


class AlertState(TypedDict, total=False):
    project_id: str
    rule_id: str
    rule_name: str
    status: str  # ok | firing
    since_ns: int
    value: float | None
    baseline: float | None
    samples: int
    last_evaluated_ns: int
    last_notified_ns: int


class AlertStates(TypedDict):
    engine_running: bool
    states: list[AlertState]


class AlertEvent(TypedDict, total=False):
    """One history event: ``event`` is ``firing``, ``renotify`` or ``resolved``;
    ``payload`` is what the notification said (``payload["rule"]`` has the metric)."""

    rule_id: str
    rule_name: str
    event: str
    severity: str
    at_ns: int
    value: float | None
    baseline: float | None
    samples: int
    message: str
    notified: bool
    payload: dict[str, Any]


class AlertEvaluation(TypedDict, total=False):
    rule_name: str
    metric: str
    status: str  # firing | ok | insufficient_data
    value: float | None
    baseline: float | None
    change: float | None
    threshold: str
    samples: int
    baseline_samples: int | None
    verdict: str | None
    message: str
    link: str | None


# ---- the evaluation loop: datasets, experiments, review queues (docs/api.md) ----------


class Dataset(TypedDict, total=False):
    id: str
    name: str
    description: str
    metadata: dict[str, Any]
    created_at: str
    created_at_ns: int
    item_count: int
    version: int  # 0 while empty
    version_ns: int


class DatasetVersion(TypedDict, total=False):
    version: int
    version_ns: int
    created_at: str
    items_written: int
    items_deleted: int


class DatasetDetail(Dataset, total=False):
    versions: list[DatasetVersion]


class DatasetItem(TypedDict, total=False):
    id: str
    input: Any
    expected_output: Any
    metadata: dict[str, Any]
    source_trace_id: str | None
    source_span_id: str | None
    added_at: str
    version_ns: int


class DatasetItemPage(TypedDict, total=False):
    dataset_id: str
    version: int
    version_ns: int
    total: int
    items: list[DatasetItem]
    next_cursor: str | None


class DatasetAdded(TypedDict, total=False):
    dataset_id: str
    added: int
    version: int
    version_ns: int
    item_ids: list[str]


class EvaluatorStats(TypedDict, total=False):
    name: str
    count: int
    pass_rate: float | None
    mean_score: float | None


class ExperimentRun(TypedDict, total=False):
    """A run with its summary (``RunSummaryOut``)."""

    id: str
    name: str
    dataset_id: str | None
    dataset_name: str | None
    dataset_version: int | None
    metadata: dict[str, Any]
    status: str  # running | completed | failed
    created_at: str
    created_at_ns: int
    updated_at: str
    items: int
    errors: int
    latency_ms: dict[str, float | None]  # mean, p50, p95
    cost_usd: float
    evaluators: list[EvaluatorStats]


class ExperimentScore(TypedDict, total=False):
    score: float | None
    passed: bool | None
    label: str | None
    reason: str | None


class ExperimentResult(TypedDict, total=False):
    item_id: str
    trace_id: str | None
    input: Any
    expected_output: Any
    output: Any
    error: str | None
    latency_ms: float
    cost_usd: float | None
    scores: dict[str, ExperimentScore]


class ExperimentDetail(ExperimentRun, total=False):
    results: list[ExperimentResult]
    total: int
    next_cursor: str | None


class ExperimentSide(TypedDict, total=False):
    output: Any
    error: str | None
    trace_id: str | None
    latency_ms: float
    scores: dict[str, ExperimentScore]


class ExperimentItemDiff(TypedDict, total=False):
    item_id: str
    input: Any
    expected_output: Any
    regressed: bool
    regressed_evaluators: list[str]
    score_delta: float
    baseline: ExperimentSide | None
    candidate: ExperimentSide | None


class EvaluatorComparison(TypedDict, total=False):
    name: str
    baseline: EvaluatorStats | None
    candidate: EvaluatorStats | None
    paired: int
    mean_diff: float | None
    drop: float | None
    drop_ci_low: float | None
    drop_ci_high: float | None
    regressed: bool


class Gate(TypedDict, total=False):
    method: str
    max_drop: float
    confidence: float
    resamples: int
    seed: int
    failed: bool
    regressed_evaluators: list[str]
    rule: str


class ExperimentComparison(TypedDict, total=False):
    baseline: ExperimentRun
    candidate: ExperimentRun
    shared_items: int
    only_baseline: int
    only_candidate: int
    evaluators: list[EvaluatorComparison]
    regressed_items: int
    improved_items: int
    items: list[ExperimentItemDiff]  # regressed first (largest drop first)
    gate: Gate


LabelKind = Literal["pass_fail", "numeric", "categorical"]


class ReviewQueue(TypedDict, total=False):
    id: str
    name: str
    description: str
    label_kind: LabelKind
    categories: list[str]
    min_score: float
    max_score: float
    evaluation_name: str
    dataset_id: str | None
    created_at: str
    pending: int
    done: int
    skipped: int


class ReviewItem(TypedDict, total=False):
    id: str
    trace_id: str
    span_id: str | None
    status: str  # pending | done | skipped
    reviewer: str | None
    evaluation_id: str | None
    added_at: str
    updated_at: str


class ReviewNext(TypedDict, total=False):
    item: ReviewItem | None
    trace: TraceDetail | None
    pending: int


class ReviewLabelled(TypedDict, total=False):
    item: ReviewItem
    evaluation_id: str
    dataset_item_id: str | None


class ReviewAdded(TypedDict, total=False):
    queue_id: str
    added: int
    item_ids: list[str]


ValueField = Literal[
    "models",
    "providers",
    "services",
    "span_names",
    "span_types",
    "tags",
    "users",
    "sessions",
    "assertion_names",
    "environments",
]


# ---- the client ----------------------------------------------------------------------


def _clean(params: Params | None) -> dict[str, str]:
    """Query parameters without empty values; booleans as ``true``/``false``."""
    out: dict[str, str] = {}
    for name, value in (params or {}).items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def _server_message(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` of an error answer; the body's text when it is not our JSON."""
    try:
        body = response.json()
    except ValueError:
        return "", (response.text.strip()[:300] or response.reason_phrase)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("code", "")), str(error.get("message", ""))
        if "detail" in body:
            return "", str(body["detail"])
    return "", str(body)[:300]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ApiError(
            f"the answer is not JSON: {response.text[:200]!r}",
            what=f"{response.request.method} {response.request.url.path}",
            status=response.status_code,
        ) from exc


class Client:
    """One collector, one key. GET answers are cached for ``cache_ttl`` seconds."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 15.0,
        cache_ttl: float = 0.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            transport=transport,
        )
        self._cache_ttl = cache_ttl
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:  # cached clients are dropped, not closed: free the sockets
        http = getattr(self, "_http", None)
        if http is not None:
            http.close()

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- transport ---------------------------------------------------------------------

    def _request(
        self, method: str, path: str, params: Params | None = None, body: Any = None
    ) -> Any:
        query = _clean(params)
        cache_key = (path, tuple(sorted(query.items())))
        if method == "GET" and self._cache_ttl > 0:
            with self._lock:
                hit = self._cache.get(cache_key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
        data = _json(self._send(method, path, query, body))
        if method == "GET" and self._cache_ttl > 0:
            with self._lock:
                if len(self._cache) > 500:
                    self._cache.clear()
                self._cache[cache_key] = (time.monotonic() + self._cache_ttl, data)
        return data

    def _send(
        self, method: str, path: str, query: dict[str, str], body: Any = None
    ) -> httpx.Response:
        """One call; an error answer (or none) raises the matching ``ApiError``."""
        what = f"{method} {path}"
        try:
            response = self._http.request(method, path, params=query, json=body)
        except httpx.TimeoutException as exc:
            raise CollectorUnreachable(
                f"the collector at {self.base_url} did not answer within {self._timeout:g}s",
                what=what,
            ) from exc
        except httpx.HTTPError as exc:
            raise CollectorUnreachable(
                f"cannot reach the collector at {self.base_url} ({exc}). Is it running? "
                "Start it with 'llmpulse up' or set LLMPULSE_API_URL.",
                what=what,
            ) from exc
        if response.status_code >= 400:
            code, message = _server_message(response)
            error: type[ApiError] = ApiError
            if response.status_code == 405 or (
                response.status_code == 404 and message in ("Not Found", "")
            ):
                error = EndpointMissing
                message = (
                    f"this collector does not serve {what} yet; "
                    "upgrade the collector to use this page"
                )
            elif response.status_code == 401:
                message += " (check LLMPULSE_API_KEY / LLMPULSE_API_KEYS)"
            raise error(message, what=what, status=response.status_code, code=code)
        return response

    def _get(self, path: str, params: Params | None = None) -> Any:
        return self._request("GET", f"/api/v1{path}", params)

    def _change(self, method: str, path: str, body: Any = None) -> Any:
        """A POST/PUT/DELETE; cached answers may be stale afterwards, so they go."""
        try:
            return self._request(method, f"/api/v1{path}", body=body)
        finally:
            self.clear_cache()

    # -- endpoints ---------------------------------------------------------------------

    def me(self) -> Me:
        return cast(Me, self._get("/me"))

    def traces(
        self,
        filters: Params | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
        sort: str | None = None,
        order: str | None = None,
        with_total: bool = False,
    ) -> TracePage:
        params = {**(filters or {}), "limit": limit, "cursor": cursor, "sort": sort}
        params["order"] = order
        params["with_total"] = with_total or None
        return cast(TracePage, self._get("/traces", params))

    def trace(self, trace_id: str) -> TraceDetail:
        return cast(TraceDetail, self._get(f"/traces/{trace_id}"))

    def summary(
        self, window: Params, *, group_by: str | None = None, compare: bool = False
    ) -> Summary:
        params = {**window, "group_by": group_by, "compare": compare or None}
        return cast(Summary, self._get("/metrics/summary", params))

    def timeseries(
        self,
        window: Params,
        *,
        group_by: str | None = None,
        compare: bool = False,
        interval: str | int = "auto",
        limit: int | None = None,
    ) -> Timeseries:
        params = {
            **window,
            "group_by": group_by,
            "compare": compare or None,
            "interval": interval,
            "limit": limit,
        }
        return cast(Timeseries, self._get("/metrics/timeseries", params))

    def metric_definitions(self) -> Any:
        """``GET /metrics/definitions``: every metric's name, population, unit and
        direction (newer collectors; older ones raise ``EndpointMissing``)."""
        return self._get("/metrics/definitions")

    def cost(self, window: Params, *, group_by: str = "model") -> CostReport:
        return cast(CostReport, self._get("/cost", {**window, "group_by": group_by}))

    def sessions(
        self,
        window: Params,
        *,
        user_id: str | None = None,
        q: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> SessionPage:
        params = {**window, "user_id": user_id, "q": q, "limit": limit, "cursor": cursor}
        return cast(SessionPage, self._get("/sessions", params))

    def session(self, session_id: str, window: Params | None = None) -> SessionDetail:
        return cast(SessionDetail, self._get(f"/sessions/{quote(session_id, safe='')}", window))

    def users(
        self,
        window: Params,
        *,
        sort: str | None = None,
        order: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> UserPage:
        params = {**window, "sort": sort, "order": order, "limit": limit, "cursor": cursor}
        return cast(UserPage, self._get("/users", params))

    def evaluation_summary(self, window: Params, *, source: str | None = None) -> EvaluationSummary:
        return cast(
            EvaluationSummary, self._get("/evaluations/summary", {**window, "source": source})
        )

    def failing_evaluations(
        self, window: Params, *, name: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> FailingPage:
        params = {**window, "name": name, "limit": limit, "cursor": cursor}
        return cast(FailingPage, self._get("/evaluations/failing", params))

    def feedback(
        self, window: Params, *, limit: int = 50, cursor: str | None = None
    ) -> FeedbackPage:
        params = {**window, "limit": limit, "cursor": cursor}
        return cast(FeedbackPage, self._get("/feedback", params))

    def values(self, field: ValueField, window: Params, *, limit: int = 100) -> list[ValueCount]:
        data = self._get(f"/values/{field}", {**window, "limit": limit})
        return cast(list[ValueCount], data.get("values", []))

    def post_feedback(
        self,
        trace_id: str,
        *,
        name: str,
        value: bool | float | str,
        span_id: str | None = None,
        comment: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "trace_id": trace_id,
            "span_id": span_id or None,
            "name": name,
            "value": value,
            "comment": comment or None,
        }
        result = self._request("POST", "/api/v1/feedback", body=body)
        self.clear_cache()
        return cast(dict[str, Any], result)

    # -- drift and alerts (docs/alerts.md) ---------------------------------------------

    def drift(
        self,
        current: Params,
        baseline: Params | None = None,
        *,
        group_by: str | None = None,
        features: str | None = None,
        min_samples: int | None = None,
        filters: Params | None = None,
    ) -> DriftReport:
        """``current`` is ``{"from", "to"}``; ``baseline`` ``{"from", "to"}`` too (the
        API's ``baseline_from`` / ``baseline_to``; default: the period just before)."""
        base = baseline or {}
        params = {
            **(filters or {}),
            **current,
            "baseline_from": base.get("from"),
            "baseline_to": base.get("to"),
            "group_by": group_by,
            "features": features,
            "min_samples": min_samples,
        }
        return cast(DriftReport, self._get("/drift", params))

    def alert_rules(self) -> list[AlertRuleEntry]:
        return cast(list[AlertRuleEntry], self._get("/alerts/rules").get("rules", []))

    def alert_rule(self, rule_id: str) -> AlertRuleEntry:
        return cast(AlertRuleEntry, self._get(f"/alerts/rules/{quote(rule_id, safe='')}"))

    def create_alert_rule(self, rule: Mapping[str, Any]) -> AlertRuleEntry:
        """Needs an admin key; the collector validates the rule (400 says what is wrong)."""
        return cast(AlertRuleEntry, self._change("POST", "/alerts/rules", dict(rule)))

    def replace_alert_rule(self, rule_id: str, rule: Mapping[str, Any]) -> AlertRuleEntry:
        path = f"/alerts/rules/{quote(rule_id, safe='')}"
        return cast(AlertRuleEntry, self._change("PUT", path, dict(rule)))

    def delete_alert_rule(self, rule_id: str) -> None:
        self._change("DELETE", f"/alerts/rules/{quote(rule_id, safe='')}")

    def alert_state(self) -> AlertStates:
        return cast(AlertStates, self._get("/alerts/state"))

    def alert_history(
        self, window: Params | None = None, *, rule_id: str | None = None, limit: int = 200
    ) -> list[AlertEvent]:
        """Events newest first (default window: the last 7 days)."""
        params = {**(window or {}), "rule_id": rule_id, "limit": limit}
        return cast(list[AlertEvent], self._get("/alerts/history", params).get("events", []))

    def evaluate_alert_rules(
        self, rules: Sequence[Mapping[str, Any]], *, at: str | None = None
    ) -> list[AlertEvaluation]:
        """Evaluate rules once, without state or notifications (the CI gate's call)."""
        body = {"rules": [dict(r) for r in rules], "at": at}
        data = self._request("POST", "/api/v1/alerts/evaluate", body=body)
        return cast(list[AlertEvaluation], data.get("results", []))

    # -- the evaluation loop: datasets, experiments, review queues ---------------------

    def datasets(self) -> list[Dataset]:
        return cast(list[Dataset], self._get("/datasets").get("datasets", []))

    def dataset(self, ref: str) -> DatasetDetail:
        return cast(DatasetDetail, self._get(f"/datasets/{quote(ref, safe='')}"))

    def create_dataset(
        self, name: str, *, description: str = "", metadata: Mapping[str, Any] | None = None
    ) -> Dataset:
        body = {"name": name, "description": description, "metadata": dict(metadata or {})}
        return cast(Dataset, self._change("POST", "/datasets", body))

    def dataset_items(
        self,
        ref: str,
        *,
        version: int | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> DatasetItemPage:
        params = {"version": version, "limit": limit, "cursor": cursor}
        return cast(DatasetItemPage, self._get(f"/datasets/{quote(ref, safe='')}/items", params))

    def add_dataset_items(self, ref: str, items: Sequence[Mapping[str, Any]]) -> DatasetAdded:
        """Items ``{input, expected_output?, metadata?, source_trace_id?, ...}``."""
        body = {"items": [dict(item) for item in items]}
        return cast(
            DatasetAdded, self._change("POST", f"/datasets/{quote(ref, safe='')}/items", body)
        )

    def add_traces_to_dataset(
        self,
        ref: str,
        traces: Sequence[tuple[str, str | None]],
        *,
        output_as_expected: bool = False,
    ) -> DatasetAdded:
        """``traces``: ``(trace_id, span_id or None)`` pairs; items keep the link."""
        body = {
            "traces": [{"trace_id": t, "span_id": s or None} for t, s in traces],
            "output_as_expected": output_as_expected,
        }
        path = f"/datasets/{quote(ref, safe='')}/items/from-traces"
        return cast(DatasetAdded, self._change("POST", path, body))

    def add_filtered_traces_to_dataset(
        self,
        ref: str,
        filters: Params,
        *,
        limit: int = 1000,
        output_as_expected: bool = False,
    ) -> DatasetAdded:
        """Every trace matching ``filters`` (those of ``traces()``, with ``from``/``to``)."""
        query = {**filters, "limit": limit, "output_as_expected": output_as_expected}
        path = f"/api/v1/datasets/{quote(ref, safe='')}/items/from-filter"
        return cast(DatasetAdded, self._query_change("POST", path, query))

    def export_dataset(
        self, ref: str, *, format: Literal["jsonl", "csv"] = "jsonl", version: int | None = None
    ) -> bytes:
        """The dataset's items as a JSONL or CSV file."""
        path = f"/api/v1/datasets/{quote(ref, safe='')}/export"
        return self._send("GET", path, _clean({"format": format, "version": version})).content

    def experiments(self, *, dataset: str | None = None, limit: int = 100) -> list[ExperimentRun]:
        """Runs newest first (of one dataset, by id or name)."""
        data = self._get("/experiments", {"dataset": dataset, "limit": limit})
        return cast(list[ExperimentRun], data.get("experiments", []))

    def experiment(
        self, ref: str, *, limit: int = 100, cursor: str | None = None
    ) -> ExperimentDetail:
        params = {"limit": limit, "cursor": cursor}
        return cast(ExperimentDetail, self._get(f"/experiments/{quote(ref, safe='')}", params))

    def compare_experiments(
        self,
        baseline: str,
        candidate: str,
        *,
        max_drop: float | None = None,
        limit: int = 100,
    ) -> ExperimentComparison:
        params = {"baseline": baseline, "candidate": candidate, "max_drop": max_drop}
        params["limit"] = limit
        return cast(ExperimentComparison, self._get("/experiments/compare", params))

    def review_queues(self) -> list[ReviewQueue]:
        return cast(list[ReviewQueue], self._get("/review-queues").get("queues", []))

    def review_queue(self, ref: str) -> ReviewQueue:
        return cast(ReviewQueue, self._get(f"/review-queues/{quote(ref, safe='')}"))

    def create_review_queue(
        self,
        name: str,
        *,
        label_kind: LabelKind = "pass_fail",
        description: str = "",
        categories: Sequence[str] = (),
        min_score: float = 0.0,
        max_score: float = 1.0,
        evaluation_name: str | None = None,
        dataset: str | None = None,
    ) -> ReviewQueue:
        body = {
            "name": name,
            "description": description,
            "label_kind": label_kind,
            "categories": list(categories),
            "min_score": min_score,
            "max_score": max_score,
            "evaluation_name": evaluation_name or None,
            "dataset": dataset or None,
        }
        return cast(ReviewQueue, self._change("POST", "/review-queues", body))

    def add_review_items(self, ref: str, traces: Sequence[tuple[str, str | None]]) -> ReviewAdded:
        body = {"traces": [{"trace_id": t, "span_id": s or None} for t, s in traces]}
        path = f"/review-queues/{quote(ref, safe='')}/items"
        return cast(ReviewAdded, self._change("POST", path, body))

    def fill_review_queue(
        self, ref: str, filters: Params, *, sample_rate: float = 1.0, limit: int = 1000
    ) -> ReviewAdded:
        """Queue a deterministic sample of the traces matching ``filters``."""
        query = {**filters, "sample_rate": sample_rate, "limit": limit}
        path = f"/api/v1/review-queues/{quote(ref, safe='')}/items/from-filter"
        return cast(ReviewAdded, self._query_change("POST", path, query))

    def next_review_item(self, ref: str, *, after: str | None = None) -> ReviewNext:
        """The next pending item (after item ``after``) with its trace; never cached."""
        path = f"/api/v1/review-queues/{quote(ref, safe='')}/next"
        return cast(ReviewNext, _json(self._send("GET", path, _clean({"after": after}))))

    def label_review_item(
        self,
        ref: str,
        item_id: str,
        *,
        reviewer: str,
        passed: bool | None = None,
        score: float | None = None,
        label: str | None = None,
        comment: str | None = None,
        corrected_output: str | None = None,
        add_to_dataset: bool = False,
    ) -> ReviewLabelled:
        """Label an item (an evaluation with source ``human``); with ``add_to_dataset``
        the corrected output becomes the expected answer of an item of the queue's dataset."""
        body = {
            "reviewer": reviewer,
            "passed": passed,
            "score": score,
            "label": label or None,
            "comment": comment or None,
            "corrected_output": corrected_output or None,
            "add_to_dataset": add_to_dataset,
        }
        path = f"/review-queues/{quote(ref, safe='')}/items/{quote(item_id, safe='')}/label"
        return cast(ReviewLabelled, self._change("POST", path, body))

    def skip_review_item(self, ref: str, item_id: str, *, reviewer: str = "") -> ReviewItem:
        path = f"/review-queues/{quote(ref, safe='')}/items/{quote(item_id, safe='')}/skip"
        return cast(ReviewItem, self._change("POST", path, {"reviewer": reviewer or None}))

    def _query_change(self, method: str, path: str, query: Params) -> Any:
        """A POST whose arguments are query parameters (the ``from-filter`` routes)."""
        try:
            return _json(self._send(method, path, _clean(query)))
        finally:
            self.clear_cache()
