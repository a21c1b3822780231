"""Pollers on the real broker and the real sandbox: facts land keyed in Kafka, the watermark survives a
restart (kept in Kafka), and a re-run publishes nothing new."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer

from workers.amili.bodies import CancellationRegistration, PaymentRegistration
from workers.amili.client import AmiliClient
from workers.amili.settings import AmiliSettings
from workers.demo.traffic import Traffic
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.polling import PollerRunner, registered_pollers
from workers.runtime.producer import Publisher
from workers.runtime.registry import discover
from workers.runtime.topics import ensure_topics
from workers.runtime.watermarks import WatermarkStore
from workers.use_cases.register_invoice import invoice_registration

pytestmark = pytest.mark.integration


def read_all(settings: KafkaSettings, topic: str, expected: int, fast: dict[str, Any]) -> list[Any]:
    consumer = KafkaConsumer(
        topic, **settings.consumer_kwargs(None, **{"fetch_max_wait_ms": fast["fetch_max_wait_ms"]})
    )
    records: list[Any] = []
    for _ in range(50):
        for batch in consumer.poll(timeout_ms=100).values():
            records.extend(batch)
        if len(records) >= expected:
            break
    # a little longer, to see that nothing more arrives
    for batch in consumer.poll(timeout_ms=300).values():
        records.extend(batch)
    consumer.close()
    return records


async def close_some_cases(amili: AmiliClient, traffic: Traffic) -> list[str]:
    numbers = []
    for i in range(4):
        event = traffic.invoice_issued()
        result = await amili.register_invoice(invoice_registration(event))
        if i < 3:
            numbers.append(event.invoice_number)
            if i % 2:
                await amili.register_cancellation(
                    CancellationRegistration(creditor=event.creditor.id, case=result.case)
                )
            else:
                total = event.total_amount_excluding_vat + event.total_vat
                await amili.register_payment(
                    PaymentRegistration(
                        creditor=event.creditor.id, case=result.case, amount=total, bank_transaction_date=traffic.today
                    )
                )
    return numbers


def test_closed_case_poller_publishes_each_closure_once_across_restarts(
    bootstrap, make_name, sandbox, fast_group_settings
):
    discover()
    spec = registered_pollers()["export_closed_cases"]
    kafka = KafkaSettings(bootstrap_servers=bootstrap)
    topic, watermark_topic = make_name("facts.closed"), make_name("watermarks")
    ensure_topics(kafka, {topic: 3})
    spec = type(spec)(spec.name, topic, spec.function, spec.every_seconds)
    creds = sandbox.credentials
    settings = AmiliSettings(
        base_url=sandbox.base_url,
        api_code=creds.account_api_code,
        private_key_file=creds.account_key_path,
    )
    traffic = Traffic({c: creds.account_id for c in creds.creditor_ids}, seed=5)

    async def scenario() -> tuple[int, int, int, list[str]]:
        async with AmiliClient(settings) as amili:
            closed = await close_some_cases(amili, traffic)
            publisher = Publisher(kafka.producer_kwargs())
            # Each store stands for one process (it keeps its Kafka clients until closed).
            stores = [WatermarkStore(kafka, topic=watermark_topic) for _ in range(3)]
            try:
                first = await PollerRunner(spec, amili=amili, publisher=publisher, watermarks=stores[0]).run_once()
                # A restarted process: new store, new runner; the watermark comes back from Kafka.
                again = await PollerRunner(spec, amili=amili, publisher=publisher, watermarks=stores[1]).run_once()
                extra = traffic.invoice_issued()
                result = await amili.register_invoice(invoice_registration(extra))
                await amili.register_cancellation(
                    CancellationRegistration(creditor=extra.creditor.id, case=result.case)
                )
                later = await PollerRunner(spec, amili=amili, publisher=publisher, watermarks=stores[2]).run_once()
            finally:
                for store in stores:
                    store.close()
                publisher.close()
            return first, again, later, [*closed, extra.invoice_number]

    first, again, later, numbers = asyncio.run(scenario())
    assert (first, again, later) == (3, 0, 1)
    records = read_all(kafka, topic, 4, fast_group_settings)
    facts = [orjson.loads(r.value) for r in records]
    assert sorted(f["data"]["invoice_number"] for f in facts) == sorted(numbers)
    assert len({f["id"] for f in facts}) == 4
    for record, fact in zip(records, facts, strict=True):
        assert record.key.decode() == f"{fact['data']['creditor']}:{fact['data']['invoice_number']}"
        assert fact["data"]["reason"] in ("paid", "cancelled")
    assert Decimal(str(facts[0]["data"]["remaining_capital"])) >= 0
