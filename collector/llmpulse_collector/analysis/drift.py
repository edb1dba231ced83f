"""Drift between a baseline window and a current window, per group, in ClickHouse.

Two queries, run side by side, each one scan of the two windows:

- numeric features: the baseline deciles of each feature per group
  (``quantilesDeterministic``, de-duplicated; a small ``base`` table computed from the
  baseline window and joined by group) are the bin edges; each span's bin is the
  number of edges below its value; ``countResample`` over a (window, bin) code gives
  both histograms, from which PSI is computed in SQL, next to
  ``kolmogorovSmirnovTest``, the counts and the two medians;
- categorical features: counts per category and window (one ``GROUP BY`` of all
  features' raw values, then ``ARRAY JOIN``), then the Jensen-Shannon distance
  (base 2) and the top movers with array functions.

Only aggregates leave the database; experiment runs are not production traffic and
are left out (``store.traffic``). Windows are half-open ``[from, to)`` and must not
overlap. Identifiers come from the fixed maps of ``features``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from llmpulse_collector.analysis.features import (
    CATEGORICAL_FEATURES,
    FILTERS,
    GROUP_KEYS,
    NUMERIC_FEATURES,
)
from llmpulse_collector.analysis.thresholds import VERDICT_RANK, Thresholds, Verdict
from llmpulse_collector.store.client import Store
from llmpulse_collector.store.metricdefs import direction_verdict
from llmpulse_collector.store.traffic import PRODUCTION_SPAN

__all__ = ["DriftQuery", "drift_report"]

#: bin edges are the baseline deciles, so at most 10 bins
_LEVELS = ", ".join(f"{q / 10:.1f}" for q in range(1, 10))
_MAX_BINS = 10
_MAX_GROUPS = 100
_TOP_MOVERS = 5


@dataclass(frozen=True, slots=True)
class DriftQuery:
    project_id: str
    baseline: tuple[int, int]  # [from_ns, to_ns)
    current: tuple[int, int]
    group_by: Sequence[str] = ()
    filters: Mapping[str, str] = field(default_factory=dict)
    numeric: Sequence[str] = tuple(NUMERIC_FEATURES)
    categorical: Sequence[str] = tuple(CATEGORICAL_FEATURES)
    thresholds: Thresholds = field(default_factory=Thresholds)

    def validate(self) -> None:
        """Raise ``ValueError`` with a message that says what to fix."""
        (b0, b1), (c0, c1) = self.baseline, self.current
        if b0 >= b1 or c0 >= c1:
            raise ValueError("each window needs from < to")
        if b0 < c1 and c0 < b1:
            raise ValueError("the baseline and current windows must not overlap")
        for name in self.group_by:
            if name not in GROUP_KEYS:
                raise ValueError(f"group_by must be among: {', '.join(GROUP_KEYS)}")
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("group_by names a key twice")
        for name in self.filters:
            if name not in FILTERS:
                raise ValueError(f"filters must be among: {', '.join(FILTERS)}")
        for name in self.numeric:
            if name not in NUMERIC_FEATURES:
                raise ValueError(f"numeric features are: {', '.join(NUMERIC_FEATURES)}")
        for name in self.categorical:
            if name not in CATEGORICAL_FEATURES:
                raise ValueError(f"categorical features are: {', '.join(CATEGORICAL_FEATURES)}")
        if not self.numeric and not self.categorical:
            raise ValueError("choose at least one feature")


class _Sql:
    """The shared parts of both queries: keys, conditions, parameters."""

    def __init__(self, store: Store, q: DriftQuery) -> None:
        self.table = store.table("spans")
        self.keys = [f"k{i}" for i in range(len(q.group_by))] or ["k0"]
        exprs = [GROUP_KEYS[name] for name in q.group_by] or ["'all'"]
        self.key_select = ", ".join(f"{e} AS {k}" for e, k in zip(exprs, self.keys, strict=True))
        self.key_list = ", ".join(self.keys)
        conditions = ["project_id = {project:String}", PRODUCTION_SPAN]
        self.params: dict[str, Any] = {
            "project": q.project_id,
            "b0": q.baseline[0],
            "b1": q.baseline[1],
            "c0": q.current[0],
            "c1": q.current[1],
        }
        for i, (name, value) in enumerate(sorted(q.filters.items())):
            conditions.append(f"{FILTERS[name]} = {{f{i}:String}}")
            self.params[f"f{i}"] = value
        self.filters = " AND ".join(conditions)
        self.in_baseline = (
            "start_time >= fromUnixTimestamp64Nano({b0:Int64}) "
            "AND start_time < fromUnixTimestamp64Nano({b1:Int64})"
        )
        self.in_current = (
            "start_time >= fromUnixTimestamp64Nano({c0:Int64}) "
            "AND start_time < fromUnixTimestamp64Nano({c1:Int64})"
        )
        self.params["max_groups"] = _MAX_GROUPS

    def params_for(self, sql: str) -> dict[str, Any]:
        """The parameters ``sql`` binds (the store refuses unbound ones)."""
        return {k: v for k, v in self.params.items() if "{" + k + ":" in sql}

    def both_windows(self) -> str:
        return f"{self.filters} AND (({self.in_baseline}) OR ({self.in_current}))"


def _det() -> str:
    # the sampling key of quantilesDeterministic (deterministic per span)
    return "toUInt64(toUnixTimestamp64Nano(start_time))"


def _numeric_sql(s: _Sql, features: Sequence[str], eps: float, *, guard: bool = False) -> str:
    """Per group: counts, KS test, baseline bin edges, both medians, both histograms, PSI.

    The baseline deciles (``base``) are scalar columns of a small joined table, so a
    value's bin is a sum of comparisons; ``countResample`` counts (window, bin) codes.

    ``kolmogorovSmirnovTest`` raises when exactly one of its samples is empty (a model
    new in the current window); with no sample at all it gives NULL (``OrNull``).
    ``guard`` feeds it only groups whose feature has values in both windows, at the
    price of a window function over the scanned rows: the report runs the cheap form
    first and the guarded one only when the cheap one hit that case.
    """
    base_cols, rows, cols = [], [], []
    for i, name in enumerate(features):
        f = NUMERIC_FEATURES[name]
        base_cols.append(
            f"quantilesDeterministicIf({_LEVELS})({f.expr}, {_det()}, {f.where}) AS d{i}, "
            f"d{i}[5] AS md{i}, length(arrayDistinct(d{i})) AS ne{i}, "
            f"arrayResize(arrayDistinct(d{i}), {_MAX_BINS - 1}, inf) AS r{i}, "
            + ", ".join(f"r{i}[{j}] AS e{i}_{j}" for j in range(1, _MAX_BINS))
        )
        both = (
            f", max(w = 0 AND c{i}) OVER keys AND max(w = 1 AND c{i}) OVER keys AS both{i}"
            if guard
            else f", 1 AS both{i}"
        )
        rows.append(f"{f.expr} AS x{i}, toUInt8({f.where}) AS c{i}{both}")
        compare = " + ".join(f"(x{i} > e{i}_{j})" for j in range(1, _MAX_BINS))
        edges = ", ".join(f"any(e{i}_{j})" for j in range(1, _MAX_BINS))
        cols.append(
            f"countIf(w = 0 AND c{i}) AS n0_{i}, countIf(w = 1 AND c{i}) AS n1_{i}, "
            f"kolmogorovSmirnovTestIfOrNull('two-sided', 'asymp')(x{i}, w, c{i} AND both{i})"
            f" AS ks{i}, tupleElement(ks{i}, 1) AS ksd{i}, tupleElement(ks{i}, 2) AS ksp{i}, "
            f"arraySlice([{edges}], 1, any(ne{i})) AS edges{i}, any(md{i}) AS m0_{i}, "
            f"quantileDeterministicIf(0.5)(x{i}, det, c{i} AND w = 1) AS m1_{i}, "
            f"countResample(0, 32, 1)(if(c{i}, toUInt8(w * 16 + {compare}), 255)) AS h{i}, "
            f"arraySlice(h{i}, 1, {_MAX_BINS}) AS hb{i}, "
            f"arraySlice(h{i}, 17, {_MAX_BINS}) AS hc{i}, "
            f"arraySum(arrayMap("
            f"(x, y) -> (greatest(y / n1_{i}, {eps}) - greatest(x / n0_{i}, {eps}))"
            f" * log(greatest(y / n1_{i}, {eps}) / greatest(x / n0_{i}, {eps})), "
            f"hb{i}, hc{i})) AS psi{i}"
        )
    return f"""
        WITH base AS (
            SELECT {s.key_select}, {", ".join(base_cols)}
            FROM {s.table}
            WHERE {s.filters} AND {s.in_baseline}
            GROUP BY {s.key_list}
        )
        SELECT {s.key_list}, countIf(w = 0) AS n_baseline, countIf(w = 1) AS n_current,
            {", ".join(cols)}
        FROM (
            SELECT {s.key_select}, toUInt8({s.in_current}) AS w, {_det()} AS det,
                {", ".join(rows)}
            FROM {s.table}
            WHERE {s.both_windows()}
            {f"WINDOW keys AS (PARTITION BY {s.key_list})" if guard else ""}
        ) AS sp
        LEFT JOIN base USING ({s.key_list})
        GROUP BY {s.key_list}
        ORDER BY n_baseline + n_current DESC
        LIMIT {{max_groups:UInt32}}
    """  # noqa: S608


def _categorical_sql(s: _Sql, features: Sequence[str]) -> str:
    """One scan: GROUP BY every categorical feature at once (their combinations are
    few), then ARRAY JOIN the small result to count per feature and category. The scan
    groups by the raw values and ``where`` flags; the NULLs of spans without a feature
    are applied to the few grouped rows, not to every span."""
    raw = ", ".join(
        f"{f.expr} AS r{i}, toUInt8({f.where}) AS c{i}"
        for i, f in enumerate(CATEGORICAL_FEATURES[name] for name in features)
    )
    raw_names = ", ".join(f"r{i}, c{i}" for i in range(len(features)))
    values = ", ".join(
        f"CAST(if(c{i}, r{i}, NULL) AS LowCardinality(Nullable(String)))"
        for i in range(len(features))
    )
    return f"""
        SELECT {s.key_list}, feature - 1 AS feature, n0, n1,
            arrayMap(x -> x / greatest(n0, 1), b) AS p,
            arrayMap(x -> x / greatest(n1, 1), c) AS q,
            arrayMap((x, y) -> (x + y) / 2, p, q) AS m,
            sqrt(greatest(0, (
                arraySum(arrayMap((x, y) -> if(x > 0, x * log2(x / y), 0), p, m))
                + arraySum(arrayMap((x, y) -> if(x > 0, x * log2(x / y), 0), q, m))
            ) / 2)) AS js,
            arraySlice(
                arrayReverseSort(t -> abs(t.3 - t.2), arrayZip(cats, p, q)), 1, {_TOP_MOVERS}
            ) AS movers
        FROM (
            SELECT {s.key_list}, feature,
                groupArray(category) AS cats, groupArray(c0) AS b, groupArray(c1) AS c,
                sum(c0) AS n0, sum(c1) AS n1
            FROM (
                SELECT {s.key_list}, feature, assumeNotNull(cat) AS category,
                    sumIf(n, w = 0) AS c0, sumIf(n, w = 1) AS c1
                FROM (
                    SELECT {s.key_list}, w, [{values}] AS vs, n
                    FROM (
                        SELECT {s.key_list}, w, {raw_names}, count() AS n
                        FROM (
                            SELECT {s.key_select}, toUInt8({s.in_current}) AS w, {raw}
                            FROM {s.table}
                            WHERE {s.both_windows()}
                        )
                        GROUP BY {s.key_list}, w, {raw_names}
                    )
                )
                ARRAY JOIN vs AS cat, arrayEnumerate(vs) AS feature
                WHERE cat IS NOT NULL
                GROUP BY {s.key_list}, feature, category
            )
            GROUP BY {s.key_list}, feature
        )
        ORDER BY n0 + n1 DESC
        LIMIT {{max_groups:UInt32}} BY feature
    """  # noqa: S608


def _num(value: Any, digits: int | None = 6) -> float | None:
    if value is None:
        return None
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return None
    return number if digits is None else round(number, digits)


def _numeric_result(row: Mapping[str, Any], i: int, name: str, t: Thresholds) -> dict[str, Any]:
    n0, n1 = int(row[f"n0_{i}"]), int(row[f"n1_{i}"])
    out: dict[str, Any] = {
        "feature": name,
        "kind": "numeric",
        "baseline_count": n0,
        "current_count": n1,
    }
    if not t.enough(n0, n1) or n0 == 0 or n1 == 0:
        out["verdict"] = Verdict.NOT_ENOUGH_DATA.value
        out["message"] = _not_enough(n0, n1, t)
        return out
    d, p_value = row[f"ksd{i}"], row[f"ksp{i}"]
    psi = float(row[f"psi{i}"])
    m0, m1 = _num(row[f"m0_{i}"]), _num(row[f"m1_{i}"])
    shift = None if m0 is None or m1 is None else round(m1 - m0, 6)
    feature = NUMERIC_FEATURES[name]
    p = _num(p_value, None)
    out.update(
        verdict=t.numeric(psi, float(p_value)).value,
        psi=round(psi, 6),
        ks_statistic=_num(d),
        ks_p_value=p,
        ks_p_value_log10=_ks_log10_p(p, _num(d, None), n0, n1),
        ks_p_value_text=_p_text(p),
        metric_direction=feature.direction,
        direction=None if shift is None else direction_verdict(feature.direction, shift),
        median_baseline=m0,
        median_current=m1,
        median_shift=shift,
        median_shift_pct=None if not m0 or shift is None else round(100 * shift / m0, 3),
        bin_edges=[_num(e) for e in row[f"edges{i}"]],
        baseline_counts=[int(c) for c in row[f"hb{i}"][: len(row[f"edges{i}"]) + 1]],
        current_counts=[int(c) for c in row[f"hc{i}"][: len(row[f"edges{i}"]) + 1]],
    )
    return out


def _ks_log10_p(p: float | None, d: float | None, n0: int, n1: int) -> float | None:
    """log10 of the KS p-value; where the p-value underflows to 0, the asymptotic
    bound ``2 exp(-2 n D^2)`` (``n = n0 n1 / (n0 + n1)``) in log space."""
    if p is not None and p > 0:
        return round(math.log10(p), 6)
    if d is None or not n0 or not n1:
        return None
    n = n0 * n1 / (n0 + n1)
    return round(math.log10(2) - 2 * n * d * d / math.log(10), 6)


def _p_text(p: float | None) -> str | None:
    """The p-value as text that never reads 0: ``< 1e-300`` when it underflows."""
    if p is None:
        return None
    if p < 1e-300:
        return "< 1e-300"
    return f"{p:.3g}"


def _categorical_result(row: Mapping[str, Any], name: str, t: Thresholds) -> dict[str, Any]:
    n0, n1 = int(row["n0"]), int(row["n1"])
    out: dict[str, Any] = {
        "feature": name,
        "kind": "categorical",
        "baseline_count": n0,
        "current_count": n1,
    }
    if not t.enough(n0, n1):
        out["verdict"] = Verdict.NOT_ENOUGH_DATA.value
        out["message"] = _not_enough(n0, n1, t)
        return out
    js = float(row["js"])
    out.update(
        verdict=t.categorical(js).value,
        js_distance=round(js, 6),
        top_movers=[
            {
                "category": category,
                "baseline_share": round(float(p), 6),
                "current_share": round(float(q), 6),
                "change": round(float(q) - float(p), 6),
            }
            for category, p, q in row["movers"]
        ],
    )
    return out


def _missing(name: str, t: Thresholds) -> dict[str, Any]:
    kind = "numeric" if name in NUMERIC_FEATURES else "categorical"
    return {
        "feature": name,
        "kind": kind,
        "baseline_count": 0,
        "current_count": 0,
        "verdict": Verdict.NOT_ENOUGH_DATA.value,
        "message": _not_enough(0, 0, t),
    }


def _not_enough(n0: int, n1: int, t: Thresholds) -> str:
    return (
        f"not enough data: {n0} baseline and {n1} current samples, {t.min_samples} needed in each"
    )


def _worst(features: Sequence[Mapping[str, Any]]) -> str:
    verdicts = [Verdict(f["verdict"]) for f in features] or [Verdict.NOT_ENOUGH_DATA]
    return max(verdicts, key=VERDICT_RANK.__getitem__).value


def drift_report(store: Store, q: DriftQuery) -> dict[str, Any]:
    """Compare the current window with the baseline window, per group and feature."""
    q.validate()
    s = _Sql(store, q)
    t = q.thresholds
    groups: dict[tuple[str, ...], dict[str, Any]] = {}

    def group(row: Mapping[str, Any]) -> dict[str, Any]:
        key = tuple(str(row[k]) for k in s.keys)
        if key not in groups:
            groups[key] = {
                "group": dict(zip(q.group_by, key, strict=False)),
                "baseline_count": 0,
                "current_count": 0,
                "features": [],
            }
        return groups[key]

    queries = {}
    if q.numeric:
        queries["numeric"] = _numeric_sql(s, q.numeric, t.psi_epsilon)
    if q.categorical:
        queries["categorical"] = _categorical_sql(s, q.categorical)
    # independent queries: run them side by side (the store lends each its own client)
    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        futures = {
            k: pool.submit(store.query, sql, s.params_for(sql)) for k, sql in queries.items()
        }
        results = {}
        for k, future in futures.items():
            try:
                results[k] = future.result()
            except Exception as exc:
                if k != "numeric" or "both samples to be non empty" not in str(exc):
                    raise
                sql = _numeric_sql(s, q.numeric, t.psi_epsilon, guard=True)
                results[k] = store.query(sql, s.params_for(sql))
    if q.numeric:
        for row in results["numeric"]:
            g = group(row)
            g["baseline_count"], g["current_count"] = int(row["n_baseline"]), int(row["n_current"])
            g["features"].extend(
                _numeric_result(row, i, name, t) for i, name in enumerate(q.numeric)
            )
    if q.categorical:
        for row in results["categorical"]:
            g = group(row)
            g["features"].append(_categorical_result(row, q.categorical[int(row["feature"])], t))
    order = {name: i for i, name in enumerate([*q.numeric, *q.categorical])}
    result = []
    for g in groups.values():
        present = {f["feature"] for f in g["features"]}
        g["features"].extend(_missing(name, t) for name in order if name not in present)
        g["features"].sort(key=lambda f: order[f["feature"]])
        g["verdict"] = _worst(g["features"])
        result.append(g)
    result.sort(key=lambda g: -(g["baseline_count"] + g["current_count"]))
    return {
        "baseline": {"from_ns": q.baseline[0], "to_ns": q.baseline[1]},
        "current": {"from_ns": q.current[0], "to_ns": q.current[1]},
        "group_by": list(q.group_by),
        "filters": dict(q.filters),
        "thresholds": t.as_dict(),
        "groups": result,
    }
