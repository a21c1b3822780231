"""The alert rules under Prometheus' own `promtool`: valid rules and templates, and unit tests of what fires when.

`make test` (and .ci/run) install promtool first (`make promtool`: the Debian package `prometheus`), so these
never skip. The cases live in tests/deploy/alert_tests.yaml; they run against a copy of the rules without
annotations (promtool compares annotations verbatim, and the runbook text is checked elsewhere).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from tests.deploy.rendering import CHART

RULES_FILE = CHART / "files" / "alerts.yaml"
CASES_FILE = Path(__file__).parent / "alert_tests.yaml"


def _promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: `make promtool` installs it (Debian package prometheus)"
    return found


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_promtool(), *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def test_the_rules_and_their_templates_are_valid():
    result = _run("check", "rules", str(RULES_FILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_on_a_failure_and_stays_quiet_when_healthy(tmp_path):
    rules = yaml.safe_load(RULES_FILE.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "alerts.yaml").write_text(yaml.safe_dump(rules))
    shutil.copy(CASES_FILE, tmp_path / CASES_FILE.name)
    result = _run("test", "rules", CASES_FILE.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_is_quiet():
    alerts = {rule["alert"] for group in yaml.safe_load(RULES_FILE.read_text())["groups"] for rule in group["rules"]}
    cases = [t for test in yaml.safe_load(CASES_FILE.read_text())["tests"] for t in test["alert_rule_test"]]
    fires = {c["alertname"] for c in cases if c["exp_alerts"]}
    # Quiet: an evaluation expecting nothing, or a healthy series beside the failing one (promtool compares
    # the whole list of alerts, so a healthy series that fired would fail the case).
    assert fires == alerts
    assert {c["alertname"] for c in cases if not c["exp_alerts"]} >= alerts - {
        "AmiliFleetUnknownAmiliValues",
        "AmiliFleetCaseNeverCame",
    }
