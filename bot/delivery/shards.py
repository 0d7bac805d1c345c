"""Which delivery shards a sender works on: a fair share, held by lease, taken over when free.

A chat's alerts all go to one shard (one stream), so one sender at a time sends them, in order.
Each sender heartbeats; one not heard for a lease's length is dead, and its shards are free by
then too. A sender gives back shards beyond its fair share once it has nothing of theirs in
hand, and what the last holder of a shard read but never acknowledged comes first, oldest first.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime

from bot.store import keys
from bot.store.deliveries import DeliveryQueue, Queued
from bot.store.senders import SenderRegistry, fair_share

log = logging.getLogger(__name__)

TAKE_OVER = 100  # leftovers taken over from a shard's last holder in one go


class Shards:
    """The shards one sender holds, kept by lease in the senders' registry."""

    def __init__(
        self,
        registry: SenderRegistry,
        queue: DeliveryQueue,
        consumer: str,
        *,
        lease_ms: int,
        clock: Callable[[], datetime],
    ) -> None:
        """Hold shards for `consumer` by leases of `lease_ms`, heartbeating on `clock`."""
        self._registry = registry
        self._queue = queue
        self._consumer = consumer
        self._lease_ms = lease_ms
        self._clock = clock
        self.owned: set[int] = set()

    async def keep(self, *, everything: bool, in_use: Callable[[int], bool]) -> list[Queued]:
        """Heartbeat, renew our leases, give back extras, take free shards; return leftovers.

        `everything` asks for every shard (a drain); `in_use(shard)` says whether entries of a
        shard are still in hand (such a shard is not given back yet). Returns what the last
        holders of the shards taken left unacknowledged, to be sent first.
        """
        registry, consumer = self._registry, self._consumer
        now_ms = int(self._clock().timestamp() * 1000)
        live = await registry.heartbeat(consumer, now_ms, stale_ms=self._lease_ms)
        share = keys.SHARDS if everything else fair_share(live)
        lost = [
            s for s in sorted(self.owned) if not await registry.renew(s, consumer, self._lease_ms)
        ]
        for shard in lost:
            log.warning("sender %s lost shard %d", consumer, shard)
            self.owned.discard(shard)
        for shard in sorted(self.owned, reverse=True):
            if len(self.owned) <= share:
                break
            if not in_use(shard):
                await registry.release(shard, consumer)
                self.owned.discard(shard)
        leftovers: list[Queued] = []
        start = secrets.randbelow(keys.SHARDS)  # senders starting together try different ones
        for offset in range(keys.SHARDS):
            if len(self.owned) >= share:
                break
            shard = (start + offset) % keys.SHARDS
            if shard in self.owned or not await registry.claim(shard, consumer, self._lease_ms):
                continue
            self.owned.add(shard)
            taken = await self._queue.take_over(shard, consumer, TAKE_OVER)
            if taken:
                log.info("shard %d: took over %d pending deliveries", shard, len(taken))
            leftovers.extend(taken)
        return leftovers

    def forget(self) -> None:
        """Stop counting on any shard (Redis is away: the leases may lapse meanwhile)."""
        self.owned.clear()

    async def give_back(self) -> None:
        """Release every shard and leave the registry (the sender stops)."""
        for shard in sorted(self.owned):
            await self._registry.release(shard, self._consumer)
        await self._registry.leave(self._consumer)
        self.owned.clear()
