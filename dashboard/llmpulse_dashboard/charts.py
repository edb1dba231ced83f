"""Chart specs: pure functions from API answers to Vega-Lite specs (no Streamlit).

Pages draw them with ``st.vega_lite_chart``: Vega-Lite loads in a fraction of the time
Plotly takes in a fresh browser tab. Each spec keeps its data inline, one ``data`` per
layer, so a test reads what is drawn straight from the spec. Layers have names (the
``name`` key) where a test or a marker needs to find them.

Times on the x axes are UTC (a ``utc`` scale over ISO 8601 times ending in ``Z``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from llmpulse_dashboard.api_types import (
    AlertEvent,
    Bucket,
    DriftFeature,
    EvaluationName,
    Metrics,
    Series,
)
from llmpulse_dashboard.render import fmt_cost, fmt_ms, fmt_pct

__all__ = [
    "ERROR_COLOR",
    "PARTIAL_BUCKET",
    "SEVERITY_COLORS",
    "SPAN_COLORS",
    "VERDICT_COLORS",
    "RegressionPeriod",
    "Spec",
    "add_regression_markers",
    "alert_timeline_spec",
    "bar_spec",
    "bin_labels",
    "cost_over_time_spec",
    "distribution_spec",
    "latency_spec",
    "layer",
    "mark_partial_bucket",
    "moved_categories_spec",
    "pass_rate_spec",
    "percentile",
    "regression_periods",
    "tokens_cost_spec",
    "volume_spec",
]

#: a Vega-Lite spec (JSON-able)
Spec = dict[str, Any]

SPAN_COLORS: dict[str, str] = {
    "llm": "#7c3aed",
    "chain": "#2563eb",
    "agent": "#1d4ed8",
    "tool": "#d97706",
    "retrieval": "#059669",
    "embedding": "#0891b2",
    "evaluator": "#db2777",
    "guardrail": "#9333ea",
    "other": "#6b7280",
}
ERROR_COLOR = "#dc2626"
_PREVIOUS_COLOR = "#9ca3af"
_BASELINE_COLOR = "#9ca3af"
_CURRENT_COLOR = "#7c3aed"
_PARTIAL_COLOR = "#9ca3af"
RESOLVED_COLOR = "#16a34a"
#: drift verdict -> colour (tables and charts)
VERDICT_COLORS: dict[str, str] = {
    "drift": "#dc2626",
    "warning": "#d97706",
    "stable": "#16a34a",
    "not_enough_data": "#9ca3af",
}
#: alert severity -> colour of its firing markers and periods
SEVERITY_COLORS: dict[str, str] = {
    "critical": "#dc2626",
    "warning": "#d97706",
    "info": "#2563eb",
}
_PALETTE = ("#7c3aed", "#2563eb", "#059669", "#d97706", "#db2777", "#0891b2", "#65a30d")
_HEIGHT = 300
_LEGEND = {"orient": "top", "title": None}


# ---- building blocks -------------------------------------------------------------------


def _time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


def _utc(ns: int) -> str:
    """``2027-01-15T11:00:00.000Z``: a time Vega-Lite parses as UTC."""
    return _time(ns).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _when(ns: int) -> str:
    return _time(ns).strftime("%Y-%m-%d %H:%M:%S UTC")


def _x(field: str, **more: Any) -> dict[str, Any]:
    return {"field": field, "type": "temporal", "scale": {"type": "utc"}, "title": None, **more}


def _y(field: str, title: str | None, **more: Any) -> dict[str, Any]:
    return {"field": field, "type": "quantitative", "title": title, **more}


def _colors(names: Sequence[str], colors: Sequence[str]) -> dict[str, Any]:
    """A colour encoding of the ``series`` field with these names and colours, legend on top."""
    return {
        "field": "series",
        "type": "nominal",
        "scale": {"domain": list(names), "range": list(colors)},
        "legend": _LEGEND,
    }


def layer(spec: Spec, name: str) -> Spec | None:
    """The layer of ``spec`` named ``name`` (nested layers included), or None."""
    for item in spec.get("layer", []):
        if item.get("name") == name:
            return item  # type: ignore[no-any-return]
        found = layer(item, name)
        if found is not None:
            return found
    return None


def _with_layers(spec: Spec, below: Sequence[Spec] = (), above: Sequence[Spec] = ()) -> Spec:
    """A copy of ``spec`` with ``below`` drawn under its layers and ``above`` over them."""
    return {**spec, "layer": [*below, *spec.get("layer", []), *above]}


def _step_ns(times: Iterable[int]) -> int:
    """The bucket width: the smallest gap between bucket starts (an hour with one bucket)."""
    ordered = sorted(set(times))
    gaps = [b - a for a, b in pairwise(ordered) if b > a]
    return min(gaps) if gaps else 3_600_000_000_000


def _bar_ends(start_ns: int, step_ns: int, share: float = 0.8) -> dict[str, str]:
    """A bar centred on a bucket's start, ``share`` of a bucket wide."""
    half = int(step_ns * share / 2)
    return {"from": _utc(start_ns - half), "to": _utc(start_ns + half)}


def _hover(
    times: Sequence[int], step_ns: int, columns: Sequence[tuple[str, Callable[[int], str]]]
) -> Spec:
    """A band per bucket (invisible until hovered) whose tooltip lists every series'
    value in that bucket: ``columns`` are (title, value of the bucket starting at t)."""
    rows = [
        {**_bar_ends(t, step_ns, share=1.0), "when": _when(t),
         **{f"v{i}": value(t) for i, (_, value) in enumerate(columns)}}
        for t in sorted(set(times))
    ]  # fmt: skip
    tooltip = [{"field": "when", "title": "bucket"}]
    tooltip += [{"field": f"v{i}", "title": title} for i, (title, _) in enumerate(columns)]
    return {
        "name": "hover",
        "data": {"values": rows},
        "params": [
            {
                "name": "hovered",
                "select": {"type": "point", "on": "pointerover", "clear": "pointerout"},
            }
        ],
        "mark": {"type": "rect"},
        "encoding": {
            "x": _x("from"),
            "x2": {"field": "to"},
            "color": {
                "condition": {"param": "hovered", "empty": False, "value": "rgba(0,0,0,0.06)"},
                "value": "transparent",
            },
            "tooltip": tooltip,
        },
    }


def _value_at(
    buckets: Sequence[Any], value: Callable[[Any], float | None], fmt: Callable[..., str]
) -> Callable[[int], str]:
    """The formatted value of the bucket that starts at a time (a dash where none does)."""
    by_time = {b.get("time_ns", 0): value(b) for b in buckets}
    return lambda t: fmt(by_time.get(t))


def _times(buckets: Sequence[Bucket]) -> list[int]:
    return [b.get("time_ns", 0) for b in buckets]


def _aligned(buckets: Sequence[Bucket], previous: Sequence[Bucket]) -> list[int | None]:
    """x positions of previous-period buckets: the current bucket with the same offset."""
    by_offset = {b.get("offset", i): b.get("time_ns", 0) for i, b in enumerate(buckets)}
    return [by_offset.get(b.get("offset", i)) for i, b in enumerate(previous)]


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _percentile_of(name: str) -> Callable[[Bucket], float | None]:
    return lambda bucket: percentile(bucket, name)


def _pass_rate(bucket: Any) -> float | None:
    rate = bucket.get("pass_rate")
    return None if rate is None else float(rate)


def percentile(metrics: Metrics | None, name: str) -> float | None:
    """``metrics["latency_ms"][name]`` (``p50``, ``p95``, ``p99``), or ``None``."""
    latency: Any = (metrics or {}).get("latency_ms") or {}
    value = latency.get(name)
    return None if value is None else float(value)


# ---- time series ---------------------------------------------------------------------


def _points(
    buckets: Sequence[Bucket],
    series: Mapping[str, Callable[[Bucket], float | None]],
    at: Sequence[int | None] | None = None,
) -> list[dict[str, Any]]:
    """Long rows ``{time, series, value}``; ``None`` values stay (a line breaks there)."""
    times = _times(buckets) if at is None else at
    return [
        {"time": _utc(t), "series": name, "value": value(b)}
        for name, value in series.items()
        for b, t in zip(buckets, times, strict=True)
        if t is not None
    ]


def latency_spec(buckets: Sequence[Bucket], previous: Sequence[Bucket] | None = None) -> Spec:
    """Latency percentiles per bucket (a bucket without data leaves a gap); the
    previous period's p95 dotted, at the current bucket with the same offset."""
    names = ["p50", "p95", "p99"]
    rows = _points(buckets, {n: _percentile_of(n) for n in names})
    if previous:
        before = "p95, previous period"
        rows += _points(previous, {before: lambda b: percentile(b, "p95")},
                        at=_aligned(buckets, previous))  # fmt: skip
        names.append(before)
    step = _step_ns(_times(buckets))
    columns = [(n, _value_at(buckets, _percentile_of(n), fmt_ms)) for n in names[:3]]
    if previous:
        shifted = {t: b for t, b in zip(_aligned(buckets, previous), previous, strict=True) if t}
        columns.append(
            ("p95, previous period", lambda t: fmt_ms(percentile(shifted.get(t), "p95")))
        )
    colors = ["#2563eb", "#7c3aed", "#db2777", _PREVIOUS_COLOR]
    return {
        "height": _HEIGHT,
        "layer": [
            {
                "name": "latency",
                "data": {"values": rows},
                "mark": {"type": "line", "interpolate": "monotone"},
                "encoding": {
                    "x": _x("time"),
                    "y": _y("value", "ms"),
                    "color": _colors(names, colors[: len(names)]),
                    "strokeDash": {
                        "field": "series",
                        "type": "nominal",
                        "scale": {
                            "domain": names,
                            "range": [[1, 0], [1, 0], [1, 0], [2, 3]][: len(names)],
                        },
                        "legend": None,
                    },
                    "strokeWidth": {
                        "condition": {"test": "datum.series === 'p99'", "value": 1},
                        "value": 2,
                    },
                },
            },
            _hover(_times(buckets), step, columns),
        ],
    }


def volume_spec(buckets: Sequence[Bucket], previous: Sequence[Bucket] | None = None) -> Spec:
    """Traces per bucket (bars) and error spans (line, right axis); the previous
    period's traces dotted."""
    step = _step_ns(_times(buckets))
    bars = [
        {**_bar_ends(b.get("time_ns", 0), step), "series": "traces", "value": b.get("traces", 0)}
        for b in buckets
    ]
    names, colors = ["traces"], ["#2563eb"]
    traces: list[Spec] = [
        {
            "name": "traces",
            "data": {"values": bars},
            "mark": {"type": "bar"},
            "encoding": {
                "x": _x("from"),
                "x2": {"field": "to"},
                "y": _y("value", "traces"),
                "y2": {"datum": 0},  # x is a range too: say which way the bars grow
            },
        }
    ]
    columns: list[tuple[str, Callable[[int], str]]] = [
        ("traces", _value_at(buckets, lambda b: b.get("traces", 0), _number))
    ]
    if previous:
        before = "traces, previous period"
        at = _aligned(buckets, previous)
        traces.append(
            {
                "name": "previous",
                "data": {"values": _points(previous, {before: lambda b: b.get("traces", 0)}, at)},
                "mark": {"type": "line", "strokeDash": [2, 3]},
                "encoding": {"x": _x("time"), "y": _y("value", "traces")},
            }
        )
        shifted = {t: b for t, b in zip(at, previous, strict=True) if t}
        columns.append(
            (before, lambda t: _number(shifted[t].get("traces") if t in shifted else None))
        )
        names.append(before)
        colors.append(_PREVIOUS_COLOR)
    names.append("errors")
    colors.append(ERROR_COLOR)
    for item in traces:
        item["encoding"]["color"] = _colors(names, colors)
    columns.append(("error spans", _value_at(buckets, lambda b: b.get("errors", 0), _number)))
    errors = _points(buckets, {"errors": lambda b: b.get("errors", 0)})
    return {
        "height": _HEIGHT,
        "layer": [
            {"layer": traces},
            {
                "name": "errors",
                "data": {"values": errors},
                "mark": {"type": "line", "point": {"size": 16}},
                "encoding": {
                    "x": _x("time"),
                    "y": _y(
                        "value",
                        "error spans",
                        axis={"orient": "right", "format": ",d", "tickMinStep": 1, "grid": False},
                    ),
                    "color": _colors(names, colors),
                },
            },
            _hover(_times(buckets), step, columns),
        ],
        "resolve": {"scale": {"y": "independent"}},
    }


def tokens_cost_spec(buckets: Sequence[Bucket]) -> Spec:
    """Input and output tokens (stacked bars) and cost (line, right axis)."""
    step = _step_ns(_times(buckets))
    names = ["input tokens", "output tokens", "cost (USD)"]
    colors = ["#93c5fd", "#2563eb", "#059669"]
    # stacked here: Vega-Lite stacks bars whose x is a point, these span their bucket
    bars = [
        {**_bar_ends(b.get("time_ns", 0), step), "series": name, "value": value,
         "low": low, "high": low + value}
        for b in buckets
        for name, value, low in (
            ("input tokens", b.get("input_tokens") or 0, 0),
            ("output tokens", b.get("output_tokens") or 0, b.get("input_tokens") or 0),
        )
    ]  # fmt: skip
    cost = _points(buckets, {"cost (USD)": lambda b: b.get("cost_usd", 0.0)})
    columns: list[tuple[str, Callable[[int], str]]] = [
        ("input tokens", _value_at(buckets, lambda b: b.get("input_tokens", 0), _number)),
        ("output tokens", _value_at(buckets, lambda b: b.get("output_tokens", 0), _number)),
        ("cost", _value_at(buckets, lambda b: b.get("cost_usd", 0.0), fmt_cost)),
    ]
    return {
        "height": _HEIGHT,
        "layer": [
            {
                "name": "tokens",
                "data": {"values": bars},
                "mark": {"type": "bar"},
                "encoding": {
                    "x": _x("from"),
                    "x2": {"field": "to"},
                    "y": _y("high", "tokens"),
                    "y2": {"field": "low"},
                    "color": _colors(names, colors),
                },
            },
            {
                "name": "cost",
                "data": {"values": cost},
                "mark": {"type": "line"},
                "encoding": {
                    "x": _x("time"),
                    "y": _y("value", "USD", axis={"orient": "right", "grid": False}),
                    "color": _colors(names, colors),
                },
            },
            _hover(_times(buckets), step, columns),
        ],
        "resolve": {"scale": {"y": "independent"}},
    }


def cost_over_time_spec(series: Sequence[Series]) -> Spec:
    """Cost per bucket, stacked by group."""
    names = [s["group"] or "(none)" for s in series]
    rows = [
        {"time": _utc(b.get("time_ns", 0)), "series": name, "value": b.get("cost_usd", 0.0)}
        for name, s in zip(names, series, strict=True)
        for b in s["buckets"]
    ]
    times = [b.get("time_ns", 0) for s in series for b in s["buckets"]]
    columns = [
        (name, _value_at(s["buckets"], lambda b: b.get("cost_usd", 0.0), fmt_cost))
        for name, s in zip(names, series, strict=True)
    ]
    return {
        "height": _HEIGHT,
        "layer": [
            {
                "name": "cost",
                "data": {"values": rows},
                "mark": {"type": "area", "line": {"strokeWidth": 1}, "opacity": 0.7},
                "encoding": {
                    "x": _x("time"),
                    "y": _y("value", "USD", stack="zero"),
                    "color": _colors(
                        names, [_PALETTE[i % len(_PALETTE)] for i in range(len(names))]
                    ),
                },
            },
            _hover(times, _step_ns(times), columns),
        ],
    }


def pass_rate_spec(names: Sequence[EvaluationName]) -> Spec:
    """Pass rate per bucket, one line per assertion (a bucket without results is
    skipped: the line joins its neighbours)."""
    labels = [item.get("name", "?") for item in names]
    rows = [
        {"time": _utc(b.get("time_ns", 0)), "series": label, "value": b.get("pass_rate")}
        for label, item in zip(labels, names, strict=True)
        for b in item.get("buckets", [])
        if b.get("pass_rate") is not None
    ]
    times = [b.get("time_ns", 0) for item in names for b in item.get("buckets", [])]
    columns = [
        (label, _value_at(item.get("buckets", []), _pass_rate, fmt_pct))
        for label, item in zip(labels, names, strict=True)
    ]
    return {
        "height": _HEIGHT,
        "layer": [
            {
                "name": "pass rate",
                "data": {"values": rows},
                "mark": {"type": "line", "point": {"size": 16}},
                "encoding": {
                    "x": _x("time"),
                    "y": _y(
                        "value", "pass rate", scale={"domain": [0, 1.05]}, axis={"format": ".0%"}
                    ),
                    "color": _colors(
                        labels, [_PALETTE[i % len(_PALETTE)] for i in range(len(labels))]
                    ),
                },
            },
            _hover(times, _step_ns(times), columns),
        ],
    }


# ---- bars ------------------------------------------------------------------------------


def bar_spec(
    values: Mapping[str, float], *, title: str = "", money: bool = False, limit: int = 15
) -> Spec:
    """Horizontal bars, largest on top (at most ``limit``), each with its value."""
    top = sorted(values.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    rows = [
        {"label": label or "(none)", "value": v, "text": fmt_cost(v) if money else f"{v:,.0f}"}
        for label, v in top
    ]
    y = {"field": "label", "type": "nominal", "sort": [r["label"] for r in rows], "title": None,
         "axis": {"labelLimit": 220}}  # fmt: skip
    most = max((v for _, v in top), default=0.0)
    x = _y("value", None, scale={"domain": [0, most * 1.3 or 1]}, axis=None)
    return {
        "title": {"text": title, "fontSize": 14, "anchor": "start"},
        "height": {"step": 28},
        "layer": [
            {
                "name": "bars",
                "data": {"values": rows},
                "mark": {"type": "bar", "color": "#7c3aed"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "tooltip": [
                        {"field": "label", "title": title or "group"},
                        {"field": "text", "title": "value"},
                    ],
                },
            },
            {
                "name": "values",
                "data": {"values": rows},
                "mark": {"type": "text", "align": "left", "dx": 4},
                "encoding": {"x": x, "y": y, "text": {"field": "text"}},
            },
        ],
    }


# ---- drift ---------------------------------------------------------------------------


def _edge(value: float | None) -> str:
    if value is None:
        return "?"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def bin_labels(edges: Sequence[float | None]) -> list[str]:
    """Labels of the bins the API counts into: a value's bin is the number of edges
    below it, so bin 0 is ``≤ e1``, bin i is ``(e_i, e_i+1]`` and the last ``> e_k``."""
    if not edges:
        return ["all"]
    labels = [f"≤ {_edge(edges[0])}"]
    labels += [f"{_edge(a)} – {_edge(b)}" for a, b in pairwise(edges)]
    labels.append(f"> {_edge(edges[-1])}")
    return labels


def _shares(counts: Sequence[int]) -> list[float]:
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def distribution_spec(feature: DriftFeature, *, unit: str = "") -> Spec:
    """A numeric feature's baseline and current distributions, overlaid: the share of
    each window's values per bin (the bins are the baseline's deciles, from the API's
    ``bin_edges`` / ``baseline_counts`` / ``current_counts``). The legend names each
    window with its number of values and median."""
    labels = bin_labels(feature.get("bin_edges") or [])
    n = len(labels)
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    for window, counts, middle in (
        ("baseline", feature.get("baseline_counts") or [], feature.get("median_baseline")),
        ("current", feature.get("current_counts") or [], feature.get("median_current")),
    ):
        padded = [*counts[:n], *([0] * (n - len(counts)))]
        name = f"{window} ({sum(padded):,} values" + (
            f", median {_edge(middle)})" if middle is not None else ")"
        )
        names.append(name)
        rows += [
            {"bin": label, "series": name, "window": window, "share": share, "count": count}
            for label, share, count in zip(labels, _shares(padded), padded, strict=True)
        ]
    title = f"{feature.get('feature', '')}{f' ({unit})' if unit else ''}"
    return {
        "height": 320,
        "layer": [
            {
                "name": "distribution",
                "data": {"values": rows},
                "mark": {"type": "bar", "opacity": 0.75},
                "encoding": {
                    "x": {
                        "field": "bin",
                        "type": "ordinal",
                        "sort": labels,
                        "title": title,
                        "axis": {"labelAngle": -30},
                    },
                    "y": _y("share", "share of values", stack=None, axis={"format": ".0%"}),
                    "color": {
                        **_colors(names, [_BASELINE_COLOR, _CURRENT_COLOR]),
                        "legend": {**_LEGEND, "columns": 1, "labelLimit": 400},
                    },
                    "tooltip": [
                        {"field": "bin"},
                        {"field": "window"},
                        {"field": "share", "format": ".1%"},
                        {"field": "count", "title": "values", "format": ","},
                    ],
                },
            },
        ],
    }


def moved_categories_spec(feature: DriftFeature, *, limit: int = 10) -> Spec:
    """A categorical feature's categories whose share moved most: baseline and current
    share side by side, the largest move on top, the change in points as text."""
    movers = sorted(feature.get("top_movers") or [], key=lambda m: -abs(m["change"]))[:limit]
    labels = [m["category"] or "(empty)" for m in movers]
    rows = [
        {"category": label, "series": window, "share": share,
         "change": f"{100 * m['change']:+.1f} pts" if window == "current" else ""}
        for label, m in zip(labels, movers, strict=True)
        for window, share in (("baseline", m["baseline_share"]), ("current", m["current_share"]))
    ]  # fmt: skip
    most = max((float(m[k]) for m in movers for k in ("baseline_share", "current_share")),
               default=0.0)  # fmt: skip
    x = _y("share", "share of values", scale={"domain": [0, min(1.0, most * 1.25) or 1]},
           axis={"format": ".0%"})  # fmt: skip
    y = {"field": "category", "type": "nominal", "sort": labels, "title": None,
         "axis": {"labelLimit": 220}}  # fmt: skip
    offset = {"field": "series", "type": "nominal", "sort": ["baseline", "current"]}
    return {
        "height": {"step": 22},
        "layer": [
            {
                "name": "shares",
                "data": {"values": rows},
                "mark": {"type": "bar"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "yOffset": offset,
                    "color": _colors(["baseline", "current"], [_BASELINE_COLOR, _CURRENT_COLOR]),
                    "tooltip": [
                        {"field": "category"},
                        {"field": "series", "title": "window"},
                        {"field": "share", "format": ".1%"},
                    ],
                },
            },
            {
                "name": "changes",
                "data": {"values": [r for r in rows if r["change"]]},
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
                "encoding": {"x": x, "y": y, "yOffset": offset, "text": {"field": "change"}},
            },
        ],
    }


# ---- regressions (alert events) on time series --------------------------------------


@dataclass(frozen=True, slots=True)
class RegressionPeriod:
    """A rule firing from ``start_ns`` until ``end_ns`` (clipped to the visible range);
    ``resolved`` is False when it was still firing at the range's end."""

    rule_id: str
    rule_name: str
    severity: str
    start_ns: int
    end_ns: int
    fired_in_range: bool
    resolved: bool
    message: str


def regression_periods(
    events: Iterable[AlertEvent], start_ns: int, end_ns: int
) -> list[RegressionPeriod]:
    """Pair each rule's ``firing`` with its next ``resolved`` event, within
    ``[start_ns, end_ns)``. A rule that resolved in range without a firing in range was
    firing since the start; one that never resolved is still firing at the end."""
    ordered = sorted(events, key=lambda e: (e.get("at_ns", 0), e.get("event") != "resolved"))
    open_: dict[str, AlertEvent] = {}
    out: list[RegressionPeriod] = []

    def close(rule: str, first: AlertEvent | None, last: AlertEvent | None) -> None:
        some = first or last
        assert some is not None
        begin = first.get("at_ns", start_ns) if first else start_ns
        out.append(
            RegressionPeriod(
                rule_id=rule,
                rule_name=some.get("rule_name", rule),
                severity=some.get("severity", "warning"),
                start_ns=max(begin, start_ns),
                end_ns=min(last.get("at_ns", end_ns) if last else end_ns, end_ns),
                fired_in_range=first is not None and begin >= start_ns,
                resolved=last is not None,
                message=some.get("message", ""),
            )
        )

    for event in ordered:
        at = event.get("at_ns", 0)
        if not start_ns <= at < end_ns:
            continue
        rule = event.get("rule_id") or event.get("rule_name", "?")
        kind = event.get("event")
        if kind == "firing" and rule not in open_:
            open_[rule] = event
        elif kind == "resolved":
            close(rule, open_.pop(rule, None), event)
    for rule, first in open_.items():
        close(rule, first, None)
    return sorted(out, key=lambda p: (p.start_ns, p.rule_name))


def _severity_color(severity: str) -> str:
    return SEVERITY_COLORS.get(severity, SEVERITY_COLORS["warning"])


def _detail(period: RegressionPeriod) -> str:
    state = "resolved" if period.resolved else "still firing"
    return f"{period.rule_name} ({period.severity}, {state})"


def add_regression_markers(
    spec: Spec, events: Iterable[AlertEvent], start_ns: int, end_ns: int
) -> Spec:
    """``spec`` (a time series, x = UTC times) with its regressions marked: each firing
    period shaded in its severity's colour, a dashed line where it fired, a dotted green
    line where it resolved, and the rule's name on top (its message in the tooltip)."""
    periods = regression_periods(events, start_ns, end_ns)
    if not periods:
        return spec
    rows = [
        {"rule": p.rule_name, "from": _utc(p.start_ns), "to": _utc(p.end_ns),
         "severity": p.severity, "color": _severity_color(p.severity),
         "state": "resolved" if p.resolved else "still firing", "detail": _detail(p),
         "message": p.message[:160], "label": f"⚠ {p.rule_name[:40]}", "row": 4 + 13 * (i % 3),
         "side": "left" if p.start_ns - start_ns < (end_ns - start_ns) / 2 else "right"}
        for i, p in enumerate(periods)
    ]  # fmt: skip
    fired = [r for r, p in zip(rows, periods, strict=True) if p.fired_in_range]
    resolved = [r for r, p in zip(rows, periods, strict=True) if p.resolved]
    color = {"field": "color", "type": "nominal", "scale": None}
    below = [
        {
            "name": "regressions",
            "data": {"values": rows},
            # fill and fillOpacity, not color and opacity: a layer's opacity would fade
            # the series legend, which the layers share
            "mark": {"type": "rect", "fillOpacity": 0.1},
            "encoding": {"x": _x("from"), "x2": {"field": "to"}, "fill": color},
        }
    ]
    above: list[Spec] = []
    if fired:
        above.append(
            {
                "name": "fired",
                "data": {"values": fired},
                "mark": {"type": "rule", "strokeWidth": 1.5, "strokeDash": [5, 3]},
                "encoding": {"x": _x("from"), "color": color},
            }
        )
    if resolved:
        above.append(
            {
                "name": "resolved",
                "data": {"values": resolved},
                "mark": {"type": "rule", "strokeWidth": 1.5, "strokeDash": [1, 3],
                         "color": RESOLVED_COLOR},
                "encoding": {"x": _x("to")},
            }
        )  # fmt: skip
    for side in ("left", "right"):
        above.append(
            {
                "name": f"regression labels ({side})",
                "data": {"values": rows},
                "transform": [{"filter": f"datum.side === '{side}'"}],
                "mark": {"type": "text", "align": side, "baseline": "top", "fontSize": 10,
                         "dx": 3 if side == "left" else -3},
                "encoding": {
                    "x": _x("from"),
                    "y": {"field": "row", "type": "quantitative", "scale": None},
                    "text": {"field": "label"},
                    "color": color,
                    "tooltip": [{"field": "detail", "title": "regression"},
                                {"field": "message"}],
                },
            }
        )  # fmt: skip
    return _with_layers(spec, below, above)


def _iso(ns: int) -> str:
    return _time(ns).replace(tzinfo=None).isoformat(timespec="seconds")


def alert_timeline_spec(events: Sequence[AlertEvent], start_ns: int, end_ns: int) -> dict[str, Any]:
    """Alert history over time as a Vega-Lite spec (a far lighter chart in the browser
    than Plotly), one row per rule: firing periods as bars (severity colour), marks where
    a rule fired (▲), reminded (●) and resolved (▼)."""
    periods = regression_periods(events, start_ns, end_ns)
    rules = sorted({p.rule_name for p in periods} | {e.get("rule_name", "?") for e in events})
    bars = [
        {"rule": p.rule_name, "from": _iso(p.start_ns), "to": _iso(p.end_ns),
         "severity": p.severity, "state": "resolved" if p.resolved else "still firing",
         "message": p.message[:160]}
        for p in periods
    ]  # fmt: skip
    marks = [
        {"rule": e.get("rule_name", "?"), "at": _iso(e.get("at_ns", 0)),
         "event": e.get("event", ""), "message": str(e.get("message", ""))[:160]}
        for e in events
        if e.get("event") in ("firing", "renotify", "resolved")
        and start_ns <= e.get("at_ns", 0) < end_ns
    ]  # fmt: skip
    x_scale = {"domain": [_iso(start_ns), _iso(end_ns)]}
    y = {
        "field": "rule", "type": "nominal", "sort": rules, "title": None,
        "axis": {"labelLimit": 260, "labelOverlap": False},
    }  # fmt: skip
    return {
        "height": {"step": 32},
        "layer": [
            {
                "data": {"values": bars},
                "mark": {"type": "bar", "opacity": 0.35, "height": 18},
                "encoding": {
                    "x": {"field": "from", "type": "temporal", "scale": x_scale, "title": None},
                    "x2": {"field": "to"},
                    "y": y,
                    "color": {
                        "field": "severity",
                        "type": "nominal",
                        "scale": {
                            "domain": list(SEVERITY_COLORS),
                            "range": list(SEVERITY_COLORS.values()),
                        },
                        "title": "firing",
                    },
                    "tooltip": [{"field": f} for f in ("rule", "severity", "state", "message")],
                },
            },
            {
                "data": {"values": marks},
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 110,
                    "stroke": "#111827",
                    "strokeWidth": 0.5,
                },
                "encoding": {
                    "x": {"field": "at", "type": "temporal", "scale": x_scale},
                    "y": y,
                    "shape": {
                        "field": "event",
                        "type": "nominal",
                        "scale": {
                            "domain": ["firing", "renotify", "resolved"],
                            "range": ["triangle-up", "circle", "triangle-down"],
                        },
                    },
                    "color": {"value": "#374151"},
                    "tooltip": [{"field": f} for f in ("rule", "event", "at", "message")],
                },
            },
        ],
    }


PARTIAL_BUCKET = "partial bucket"


def mark_partial_bucket(
    spec: Spec, last_start_ns: int, interval_s: int, now_ns: int | None = None
) -> Spec:
    """``spec`` with the last bucket shaded and labelled "partial" while it is still
    filling (it ends after now): its numbers cover only part of its width, so a dip
    there is not a drop."""
    now = time.time_ns() if now_ns is None else now_ns
    end_ns = last_start_ns + interval_s * 1_000_000_000
    if interval_s <= 0 or end_ns <= now:
        return spec
    row = {
        "from": _utc(last_start_ns),
        "to": _utc(end_ns),
        "label": "partial",
        "detail": f"partial bucket: data until {_when(now)} only",
    }
    shade: Spec = {
        "name": PARTIAL_BUCKET,
        "data": {"values": [row]},
        "mark": {"type": "rect", "color": _PARTIAL_COLOR, "opacity": 0.18},
        "encoding": {"x": _x("from"), "x2": {"field": "to"}},
    }
    label: Spec = {
        "name": "partial label",
        "data": {"values": [row]},
        "mark": {"type": "text", "align": "left", "baseline": "bottom", "dx": 2, "dy": -2,
                 "fontSize": 10, "color": "#6b7280"},
        "encoding": {
            "x": _x("from"),
            "y": {"value": "height"},
            "text": {"field": "label"},
            "tooltip": {"field": "detail"},
        },
    }  # fmt: skip
    return _with_layers(spec, [shade], [label])
