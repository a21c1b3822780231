"""The alert rules (files/alerts.yaml) and the Grafana dashboard (files/dashboard.json) use real metrics.

Every expression is parsed with Prometheus' grammar (promql-parser) and its metric and label names are
checked against workers/runtime/metrics.py; tests/deploy/test_promtool.py runs Prometheus' own `promtool` on
the rules, and tests/integration/test_nothing_silent_on_broker.py checks every name against a real scrape.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.promql import problems, usage
from tests.deploy.rendering import CHART, ROOT

RULES = yaml.safe_load((CHART / "files" / "alerts.yaml").read_text())
ALERTS = [rule for group in RULES["groups"] for rule in group["rules"]]
DASHBOARD = json.loads((CHART / "files" / "dashboard.json").read_text())
TARGETS = [(panel["title"], t["expr"]) for panel in DASHBOARD["panels"] for t in panel["targets"]]
DURATION = re.compile(r"^\d+[smhd]$")


def _grafana_to_promql(expr: str) -> str:
    """Grafana's variables: a range variable becomes a duration, `$var` inside a matcher stays a string."""
    return expr.replace("$__rate_interval", "5m")


def test_the_checker_catches_unknown_metrics_and_labels():
    assert problems("sum by (use_case) (rate(amili_fleet_dead_letters_total[5m]))") == []
    assert problems("amili_fleet_dead_letters") == ["unknown metric 'amili_fleet_dead_letters'"]
    assert problems('amili_fleet_in_flight{use_case="x"}') == ["amili_fleet_in_flight has no label(s) ['use_case']"]
    assert problems("max by (topic) (amili_fleet_circuit_state)") == [
        "grouping by ['topic']: no metric of ['amili_fleet_circuit_state'] has them"
    ]
    with pytest.raises(ValueError, match=r".+"):
        usage("sum by (use_case (amili_fleet_in_flight)")


def test_the_rules_cover_the_failure_modes():
    expressions = {rule["alert"]: rule["expr"] for rule in ALERTS}
    used = {name: {m for m, _ in usage(e).selectors} for name, e in expressions.items()}
    assert used == {
        "AmiliFleetConsumerLagHigh": {"amili_fleet_consumer_lag_records"},
        "AmiliFleetDeadLetters": {"amili_fleet_dead_letters_total"},
        "AmiliFleetPartitionStuck": {"amili_fleet_stuck_partitions"},
        "AmiliFleetPublishFailing": {"amili_fleet_publish_failures_total"},
        "AmiliFleetUnknownAmiliValues": {"amili_fleet_unknown_values_total"},
        "AmiliFleetCircuitOpen": {"amili_fleet_circuit_state"},
        "AmiliFleetPollerStale": {"amili_fleet_poll_last_success_timestamp_seconds"},
        "AmiliFleetWorkerNotReady": {"kube_pod_status_ready", "amili_fleet_in_flight"},
        "AmiliFleetAmili5xxRatioHigh": {"amili_fleet_amili_request_duration_seconds_count"},
        "AmiliFleetCaseNeverCame": {"amili_fleet_case_waits_total"},
    }


@pytest.mark.parametrize("rule", ALERTS, ids=[r["alert"] for r in ALERTS])
def test_every_alert_uses_real_metrics_and_labels(rule):
    assert problems(rule["expr"]) == []


@pytest.mark.parametrize("rule", ALERTS, ids=[r["alert"] for r in ALERTS])
def test_every_alert_is_actionable(rule):
    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
    assert re.fullmatch(r"AmiliFleet[A-Za-z0-9]+", rule["alert"])
    assert rule["labels"]["severity"] in {"warning", "critical"}
    annotations = rule["annotations"]
    assert annotations["summary"].strip()
    # Runbook-style: what it means and what to do, at least two sentences.
    assert len(re.findall(r"[.!?](\s|$)", annotations["description"])) >= 2
    if "for" in rule:
        assert DURATION.match(rule["for"])


def test_every_alert_has_a_runbook_section_in_the_docs():
    docs = (ROOT / "docs" / "deploy.md").read_text()
    for rule in ALERTS:
        assert f"`{rule['alert']}`" in docs, rule["alert"]


def test_dashboard_is_grafana_json_with_its_variables():
    assert DASHBOARD["uid"] == "amili-fleet"
    variables = {v["name"] for v in DASHBOARD["templating"]["list"]}
    assert variables == {"datasource", "namespace", "use_case"}
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]


@pytest.mark.parametrize(("title", "expr"), TARGETS, ids=[f"{t}:{i}" for i, (t, _) in enumerate(TARGETS)])
def test_every_dashboard_query_uses_real_metrics_and_labels(title, expr):
    assert problems(_grafana_to_promql(expr)) == []


def test_dashboard_shows_what_operators_need():
    metrics = {m for _, e in TARGETS for m, _ in usage(_grafana_to_promql(e)).selectors}
    assert {
        "amili_fleet_events_finished_total",
        "amili_fleet_handler_duration_seconds_bucket",
        "amili_fleet_amili_request_duration_seconds_bucket",
        "amili_fleet_consumer_lag_records",
        "amili_fleet_in_flight",
        "amili_fleet_paused_partitions",
        "amili_fleet_dead_letters_total",
        "amili_fleet_circuit_state",
        "amili_fleet_poller_runs_total",
        "amili_fleet_poller_facts_total",
        "amili_fleet_poll_last_success_timestamp_seconds",
        "amili_fleet_publish_failures_total",
        "amili_fleet_rebalance_events_total",
        "amili_fleet_assigned_partitions",
        "amili_fleet_stuck_partitions",
        "amili_fleet_unknown_values_total",
    } <= metrics
    handler = [e for _, e in TARGETS if "handler_duration" in e]
    assert {q for e in handler for q in re.findall(r"histogram_quantile\((0\.\d+)", e)} == {"0.5", "0.99"}


def test_variable_queries_are_promql_too():
    for variable in DASHBOARD["templating"]["list"]:
        if variable["type"] == "query":
            inner = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["definition"])
            assert inner is not None
            assert problems(inner.group(1)) == []


def test_files_exist_where_the_templates_read_them():
    for template, wanted in (("prometheusrule.yaml", "files/alerts.yaml"), ("dashboard.yaml", "files/dashboard.json")):
        assert f'.Files.Get "{wanted}"' in (CHART / "templates" / template).read_text()
        assert Path(CHART / wanted).is_file()
