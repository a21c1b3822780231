"""The chart with every option switched on, and the values it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from helm_python import HelmRenderError, lint

from schemas.catalog import POLLERS, USE_CASES
from tests.deploy.rendering import (
    CHART,
    EVERYTHING,
    NAMESPACE,
    REQUIRED,
    by_use_case,
    container,
    default_values,
    merged,
    of_kind,
    render,
    render_files,
)

SECRET_NAMES = {"amili-account-key", "amili-partner-key", "kafka-credentials", "kafka-cluster-ca"}
PARTNER_USE_CASES = {"provision_account", "provision_creditor"}


def _with_autoscaling(values: dict[str, Any], **per_use_case: dict[str, Any]) -> dict[str, Any]:
    """values.yaml's use cases, each inbound one with autoscaling enabled (plus any per-entry override)."""
    entries = []
    for entry in default_values()["useCases"]:
        if not entry.get("poller"):
            entry = {**entry, "autoscaling": {"enabled": True, **per_use_case.get(entry["name"], {})}}
        entries.append(entry)
    return merged(values, {"useCases": entries})


@pytest.fixture(scope="module")
def values():
    return _with_autoscaling(EVERYTHING, register_payment={"type": "hpa", "minReplicas": 2})


@pytest.fixture(scope="module")
def docs(values):
    return render(values)


def test_lint_passes_with_everything_on(values):
    report = lint(str(CHART), values, strict=True)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_kafka_sasl_password_and_ca_are_mounted_files(docs):
    (config,) = (c for c in of_kind(docs, "ConfigMap").values() if "KAFKA_BOOTSTRAP_SERVERS" in c["data"])
    data = config["data"]
    assert data["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert data["KAFKA_SASL_PASSWORD_FILE"] == "/var/run/secrets/amili-fleet/kafka-sasl/password"
    assert data["KAFKA_SSL_CAFILE"] == "/var/run/secrets/amili-fleet/kafka-ca/ca.crt"
    assert data["WORKER_MAX_IN_FLIGHT"] == "128"
    for name, deployment in by_use_case(docs, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        secrets = {v["secret"]["secretName"]: v for v in pod["volumes"] if "secret" in v}
        expected = SECRET_NAMES if name in PARTNER_USE_CASES else SECRET_NAMES - {"amili-partner-key"}
        assert set(secrets) == expected, name
        assert secrets["kafka-credentials"]["secret"]["items"] == [{"key": "sasl-password", "path": "password"}]
        mounts = {m["mountPath"]: m for m in container(deployment)["volumeMounts"]}
        for path in (data["KAFKA_SASL_PASSWORD_FILE"], data["KAFKA_SSL_CAFILE"], data["AMILI_PRIVATE_KEY_FILE"]):
            mount = mounts[path.rsplit("/", 1)[0]]
            assert mount["readOnly"] is True


def test_no_secret_is_ever_inlined(docs):
    assert not of_kind(docs, "Secret")
    for deployment in by_use_case(docs, "Deployment").values():
        for variable in container(deployment)["env"]:
            assert "secretKeyRef" not in variable.get("valueFrom", {})
            assert not variable["name"].endswith(("PASSWORD", "PRIVATE_KEY"))
    (config,) = (c for c in of_kind(docs, "ConfigMap").values() if "KAFKA_BOOTSTRAP_SERVERS" in c["data"])
    assert not {"KAFKA_SASL_PASSWORD", "AMILI_PRIVATE_KEY", "AMILI_PARTNER_PRIVATE_KEY"} & set(config["data"])


def test_static_membership_takes_the_pod_name(docs):
    for deployment in by_use_case(docs, "Deployment").values():
        env = {e["name"]: e for e in container(deployment)["env"]}
        assert env["WORKER_GROUP_INSTANCE_ID"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}


def test_keda_scales_on_the_consumer_groups_lag_up_to_the_partition_count(docs):
    scaled = by_use_case(docs, "ScaledObject")
    partitions = {uc["name"]: uc["partitions"] for uc in default_values()["useCases"]}
    topics = {uc["name"]: uc["topic"] for uc in default_values()["useCases"]}
    assert set(scaled) == set(USE_CASES) - {"register_payment"}
    for name, obj in scaled.items():
        spec = obj["spec"]
        assert spec["scaleTargetRef"]["name"] == f"fleet-amili-fleet-{name.replace('_', '-')}"
        assert spec["maxReplicaCount"] == partitions[name]
        (trigger,) = spec["triggers"]
        # KEDA's own kafka scaler on the group the worker commits in (routes.py: prefix + stream name).
        assert trigger["type"] == "kafka"
        metadata = trigger["metadata"]
        assert metadata["consumerGroup"] == f"amili-fleet.{name}"
        assert metadata["topic"] == topics[name]
        assert metadata["bootstrapServers"] == "kafka-bootstrap.kafka:9093"
        assert metadata["offsetResetPolicy"] == "earliest"  # as the workers start a new group
        assert (metadata["sasl"], metadata["tls"]) == ("scram_sha512", "enable")
        assert trigger["authenticationRef"] == {"name": "fleet-amili-fleet-kafka"}


def test_keda_reaches_kafka_with_the_workers_credentials(docs):
    (auth,) = of_kind(docs, "TriggerAuthentication").values()
    spec = auth["spec"]
    assert spec["secretTargetRef"] == [
        {"parameter": "password", "name": "kafka-credentials", "key": "sasl-password"},
        {"parameter": "ca", "name": "kafka-cluster-ca", "key": "ca.crt"},
    ]
    # The user name is no secret: KEDA reads it from the worker container's environment (its ConfigMap).
    assert spec["env"] == [{"parameter": "username", "name": "KAFKA_SASL_USERNAME", "containerName": "worker"}]
    deployment = by_use_case(docs, "Deployment")["register_invoice"]
    assert container(deployment)["name"] == "worker"


def test_the_prometheus_trigger_is_an_option():
    docs = render(_with_autoscaling(EVERYTHING, register_invoice={"keda": {"trigger": "prometheus"}}))
    scaled = by_use_case(docs, "ScaledObject")
    (trigger,) = scaled["register_invoice"]["spec"]["triggers"]
    assert trigger["type"] == "prometheus"
    assert 'use_case="register_invoice"' in trigger["metadata"]["query"]
    assert f'namespace="{NAMESPACE}"' in trigger["metadata"]["query"]
    assert scaled["credit_case"]["spec"]["triggers"][0]["type"] == "kafka"


def test_the_global_autoscaling_default_skips_pollers():
    docs = render(merged(REQUIRED, {"autoscaling": {"enabled": True}}))
    assert set(by_use_case(docs, "ScaledObject")) == set(USE_CASES)
    deployments = by_use_case(docs, "Deployment")
    for name in POLLERS:
        assert deployments[name]["spec"]["replicas"] == 1
    # Plaintext Kafka: KEDA needs no TriggerAuthentication.
    assert not of_kind(docs, "TriggerAuthentication")


def test_the_kafka_trigger_scales_from_zero():
    docs = render(merged(REQUIRED, {"autoscaling": {"enabled": True, "minReplicas": 0}}))
    assert {s["spec"]["minReplicaCount"] for s in by_use_case(docs, "ScaledObject").values()} == {0}


def test_hpa_scales_on_cpu(docs):
    (hpa,) = by_use_case(docs, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["minReplicas"] == 2
    assert hpa["spec"]["maxReplicas"] == 12
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_autoscaled_deployments_leave_replicas_to_the_scaler(docs):
    deployments = by_use_case(docs, "Deployment")
    for name in USE_CASES:
        assert "replicas" not in deployments[name]["spec"]
    for name in POLLERS:
        assert deployments[name]["spec"]["replicas"] == 1


def test_monitoring_objects_are_rendered(docs):
    (monitor,) = of_kind(docs, "ServiceMonitor").values()
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["endpoints"][0]["port"] == "health"
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    (service,) = of_kind(docs, "Service").values()
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()

    (rule,) = of_kind(docs, "PrometheusRule").values()
    shipped = yaml.safe_load((CHART / "files" / "alerts.yaml").read_text())
    assert rule["spec"] == shipped

    dashboards = [c for c in of_kind(docs, "ConfigMap").values() if c["metadata"]["labels"].get("grafana_dashboard")]
    (dashboard,) = dashboards
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(dashboard["data"]["amili-fleet.json"]) == json.loads(
        (CHART / "files" / "dashboard.json").read_text()
    )


def test_a_config_change_rolls_the_pods():
    def checksum(values):
        deployments = by_use_case(render(values), "Deployment")
        return {d["spec"]["template"]["metadata"]["annotations"]["checksum/config"] for d in deployments.values()}

    before = checksum(REQUIRED)
    after = checksum(merged(REQUIRED, {"worker": {"logLevel": "DEBUG"}}))
    assert len(before) == len(after) == 1
    assert before != after


def test_drain_budget_drives_the_grace_period():
    values = merged(REQUIRED, {"worker": {"drainSeconds": 45.5, "gracePeriodMarginSeconds": 5}})
    for deployment in by_use_case(render(values), "Deployment").values():
        env = {e["name"]: e["value"] for e in container(deployment)["env"]}
        assert env["WORKER_DRAIN_SECONDS"] == "45.5"
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 51


def test_notes_list_every_deployment():
    notes = render_files(REQUIRED)["amili-fleet/templates/NOTES.txt"]
    for name in (*USE_CASES, *POLLERS):
        assert f"fleet-amili-fleet-{name.replace('_', '-')}" in notes


def _keda(trigger: str, **autoscaling: Any) -> dict[str, Any]:
    return {"enabled": True, "keda": {"trigger": trigger}, **autoscaling}


def _entry(name: str, **extra: Any) -> dict[str, Any]:
    return {"useCases": [{"name": name, "topic": "t", "partitions": 3, **extra}]}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"worker": {"terminationGracePeriodSeconds": 20}}, "must be longer than the drain budget"),
        ({"worker": {"drainSeconds": 40, "terminationGracePeriodSeconds": 30}}, "must be longer than the drain"),
        (_entry("register_invoice", drainSeconds=60, terminationGracePeriodSeconds=60), "must be longer"),
        (_entry("register_invoice", env={"WORKER_DRAIN_SECONDS": "99"}), "set useCases\\[\\].drainSeconds"),
        ({"worker": {"extraConfig": {"WORKER_DRAIN_SECONDS": "99"}}}, "set worker.drainSeconds"),
        (_entry("track_revenue", poller=True, replicas=2), "a poller runs exactly one replica"),
        (_entry("track_revenue", poller=True, autoscaling={"enabled": True}), "a poller cannot be autoscaled"),
        (_entry("register_invoice", partitions=0, autoscaling={"enabled": True}), "set partitions"),
        (_entry("register_invoice", autoscaling={"enabled": True, "type": "vpa"}), "is not keda or hpa"),
        (_entry("register_invoice", autoscaling={"enabled": True, "type": "hpa", "minReplicas": 0}), "0 needs type"),
        (
            _entry(
                "register_invoice", autoscaling={"enabled": True, "minReplicas": 0, "keda": {"trigger": "prometheus"}}
            ),
            "no worker reports its lag",
        ),
        (
            _entry("register_invoice", autoscaling={"enabled": True, "keda": {"trigger": "cpu"}}),
            "not kafka or prometheus",
        ),
        ({"topics": {"provision": "terraform"}}, "is not job, strimzi or none"),
        ({"topics": {"provision": "strimzi"}}, "topics.strimzi.clusterName: required"),
        ({"topics": {"replicationFactor": 1, "minInsyncReplicas": 2}}, "must not exceed topics.replicationFactor"),
        ({"worker": {"extraConfig": {"AMILI_PARTNER_API_CODE": "p"}}}, "set amili.partnerApiCode"),
        (_entry("Register-Invoice"), "lower_snake_case"),
        ({"kafka": {"securityProtocol": "SASL_SSL"}}, "needs kafka.saslMechanism"),
        ({"amili": {"partnerApiCode": "p"}}, "amili.partnerPrivateKeySecret.name"),
    ],
)
def test_bad_values_fail_with_a_message_naming_them(override, message):
    with pytest.raises(HelmRenderError, match=message):
        render(merged(REQUIRED, override))


def test_the_claim_stream_runs_as_its_own_deployment_when_listed():
    entry = {"name": "claims", "topic": "billing.claims", "partitions": 12, "autoscaling": {"enabled": True}}
    values = merged(REQUIRED, {"useCases": [*default_values()["useCases"], entry]})
    docs = render(values)
    claims = by_use_case(docs, "Deployment")["claims"]
    assert container(claims)["args"] == ["run", "claims"]
    (scaler,) = (s for s in of_kind(docs, "ScaledObject").values() if s["metadata"]["name"].endswith("claims"))
    metadata = scaler["spec"]["triggers"][0]["metadata"]
    assert (metadata["consumerGroup"], metadata["topic"]) == ("amili-fleet.claims", "billing.claims")
    assert scaler["spec"]["maxReplicaCount"] == 12
