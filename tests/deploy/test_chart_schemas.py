"""Every render of the chart (its defaults and each option) passes `helm lint --strict` and validates against
Kubernetes' own schemas (the chart's lowest and the newest supported release) and the CRDs' schemas (KEDA,
Prometheus Operator, Strimzi, vendored in tests/deploy/crds), with unknown fields refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from helm_python import lint

from tests.deploy.rendering import CHART, EVERYTHING, REQUIRED, default_values, merged, render
from tests.deploy.validation import problems


def _autoscaled(values: dict[str, Any], **autoscaling: Any) -> dict[str, Any]:
    return merged(values, {"autoscaling": {"enabled": True, **autoscaling}})


CLAIMS_ENTRY = {"name": "claims", "topic": "billing.claims", "partitions": 12}

RENDERS: dict[str, dict[str, Any]] = {
    "defaults": REQUIRED,
    "everything (SASL/TLS, partner key, monitoring, static membership)": EVERYTHING,
    "keda kafka trigger, plaintext": _autoscaled(REQUIRED),
    "keda kafka trigger from zero, SASL/TLS": _autoscaled(EVERYTHING, minReplicas=0),
    "keda prometheus trigger": _autoscaled(EVERYTHING, keda={"trigger": "prometheus"}),
    "hpa": _autoscaled(EVERYTHING, type="hpa", minReplicas=2),
    "strimzi topics (v1)": merged(EVERYTHING, {"topics": {"provision": "strimzi", "strimzi": {"clusterName": "c"}}}),
    "strimzi topics (v1beta2), retention": merged(
        REQUIRED,
        {
            "topics": {
                "provision": "strimzi",
                "retentionMs": 1209600000,
                "overrides": {"billing.invoice-issued": {"partitions": 24, "configs": {"max.message.bytes": 2097152}}},
                "strimzi": {"clusterName": "c", "apiVersion": "kafka.strimzi.io/v1beta2"},
            }
        },
    ),
    "no topic provisioning": merged(REQUIRED, {"topics": {"provision": "none"}}),
    "claim stream entry, autoscaled": _autoscaled(
        merged(REQUIRED, {"useCases": [*default_values()["useCases"], CLAIMS_ENTRY]})
    ),
}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {name: render(values) for name, values in RENDERS.items()}


@pytest.mark.parametrize("name", RENDERS)
def test_render_is_lint_clean_and_valid(name, rendered):
    report = lint(str(CHART), RENDERS[name], strict=True)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []
    assert [p for doc in rendered[name] for p in problems(doc)] == []


def test_every_kind_the_chart_can_render_was_validated(rendered):
    kinds = {(d["apiVersion"], d["kind"]) for docs in rendered.values() for d in docs}
    assert {
        ("keda.sh/v1alpha1", "ScaledObject"),
        ("keda.sh/v1alpha1", "TriggerAuthentication"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("monitoring.coreos.com/v1", "PrometheusRule"),
        ("kafka.strimzi.io/v1", "KafkaTopic"),
        ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
        ("batch/v1", "Job"),
        ("policy/v1", "PodDisruptionBudget"),
        ("apps/v1", "Deployment"),
    } <= kinds


def _first(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(d for d in docs if d["kind"] == kind))


def test_the_validation_refuses_a_misspelt_field(rendered):
    # The validator itself: a field the API server would prune (built-in kinds and custom resources alike).
    docs = rendered["keda kafka trigger from zero, SASL/TLS"]
    deployment = _first(docs, "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert any("readinesProbe" in p for p in problems(deployment))
    scaled = _first(docs, "ScaledObject")
    scaled["spec"]["triggers"][0]["authenticationRefs"] = {"name": "x"}
    assert any("authenticationRefs" in p for p in problems(scaled))
    budget = _first(docs, "PodDisruptionBudget")
    budget["spec"]["unhealthyPodEvictionPolicies"] = "AlwaysAllow"
    assert any("unhealthyPodEvictionPolicies" in p for p in problems(budget))
