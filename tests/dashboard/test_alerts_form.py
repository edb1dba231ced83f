"""The Alerts page's form for a new rule, with an admin key, against a real collector:
the fields follow the condition kind, a submit creates the rule (notifiers included)
through the API and clears the form, a refusal keeps what was typed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from llmpulse_collector.store.keys import create_key, create_project
from tests.dashboard.conftest import APP, serve_collector

SUBMIT = "FormSubmitter:new_alert_rule-Create rule"


@dataclass(frozen=True)
class Alerting:
    url: str
    admin_key: str


@pytest.fixture(scope="module")
def alerting(chdb_url: str) -> Iterator[Alerting]:
    with serve_collector(chdb_url, "alertform") as served:
        project = create_project(served.store, "alerting")
        yield Alerting(served.url, create_key(served.store, project, "admin"))


@pytest.fixture
def alerts_page(alerting: Alerting, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LLMPULSE_API_URL", alerting.url)
    monkeypatch.setenv("LLMPULSE_API_KEY", alerting.admin_key)
    monkeypatch.delenv("LLMPULSE_API_KEYS", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("views/alerts.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _fields(at: AppTest) -> set[str]:
    widgets = (*at.selectbox, *at.text_input, *at.number_input, *at.checkbox)
    return {str(w.key) for w in widgets if str(w.key).startswith("new_")}


def _rules(alerting: Alerting) -> dict[str, dict[str, object]]:
    resp = httpx.get(
        f"{alerting.url}/api/v1/alerts/rules",
        headers={"Authorization": f"Bearer {alerting.admin_key}"},
        timeout=10,
    )
    return {r["rule"]["name"]: r["rule"] for r in resp.json()["rules"]}


COMMON = {"new_kind", "new_name", "new_window", "new_severity", "new_min", "new_model",
          "new_service", "new_span_name", "new_webhook", "new_slack"}  # fmt: skip


def test_the_form_shows_the_fields_of_the_chosen_condition_kind(alerts_page: AppTest) -> None:
    at = alerts_page
    assert _fields(at) == COMMON | {"new_metric", "new_op", "new_value"}  # threshold
    assert at.number_input(key="new_value").label == "Value"

    at.selectbox(key="new_kind").set_value("change").run()
    assert _fields(at) == COMMON | {"new_metric", "new_baseline", "new_op", "new_value",
                                    "new_relative"}  # fmt: skip
    assert at.number_input(key="new_value").label == "Change"

    at.selectbox(key="new_kind").set_value("drift").run()
    assert _fields(at) == COMMON | {"new_metric_drift", "new_baseline", "new_level", "new_feature"}
    assert at.selectbox(key="new_metric_drift").disabled

    at.selectbox(key="new_kind").set_value("threshold").run()
    at.selectbox(key="new_metric").set_value("pass_rate").run()
    assert "new_assertion" in _fields(at)  # a pass rate is of one assertion
    at.selectbox(key="new_metric").set_value("error_rate").run()
    assert "new_assertion" not in _fields(at)


def test_a_submitted_rule_is_created_with_its_notifiers_and_the_form_clears(
    alerts_page: AppTest, alerting: Alerting
) -> None:
    at = alerts_page
    at.selectbox(key="new_metric").set_value("error_rate").run()
    at.text_input(key="new_name").input("support errors")
    at.number_input(key="new_value").set_value(0.05)
    at.text_input(key="new_service").input("support-bot")
    at.text_input(key="new_webhook").input("https://example.com/hooks/llmpulse")
    at.text_input(key="new_slack").input("https://hooks.slack.com/services/T0/B0/XYZ")
    at.button(key=SUBMIT).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("Created rule **support errors**")
    assert at.success[0].value.endswith("notifies webhook, slack.")

    rule = _rules(alerting)["support errors"]
    assert rule["metric"] == "error_rate" and rule["filters"] == {"service": "support-bot"}
    assert rule["condition"] == {"kind": "threshold", "op": ">", "value": 0.05}
    assert rule["notifiers"] == [
        {"name": "webhook", "type": "webhook", "url": "https://example.com/hooks/llmpulse",
         "headers": {}},
        {"name": "slack", "type": "slack", "url": "https://hooks.slack.com/services/T0/B0/XYZ",
         "headers": {}},
    ]  # fmt: skip
    # the form starts over
    assert at.text_input(key="new_name").value == ""
    assert at.text_input(key="new_webhook").value == ""
    assert at.text_input(key="new_slack").value == ""
    assert at.text_input(key="new_service").value == ""
    assert at.number_input(key="new_value").value == 0.0
    assert any("support errors" in set(df.value.get("Rule", [])) for df in at.dataframe)


def test_a_refused_rule_keeps_what_was_typed(alerts_page: AppTest, alerting: Alerting) -> None:
    at = alerts_page
    at.text_input(key="new_name").input("grounded answers")
    at.text_input(key="new_slack").input("hooks.slack.com/services/T0/B0/XYZ")
    at.button(key=SUBMIT).click().run()
    (error,) = at.error
    assert error.value.startswith("The Slack URL must start with https://")
    assert at.text_input(key="new_name").value == "grounded answers"

    at.selectbox(key="new_metric").set_value("pass_rate").run()
    at.text_input(key="new_slack").input("")
    at.button(key=SUBMIT).click().run()  # no assertion named: the collector refuses
    (error,) = at.error
    assert "The rule was not created" in error.value and "assertion" in error.value
    assert at.text_input(key="new_name").value == "grounded answers"
    assert "grounded answers" not in _rules(alerting)


def test_the_metric_list_is_the_collectors_alertable_registry(alerts_page: AppTest) -> None:
    options = set(alerts_page.selectbox(key="new_metric").options)
    assert {"llm_latency_p95", "feedback_positive_rate", "latency_p95"} <= options
    assert "unpriced_llm_spans" not in options  # not alertable
