"""`amili-fleet demo`: start a local broker, prove a keyed round trip with headers, and stop everything.

This is the foundation's demo; the use-case issue turns it into the full run (sandbox, fleet, traffic,
summary). It exits 0 only when every record published came back exactly.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
import uuid

from workers.runtime.broker import BrokerError, LocalBroker
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.topics import ensure_topics


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--records", type=int, default=200, help="records to round-trip (default 200)")
    parser.add_argument("--keep-running", action="store_true", help="leave the broker up afterwards until Ctrl-C")


def run(args: argparse.Namespace) -> int:
    try:
        broker = LocalBroker().start()
    except BrokerError as exc:
        print(f"error: {exc}")
        return 1
    try:
        print(f"[1/3] broker up at {broker.bootstrap}")
        ok = _round_trip(KafkaSettings(bootstrap_servers=broker.bootstrap), args.records)
        if args.keep_running:
            print(f"KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap}; Ctrl-C stops it")
            stop = threading.Event()
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            stop.wait()
        return 0 if ok else 1
    finally:
        broker.stop()
        print("stopped everything the demo started")


def _round_trip(settings: KafkaSettings, count: int) -> bool:
    from kafka import KafkaConsumer, KafkaProducer

    topic = f"demo.round-trip.{uuid.uuid4().hex[:8]}"
    ensure_topics(settings, {topic: 3})
    producer = KafkaProducer(**settings.producer_kwargs())
    started = time.monotonic()
    for i in range(count):
        producer.send(
            topic, key=f"creditor-{i % 7}:INV-{i}".encode(), value=b"{}", headers=[("ce_id", f"{i}".encode())]
        )
    producer.flush()
    producer.close()
    print(f"[2/3] published {count} keyed records with headers to {topic}")
    consumer = KafkaConsumer(
        topic,
        **settings.consumer_kwargs(
            f"demo-{uuid.uuid4().hex[:6]}", session_timeout_ms=6000, heartbeat_interval_ms=1000, fetch_max_wait_ms=50
        ),
    )
    seen: set[bytes] = set()
    deadline = time.monotonic() + 60
    while len(seen) < count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=200).values():
            seen.update(dict(r.headers)["ce_id"] for r in records)
    consumer.commit()
    consumer.close()
    elapsed = time.monotonic() - started
    print(f"[3/3] consumed {len(seen)}/{count} in a consumer group and committed ({elapsed:.1f}s)")
    return len(seen) == count
