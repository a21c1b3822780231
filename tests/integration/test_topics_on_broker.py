"""`amili-fleet topics plan|apply` against the real local broker: an empty broker gets every topic, a second
plan has nothing to do, a changed setting is applied, and what the broker cannot do is said, not crashed on.

Runs on a broker of its own (it starts in ~20 ms): the fleet's outcome, fact and state topics have fixed
names, and this test must see them missing first. Cost: about 3 s.
"""

from __future__ import annotations

import json

import pytest
from kafka import KafkaAdminClient

from workers.cli import main
from workers.runtime.broker import LocalBroker
from workers.runtime.topics import WATERMARK_TOPIC

pytestmark = pytest.mark.integration


@pytest.fixture
def empty_broker(monkeypatch):
    with LocalBroker() as broker:
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap)
        # The local broker is one node: replication 1 (a production cluster: 3 and 2).
        monkeypatch.setenv("TOPICS_REPLICATION_FACTOR", "1")
        monkeypatch.setenv("TOPICS_MIN_INSYNC_REPLICAS", "1")
        yield broker


def _topics(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["topics", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_apply_plan_on_an_empty_broker(empty_broker, capsys, monkeypatch):
    code, out, _ = _topics(capsys, "plan", "--exit-code")
    assert code == 2
    assert f"create  {WATERMARK_TOPIC}  (state): 1 partition, replication 1, cleanup.policy=compact" in out
    assert "create  billing.invoice-issued.dlq  (dead letters)" in out
    assert "30 to create, 0 to alter, 0 to extend (30 topics)" in out

    code, out, err = _topics(capsys, "apply")
    assert (code, err) == (0, "")
    assert out.count("created ") == 30
    assert "done: 30 topics as configured" in out

    code, out, _ = _topics(capsys, "plan", "--exit-code")
    assert code == 0
    assert out.strip() == "nothing to do: all 30 topics are as configured"

    admin = KafkaAdminClient(bootstrap_servers=empty_broker.bootstrap)
    try:
        described = {t["name"]: t for t in admin.describe_topics(["billing.invoice-issued", WATERMARK_TOPIC])}
        assert len(described["billing.invoice-issued"]["partitions"]) == 6
        assert len(described[WATERMARK_TOPIC]["partitions"]) == 1
    finally:
        admin.close()

    # A changed retention is an alter of that config on the topics it concerns, and nothing else.
    monkeypatch.setenv("TOPICS_DEAD_LETTER_RETENTION_MS", str(90 * 86_400_000))
    code, out, _ = _topics(capsys, "plan")
    assert code == 0
    assert "alter   billing.claims.dlq  retention.ms: -1 -> 7776000000" in out
    assert "0 to create, 12 to alter, 0 to extend" in out
    assert _topics(capsys, "apply")[0] == 0
    assert "nothing to do" in _topics(capsys, "plan")[1]


def test_more_partitions_are_left_alone_unless_asked_and_the_broker_says_it_cannot(empty_broker, capsys, monkeypatch):
    assert _topics(capsys, "apply")[0] == 0
    monkeypatch.setenv("TOPICS_OVERRIDES", json.dumps({"billing.invoice-issued": {"partitions": 12}}))
    code, out, _ = _topics(capsys, "plan")
    assert "extend  billing.invoice-issued  partitions: 6 -> 12" in out

    code, out, _ = _topics(capsys, "apply")
    assert code == 0
    assert "skipped: billing.invoice-issued: 6 -> 12 partitions not added" in out

    # tansu has no CreatePartitions: a clear error and exit 1, no traceback.
    code, out, err = _topics(capsys, "apply", "--add-partitions")
    assert code == 1
    assert "error: billing.invoice-issued: this broker cannot add partitions (no CreatePartitions)" in err
    assert "still to do: extend  billing.invoice-issued  partitions: 6 -> 12" in err


def test_an_unreachable_broker_is_one_line_and_exit_1(capsys, monkeypatch):
    from workers.runtime.ports import free_port

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    code, _, err = _topics(capsys, "--timeout", "1", "plan")
    assert code == 1
    assert err.startswith("error: cannot reach Kafka at 127.0.0.1:")
    assert "Traceback" not in err


def test_bad_topic_settings_are_exit_2_naming_the_field(capsys, monkeypatch):
    monkeypatch.setenv("TOPICS_REPLICATION_FACTOR", "1")
    monkeypatch.setenv("TOPICS_MIN_INSYNC_REPLICAS", "2")
    code, _, err = _topics(capsys, "list")
    assert code == 2
    assert "TopicSettings" in err
    assert "min_insync_replicas (2) must not exceed replication_factor (1)" in err
