"""The two yardsticks the fleet is measured against.

- naive: poll, decode, one synchronous GET, produce the outcome, flush, commit, one record at a time;
  what a straightforward consumer does, slow by design (one Amili round trip per record, serially).
- ceiling: a bare asyncio + httpx loop sending the same GETs at the same concurrency, no Kafka; what
  the sandbox and this machine allow at all.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from urllib.parse import quote

import httpx

from schemas import jsonio
from schemas.catalog import USE_CASES
from schemas.codec import decode_event, encode_event, event_headers
from schemas.outcomes import build_outcome
from workers.amili.assumptions import API_KEY_HEADER
from workers.runtime.kafka_settings import KafkaSettings
from workers.use_cases.lookup_case_status import STATUS_PROJECTION

#: The query the client sends with GET /cases/{id} (pagination.build_query writes it the same way).
PROJECTION = jsonio.dumps(dict(STATUS_PROJECTION)).decode()
#: Group timing for the local broker, as the demo uses it (never a production default).
FAST_GROUP = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000, "fetch_max_wait_ms": 50}


def case_path(case_id: str) -> str:
    return f"/cases/{quote(case_id, safe='')}"


async def _ceiling(
    base_url: str, token: str, case_ids: list[str], concurrency: int, pool_size: int
) -> tuple[float, int]:
    # `concurrency` lanes over ceil(concurrency / pool_size) clients, each with its own connection pool.
    shards = -(-concurrency // pool_size)
    headers = {API_KEY_HEADER: token, "Accept": "application/json"}
    clients = [
        httpx.AsyncClient(
            base_url=base_url,
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
            headers=headers,
            timeout=30,
        )
        for _ in range(shards)
    ]
    failures = 0
    queue = iter(case_ids)

    async def lane(client: httpx.AsyncClient) -> None:
        nonlocal failures
        for case_id in queue:  # the lanes share one iterator: each id is sent exactly once
            response = await client.get(case_path(case_id), params={"projection": PROJECTION})
            failures += response.status_code != 200

    try:
        started = time.perf_counter()
        await asyncio.gather(*(lane(clients[n % shards]) for n in range(concurrency)))
        return time.perf_counter() - started, failures
    finally:
        for client in clients:
            await client.aclose()


def ceiling(
    base_url: str, token: str, case_ids: list[str], concurrency: int, pool_size: int | None = None
) -> tuple[float, int]:
    """Requests per second of the bare loop, and how many answers were not 200.

    By default one AsyncClient holds all `concurrency` connections, as the fleet's client does. With
    `pool_size`, the lanes share several clients of that many connections each: httpcore 1.0's pool
    scans every connection for every queued request (and polls each idle socket), so one big pool
    costs CPU that grows with the square of its size, and several small pools show what that costs."""
    seconds, failures = asyncio.run(_ceiling(base_url, token, case_ids, concurrency, pool_size or concurrency))
    return len(case_ids) / seconds, failures


def naive(kafka: KafkaSettings, base_url: str, token: str, limit: int, out_topic: str) -> float:
    """Records per second of the one-at-a-time loop over `limit` records.

    Timed from the first record in hand (the group join is not the loop's cost)."""
    from kafka import KafkaConsumer, KafkaProducer

    topic = USE_CASES["lookup_case_status"].topic
    consumer = KafkaConsumer(**kafka.consumer_kwargs(f"bench-naive-{uuid.uuid4().hex[:8]}", **FAST_GROUP))
    producer = KafkaProducer(**kafka.producer_kwargs(linger_ms=0))
    headers = {API_KEY_HEADER: token, "Accept": "application/json"}
    done = 0
    started = 0.0
    consumer.subscribe([topic])
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            while done < limit:
                for records in consumer.poll(timeout_ms=500, max_records=1).values():
                    for r in records:
                        started = started or time.perf_counter()
                        inbound = decode_event(r.key, r.value, r.headers)
                        case_id = inbound.data.case.case_id  # type: ignore[attr-defined]
                        response = client.get(case_path(case_id), params={"projection": PROJECTION})
                        response.raise_for_status()
                        outcome = build_outcome(
                            inbound.envelope,
                            use_case=inbound.use_case,
                            status="succeeded",
                            detail=jsonio.loads(response.content),
                        )
                        value = encode_event(outcome)
                        producer.send(out_topic, key=r.key, value=value, headers=event_headers(outcome))
                        producer.flush()
                        consumer.commit()
                        done += 1
        return done / (time.perf_counter() - started)
    finally:
        consumer.close(autocommit=False)
        producer.close()
