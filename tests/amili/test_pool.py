"""ShardedTransport: the configured limits split exactly over small pools, and load spreads evenly."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from workers.amili.pool import ShardedTransport

pytestmark = pytest.mark.anyio


class SlowShard(httpx.AsyncBaseTransport):
    def __init__(self, limits: httpx.Limits) -> None:
        self.limits = limits
        self.now = 0
        self.peak = 0
        self.served = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        await asyncio.sleep(0.01)
        self.now -= 1
        self.served += 1
        return httpx.Response(200, json={"ok": True})


def test_limits_add_up_to_the_configured_totals():
    transport = ShardedTransport(30, 20, shard_size=8, make=SlowShard)
    shards = [s for s in transport.shards if isinstance(s, SlowShard)]
    assert len(shards) == 4
    assert sum(s.limits.max_connections or 0 for s in shards) == 30
    assert sum(s.limits.max_keepalive_connections or 0 for s in shards) == 20
    assert max(s.limits.max_connections or 0 for s in shards) <= 8


async def test_concurrent_requests_spread_over_the_least_busy_shards():
    transport = ShardedTransport(32, 32, shard_size=8, make=SlowShard)
    async with httpx.AsyncClient(transport=transport, base_url="http://amili.test") as client:
        responses = await asyncio.gather(*(client.get("/cases/1") for _ in range(32)))
    assert {r.json()["ok"] for r in responses} == {True}
    shards = [s for s in transport.shards if isinstance(s, SlowShard)]
    assert [s.peak for s in shards] == [8, 8, 8, 8]
    assert [s.served for s in shards] == [8, 8, 8, 8]
    assert transport.busy == [0, 0, 0, 0]


def test_a_pool_smaller_than_a_shard_is_one_shard():
    assert len(ShardedTransport(3, 3, shard_size=8, make=SlowShard).shards) == 1
    with pytest.raises(ValueError, match="at least 1"):
        ShardedTransport(0, 0)
