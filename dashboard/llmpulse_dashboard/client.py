"""A typed client of the collector's query API (``/api/v1``, see docs/api.md).

Errors, all raised from ``Client`` methods::

    ApiError                  a call failed; str(err) says what failed and why
    ├── CollectorUnreachable  no answer: connection refused, DNS, timeout
    └── EndpointMissing       this collector does not serve the endpoint (older version)

The client knows nothing of Streamlit: pages wrap calls with ``ui.call``. Its answers are
typed by ``api_types``, generated from docs/openapi.json (``python -m
llmpulse_dashboard.gen_types``): a method returns the type of the route it calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast
from urllib.parse import quote

import httpx

from llmpulse_dashboard.api_types import (
    AlertEvaluation,
    AlertHistoryPage,
    AlertResult,
    AlertRuleAnswer,
    AlertRuleList,
    AlertStates,
    CompareOut,
    CostAnswer,
    DatasetAddedOut,
    DatasetDetailOut,
    DatasetItemsPageOut,
    DatasetListOut,
    DatasetOut,
    DriftAnswer,
    EvaluationSummaryAnswer,
    FailingPage,
    FeedbackPage,
    FeedbackStored,
    LabelOut,
    MeAnswer,
    MetricDefinitionsAnswer,
    MetricsSummaryAnswer,
    MetricsTimeseriesAnswer,
    NextOut,
    QueueAddedOut,
    QueueListOut,
    QueueOut,
    ReviewItemOut,
    RunDetailOut,
    RunListOut,
    SessionDetail,
    SessionPage,
    TraceDetail,
    TracePage,
    UserPage,
    ValueCount,
    ValuesAnswer,
)

__all__ = [
    "ApiError",
    "Client",
    "CollectorUnreachable",
    "EndpointMissing",
    "LabelKind",
    "Params",
    "ValueField",
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


# ---- request arguments (answers are typed by api_types, generated from docs/openapi.json)


LabelKind = Literal["pass_fail", "numeric", "categorical"]  # QueueOut.label_kind


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
    "versions",
    "prompt_versions",
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

    def me(self) -> MeAnswer:
        return cast(MeAnswer, self._get("/me"))

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
    ) -> MetricsSummaryAnswer:
        params = {**window, "group_by": group_by, "compare": compare or None}
        return cast(MetricsSummaryAnswer, self._get("/metrics/summary", params))

    def timeseries(
        self,
        window: Params,
        *,
        group_by: str | None = None,
        compare: bool = False,
        interval: str | int = "auto",
        limit: int | None = None,
    ) -> MetricsTimeseriesAnswer:
        params = {
            **window,
            "group_by": group_by,
            "compare": compare or None,
            "interval": interval,
            "limit": limit,
        }
        return cast(MetricsTimeseriesAnswer, self._get("/metrics/timeseries", params))

    def metric_definitions(self) -> MetricDefinitionsAnswer:
        """``GET /metrics/definitions``: every metric's name, population, unit and
        direction (newer collectors; older ones raise ``EndpointMissing``)."""
        return cast(MetricDefinitionsAnswer, self._get("/metrics/definitions"))

    def cost(self, window: Params, *, group_by: str = "model") -> CostAnswer:
        return cast(CostAnswer, self._get("/cost", {**window, "group_by": group_by}))

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

    def session(
        self,
        session_id: str,
        window: Params | None = None,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> SessionDetail:
        """The session (its figures over every trace) and a page of its traces."""
        params = {**(window or {}), "limit": limit, "cursor": cursor}
        return cast(SessionDetail, self._get(f"/sessions/{quote(session_id, safe='')}", params))

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

    def evaluation_summary(
        self, window: Params, *, source: str | None = None
    ) -> EvaluationSummaryAnswer:
        return cast(
            EvaluationSummaryAnswer, self._get("/evaluations/summary", {**window, "source": source})
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
        data = cast(ValuesAnswer, self._get(f"/values/{field}", {**window, "limit": limit}))
        return data["values"]

    def post_feedback(
        self,
        trace_id: str,
        *,
        name: str,
        value: bool | float | str,
        span_id: str | None = None,
        comment: str | None = None,
    ) -> FeedbackStored:
        body = {
            "trace_id": trace_id,
            "span_id": span_id or None,
            "name": name,
            "value": value,
            "comment": comment or None,
        }
        result = self._request("POST", "/api/v1/feedback", body=body)
        self.clear_cache()
        return cast(FeedbackStored, result)

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
    ) -> DriftAnswer:
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
        return cast(DriftAnswer, self._get("/drift", params))

    def alert_rules(self, *, limit: int = 100, cursor: str | None = None) -> AlertRuleList:
        """A page of the rules by name, with the total."""
        params = {"limit": limit, "cursor": cursor}
        return cast(AlertRuleList, self._get("/alerts/rules", params))

    def alert_rule(self, rule_id: str) -> AlertRuleAnswer:
        return cast(AlertRuleAnswer, self._get(f"/alerts/rules/{quote(rule_id, safe='')}"))

    def create_alert_rule(self, rule: Mapping[str, Any]) -> AlertRuleAnswer:
        """Needs an admin key; the collector validates the rule (400 says what is wrong)."""
        return cast(AlertRuleAnswer, self._change("POST", "/alerts/rules", dict(rule)))

    def replace_alert_rule(self, rule_id: str, rule: Mapping[str, Any]) -> AlertRuleAnswer:
        path = f"/alerts/rules/{quote(rule_id, safe='')}"
        return cast(AlertRuleAnswer, self._change("PUT", path, dict(rule)))

    def delete_alert_rule(self, rule_id: str) -> None:
        self._change("DELETE", f"/alerts/rules/{quote(rule_id, safe='')}")

    def alert_state(self, *, limit: int = 100, cursor: str | None = None) -> AlertStates:
        """A page of the rules' states, firing first, with the total."""
        return cast(AlertStates, self._get("/alerts/state", {"limit": limit, "cursor": cursor}))

    def alert_history(
        self,
        window: Params | None = None,
        *,
        rule_id: str | None = None,
        limit: int = 200,
        cursor: str | None = None,
    ) -> AlertHistoryPage:
        """A page of events, newest first (default window: the last 7 days), with the
        total across pages; pass ``next_cursor`` back as ``cursor`` for the next."""
        params = {**(window or {}), "rule_id": rule_id, "limit": limit, "cursor": cursor}
        return cast(AlertHistoryPage, self._get("/alerts/history", params))

    def evaluate_alert_rules(
        self, rules: Sequence[Mapping[str, Any]], *, at: str | None = None
    ) -> list[AlertResult]:
        """Evaluate rules once, without state or notifications (the CI gate's call)."""
        body = {"rules": [dict(r) for r in rules], "at": at}
        data = cast(AlertEvaluation, self._request("POST", "/api/v1/alerts/evaluate", body=body))
        return data["results"]

    # -- the evaluation loop: datasets, experiments, review queues ---------------------

    def datasets(self, *, limit: int = 100, cursor: str | None = None) -> DatasetListOut:
        """A page of the datasets by name, with the total."""
        return cast(DatasetListOut, self._get("/datasets", {"limit": limit, "cursor": cursor}))

    def dataset(self, ref: str, *, limit: int = 100, cursor: str | None = None) -> DatasetDetailOut:
        """The dataset with a page of its versions (oldest first) and their total."""
        params = {"limit": limit, "cursor": cursor}
        return cast(DatasetDetailOut, self._get(f"/datasets/{quote(ref, safe='')}", params))

    def create_dataset(
        self, name: str, *, description: str = "", metadata: Mapping[str, Any] | None = None
    ) -> DatasetOut:
        body = {"name": name, "description": description, "metadata": dict(metadata or {})}
        return cast(DatasetOut, self._change("POST", "/datasets", body))

    def dataset_items(
        self,
        ref: str,
        *,
        version: int | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> DatasetItemsPageOut:
        params = {"version": version, "limit": limit, "cursor": cursor}
        return cast(
            DatasetItemsPageOut, self._get(f"/datasets/{quote(ref, safe='')}/items", params)
        )

    def add_dataset_items(self, ref: str, items: Sequence[Mapping[str, Any]]) -> DatasetAddedOut:
        """Items ``{input, expected_output?, metadata?, source_trace_id?, ...}``."""
        body = {"items": [dict(item) for item in items]}
        return cast(
            DatasetAddedOut, self._change("POST", f"/datasets/{quote(ref, safe='')}/items", body)
        )

    def add_traces_to_dataset(
        self,
        ref: str,
        traces: Sequence[tuple[str, str | None]],
        *,
        output_as_expected: bool = False,
    ) -> DatasetAddedOut:
        """``traces``: ``(trace_id, span_id or None)`` pairs; items keep the link."""
        body = {
            "traces": [{"trace_id": t, "span_id": s or None} for t, s in traces],
            "output_as_expected": output_as_expected,
        }
        path = f"/datasets/{quote(ref, safe='')}/items/from-traces"
        return cast(DatasetAddedOut, self._change("POST", path, body))

    def add_filtered_traces_to_dataset(
        self,
        ref: str,
        filters: Params,
        *,
        limit: int = 1000,
        output_as_expected: bool = False,
    ) -> DatasetAddedOut:
        """Every trace matching ``filters`` (those of ``traces()``, with ``from``/``to``)."""
        query = {**filters, "limit": limit, "output_as_expected": output_as_expected}
        path = f"/api/v1/datasets/{quote(ref, safe='')}/items/from-filter"
        return cast(DatasetAddedOut, self._query_change("POST", path, query))

    def export_dataset(
        self, ref: str, *, format: Literal["jsonl", "csv"] = "jsonl", version: int | None = None
    ) -> bytes:
        """The dataset's items as a JSONL or CSV file."""
        path = f"/api/v1/datasets/{quote(ref, safe='')}/export"
        return self._send("GET", path, _clean({"format": format, "version": version})).content

    def experiments(
        self, *, dataset: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> RunListOut:
        """A page of runs newest first (of one dataset, by id or name), with the total."""
        data = self._get("/experiments", {"dataset": dataset, "limit": limit, "cursor": cursor})
        return cast(RunListOut, data)

    def experiment(self, ref: str, *, limit: int = 100, cursor: str | None = None) -> RunDetailOut:
        params = {"limit": limit, "cursor": cursor}
        return cast(RunDetailOut, self._get(f"/experiments/{quote(ref, safe='')}", params))

    def compare_experiments(
        self,
        baseline: str,
        candidate: str,
        *,
        max_drop: float | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> CompareOut:
        """The comparison (its figures over every item) and a page of item diffs."""
        params = {"baseline": baseline, "candidate": candidate, "max_drop": max_drop}
        params.update(limit=limit, cursor=cursor)
        return cast(CompareOut, self._get("/experiments/compare", params))

    def review_queues(self, *, limit: int = 100, cursor: str | None = None) -> QueueListOut:
        """A page of the queues by name, with the total."""
        return cast(QueueListOut, self._get("/review-queues", {"limit": limit, "cursor": cursor}))

    def review_queue(self, ref: str) -> QueueOut:
        return cast(QueueOut, self._get(f"/review-queues/{quote(ref, safe='')}"))

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
    ) -> QueueOut:
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
        return cast(QueueOut, self._change("POST", "/review-queues", body))

    def add_review_items(self, ref: str, traces: Sequence[tuple[str, str | None]]) -> QueueAddedOut:
        body = {"traces": [{"trace_id": t, "span_id": s or None} for t, s in traces]}
        path = f"/review-queues/{quote(ref, safe='')}/items"
        return cast(QueueAddedOut, self._change("POST", path, body))

    def fill_review_queue(
        self, ref: str, filters: Params, *, sample_rate: float = 1.0, limit: int = 1000
    ) -> QueueAddedOut:
        """Queue a deterministic sample of the traces matching ``filters``."""
        query = {**filters, "sample_rate": sample_rate, "limit": limit}
        path = f"/api/v1/review-queues/{quote(ref, safe='')}/items/from-filter"
        return cast(QueueAddedOut, self._query_change("POST", path, query))

    def next_review_item(self, ref: str, *, after: str | None = None) -> NextOut:
        """The next pending item (after item ``after``) with its trace; never cached."""
        path = f"/api/v1/review-queues/{quote(ref, safe='')}/next"
        return cast(NextOut, _json(self._send("GET", path, _clean({"after": after}))))

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
    ) -> LabelOut:
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
        return cast(LabelOut, self._change("POST", path, body))

    def skip_review_item(self, ref: str, item_id: str, *, reviewer: str = "") -> ReviewItemOut:
        path = f"/review-queues/{quote(ref, safe='')}/items/{quote(item_id, safe='')}/skip"
        return cast(ReviewItemOut, self._change("POST", path, {"reviewer": reviewer or None}))

    def _query_change(self, method: str, path: str, query: Params) -> Any:
        """A POST whose arguments are query parameters (the ``from-filter`` routes)."""
        try:
            return _json(self._send(method, path, _clean(query)))
        finally:
            self.clear_cache()
