"""`amili-fleet dlq list|show|redrive`: inspect dead letters and send a selection back, once fixed.

    amili-fleet dlq list [--topic T.dlq] [--use-case U] [--error-class C] [--since TIME] [--until TIME]
    amili-fleet dlq show T.dlq:PARTITION:OFFSET
    amili-fleet dlq redrive [the list filters] [--to TOPIC] [--rate N] [--dry-run] [--max-redrives N]

A redrive re-publishes the original key, value (so the event id) and headers to the original topic,
or to `--to` when that topic is allow-listed (a stream's topic, or WORKER_REDRIVE_TOPICS), at most
`--rate` records a second, with a progress bar on stderr. The record carries its redrive count; if it
fails again it is dead-lettered again with that count, and records redriven `--max-redrives` times
are skipped: nothing loops.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from schemas.deadletter import DeadLetterInfo, original_headers, read_dead_letter
from schemas.errors import ContractError
from workers.runtime.handling import REDRIVE_COUNT_HEADER
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.registry import UseCaseError, discover
from workers.runtime.routes import build_routes
from workers.runtime.settings import WorkerSettings

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Letter:
    """One dead-letter record and what its headers say (None when they are not a dead letter's)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    info: DeadLetterInfo | None

    @property
    def ref(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


@dataclass(frozen=True)
class Selection:
    use_case: str | None = None
    error_class: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, letter: Letter) -> bool:
        info = letter.info
        if info is None:
            return self.use_case is None and self.error_class is None and self.since is None and self.until is None
        return (
            (self.use_case is None or info.use_case == self.use_case)
            and (self.error_class is None or info.error_class == self.error_class)
            and (self.since is None or info.last_failure >= self.since)
            and (self.until is None or info.last_failure < self.until)
        )


def read_letters(kafka: KafkaSettings, topics: list[str], quiet_seconds: float = 1.0) -> Iterator[Letter]:
    """Every record of the given dead-letter topics, oldest first per partition, up to the current end."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**kafka.consumer_kwargs(None, fetch_max_wait_ms=100))
    try:
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        quiet_since = time.monotonic()
        while True:
            batch = consumer.poll(timeout_ms=200)
            for tp, records in batch.items():
                for record in records:
                    headers = [(k, v or b"") for k, v in (record.headers or [])]
                    try:
                        info: DeadLetterInfo | None = read_dead_letter(headers)
                    except ContractError:
                        info = None
                    yield Letter(tp.topic, tp.partition, record.offset, record.key, record.value, headers, info)
            if batch:
                quiet_since = time.monotonic()
            # The end is where the fetch responses' highwater says (ListOffsets is unreliable on tansu).
            at_end = all(
                (hw := consumer.highwater(tp)) is not None and consumer.position(tp) >= hw for tp in partitions
            )
            if at_end or time.monotonic() - quiet_since > quiet_seconds:
                return
    finally:
        consumer.close(autocommit=False)


def dead_letter_topics(kafka: KafkaSettings) -> list[str]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(**kafka.consumer_kwargs(None))
    try:
        return sorted(t for t in consumer.topics() if t.endswith(DLQ_SUFFIX))
    finally:
        consumer.close(autocommit=False)


# --- the CLI ----------------------------------------------------------------------------------------


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topic", action="append", help="dead-letter topic (repeatable; default: every *.dlq)")
    parser.add_argument("--use-case", help="only this use case's dead letters")
    parser.add_argument("--error-class", help="only this error class (e.g. TransientError, ContractError)")
    parser.add_argument("--since", type=_time, help="dead-lettered at or after this time (ISO 8601)")
    parser.add_argument("--until", type=_time, help="dead-lettered before this time (ISO 8601)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="list dead letters")
    _filters(listing)
    show = sub.add_parser("show", help="show one dead letter with its headers")
    show.add_argument("ref", help="TOPIC:PARTITION:OFFSET of the dead letter")
    redrive = sub.add_parser("redrive", help="re-publish a selection to its original (or an allow-listed) topic")
    _filters(redrive)
    redrive.add_argument("--to", help="target topic instead of the original (must be allow-listed)")
    redrive.add_argument("--rate", type=float, default=50.0, help="records per second (default 50)")
    redrive.add_argument("--dry-run", action="store_true", help="show what would be redriven; change nothing")
    redrive.add_argument("--max-redrives", type=int, default=3, help="skip records redriven this often (default 3)")


def run(args: argparse.Namespace) -> int:
    try:
        kafka = KafkaSettings()
        worker = WorkerSettings()
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.action == "show":
        return _show(kafka, args.ref)
    topics = args.topic or dead_letter_topics(kafka)
    selection = Selection(args.use_case, args.error_class, args.since, args.until)
    letters = [letter for letter in read_letters(kafka, topics) if selection.matches(letter)]
    if args.action == "list":
        for letter in letters:
            print(_line(letter))
        print(f"{len(letters)} dead letter(s)", file=sys.stderr)
        return 0
    return _redrive(kafka, worker, letters, args)


def _line(letter: Letter) -> str:
    info = letter.info
    if info is None:
        return f"{letter.ref}\t(no dead-letter headers)"
    when = info.last_failure.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{letter.ref}\t{when}\t{info.use_case}\t{info.error_class}\tattempts={info.attempts}"
        f"\tredrives={info.redrive_count}\t{info.original_topic}:{info.original_partition}:{info.original_offset}"
        f"\t{info.error_message[:120]}"
    )


def _show(kafka: KafkaSettings, ref: str) -> int:
    try:
        topic, partition, offset = ref.rsplit(":", 2)
        wanted = (topic, int(partition), int(offset))
    except ValueError:
        print(f"error: ref must be TOPIC:PARTITION:OFFSET, got {ref!r}", file=sys.stderr)
        return 2
    for letter in read_letters(kafka, [wanted[0]]):
        if (letter.topic, letter.partition, letter.offset) == wanted:
            print(f"dead letter {letter.ref}")
            print(f"key: {_text(letter.key)}")
            print("headers:")
            for name, value in letter.headers:
                print(f"  {name}: {_text(value)}")
            print(f"value: {_text(letter.value)}")
            return 0
    print(f"error: no record at {ref}", file=sys.stderr)
    return 1


def _text(raw: bytes | None) -> str:
    if raw is None:
        return "(null)"
    return raw.decode("utf-8", errors="backslashreplace")


def _redrive(kafka: KafkaSettings, worker: WorkerSettings, letters: list[Letter], args: argparse.Namespace) -> int:
    try:
        routes = build_routes(discover(worker.use_case_modules), worker)
    except UseCaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    allowed = set(worker.redrive_topics) | {topic for route in routes.values() for topic in route.topics}
    if args.to and args.to not in allowed:
        print(f"error: --to {args.to!r} is not allow-listed (stream topics or WORKER_REDRIVE_TOPICS)", file=sys.stderr)
        return 2
    plan: list[tuple[Letter, str]] = []
    skipped = 0
    for letter in letters:
        if letter.info is None or letter.info.redrive_count >= args.max_redrives:
            skipped += 1
            continue
        plan.append((letter, args.to or letter.info.original_topic))
    if args.dry_run:
        for letter, target in plan:
            print(f"would redrive {letter.ref} -> {target}")
        print(f"dry run: {len(plan)} to redrive, {skipped} skipped; nothing was sent", file=sys.stderr)
        return 0
    sent = _send(kafka, plan, args.rate)
    print(f"redriven {sent}, skipped {skipped}", file=sys.stderr)
    return 0 if sent == len(plan) else 1


def _send(kafka: KafkaSettings, plan: list[tuple[Letter, str]], rate: float) -> int:
    from kafka import KafkaProducer

    producer = KafkaProducer(**kafka.producer_kwargs())
    sent = 0
    interval = 1.0 / rate if rate > 0 else 0.0
    try:
        for letter, target in plan:
            started = time.monotonic()
            assert letter.info is not None
            headers = [(k, v) for k, v in original_headers(letter.headers) if k != REDRIVE_COUNT_HEADER]
            headers.append((REDRIVE_COUNT_HEADER, str(letter.info.redrive_count + 1).encode()))
            producer.send(target, key=letter.key, value=letter.value, headers=headers).get(timeout=30)
            sent += 1
            _progress(sent, len(plan))
            time.sleep(max(interval - (time.monotonic() - started), 0))
    finally:
        producer.close(timeout=10)
        if plan:
            print(file=sys.stderr)
    return sent


def _progress(done: int, total: int, width: int = 30) -> None:
    filled = width * done // max(total, 1)
    bar: Any = "#" * filled + "-" * (width - filled)
    print(f"\rredrive [{bar}] {done}/{total}", end="", file=sys.stderr, flush=True)
