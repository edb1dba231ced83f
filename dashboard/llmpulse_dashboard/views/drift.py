"""Drift: a current window against a baseline window, per group and feature.

The current window is the sidebar's range unless the URL names one (``from``/``to``,
as alert notifications do); the baseline is the period of the same length just before
it, the same window a day or a week earlier, or a custom window (``baseline_from`` /
``baseline_to``). Features are listed worst first; a selected group and feature shows
its baseline and current distributions overlaid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from llmpulse_dashboard import charts, compare, describe, nav, state, ui
from llmpulse_dashboard.api_types import DriftAnswer, DriftFeature, DriftGroup
from llmpulse_dashboard.client import ApiError
from llmpulse_dashboard.render import fmt_count

_BASELINES = {
    "previous": "The period just before",
    "day": "The same window a day earlier",
    "week": "The same window a week earlier",
    "custom": "Custom",
}
_SHIFT = {"previous": None, "day": timedelta(days=1), "week": timedelta(days=7)}
_GROUP_KEYS = ("model", "name", "service", "span_type", "environment", "version", "prompt_version")
_GROUP_BY = ["", "model", "name", "service", "span_type", "environment", "version",
             "prompt_version", "name,model"]  # fmt: skip
_FILTERS = _GROUP_KEYS
_MIN_SAMPLES = ["30", "50", "100", "200", "500", "1000"]


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime  # UTC, aware
    end: datetime

    def params(self) -> dict[str, str | int | float | bool | None]:
        return {"from": _iso(self.start), "to": _iso(self.end)}

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M} UTC"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _picker(label: str, start_key: str, end_key: str, default: Window) -> Window:
    """Two UTC datetime inputs kept in the URL as unix seconds (``start_key``/``end_key``)."""
    start = describe.parse_time(state.param(start_key)) or default.start
    end = describe.parse_time(state.param(end_key)) or default.end
    widget_start, widget_end = f"_lp_drift_{start_key}", f"_lp_drift_{end_key}"
    if state.navigated():  # a link's windows win over the pickers' previous values
        st.session_state.pop(widget_start, None)
        st.session_state.pop(widget_end, None)
    st.session_state.setdefault(widget_start, _naive(start))
    st.session_state.setdefault(widget_end, _naive(end))
    left, right = st.columns(2)
    left.datetime_input(f"{label} from (UTC)", key=widget_start, step=timedelta(minutes=5))
    right.datetime_input(f"{label} to (UTC)", key=widget_end, step=timedelta(minutes=5))
    chosen = Window(
        st.session_state[widget_start].replace(tzinfo=UTC),
        st.session_state[widget_end].replace(tzinfo=UTC),
    )
    state.set_param(start_key, str(int(chosen.start.timestamp())))
    state.set_param(end_key, str(int(chosen.end.timestamp())))
    return chosen


def _drop(*keys: str) -> None:
    for key in keys:
        state.set_param(key, None)
        st.session_state.pop(f"_lp_drift_{key}", None)


def _current_window() -> Window:
    sidebar = ui.window()
    linked = bool(state.param("from") and state.param("to"))
    state.bind("current", "custom" if linked else "range", options=["range", "custom"])
    st.selectbox(
        "Current window",
        ["range", "custom"],
        key="current",
        format_func=lambda v: (
            f"Sidebar range ({sidebar.label.lower()})" if v == "range" else v.title()
        ),
    )
    if st.session_state.get("current") == "custom":
        return _picker("Current", "from", "to", Window(sidebar.start, sidebar.end))
    _drop("from", "to")
    return Window(sidebar.start, sidebar.end)


def _baseline_window(current: Window) -> Window:
    linked = bool(state.param("baseline_from") and state.param("baseline_to"))
    state.bind("baseline", "custom" if linked else "previous", options=list(_BASELINES))
    st.selectbox(
        "Baseline window", list(_BASELINES), key="baseline", format_func=_BASELINES.__getitem__
    )
    mode = str(st.session_state.get("baseline"))
    length = current.end - current.start
    before = Window(current.start - length, current.start)
    if mode == "custom":
        return _picker("Baseline", "baseline_from", "baseline_to", before)
    _drop("baseline_from", "baseline_to")
    shift = _SHIFT.get(mode)
    return before if shift is None else Window(current.start - shift, current.end - shift)


def _group_by_options() -> list[str]:
    options = list(_GROUP_BY)
    linked = st.query_params.get("group_by", "")
    if linked and linked not in options and all(k in _GROUP_KEYS for k in linked.split(",")):
        options.append(linked)
    return options


def _filters() -> dict[str, str]:
    """Equality filters from the URL (alert links carry the rule's filters)."""
    found = {key: state.param(key) for key in _FILTERS}
    chosen = {k: v for k, v in found.items() if v}
    if chosen:
        left, right = st.columns([5, 1])
        left.caption("Only spans with " + ", ".join(f"**{k}** = `{v}`" for k, v in chosen.items()))
        if right.button("Clear filters", icon=":material/filter_alt_off:"):
            for key in chosen:
                state.set_param(key, None)
            st.rerun()
    return chosen


def _controls(min_default: str) -> tuple[Window, Window, str, int, str]:
    with st.container(border=True):
        cols = st.columns([3, 3, 2, 1])
        with cols[0]:
            current = _current_window()
        with cols[1]:
            baseline = _baseline_window(current)
        with cols[2]:
            options = _group_by_options()
            state.bind("group_by", "", options=options)
            st.selectbox(
                "Group by",
                options,
                key="group_by",
                format_func=lambda v: v.replace(",", " and ") if v else "Nothing (all spans)",
            )
        with cols[3]:
            choices = sorted({*_MIN_SAMPLES, min_default}, key=int)
            state.bind("min_samples", min_default, options=choices)
            st.selectbox(
                "Min. samples",
                choices,
                key="min_samples",
                help="Per window and feature; below it there is no verdict",
            )
        features = _features()
    group_by = str(st.session_state.get("group_by") or "")
    min_samples = int(st.session_state.get("min_samples") or min_default)
    return current, baseline, group_by, min_samples, features


def _features() -> str:
    """The features to compare (``?features=a,b``; none chosen: all of them)."""
    key = "_lp_drift_features"
    if key not in st.session_state or state.navigated():
        linked = state.param("features").split(",")
        st.session_state[key] = [f for f in linked if f in describe.DRIFT_FEATURES]
    st.multiselect("Features", describe.DRIFT_FEATURES, key=key, placeholder="All features")
    chosen = ",".join(st.session_state[key])
    state.set_param("features", chosen or None)
    return chosen


def _table(rows: list[tuple[DriftGroup, DriftFeature]], grouped: bool) -> str | None:
    known = compare.directions(ui.client())
    table: list[dict[str, Any]] = []
    for group, feature in rows:
        kind = feature.get("kind", "")
        value = describe.score(feature)
        p_value = feature.get("ks_p_value")
        row: dict[str, Any] = {"Verdict": compare.drift_verdict(feature, known)}
        if grouped:
            row["Group"] = describe.group_label(group)
        row |= {
            "Feature": feature.get("feature", ""),
            "Kind": kind,
            "Score": (
                "–" if value is None else f"{'PSI' if kind == 'numeric' else 'JS'} {value:.3f}"
            ),
            "KS p-value": "" if p_value is None else compare.fmt_p_value(p_value),
            "Baseline n": feature.get("baseline_count", 0),
            "Current n": feature.get("current_count", 0),
            "Details": describe.drift_details(feature),
        }
        table.append(row)
    ids = [f"{describe.group_label(g)}|{f.get('feature', '')}" for g, f in rows]
    st.caption("Worst first. Select a row to see its distributions.")
    return ui.pick(
        table,
        ids,
        "drift_table",
        selected=_shown(rows, grouped),
        column_config={
            "Details": st.column_config.TextColumn(width="large"),
        },
    )


def _tiles(report: DriftAnswer, rows: list[tuple[DriftGroup, DriftFeature]]) -> None:
    verdicts = [f.get("verdict") for _, f in rows]
    groups = report.get("groups", [])
    cols = st.columns(5)
    cols[0].metric("Groups", len(groups), border=True)
    cols[1].metric(
        "Drifting",
        verdicts.count("drift"),
        border=True,
        help="PSI ≥ 0.2 and KS p < 0.01, or JS ≥ 0.2",
    )
    cols[2].metric(
        "Warnings",
        verdicts.count("warning"),
        border=True,
        help="PSI ≥ 0.1 and KS p < 0.05, or JS ≥ 0.1",
    )
    cols[3].metric("Stable", verdicts.count("stable"), border=True)
    cols[4].metric("Not enough data", verdicts.count("not_enough_data"), border=True)  # fmt: skip


def _shown(rows: list[tuple[DriftGroup, DriftFeature]], grouped: bool) -> str | None:
    """``group|feature`` of the selects (the detail shown), as the table's row ids."""
    feature = st.session_state.get("feature") or st.query_params.get("feature")
    group = (
        st.session_state.get("group") or st.query_params.get("group")
        if grouped
        else describe.group_label(rows[0][0])
    )
    return f"{group}|{feature}" if group and feature else None


def _pick_feature(
    rows: list[tuple[DriftGroup, DriftFeature]], picked: str | None, grouped: bool
) -> tuple[DriftGroup, DriftFeature] | None:
    """The group and feature to draw: the selects (in the URL as ``group`` / ``feature``),
    which a selected table row sets."""
    if picked and picked != _shown(rows, grouped):
        group, _, feature = picked.rpartition("|")
        st.session_state["group"], st.session_state["feature"] = group, feature
    groups = list(dict.fromkeys(describe.group_label(g) for g, _ in rows))
    left, right, _ = st.columns([2, 2, 3])
    if grouped:
        state.bind("group", groups[0], options=groups)
        left.selectbox("Group", groups, key="group")
    chosen_group = str(st.session_state.get("group")) if grouped else groups[0]
    features = [f.get("feature", "") for g, f in rows if describe.group_label(g) == chosen_group]
    state.bind("feature", features[0], options=features)
    (right if grouped else left).selectbox("Feature", features, key="feature")
    chosen = str(st.session_state.get("feature"))
    return next(
        (
            (g, f)
            for g, f in rows
            if describe.group_label(g) == chosen_group and f.get("feature") == chosen
        ),
        None,
    )


def _numeric(feature: DriftFeature) -> None:
    unit = describe.UNITS.get(feature.get("feature", ""), "")
    cols = st.columns(5)
    cols[0].metric("PSI", f"{feature.get('psi', 0.0):.3f}", border=True)
    ks = feature.get("ks_statistic")
    cols[1].metric("KS statistic", "–" if ks is None else f"{ks:.3f}", border=True)
    p = feature.get("ks_p_value")
    cols[2].metric("KS p-value", compare.fmt_p_value(p), border=True)
    cols[3].metric(
        "Median, baseline", describe.fmt_number(feature.get("median_baseline"), unit), border=True
    )
    pct = feature.get("median_shift_pct")
    cols[4].metric(
        "Median, current",
        describe.fmt_number(feature.get("median_current"), unit),
        None if pct is None else f"{pct:+.1f}%",
        delta_color=compare.change_color(
            feature.get("feature", ""), compare.directions(ui.client())
        ),
        border=True,
    )
    st.vega_lite_chart(
        charts.distribution_spec(feature, unit=unit if unit != "characters" else ""),
        key="chart_drift_distribution",
        width="stretch",
    )
    st.caption(
        "Bars: the share of each window's values per bin; the bins are the baseline's "
        "deciles, so the baseline is about 10% in each."
    )


def _categorical(feature: DriftFeature) -> None:
    cols = st.columns(3)
    cols[0].metric("Jensen–Shannon distance", f"{feature.get('js_distance', 0.0):.3f}", border=True)
    cols[1].metric("Baseline values", fmt_count(feature.get("baseline_count", 0)), border=True)
    cols[2].metric("Current values", fmt_count(feature.get("current_count", 0)), border=True)
    if not feature.get("top_movers"):
        st.caption("No category moved.")
        return
    st.markdown("**Categories whose share moved most**")
    st.vega_lite_chart(
        charts.moved_categories_spec(feature), key="chart_drift_categories", width="stretch"
    )


def _detail(group: DriftGroup, feature: DriftFeature, grouped: bool) -> None:
    name = feature.get("feature", "")
    where = f" · {describe.group_label(group)}" if grouped else ""
    verdict = feature.get("verdict", "")
    verdict_label = compare.drift_verdict(feature, compare.directions(ui.client()))
    st.markdown(f"#### {name}{where} — {verdict_label}")
    if verdict == "not_enough_data":
        st.info(
            f"{str(feature.get('message') or 'Not enough data').capitalize()}. Choose longer "
            "windows or a lower minimum (Min. samples).",
            icon=":material/hourglass_empty:",
        )
        return
    if feature.get("kind") == "numeric":
        _numeric(feature)
    else:
        _categorical(feature)


def _from_alert() -> str:
    """A banner when opened from an alert (``?rule=``); returns the minimum samples to
    start with: the drift rule's own, so the page shows what the alert saw."""
    rule_id = state.param("rule")
    if not rule_id:
        return "200"
    api = ui.client()
    rule: dict[str, Any] = {}
    if api is not None:
        try:
            rule = api.alert_rule(rule_id).get("rule") or {}
        except ApiError:  # the banner still helps without the rule's name
            rule = {}
    left, right = st.columns([5, 1])
    left.info(
        f"Opened from the alert **{rule.get('name') or rule_id}**: its windows and feature.",
        icon=":material/notifications_active:",
    )
    with right:
        if st.button("Alert history", icon=":material/history:"):
            nav.go("alerts", rule=rule_id)
    minimum = rule.get("min_samples") if rule.get("metric") == "drift" else None
    return str(max(1, int(minimum))) if isinstance(minimum, int) else "200"


def _explain_empty(current: Window, baseline: Window) -> None:
    st.info(
        f"No spans in the current window ({current.label}) or the baseline window "
        f"({baseline.label}). Pick a longer range in the sidebar or other windows above.",
        icon=":material/inbox:",
    )
    ui.empty_state("spans to compare")


def main() -> None:
    st.title("Drift")
    st.caption(
        "Is traffic now distributed like before? Numeric features: PSI on the baseline's "
        "deciles and a Kolmogorov–Smirnov test; categorical ones: Jensen–Shannon distance."
    )
    min_default = _from_alert()
    current, baseline, group_by, min_samples, features = _controls(min_default)
    filters = _filters()
    if current.start >= current.end or baseline.start >= baseline.end:
        st.warning("Each window needs its start before its end.", icon=":material/warning:")
        return
    if baseline.start < current.end and current.start < baseline.end:
        st.warning(
            "The baseline and current windows overlap: choose a baseline that ends before "
            "the current window starts (or starts after it ends).",
            icon=":material/warning:",
        )
        return
    api = ui.client()
    if api is None:
        ui.no_keys()
        return
    try:
        report = api.drift(
            current.params(),
            baseline.params(),
            group_by=group_by or None,
            features=features or None,
            min_samples=min_samples,
            filters=filters,
        )
    except ApiError as error:
        ui.show_error("the drift report", error)
        if error.status is not None and error.status >= 500:
            st.caption(
                "The collector failed to compute these statistics. A feature without "
                "values in one of the windows (a group or model that is new, spans "
                "without time to first token) can cause this: choose fewer features, "
                "another grouping or windows with traffic in both."
            )
        return
    st.caption(f"Current: {current.label} · Baseline: {baseline.label}")
    rows = describe.ranked(report)
    if not rows:
        _explain_empty(current, baseline)
        return
    _tiles(report, rows)
    if all(f.get("verdict") == "not_enough_data" for _, f in rows):
        st.info(
            f"No feature has {min_samples} values in both windows, so there is no verdict "
            "yet. Choose longer windows or a lower Min. samples.",
            icon=":material/hourglass_empty:",
        )
    grouped = bool(group_by)
    picked = _table(rows, grouped)
    st.subheader("Baseline vs current")
    found = _pick_feature(rows, picked, grouped)
    if found is not None:
        _detail(*found, grouped)


main()
