"""Connections to Amili spread over several small httpx pools instead of one large one.

httpcore's pool scans every connection for every queued request and polls each idle socket, so its
CPU cost per request grows with the square of the pool size: one pool of 64 connections served
~110-130 requests/s on the 2-core benchmark machine where 8 pools of 8 served ~1,000/s (see
docs/runtime.md, Benchmark). `ShardedTransport` keeps the same total limit and sends each request to
the shard with the fewest requests under way, so the shards fill evenly.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

#: Connections per shard: small enough that httpcore's per-request scan stays cheap.
DEFAULT_SHARD_SIZE = 8


class ShardedTransport(httpx.AsyncBaseTransport):
    """`max_connections` over ceil(max_connections / shard_size) transports; least-busy dispatch."""

    def __init__(
        self,
        max_connections: int,
        max_keepalive: int,
        shard_size: int = DEFAULT_SHARD_SIZE,
        make: Callable[[httpx.Limits], httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        if max_connections < 1 or shard_size < 1:
            raise ValueError("max_connections and shard_size must be at least 1")
        count = -(-max_connections // shard_size)
        build = make or (lambda limits: httpx.AsyncHTTPTransport(limits=limits, trust_env=False))
        self.shards: list[httpx.AsyncBaseTransport] = []
        for index in range(count):
            # Spread the totals so the shards add up exactly to the configured limits.
            connections = max_connections // count + (1 if index < max_connections % count else 0)
            keepalive = max_keepalive // count + (1 if index < max_keepalive % count else 0)
            self.shards.append(build(httpx.Limits(max_connections=connections, max_keepalive_connections=keepalive)))
        self.busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self.shards)), key=self.busy.__getitem__)
        self.busy[index] += 1
        try:
            response = await self.shards[index].handle_async_request(request)
            # The body is read by the caller after we return; keep the shard counted until then.
            await response.aread()
            return response
        finally:
            self.busy[index] -= 1

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.aclose()
