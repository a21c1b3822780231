"""The health port on loopback: /metrics, /healthz, /readyz."""

from __future__ import annotations

import asyncio

import httpx

from tests.runtime.aio import run_async
from workers.runtime.health import HealthServer
from workers.runtime.metrics import Metrics


@run_async
async def test_probes_and_metrics():
    metrics = Metrics()
    metrics.events_received.labels("register_invoice").inc(3)
    ready = [False]
    server = HealthServer(metrics.registry, lambda: (True, "ok"), lambda: (ready[0], "not assigned"))
    port = await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/healthz")).status_code == 200
            not_ready = await client.get("/readyz")
            assert (not_ready.status_code, not_ready.text) == (503, "not assigned\n")
            ready[0] = True
            assert (await client.get("/readyz")).status_code == 200
            body = (await client.get("/metrics")).text
            assert 'amili_fleet_events_received_total{use_case="register_invoice"} 3.0' in body
            assert (await client.get("/nope")).status_code == 404
    finally:
        await server.close()
    await asyncio.sleep(0)
