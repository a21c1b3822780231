"""How to reach Kafka: the `KAFKA_*` settings and the one place that turns them into client kwargs.

Covers what a real cluster needs (SASL PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512, TLS with CA, client
certificate and key files); the local broker needs none of it. Production defaults are Kafka's own
(session timeout 45 s and so on); tests pass faster group settings as overrides, never here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSettings(BaseSettings):
    """Connection settings for the Kafka cluster, read from `KAFKA_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = Field(default="127.0.0.1:9092", description="comma-separated host:port list of brokers")
    client_id: str = Field(default="amili-fleet", description="client id reported to the brokers")
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    #: A file holding the SASL password (a mounted Kubernetes secret); used when sasl_password is unset.
    sasl_password_file: Path | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_password: SecretStr | None = None
    ssl_check_hostname: bool = True
    request_timeout_ms: int = Field(default=30000, ge=1000)

    @model_validator(mode="after")
    def _sasl_is_complete(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL_"):
            missing = [
                name
                for name, value in (
                    ("KAFKA_SASL_MECHANISM", self.sasl_mechanism),
                    ("KAFKA_SASL_USERNAME", self.sasl_username),
                    (
                        "KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE",
                        self.sasl_password or self.sasl_password_file,
                    ),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"security_protocol {self.security_protocol} needs {', '.join(missing)}")
        return self

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]

    def _sasl_password(self) -> str | None:
        if self.sasl_password is not None:
            return self.sasl_password.get_secret_value()
        if self.sasl_password_file is not None:
            return self.sasl_password_file.read_text().strip()
        return None

    def common_kwargs(self) -> dict[str, Any]:
        """kwargs every kafka-python client (consumer, producer, admin) accepts."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.servers,
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
            "request_timeout_ms": self.request_timeout_ms,
        }
        if self.security_protocol.startswith("SASL_"):
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self._sasl_password()
        if self.security_protocol.endswith("SSL"):
            kwargs["ssl_check_hostname"] = self.ssl_check_hostname
            for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
                value = getattr(self, name)
                if value is not None:
                    kwargs[name] = str(value)
            if self.ssl_password is not None:
                kwargs["ssl_password"] = self.ssl_password.get_secret_value()
        return kwargs

    def consumer_kwargs(self, group_id: str | None, **overrides: Any) -> dict[str, Any]:
        """KafkaConsumer kwargs: manual commits only, start at the earliest record of a new group."""
        kwargs = self.common_kwargs()
        kwargs.update(
            group_id=group_id,
            # Offsets are committed by the runtime, only up to the lowest unfinished record.
            enable_auto_commit=False,
            # A new group must see everything already published (and tansu's "latest" is wrong).
            auto_offset_reset="earliest",
        )
        kwargs.update(overrides)
        return kwargs

    def producer_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """KafkaProducer kwargs: idempotent, acks from all in-sync replicas."""
        kwargs = self.common_kwargs()
        kwargs.update(acks="all", enable_idempotence=True, linger_ms=5)
        kwargs.update(overrides)
        return kwargs

    def admin_kwargs(self, **overrides: Any) -> dict[str, Any]:
        kwargs = self.common_kwargs()
        kwargs.update(overrides)
        return kwargs
