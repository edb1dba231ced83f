"""The dashboard client's answer types name only fields the collector's contract
(docs/openapi.json) documents: a field renamed or dropped on one side fails here."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest

from llmpulse_collector.openapi import COMMITTED
from llmpulse_dashboard import client

# client TypedDict -> the collector's response model of that shape
SHAPES = {
    "Me": "MeAnswer",
    "Latency": "Latency",
    "Metrics": "Metrics",
    "SummaryGroup": "MetricsGroup",
    "PreviousTotals": "PreviousTotals",
    "Summary": "MetricsSummaryAnswer",
    "Bucket": "Bucket",
    "Series": "Series",
    "Timeseries": "MetricsTimeseriesAnswer",
    "TraceSummary": "TraceSummary",
    "TracePage": "TracePage",
    "Evaluation": "EvaluationRecord",
    "Span": "SpanNode",
    "TraceDetail": "TraceDetail",
    "Session": "SessionRow",
    "SessionPage": "SessionPage",
    "SessionTrace": "SessionTurn",
    "SessionDetail": "SessionDetail",
    "User": "UserRow",
    "UserPage": "UserPage",
    "PassRateBucket": "EvaluationBucket",
    "EvaluationNameSummary": "EvaluationName",
    "EvaluationCounts": "PassCounts",
    "EvaluationTotals": "EvaluationTotals",
    "EvaluationSummary": "EvaluationSummaryAnswer",
    "FailingEvaluation": "FailingEvaluation",
    "FailingPage": "FailingPage",
    "Feedback": "EvaluationRecord",
    "FeedbackPage": "FeedbackPage",
    "CostGroup": "CostGroup",
    "CostTotals": "CostFigures",
    "CostReport": "CostAnswer",
    "ValueCount": "ValueCount",
    "TopMover": "TopMover",
    "DriftFeature": "DriftFeature",
    "DriftGroup": "DriftGroup",
    "DriftWindow": "Window",
    "DriftReport": "DriftAnswer",
    "AlertRuleEntry": "AlertRuleAnswer",
    "AlertState": "AlertRuleState",
    "AlertStates": "AlertStates",
    "AlertEvent": "AlertEvent",
    "AlertEvaluation": "AlertResult",
    "Dataset": "DatasetOut",
    "DatasetDetail": "DatasetDetailOut",
    "DatasetVersion": "VersionOut",
    "DatasetItem": "ItemOut",
    "EvaluatorStats": "EvaluatorStats",
    "ExperimentRun": "RunSummaryOut",
    "ExperimentScore": "ScoreOut",
    "ExperimentResult": "ResultOut",
    "ExperimentDetail": "RunDetailOut",
    "ExperimentSide": "SideOut",
    "ExperimentItemDiff": "ItemDiffOut",
    "EvaluatorComparison": "EvaluatorCompareOut",
    "Gate": "GateOut",
    "ExperimentComparison": "CompareOut",
    "ReviewQueue": "QueueOut",
    "ReviewItem": "ReviewItemOut",
    "ReviewNext": "NextOut",
    "ReviewLabelled": "LabelOut",
    "PreviousSeries": "PreviousSeries",
    "SpanEvent": "SpanEvent",
    "DatasetItemPage": "DatasetItemsPageOut",
    "DatasetAdded": "DatasetAddedOut",
    "ReviewAdded": "QueueAddedOut",
}


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))["components"][
        "schemas"
    ]
    return schemas


@pytest.mark.parametrize(("typed_dict", "model"), sorted(SHAPES.items()))
def test_client_types_name_only_documented_fields(typed_dict: str, model: str) -> None:
    fields = set(typing.get_type_hints(getattr(client, typed_dict)))
    documented = set(_schemas()[model].get("properties", {}))
    assert fields <= documented, (
        f"client.{typed_dict} names fields the API's {model} does not document: "
        f"{sorted(fields - documented)}"
    )


def test_every_client_answer_type_is_checked() -> None:
    answer_types = {
        name
        for name, value in vars(client).items()
        if typing.is_typeddict(value) and value.__module__ == client.__name__
    }
    assert answer_types <= set(SHAPES), sorted(answer_types - set(SHAPES))
