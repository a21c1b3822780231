"""Publishing outcomes and dead letters: KafkaProducer (thread-safe) behind an awaitable `send`.

A record counts as finished only once the broker acknowledged its outcome or dead letter, so `send`
resolves on the producer's delivery callback (moved onto the asyncio loop), and `publish` retries a
failed delivery until it succeeds or the worker stops: giving up would lose the record's terminal state.

Except where retrying cannot help: a record too large or invalid for the broker, or a topic this
process may not write to, is refused the same way every time. `publish` raises `PublishRefused` for
those at once, and the caller decides (a smaller dead letter, or a visibly stuck partition).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]

#: kafka-python's own default (`max_request_size`): the largest record the producer sends.
DEFAULT_MAX_REQUEST_BYTES = 1_048_576


class PublishRefused(Exception):
    """The broker (or the producer) refuses this record for a reason a retry cannot change."""

    def __init__(self, topic: str, cause: BaseException) -> None:
        super().__init__(f"{topic} refused the record: {type(cause).__name__}")
        self.topic = topic
        self.cause = cause


def is_refusal(exc: BaseException) -> bool:
    """Errors that come back identically on every retry: size, validity, authorization."""
    from kafka import errors

    refusals = (
        errors.MessageSizeTooLargeError,
        errors.RecordListTooLargeError,
        errors.InvalidRecordError,
        errors.CorruptRecordError,
        errors.UnsupportedForMessageFormatError,
        errors.InvalidTopicError,
        errors.AuthorizationError,
    )
    return isinstance(exc, refusals)


class Publisher:
    """An idempotent KafkaProducer with asyncio completion."""

    def __init__(self, producer_kwargs: dict[str, Any]) -> None:
        from kafka import KafkaProducer

        self._producer = KafkaProducer(**producer_kwargs)
        self.max_request_bytes = int(producer_kwargs.get("max_request_size", DEFAULT_MAX_REQUEST_BYTES))

    def warm_up(self, topics: Sequence[str]) -> None:
        """Fetch metadata now, so the first send of a topic does not block the loop on it later."""
        for topic in topics:
            self._producer.partitions_for(topic)

    def send(self, topic: str, key: bytes | None, value: bytes | None, headers: Headers) -> asyncio.Future[None]:
        """Send one record; the returned future resolves when the broker acknowledged it."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def ok(_metadata: object) -> None:
            loop.call_soon_threadsafe(_settle, done, None)

        def failed(exc: BaseException) -> None:
            loop.call_soon_threadsafe(_settle, done, exc)

        try:
            future = self._producer.send(topic, key=key, value=value, headers=list(headers))
        except Exception as exc:  # buffer full for max_block_ms, or the producer was closed
            done.set_exception(exc)
            return done
        future.add_callback(ok)
        future.add_errback(failed)
        return done

    async def publish(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers, *, on_failure: Any = None
    ) -> None:
        """Send until acknowledged, backing off between failures (the broker may be briefly away).

        Raises `PublishRefused` at once for an error no retry can fix (see `is_refusal`).
        """
        delay = 0.2
        while True:
            try:
                await self.send(topic, key, value, headers)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if on_failure is not None:
                    on_failure(exc)
                if is_refusal(exc):
                    log.error("publish to %s refused (%s); not retried", topic, type(exc).__name__)
                    raise PublishRefused(topic, exc) from exc
                log.warning("publish to %s failed (%s); retrying in %.1fs", topic, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def flush(self, timeout: float) -> None:
        self._producer.flush(timeout=timeout)

    def close(self, timeout: float = 5.0) -> None:
        self._producer.close(timeout=timeout)


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
