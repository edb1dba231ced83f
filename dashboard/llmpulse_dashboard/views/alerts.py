"""Alerts: the rules (rules file, read-only, and API), their current state (firing
first), the history of fired and resolved events, and for admin keys a form to create
and delete API rules.

Alert notifications link here with ``?rule=<id>&from=&to=`` and the rule's filters:
the rule is selected and the history reaches back to its window.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from llmpulse_dashboard import charts, compare, describe, nav, paging, state, ui
from llmpulse_dashboard.api_types import (
    AlertEvent,
    AlertRuleAnswer,
    AlertRuleList,
    AlertRuleState,
    AlertStates,
)
from llmpulse_dashboard.client import ApiError, Client
from llmpulse_dashboard.render import fmt_time

_FLASH = "_lp_alerts_flash"
_FILTERS = ("service", "name", "model", "span_type", "environment")
_SEVERITY = {"critical": "🔴 critical", "warning": "🟠 warning", "info": "🔵 info"}
_EVENT = {"firing": "🔥 fired", "renotify": "🔔 still firing", "resolved": "✅ resolved"}

EXAMPLE_RULES = """# alerts.yaml, read by the collector that runs the alert engine:
#   LLMPULSE_ALERTS_ENABLED=true LLMPULSE_ALERT_RULES_FILE=alerts.yaml llmpulse collector
notifiers:
  - {name: ops, type: slack, url: "https://hooks.slack.com/services/T000/B000/XXX"}
rules:
  - name: gpt-4o p95 latency up
    project: default                 # project id or name
    metric: latency_p95              # latency_p50/p95/p99, error_rate, cost_total,
                                     # cost_per_call, tokens_*, volume, pass_rate, drift
    filters: {model: gpt-4o}         # service, name, model, span_type, environment
    window: 15m
    condition: {kind: change, baseline: previous, op: ">", value: 0.5}   # +50 %
    min_samples: 50
    severity: critical               # info | warning | critical
  - name: error rate
    metric: error_rate
    window: 10m
    condition: {kind: threshold, op: ">", value: 0.05}
  - name: answers got longer
    metric: drift
    feature: output_chars
    window: 1h
    condition: {kind: drift, baseline: week, level: drift}"""


def _ago(ns: int, now: datetime) -> str:
    if not ns:
        return "–"
    seconds = max(0.0, now.timestamp() - ns / 1e9)
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


# ---- sections ----------------------------------------------------------------------


def _window() -> tuple[state.TimeWindow, datetime | None, datetime | None]:
    """The history's window: the sidebar range, reaching back to a linked alert's window."""
    window = ui.window()
    linked_from = describe.parse_time(state.param("from"))
    linked_to = describe.parse_time(state.param("to"))
    if linked_from is not None and linked_from < window.start:
        window = state.TimeWindow(window.key, linked_from, window.end)
    return window, linked_from, linked_to


def _linked_banner(
    rules: dict[str, AlertRuleAnswer], linked: tuple[datetime | None, datetime | None]
) -> None:
    rule_id = state.param("rule")
    filters = {k: state.param(k) for k in _FILTERS}
    if not rule_id:
        return
    entry = rules.get(rule_id)
    name = str(entry["rule"].get("name") or rule_id) if entry else rule_id
    start, end = linked
    when = f" for {start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC" if start and end else ""
    left, right = st.columns([5, 1])
    left.info(
        f"Opened from a notification of **{name}**{when}. Its history is selected below.",
        icon=":material/notifications_active:",
    )
    shown = {k: v for k, v in filters.items() if v}
    with right:
        if st.button("Matching traces", icon=":material/account_tree:", disabled=entry is None):
            nav.go(
                "traces", **{k: v for k, v in shown.items() if k in ("service", "model", "name")}
            )
    if entry is None:
        st.caption(f"(no rule {rule_id} in this project any more)")


def _tiles(rules: int | None, firing: int | None, events: int | None, engine: bool) -> None:
    """The server's figures over every rule and state (not sums of a loaded page)."""
    cols = st.columns(4)
    cols[0].metric("Rules", "–" if rules is None else f"{rules:,}", border=True)
    cols[1].metric("Firing now", "–" if firing is None else f"{firing:,}", border=True)
    cols[2].metric("Events in range", "–" if events is None else f"{events:,}", border=True)
    cols[3].metric(
        "Alert engine",
        "running" if engine else "not here",
        help="The collector that evaluates rules has LLMPULSE_ALERTS_ENABLED=true",
        border=True,
    )


def _state_section(
    loaded: paging.Loaded[AlertStates, AlertRuleState] | None,
    by_id: dict[str, AlertRuleAnswer],
    engine: bool,
) -> None:
    st.subheader("Current state", help="Firing first")
    if not engine:
        st.caption(
            "The alert engine does not run on this collector (start one collector with "
            "`LLMPULSE_ALERTS_ENABLED=true`); these are the last stored states."
        )
    states = loaded.rows if loaded else []
    if not states or loaded is None:
        st.caption("No rule has been evaluated yet.")
        return
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for s in states:  # firing first (the server's order, page after page)
        entry = by_id.get(s["rule_id"])
        rule = entry["rule"] if entry else {}
        metric = str(rule.get("metric", ""))
        firing = s.get("status") == "firing"
        rows.append(
            {
                "State": "🔥 firing" if firing else "✅ ok",
                "Rule": s.get("rule_name", ""),
                "Severity": _SEVERITY.get(str(rule.get("severity", "")), rule.get("severity", "")),
                "Value": describe.fmt_value(s.get("value"), metric),
                "Baseline": describe.fmt_value(s.get("baseline"), metric),
                "Condition": describe.describe_condition(rule) if rule else "",
                "Since (UTC)": fmt_time(s.get("since_ns")),
                "For": _ago(s.get("since_ns") or 0, now),
                "Samples": s.get("samples", 0),
                "Last evaluated": fmt_time(s.get("last_evaluated_ns")),
            }
        )
    burning = [r for r in rows if r["State"].endswith("firing")]
    if burning:
        st.warning(
            f"**{len(burning)} rule{'s' if len(burning) > 1 else ''} firing:** "
            + "; ".join(f"{r['Rule']} ({r['Value']}, since {r['Since (UTC)']})" for r in burning),
            icon=":material/local_fire_department:",
        )
    st.dataframe(rows, hide_index=True, key="alert_state_table")
    paging.load_more("alert_state_table", loaded, loaded.first.get("total"), "rule states")


def _rules_section(
    loaded: paging.Loaded[AlertRuleList, AlertRuleAnswer], states: dict[str, AlertRuleState]
) -> None:
    st.subheader("Rules")
    rows = []
    for entry in loaded.rows:  # by name (the server's order, page after page)
        rule = entry.get("rule") or {}
        current = states.get(entry.get("id", ""))
        status = current["status"] if current else None
        rows.append(
            {
                "Rule": rule.get("name", ""),
                "Source": "🔒 file" if entry.get("source") == "file" else "api",
                "Metric": describe.describe_metric(rule),
                "Filters": describe.describe_filters(rule),
                "Window": str(rule.get("window", "")),
                "Condition": describe.describe_condition(rule),
                "Min. samples": rule.get("min_samples"),
                "Severity": _SEVERITY.get(str(rule.get("severity", "")), rule.get("severity", "")),
                "State": {"firing": "🔥 firing", "ok": "✅ ok"}.get(status or "", "not evaluated"),
                "Enabled": bool(rule.get("enabled", True)),
            }
        )
    st.dataframe(rows, hide_index=True, key="alert_rules_table")
    paging.load_more("alert_rules_table", loaded, loaded.first.get("total"), "rules")
    st.caption(
        "🔒 file rules come from the engine's rules file (`LLMPULSE_ALERT_RULES_FILE`): "
        "edit the file to change them. API rules can be changed here with an admin key."
    )


def _check_now(api: Client, rules: list[AlertRuleAnswer]) -> None:
    """Evaluate every rule once, now, without state or notifications (the CI gate)."""
    if not st.button(
        "Check all rules now",
        icon=":material/play_arrow:",
        help="Evaluates each rule once, without changing its state or notifying "
        "(like `llmpulse alerts check`)",
    ):
        return
    definitions = []
    for entry in rules:
        rule = dict(entry.get("rule") or {})
        rule.pop("project", None)
        definitions.append(rule)
    try:
        results = api.evaluate_alert_rules(definitions)
    except ApiError as error:
        ui.show_error("the rule check", error)
        return
    st.dataframe(
        [
            {
                "Rule": r.get("rule_name", ""),
                "Result": {"firing": "🔥 would fire", "ok": "✅ ok"}.get(
                    r.get("status", ""), "⚪ not enough data"
                ),
                "Value": describe.fmt_value(r.get("value"), r.get("metric", "")),
                "Message": r.get("message", ""),
            }
            for r in results
        ],
        hide_index=True,
        key="alert_check_table",
    )


def _history_section(
    window: state.TimeWindow, names: dict[str, str], linked_from: datetime | None
) -> None:
    st.subheader("History")
    options = ["", *sorted(names, key=lambda i: names[i].lower())]
    linked = st.query_params.get("rule", "")
    if linked and linked not in options:
        options.append(linked)
        names = {**names, linked: linked}
    state.bind("rule", "", options=options)
    left, _ = st.columns([2, 5])
    left.selectbox(
        "Rule", options, key="rule", format_func=lambda v: names.get(v, v) if v else "All rules"
    )
    chosen = str(st.session_state.get("rule") or "")
    loaded = paging.load(
        "the alert history",
        "alert_history_table",
        paging.question(window, linked_from, chosen),
        lambda api, cursor: api.alert_history(
            window.params(), rule_id=chosen or None, limit=paging.PAGE_SIZE, cursor=cursor
        ),
        lambda page: page["events"],
    )
    if loaded is None:
        return
    shown = loaded.rows
    if not shown:
        st.success(
            f"No alert fired or resolved in {window.label.lower()}"
            + (" for this rule." if chosen else "."),
            icon=":material/check_circle:",
        )
        return
    rows = [
        {
            "When (UTC)": fmt_time(e.get("at_ns")),
            "Event": _EVENT.get(e.get("event", ""), e.get("event", "")),
            "Rule": e.get("rule_name", ""),
            "Severity": _SEVERITY.get(e.get("severity", ""), e.get("severity", "")),
            "Value": describe.fmt_value(e.get("value"), _metric(e)),
            "Baseline": describe.fmt_value(e.get("baseline"), _metric(e)),
            "Message": e.get("message", ""),
            "Notified": bool(e.get("notified")),
        }
        for e in shown
    ]
    st.dataframe(
        rows,
        hide_index=True,
        key="alert_history_table",
        column_config={"Message": st.column_config.TextColumn(width="large")},
    )
    paging.load_more("alert_history_table", loaded, loaded.first.get("total"), "events")
    start, end = (int(t.timestamp() * 1e9) for t in (window.start, window.end))
    st.vega_lite_chart(
        charts.alert_timeline_spec(shown, start, end), key="chart_alert_timeline", width="stretch"
    )
    drift = [e for e in shown if _metric(e) == "drift"]
    if drift:
        latest = drift[0].get("payload") or {}
        params = _drift_params(latest)
        if params and st.button(
            "Open the latest drift alert on the Drift page", icon=":material/difference:"
        ):
            nav.go("drift", **params)


def _metric(event: AlertEvent) -> str:
    return str(((event.get("payload") or {}).get("rule") or {}).get("metric", ""))


def _drift_params(payload: dict[str, Any]) -> dict[str, str]:
    window = payload.get("window") or {}
    base = payload.get("baseline_window") or {}
    rule = payload.get("rule") or {}
    if not window or not base:
        return {}
    params = {
        "rule": str(rule.get("id", "")),
        "from": str(window["from_ns"] // 10**9),
        "to": str(window["to_ns"] // 10**9),
        "baseline_from": str(base["from_ns"] // 10**9),
        "baseline_to": str(base["to_ns"] // 10**9),
    }
    params |= {k: str(v) for k, v in (rule.get("filters") or {}).items()}
    return params


# ---- the create form -------------------------------------------------------------------

_RULE_ERROR = "_lp_rule_error"
_KINDS = {
    "threshold": "Threshold: the metric crosses a value",
    "change": "Change: against a baseline window",
    "drift": "Drift: a feature's distribution moved",
}
# widget key -> its value after a rule was created (the form starts over)
_FORM_DEFAULTS: dict[str, Any] = {
    "new_name": "",
    "new_window": "15m",
    "new_severity": "warning",
    "new_min": 30,
    "new_op": ">",
    "new_value": 0.0,
    "new_relative": True,
    "new_baseline": "previous",
    "new_level": "drift",
    "new_feature": describe.DRIFT_FEATURES[0],
    "new_assertion": "",
    "new_model": "",
    "new_service": "",
    "new_span_name": "",
    "new_webhook": "",
    "new_slack": "",
}


def _value(key: str) -> Any:
    return st.session_state.get(key, _FORM_DEFAULTS.get(key))


def _notifiers() -> list[dict[str, str]]:
    """The form's notifier URLs; raises ``ValueError`` for one that is not http(s)."""
    found = []
    for key, kind, label in (
        ("new_webhook", "webhook", "Webhook"),
        ("new_slack", "slack", "Slack"),
    ):
        url = str(_value(key) or "").strip()
        if not url:
            continue
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"The {label} URL must start with https:// (got {url[:60]!r}).")
        found.append({"name": kind, "type": kind, "url": url})
    return found


def _create_rule(api: Client) -> None:
    """The form's submit: create the rule, then clear the form; on a refusal keep
    everything as typed and say why."""
    st.session_state.pop(_RULE_ERROR, None)
    name = str(_value("new_name") or "").strip()
    if not name:
        st.session_state[_RULE_ERROR] = "Give the rule a name."
        return
    kind = str(_value("new_kind") or "threshold")
    metric = "drift" if kind == "drift" else str(_value("new_metric") or "latency_p95")
    try:
        notifiers = _notifiers()
    except ValueError as error:
        st.session_state[_RULE_ERROR] = str(error)
        return
    rule = describe.rule_form_definition(
        {
            "name": name,
            "metric": metric,
            "window": str(_value("new_window")),
            "severity": _value("new_severity"),
            "kind": kind,
            "op": _value("new_op"),
            "value": float(_value("new_value")),
            "min_samples": _value("new_min"),
            "baseline": _value("new_baseline"),
            "relative": _value("new_relative"),
            "level": _value("new_level"),
            "feature": _value("new_feature"),
            "assertion": str(_value("new_assertion")),
            "filters": {
                "model": str(_value("new_model")),
                "service": str(_value("new_service")),
                "name": str(_value("new_span_name")),
            },
        }
    )
    if notifiers:
        rule["notifiers"] = notifiers
    try:
        created = api.create_alert_rule(rule)
    except ApiError as error:
        st.session_state[_RULE_ERROR] = f"**The rule was not created.** {error.message}"
        return
    ui.clear_caches()
    for key, default in _FORM_DEFAULTS.items():
        st.session_state[key] = default
    notify = " · notifies " + ", ".join(n["type"] for n in notifiers) if notifiers else ""
    st.session_state[_FLASH] = f"Created rule **{rule['name']}** ({created.get('id', '')}){notify}."


def _create_form(api: Client) -> None:
    """Condition kind and metric first (they decide the fields), then the form."""
    st.markdown("**New rule**")
    for key, default in _FORM_DEFAULTS.items():
        st.session_state.setdefault(key, default)
    top = st.columns(2)
    kind = top[0].selectbox(
        "Condition", list(_KINDS), key="new_kind", format_func=_KINDS.__getitem__
    )
    if kind == "drift":
        metric = "drift"
        top[1].selectbox(
            "Metric", ["drift"], key="new_metric_drift", disabled=True,
            help="A drift condition watches the distribution of a feature",
        )  # fmt: skip
    else:
        metrics = [m for m in compare.alert_metrics(api) if m != "drift"]
        first = metrics.index("latency_p95") if "latency_p95" in metrics else 0
        metric = top[1].selectbox(
            "Metric", metrics, index=first, key="new_metric",
        )  # fmt: skip
    with st.form("new_alert_rule", border=True, enter_to_submit=False):
        c = st.columns(4)
        c[0].text_input("Name", placeholder="gpt-4o p95 latency up", key="new_name")
        c[1].text_input("Window", key="new_window", help="s, m, h, d, w")
        c[2].selectbox("Severity", ["warning", "critical", "info"], key="new_severity")
        c[3].number_input("Min. samples", min_value=0, step=10, key="new_min")
        c = st.columns(4)
        if kind == "threshold":
            c[0].selectbox("Operator", [">", ">=", "<", "<="], key="new_op")
            c[1].number_input(
                "Value", key="new_value", format="%g",
                help="In the metric's unit: ms for latency, USD for cost, rates as 0.05",
            )  # fmt: skip
        elif kind == "change":
            c[0].selectbox("Baseline", ["previous", "day", "week"], key="new_baseline",
                           help="previous window, same time yesterday, or last week")  # fmt: skip
            c[1].selectbox("Operator", [">", ">=", "<", "<="], key="new_op")
            c[2].number_input(
                "Change", key="new_value", format="%g",
                help="Percent when relative (50 = +50%), else the difference",
            )  # fmt: skip
            c[3].checkbox("Relative change", key="new_relative")
        else:
            c[0].selectbox("Baseline", ["previous", "day", "week"], key="new_baseline")
            c[1].selectbox("Drift level", ["drift", "warning"], key="new_level")
            c[2].selectbox("Feature", describe.DRIFT_FEATURES, key="new_feature")
        if metric == "pass_rate":
            c[3 if kind != "change" else 0].text_input(
                "Assertion", placeholder="answer_is_grounded", key="new_assertion"
            )
        c = st.columns(4)
        c[0].text_input("Filter: model", placeholder="any", key="new_model")
        c[1].text_input("Filter: service", placeholder="any", key="new_service")
        c[2].text_input("Filter: span name", placeholder="any", key="new_span_name")
        st.markdown("**Notify**")
        c = st.columns(4)
        c[0].text_input(
            "Webhook URL", key="new_webhook", placeholder="https://example.com/hooks/llmpulse",
            help="Receives the alert as JSON when it fires and when it resolves",
        )  # fmt: skip
        c[1].text_input(
            "Slack webhook URL", key="new_slack",
            placeholder="https://hooks.slack.com/services/T000/B000/XXX",
        )  # fmt: skip
        st.caption("Without a URL the rule notifies the collector's configured notifiers.")
        st.form_submit_button(
            "Create rule", icon=":material/add_alert:", on_click=_create_rule, args=(api,)
        )
    error = st.session_state.get(_RULE_ERROR)
    if error:
        st.error(error, icon=":material/error:")


def _delete_form(api: Client, rules: list[AlertRuleAnswer]) -> None:
    deletable = {
        e.get("id", ""): (e.get("rule") or {}).get("name", "")
        for e in rules
        if e.get("source") == "api"
    }
    if not deletable:
        return
    left, right, _ = st.columns([3, 1, 3], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Delete an API rule", list(deletable), format_func=lambda i: deletable[i], key="delete_rule"
    )
    if right.button("Delete", icon=":material/delete:", type="secondary") and chosen:
        try:
            api.delete_alert_rule(chosen)
        except ApiError as error:
            ui.show_error("deleting the rule", error)
            return
        ui.clear_caches()
        st.session_state[_FLASH] = f"Deleted rule **{deletable[chosen]}**."
        st.rerun()


def _manage_section(api: Client, rules: list[AlertRuleAnswer]) -> None:
    st.subheader("Manage rules")
    try:
        scope = api.me().get("scope", "")
    except ApiError as error:
        ui.show_error("the key's scope", error)
        return
    if scope != "admin":
        st.info(
            f"The dashboard's key has the **{scope or 'unknown'}** scope: rules can be "
            "read here but only an **admin** key can create or delete them. Start the "
            "dashboard with an admin key (`LLMPULSE_API_KEY=lp_admin_... llmpulse "
            "dashboard`), create rules through the API (`POST /api/v1/alerts/rules`), or "
            "write them in the engine's rules file.",
            icon=":material/lock:",
        )
        return
    _create_form(api)
    _delete_form(api, rules)


def _no_rules() -> None:
    st.info(
        "No alert rules yet. A rule watches a metric (latency, error rate, cost, tokens, "
        "volume, an assertion's pass rate or a drift feature) over a window, against a "
        "threshold or a baseline window, and notifies a webhook or Slack when it fires "
        "and when it resolves. Write rules in a YAML file for the collector that runs "
        "the alert engine, create them with an admin key below or through "
        "`POST /api/v1/alerts/rules`, and gate CI with "
        "`llmpulse alerts check --rules alerts.yaml` (see docs/alerts.md).",
        icon=":material/notifications:",
    )
    st.code(EXAMPLE_RULES, language="yaml")


def main() -> None:
    st.title("Alerts")
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    api = ui.client()
    if api is None:
        ui.no_keys()
        return
    window, linked_from, linked_to = _window()
    table = paging.load(
        "the alert rules",
        "alert_rules_table",
        ("rules",),
        lambda c, cursor: c.alert_rules(limit=paging.PAGE_SIZE, cursor=cursor),
        lambda page: page["rules"],
    )
    if table is None:
        return
    # lookups (a state's rule, the rule check, the delete picker) need every rule
    rules = ui.call(
        "the alert rules",
        lambda c: paging.every_row(
            c,
            lambda c, cursor: c.alert_rules(limit=paging.PICK_PAGE, cursor=cursor),
            lambda page: page["rules"],
        ),
    )
    if rules is None:
        return
    found = paging.load(
        "the alert state",
        "alert_state_table",
        ("state",),
        lambda c, cursor: c.alert_state(limit=paging.PAGE_SIZE, cursor=cursor),
        lambda page: page["states"],
    )
    states = found.rows if found else []
    engine = bool(found and found.first["engine_running"])
    every_state = (
        ui.call(
            "the alert state",
            lambda c: paging.every_row(
                c,
                lambda c, cursor: c.alert_state(limit=paging.PICK_PAGE, cursor=cursor),
                lambda page: page["states"],
            ),
        )
        if found and found.more
        else states
    ) or []
    # the first page of every rule's events: the total in range, and the names of rules
    # deleted since (the history section asks again, per rule and page by page)
    first = ui.call(
        "the alert history", lambda c: c.alert_history(window.params(), limit=paging.PAGE_SIZE)
    )
    events = first["events"] if first else []
    by_id = {e.get("id", ""): e for e in rules}
    _linked_banner(by_id, (linked_from, linked_to))
    _tiles(
        table.first.get("total"),
        found.first.get("firing") if found else None,
        first.get("total") if first else None,
        engine,
    )
    if not rules and not states and not events:
        _no_rules()
    else:
        _state_section(found, by_id, engine)
        if rules:
            _rules_section(table, {s.get("rule_id", ""): s for s in every_state})
            _check_now(api, rules)
        names = {e.get("id", ""): (e.get("rule") or {}).get("name", "") for e in rules}
        names |= {s.get("rule_id", ""): s.get("rule_name", "") for s in every_state}
        names |= {e.get("rule_id", ""): e.get("rule_name", "") for e in events}
        _history_section(window, names, linked_from)
    _manage_section(api, rules)


main()
