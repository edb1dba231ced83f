"""Drift verdicts and their thresholds (documented in docs/alerts.md).

Numeric features: PSI ≥ 0.2 is ``drift``, 0.1-0.2 ``warning``; each also needs the
Kolmogorov-Smirnov p-value below 0.01 (drift) / 0.05 (warning), so sampling noise in
small windows (PSI is biased upward by about (bins - 1)·(1/n₁ + 1/n₂)) is no verdict.
Categorical features: Jensen-Shannon distance (base 2, in [0, 1]) ≥ 0.2 is ``drift``,
0.1-0.2 ``warning``. Below ``min_samples`` in either window the verdict is
``not_enough_data``, never a drift verdict.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

__all__ = ["VERDICT_RANK", "Thresholds", "Verdict"]


class Verdict(StrEnum):
    STABLE = "stable"
    WARNING = "warning"
    DRIFT = "drift"
    NOT_ENOUGH_DATA = "not_enough_data"


#: order for "worst of": not_enough_data < stable < warning < drift
VERDICT_RANK: dict[Verdict, int] = {
    Verdict.NOT_ENOUGH_DATA: 0,
    Verdict.STABLE: 1,
    Verdict.WARNING: 2,
    Verdict.DRIFT: 3,
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_samples: int = 200
    psi_warning: float = 0.1
    psi_drift: float = 0.2
    ks_p_warning: float = 0.05
    ks_p_drift: float = 0.01
    js_warning: float = 0.1
    js_drift: float = 0.2
    #: share given to an empty bin in PSI, so log(q/p) stays finite
    psi_epsilon: float = 1e-4

    def enough(self, baseline_count: int, current_count: int) -> bool:
        return min(baseline_count, current_count) >= self.min_samples

    def numeric(self, psi: float, ks_p_value: float) -> Verdict:
        p = 1.0 if math.isnan(ks_p_value) else ks_p_value
        if psi >= self.psi_drift and p < self.ks_p_drift:
            return Verdict.DRIFT
        if psi >= self.psi_warning and p < self.ks_p_warning:
            return Verdict.WARNING
        return Verdict.STABLE

    def categorical(self, js_distance: float) -> Verdict:
        if js_distance >= self.js_drift:
            return Verdict.DRIFT
        if js_distance >= self.js_warning:
            return Verdict.WARNING
        return Verdict.STABLE

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
