"""Which sender reads which delivery shard: heartbeats and shard leases in Redis."""

from __future__ import annotations

import math
from typing import cast

from bot.store import keys
from bot.store.connection import Client

# Takes a free shard, or keeps one this sender already holds (after Redis came back, say).
_CLAIM = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# Extends a lease only if this sender still holds it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class SenderRegistry:
    """Senders announce themselves; each holds a fair share of the shards by lease."""

    def __init__(self, client: Client) -> None:
        """Work through `client`."""
        self._r = client
        self._claim = client.register_script(_CLAIM)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    async def heartbeat(self, consumer: str, now_ms: int, stale_ms: int) -> int:
        """Say this sender is alive; return how many senders are (heard within `stale_ms`)."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zadd(keys.SENDERS, {consumer: now_ms})
            pipe.zremrangebyscore(keys.SENDERS, "-inf", now_ms - stale_ms)
            pipe.zcard(keys.SENDERS)
            *_, live = await pipe.execute()
        return max(1, int(live))

    async def live(self, now_ms: int, stale_ms: int) -> int:
        """How many senders were heard from within `stale_ms` (without saying anything)."""
        return int(await self._r.zcount(keys.SENDERS, now_ms - stale_ms, "+inf"))

    async def leave(self, consumer: str) -> None:
        """Say that this sender stops."""
        await self._r.zrem(keys.SENDERS, consumer)

    async def claim(self, shard: int, consumer: str, ttl_ms: int) -> bool:
        """Take a free shard (or one this sender holds already)."""
        return bool(await self._claim(keys=[keys.shard_lease(shard)], args=[consumer, ttl_ms]))

    async def renew(self, shard: int, consumer: str, ttl_ms: int) -> bool:
        """Keep a shard; False when it was lost (the lease expired and moved on)."""
        return bool(await self._renew(keys=[keys.shard_lease(shard)], args=[consumer, ttl_ms]))

    async def release(self, shard: int, consumer: str) -> None:
        """Give a shard back."""
        await self._release(keys=[keys.shard_lease(shard)], args=[consumer])

    async def holders(self) -> dict[int, str | None]:
        """Who holds each shard."""
        async with self._r.pipeline(transaction=False) as pipe:
            for shard in range(keys.SHARDS):
                pipe.get(keys.shard_lease(shard))
            found = cast(list[str | None], await pipe.execute())
        return dict(enumerate(found))


def fair_share(live_senders: int) -> int:
    """How many shards each of `live_senders` senders should hold."""
    return math.ceil(keys.SHARDS / max(1, live_senders))
