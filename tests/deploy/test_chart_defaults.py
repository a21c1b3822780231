"""The chart with its own values (plus the two required settings): one worker Deployment per use case."""

from __future__ import annotations

import pytest
from helm_python import HelmRenderError, lint

from schemas.catalog import POLLERS, USE_CASES
from tests.deploy.rendering import (
    CHART,
    REQUIRED,
    by_use_case,
    container,
    default_values,
    merged,
    of_kind,
    render,
    settings_env_names,
)

ALL = sorted({*USE_CASES, *POLLERS})


@pytest.fixture(scope="module")
def docs():
    return render(REQUIRED)


@pytest.fixture(scope="module")
def deployments(docs):
    return by_use_case(docs, "Deployment")


def test_lint_passes_with_defaults():
    report = lint(str(CHART), REQUIRED, strict=True)
    assert report["errors"] == []
    # severity 1 is "info" (e.g. "icon is recommended"); warnings (2) and errors (3) fail.
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_one_deployment_per_use_case_running_it(deployments):
    assert sorted(deployments) == ALL
    for name, deployment in deployments.items():
        assert container(deployment)["args"] == ["run", name]
        assert deployment["metadata"]["name"] == f"fleet-amili-fleet-{name.replace('_', '-')}"


def test_selectors_keep_use_cases_apart(deployments):
    selectors = [tuple(sorted(d["spec"]["selector"]["matchLabels"].items())) for d in deployments.values()]
    assert len(set(selectors)) == len(selectors)
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert labels["amili-fleet/use-case"] == name


def test_pollers_run_one_replica_with_recreate(deployments):
    for name in POLLERS:
        spec = deployments[name]["spec"]
        assert spec["replicas"] == 1
        assert spec["strategy"] == {"type": "Recreate"}
    for name in USE_CASES:
        assert deployments[name]["spec"]["strategy"]["type"] == "RollingUpdate"


def test_replicas_follow_values(deployments):
    configured = {uc["name"]: uc.get("replicas", 1) for uc in default_values()["useCases"]}
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] == configured[name]


def test_probes_use_the_health_port(deployments):
    for deployment in deployments.values():
        worker = container(deployment)
        assert worker["ports"] == [{"name": "health", "containerPort": 8080, "protocol": "TCP"}]
        assert worker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
        assert worker["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
        # Start-up gets two minutes (connect, join the group) before liveness counts.
        startup = worker["startupProbe"]
        assert startup["httpGet"] == {"path": "/healthz", "port": "health"}
        assert startup["periodSeconds"] * startup["failureThreshold"] == 120
        assert "initialDelaySeconds" not in worker["livenessProbe"]


def test_grace_period_outlasts_the_drain_budget(deployments):
    for deployment in deployments.values():
        env = {e["name"]: e.get("value") for e in container(deployment)["env"]}
        drain = float(env["WORKER_DRAIN_SECONDS"])
        assert drain == 20
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > drain


def test_runs_as_non_root_on_a_read_only_root(deployments):
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        worker = container(deployment)
        assert worker["securityContext"]["readOnlyRootFilesystem"] is True
        assert worker["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"name": "tmp", "mountPath": "/tmp"} in worker["volumeMounts"]


def test_every_configured_variable_is_a_setting_the_code_reads(docs, deployments):
    known = settings_env_names()
    (config,) = of_kind(docs, "ConfigMap").values()
    assert set(config["data"]) <= known, set(config["data"]) - known
    for deployment in deployments.values():
        assert {e["name"] for e in container(deployment)["env"]} <= known


def test_amili_key_is_a_mounted_file(docs, deployments):
    (config,) = of_kind(docs, "ConfigMap").values()
    key_file = config["data"]["AMILI_PRIVATE_KEY_FILE"]
    assert "AMILI_PRIVATE_KEY" not in config["data"]
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["amili-key"]["secret"]["secretName"] == "amili-account-key"
        (item,) = volumes["amili-key"]["secret"]["items"]
        mount = next(m for m in container(deployment)["volumeMounts"] if m["name"] == "amili-key")
        assert mount["readOnly"] is True
        assert key_file == f"{mount['mountPath']}/{item['path']}"


def test_optional_pieces_are_off_by_default(docs, deployments):
    kinds = {d["kind"] for d in docs}
    # The topics Job is on by default: the project provisions its topics (topics.provision).
    assert kinds == {"ConfigMap", "Deployment", "Job", "PodDisruptionBudget", "Service", "ServiceAccount"}
    for deployment in deployments.values():
        names = {e["name"] for e in container(deployment)["env"]}
        assert "WORKER_GROUP_INSTANCE_ID" not in names


def test_every_use_case_has_a_disruption_budget(docs):
    budgets = by_use_case(docs, "PodDisruptionBudget")
    assert sorted(budgets) == ALL
    assert all(b["spec"]["maxUnavailable"] == 1 for b in budgets.values())
    # A pod that is not ready (stuck draining, failing) never blocks a node drain.
    assert {b["spec"]["unhealthyPodEvictionPolicy"] for b in budgets.values()} == {"AlwaysAllow"}


def test_service_exposes_metrics_of_unready_pods_too(docs):
    (service,) = of_kind(docs, "Service").values()
    assert service["spec"]["publishNotReadyAddresses"] is True
    assert service["spec"]["ports"] == [{"name": "health", "port": 8080, "targetPort": "health", "protocol": "TCP"}]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"amili": REQUIRED["amili"]}, "kafka.bootstrapServers"),
        ({"kafka": REQUIRED["kafka"]}, "amili.apiCode"),
        ({"kafka": REQUIRED["kafka"], "amili": {"apiCode": "x"}}, "amili.privateKeySecret.name"),
    ],
)
def test_missing_required_values_name_the_value(values, message):
    with pytest.raises(HelmRenderError, match=message):
        render(values)


def test_defaults_render_the_same_as_values_yaml_spelled_out(deployments):
    # Guards the deep merge in _helpers.tpl: passing values.yaml explicitly changes nothing.
    again = by_use_case(render(merged(default_values(), REQUIRED)), "Deployment")
    assert again == deployments
