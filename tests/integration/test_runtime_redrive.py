"""Dead letters made during a fault are redriven after it, and succeed once each; a dry run changes nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from schemas.deadletter import read_dead_letter
from tests.fixtures.runtime import (
    ROOT,
    TopicWatcher,
    WorkerProcess,
    event,
    make_topic,
    outcome_statuses,
    produce,
)
from workers.runtime.handling import REDRIVE_COUNT_HEADER

pytestmark = pytest.mark.integration


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "dlq", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_redrive_after_the_fault_succeeds_once_each_and_dry_run_changes_nothing(
    bootstrap, make_name, ledger, workers, watchers
):
    # Given a worker whose records are dead-lettered after 2 attempts while the ledger fails everything
    # (the breaker is set so it never opens here)
    topic = make_topic(bootstrap, make_name("rt-redrive"))
    outcomes_topic = make_topic(bootstrap, make_name("rt-redrive-out"))
    valid = [event(k, 0) for k in range(12)]
    ledger.state.faults.fail_all = True
    env = {
        "RUNTIME_TEST_OUTCOMES": outcomes_topic,
        "RUNTIME_TEST_MAX_ATTEMPTS": "2",
        "WORKER_BREAKER_WINDOW": "1000",
        "WORKER_BREAKER_MIN_CALLS": "1000",
    }
    worker = WorkerProcess(bootstrap, topic, ledger.url, make_name("g") + ".", **env)
    workers.append(worker.start())
    produce(bootstrap, topic, [(key, value, [("trace", b"t-1")]) for key, value, _ in valid])
    dead = TopicWatcher(bootstrap, topic + ".dlq")
    watchers.append(dead)
    dead.wait_until(lambda records: len(records) >= len(valid), 30, "dead letters")
    ledger.state.faults.fail_all = False
    cli_env = {**worker.env}

    # When listing, then redriving as a dry run
    listing = _cli(cli_env, "list", "--topic", topic + ".dlq", "--use-case", "apply_entry")
    assert listing.returncode == 0, listing.stderr
    assert len(listing.stdout.splitlines()) == len(valid)
    assert "TransientError" in listing.stdout
    ref = listing.stdout.split()[0]
    shown = _cli(cli_env, "show", ref)
    assert shown.returncode == 0, shown.stderr
    assert "dlq.error_class: TransientError" in shown.stdout
    assert "trace: t-1" in shown.stdout
    dry = _cli(cli_env, "redrive", "--topic", topic + ".dlq", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would redrive") == len(valid)
    # Then nothing changed
    assert sum(ledger.state.applied.values()) == 0
    source = TopicWatcher(bootstrap, topic)
    watchers.append(source)
    assert len(source.poll(1.0)) == len(valid)

    # When redriving for real
    done = _cli(cli_env, "redrive", "--topic", topic + ".dlq", "--rate", "500")
    assert done.returncode == 0, done.stderr
    assert f"{len(valid)}/{len(valid)}" in done.stderr  # the progress bar
    # Then each event is applied exactly once, with its event id, key and headers kept
    outcomes = TopicWatcher(bootstrap, outcomes_topic)
    watchers.append(outcomes)
    ids = {i for _, _, i in valid}
    outcomes.wait_until(
        lambda records: (
            all("succeeded" in s for s in outcome_statuses(records).values()) and ids <= set(outcome_statuses(records))
        ),
        30,
        "redriven outcomes",
    )
    assert {i: n for i, n in ledger.state.applied.items()} == dict.fromkeys(ids, 1)
    redriven = source.poll(1.0)[len(valid) :]
    assert sorted(r.value for r in redriven) == sorted(value for _, value, _ in valid)
    assert all(("trace", b"t-1") in r.headers for r in redriven)
    assert all((REDRIVE_COUNT_HEADER, b"1") in r.headers for r in redriven)
    assert all(not name.startswith("dlq.") for r in redriven for name, _ in r.headers)
    # and the first dead letters carry the contract's headers
    info = read_dead_letter(dead.records[0].headers)
    assert (info.attempts, info.error_class, info.redrive_count) == (2, "TransientError", 0)
    assert info.http_status == 503
    assert worker.terminate() == 0
