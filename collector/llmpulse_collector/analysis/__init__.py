"""Statistics over stored spans: drift between two time windows, all in ClickHouse.

- ``drift_report``: per group, numeric features (PSI, Kolmogorov-Smirnov, median
  shift) and categorical features (Jensen-Shannon distance, top movers), each with a
  verdict from ``thresholds``.
- ``features``: the fixed maps of features, group keys and filters (the only
  identifiers spliced into SQL).
"""

from __future__ import annotations

from llmpulse_collector.analysis.drift import DriftQuery, drift_report
from llmpulse_collector.analysis.features import (
    CATEGORICAL_FEATURES,
    FILTERS,
    GROUP_KEYS,
    NUMERIC_FEATURES,
)
from llmpulse_collector.analysis.thresholds import Thresholds, Verdict

__all__ = [
    "CATEGORICAL_FEATURES",
    "FILTERS",
    "GROUP_KEYS",
    "NUMERIC_FEATURES",
    "DriftQuery",
    "Thresholds",
    "Verdict",
    "drift_report",
]
