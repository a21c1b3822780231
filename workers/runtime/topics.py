"""Create the topics the fleet needs, once, tolerating topics that already exist."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from workers.runtime.kafka_settings import KafkaSettings


def ensure_topics(settings: KafkaSettings, partitions: Mapping[str, int], replication_factor: int = 1) -> list[str]:
    """Create each missing topic with its partition count; return the names that were created."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(**settings.admin_kwargs())
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=count, replication_factor=replication_factor)
            for name, count in partitions.items()
            if name not in existing
        ]
        if not missing:
            return []
        # Another replica may create it between our list and our create.
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(missing)
        return [topic.name for topic in missing]
    finally:
        admin.close()
