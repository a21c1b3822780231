"""Publishing outcomes and dead letters: KafkaProducer (thread-safe) behind an awaitable `send`.

A record counts as finished only once the broker acknowledged its outcome or dead letter, so `send`
resolves on the producer's delivery callback (moved onto the asyncio loop), and `publish` retries a
failed delivery until it succeeds or the worker stops: giving up would lose the record's terminal state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]


class Publisher:
    """An idempotent KafkaProducer with asyncio completion."""

    def __init__(self, producer_kwargs: dict[str, Any]) -> None:
        from kafka import KafkaProducer

        self._producer = KafkaProducer(**producer_kwargs)

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
        """Send until acknowledged, backing off between failures (the broker may be briefly away)."""
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
