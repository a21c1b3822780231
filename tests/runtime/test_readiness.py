"""Engine.ready(): "can take work". Idle (no partition) and an open circuit are ready, with a note; a stopped
or stale consumer thread and draining are not. Fake consumer threads stand in for the real ones."""

from __future__ import annotations

import time

from workers.runtime.breaker import CircuitBreaker
from workers.runtime.engine import Engine
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.registry import discover
from workers.runtime.routes import build_routes
from workers.runtime.settings import WorkerSettings


class FakeConsumer:
    def __init__(self, assigned: int, alive: bool = True, last_poll: float | None = None) -> None:
        self.assigned = assigned
        self._alive = alive
        self.last_poll = time.monotonic() if last_poll is None else last_poll

    def is_alive(self) -> bool:
        return self._alive


def _engine(**consumers: FakeConsumer) -> Engine:
    routes = build_routes(discover(), WorkerSettings())
    engine = Engine([routes["register_invoice"]], worker=WorkerSettings(), kafka=KafkaSettings())
    engine.consumers = consumers  # type: ignore[assignment]
    return engine


def test_idle_streams_are_ready_and_say_so():
    engine = _engine(register_invoice=FakeConsumer(0), claims=FakeConsumer(3))
    assert engine.ready() == (True, "ok; idle, no partition assigned: register_invoice")
    assert _engine(claims=FakeConsumer(3)).ready() == (True, "ok")


def test_an_open_circuit_is_ready_with_the_reason():
    engine = _engine(claims=FakeConsumer(3))
    engine._breaker = CircuitBreaker(window=2, min_calls=1, failure_ratio=0.5, open_seconds=30, max_open_seconds=60)
    engine._breaker.record(False)
    assert engine._breaker.is_open
    assert engine.ready() == (True, "ok; circuit open: Amili unreachable, partitions paused")


def test_draining_and_a_dead_or_stale_consumer_are_not_ready_and_every_reason_is_listed():
    engine = _engine(claims=FakeConsumer(3))
    engine._draining = True
    assert engine.ready() == (False, "draining")
    stale = _engine(claims=FakeConsumer(3, last_poll=time.monotonic() - 120))
    stale._draining = True
    ok, detail = stale.ready()
    assert not ok
    assert detail.startswith("claims: no poll for 120s")
    assert detail.endswith("; draining")
    assert _engine(claims=FakeConsumer(0, alive=False)).ready() == (False, "claims: consumer thread stopped")
