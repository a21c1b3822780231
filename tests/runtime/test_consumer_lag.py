"""Consumer lag counts every record not finished: fetched and handed out but stuck ones included.

KEDA's Prometheus trigger and AmiliFleetConsumerLagHigh read `amili_fleet_consumer_lag_records`; with
`highwater - position` a partition whose first record is stuck would read 0 while its commit point stays.
"""

from __future__ import annotations

from kafka import TopicPartition

from workers.runtime.consumer import ConsumerThread
from workers.runtime.metrics import Metrics
from workers.runtime.offsets import OffsetTracker


class _Highwater:
    def __init__(self, marks: dict[TopicPartition, int]) -> None:
        self.marks = marks

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.marks.get(tp)


def _thread(highwater: int) -> tuple[ConsumerThread, TopicPartition]:
    tp = TopicPartition("billing.payment-received", 0)
    thread = ConsumerThread.__new__(ConsumerThread)  # the lag report needs no KafkaConsumer of its own
    thread.stream = "register_payment"
    thread.metrics = Metrics()
    thread.tracker = OffsetTracker(window=100)
    thread._consumer = _Highwater({tp: highwater})
    thread.tracker.assign(tp)
    return thread, tp


def _lag(thread: ConsumerThread, tp: TopicPartition) -> float:
    gauge = thread.metrics.consumer_lag.labels(thread.stream, tp.topic, str(tp.partition))
    return float(gauge._value.get())


def test_records_handed_out_but_not_finished_count_as_lag():
    thread, tp = _thread(highwater=10)
    for offset in range(10):  # all ten fetched and handed to the engine
        thread.tracker.dispatch(tp, offset)
    thread._report_lag()
    assert _lag(thread, tp) == 10  # none finished: the position (10) would say 0

    epoch = thread.tracker.get(tp).epoch  # type: ignore[union-attr]
    for offset in (1, 2, 3):  # finished behind a stuck offset 0: the commit point does not move
        thread.tracker.finish(tp, epoch, offset)
    thread._report_lag()
    assert _lag(thread, tp) == 10

    thread.tracker.finish(tp, epoch, 0)
    thread._report_lag()
    assert _lag(thread, tp) == 6
