"""The chart provisions the fleet's topics (a hook Job running `amili-fleet topics apply`, or Strimzi KafkaTopics)
exactly as the runtime derives them, mounts the partner key only where it is used, and honours an entry's own
zero and false values."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.rendering import EVERYTHING, REQUIRED, by_use_case, container, default_values, merged, of_kind, render
from workers.runtime.settings import WorkerSettings
from workers.runtime.topics import STATE_TOPICS, TopicSettings
from workers.runtime.topics_command import configured_topics

CLAIMS = {"name": "claims", "topic": "billing.claims", "partitions": 12}
TOPICS = {
    "retentionMs": 1209600000,
    "overrides": {"amili.outcomes": {"partitions": 24, "configs": {"max.message.bytes": 2097152}}},
}
STRIMZI = {"provision": "strimzi", "strimzi": {"clusterName": "my-cluster"}}


def _values(**topics: Any) -> dict[str, Any]:
    entries = [*default_values()["useCases"], CLAIMS]
    return merged(EVERYTHING, {"useCases": entries, "topics": {**TOPICS, **topics}})


def _job(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (job,) = of_kind(docs, "Job").values()
    return job


Derived = dict[str, tuple[int, Any, dict[str, str]]]


def _derived_from_the_job(job: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Derived:
    """What `amili-fleet topics apply` would create, run with the Job's own environment and arguments."""
    worker = container_of(job)
    for variable in worker["env"]:
        monkeypatch.setenv(variable["name"], variable["value"])
    assert worker["args"][:2] == ["topics", "apply"]
    names = [a for a in worker["args"][2:] if not a.startswith("--")]
    specs = configured_topics(WorkerSettings(), TopicSettings(), names)
    return {s.name: (s.partitions, s.replication_factor, dict(s.configs)) for s in specs}


def container_of(job: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = job["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_the_job_runs_before_the_workers_with_the_kafka_credentials_only():
    job = _job(render(_values()))
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "hook-succeeded" in annotations["helm.sh/hook-delete-policy"]
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v} == {
        "kafka-credentials",
        "kafka-cluster-ca",
    }
    env = {e["name"]: e["value"] for e in container_of(job)["env"]}
    assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert (env["TOPICS_REPLICATION_FACTOR"], env["TOPICS_MIN_INSYNC_REPLICAS"]) == ("3", "2")
    assert not [name for name in env if name.startswith("AMILI_")]
    names = [e["name"] for e in _values()["useCases"]]
    assert container_of(job)["args"] == ["topics", "apply", *names]


def test_strimzi_topics_are_what_the_job_would_create(monkeypatch):
    docs = render(_values(**STRIMZI))
    assert not of_kind(docs, "Job")
    strimzi = {}
    for topic in of_kind(docs, "KafkaTopic").values():
        spec = topic["spec"]
        strimzi[spec["topicName"]] = (spec["partitions"], spec["replicas"], spec.get("config", {}))
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "my-cluster"
        # helm uninstall must not delete a topic and its records.
        assert topic["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    derived = _derived_from_the_job(_job(render(_values())), monkeypatch)
    assert strimzi == derived
    # Spot checks of what both agree on.
    assert derived["billing.claims"][0] == 12
    assert derived["amili.outcomes"][0] == 24
    assert derived["billing.claims.dlq"][2]["retention.ms"] == "-1"
    assert derived["amili-fleet.watermarks"][:2] == (1, 3)


def test_the_charts_state_topics_are_the_runtimes():
    assert default_values()["topics"]["state"] == [s.name for s in STATE_TOPICS]


def test_no_provisioning_renders_no_job_and_no_topics():
    docs = render(merged(REQUIRED, {"topics": {"provision": "none"}}))
    assert not of_kind(docs, "Job")
    assert not of_kind(docs, "KafkaTopic")


def test_the_partner_key_is_mounted_only_into_the_partner_use_cases():
    deployments = by_use_case(render(EVERYTHING), "Deployment")
    for name, deployment in deployments.items():
        worker = container(deployment)
        env = {e["name"]: e.get("value") for e in worker["env"]}
        mounts = {m["name"] for m in worker["volumeMounts"]}
        volumes = {v["name"] for v in deployment["spec"]["template"]["spec"]["volumes"]}
        partner = name in ("provision_account", "provision_creditor")
        assert ("amili-partner-key" in mounts) is partner, name
        assert ("amili-partner-key" in volumes) is partner, name
        assert ("AMILI_PARTNER_PRIVATE_KEY_FILE" in env) is partner, name
        if partner:
            assert env["AMILI_PARTNER_API_CODE"] == "partner-api-code"
            assert env["AMILI_PARTNER_PRIVATE_KEY_FILE"] == "/var/run/secrets/amili-fleet/amili-partner/private-key.pem"
    (config,) = (c for c in of_kind(render(EVERYTHING), "ConfigMap").values() if "KAFKA_BOOTSTRAP_SERVERS" in c["data"])
    assert not [k for k in config["data"] if k.startswith("AMILI_PARTNER")]


def test_an_entry_can_turn_autoscaling_off_and_set_zero_replicas():
    entries = [
        {**e, "autoscaling": {"enabled": False}} if e["name"] == "register_invoice" else e
        for e in default_values()["useCases"]
    ]
    entries = [{**e, "replicas": 0} if e["name"] == "invite_user" else e for e in entries]
    docs = render(merged(REQUIRED, {"autoscaling": {"enabled": True}, "useCases": entries}))
    assert "register_invoice" not in by_use_case(docs, "ScaledObject")
    deployments = by_use_case(docs, "Deployment")
    assert deployments["register_invoice"]["spec"]["replicas"] == 2
    assert "invite_user" in by_use_case(docs, "ScaledObject")  # autoscaled: replicas left to KEDA
    plain = by_use_case(render(merged(REQUIRED, {"useCases": entries})), "Deployment")
    assert plain["invite_user"]["spec"]["replicas"] == 0
