"""Render the Helm chart offline (helm-python-sdk: Helm's own Go engine, no binary, no cluster) for the tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml
from pydantic_settings import BaseSettings

from workers.amili.settings import AmiliSettings
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "amili-fleet"
RELEASE = "fleet"
NAMESPACE = "billing"

#: The least an install must set: where Kafka is and which Secret holds the Amili key.
REQUIRED: dict[str, Any] = {
    "kafka": {"bootstrapServers": "kafka-bootstrap.kafka:9092"},
    "amili": {"apiCode": "account-api-code", "privateKeySecret": {"name": "amili-account-key"}},
}

#: Every option switched on: SASL + TLS, both credentials, static membership, monitoring, autoscaling.
EVERYTHING: dict[str, Any] = {
    "kafka": {
        "bootstrapServers": "kafka-bootstrap.kafka:9093",
        "securityProtocol": "SASL_SSL",
        "saslMechanism": "SCRAM-SHA-512",
        "saslUsername": "amili-fleet",
        "saslPasswordSecret": {"name": "kafka-credentials", "key": "sasl-password"},
        "tlsCaSecret": {"name": "kafka-cluster-ca", "key": "ca.crt"},
    },
    "amili": {
        "apiCode": "account-api-code",
        "privateKeySecret": {"name": "amili-account-key", "key": "key.pem"},
        "partnerApiCode": "partner-api-code",
        "partnerPrivateKeySecret": {"name": "amili-partner-key", "key": "key.pem"},
    },
    "worker": {"extraConfig": {"WORKER_MAX_IN_FLIGHT": 128}},
    "staticMembership": True,
    "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
    "prometheusRule": {"enabled": True, "labels": {"release": "prometheus"}},
    "dashboard": {"enabled": True},
    # Autoscaling on for every inbound use case (KEDA by default); pollers never autoscale.
    "autoscaling": {"enabled": False},
}

Manifest = dict[str, Any]


def default_values() -> dict[str, Any]:
    """The chart's own values.yaml."""
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return loaded


def merged(*layers: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge value layers, later ones winning (what `helm -f a -f b` does)."""
    result: dict[str, Any] = {}
    for layer in layers:
        _merge_into(result, copy.deepcopy(layer))
    return result


def _merge_into(target: dict[str, Any], layer: dict[str, Any]) -> None:
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = value


def render_files(values: dict[str, Any]) -> dict[str, str]:
    """Template path -> rendered text, exactly as `helm template` renders it."""
    with helm.Chart.load(CHART) as chart:
        return chart.render(values=values, name=RELEASE, namespace=NAMESPACE)


def render(values: dict[str, Any]) -> list[Manifest]:
    """Every Kubernetes object the chart renders for `values` (NOTES.txt left out)."""
    docs: list[Manifest] = []
    for path, text in render_files(values).items():
        if path.endswith(".yaml"):
            docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def of_kind(docs: list[Manifest], kind: str) -> dict[str, Manifest]:
    """Objects of one kind by name."""
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def by_use_case(docs: list[Manifest], kind: str) -> dict[str, Manifest]:
    """Objects of one kind keyed by their `amili-fleet/use-case` label."""
    return {d["metadata"]["labels"]["amili-fleet/use-case"]: d for d in docs if d["kind"] == kind}


def container(deployment: Manifest) -> Manifest:
    containers: list[Manifest] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def settings_env_names() -> set[str]:
    """Every environment variable the code reads: the pydantic-settings fields with their prefixes."""
    classes: tuple[type[BaseSettings], ...] = (WorkerSettings, KafkaSettings, AmiliSettings)
    names: set[str] = set()
    for cls in classes:
        prefix = str(cls.model_config.get("env_prefix", ""))
        names.update(f"{prefix}{field}".upper() for field in cls.model_fields)
    return names
