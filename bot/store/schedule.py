"""The poll schedule in Redis: feeds by due time, and leases so no feed is fetched twice at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from bot.store import keys
from bot.store.connection import Client

# Deletes a lease only if this poller still holds it (it may have expired and passed on).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class ScheduleRepo:
    """Due times of every polled feed, and per-feed leases."""

    def __init__(self, client: Client) -> None:
        """Work through `client`."""
        self._r = client
        self._release = client.register_script(_RELEASE)

    async def ensure(self, feed_ids: Iterable[str], when: float) -> None:
        """Schedule feeds that are not scheduled yet, due at `when` (epoch seconds)."""
        mapping = {feed_id: when for feed_id in feed_ids}
        if mapping:
            await self._r.zadd(keys.DUE, mapping, nx=True)

    async def set(self, feed_id: str, when: float) -> None:
        """Set a feed's next due time."""
        await self._r.zadd(keys.DUE, {feed_id: when})

    async def remove(self, feed_id: str) -> None:
        """Stop polling a feed."""
        await self._r.zrem(keys.DUE, feed_id)

    async def due(self, now: float, limit: int) -> list[str]:
        """Feeds due at `now`, most overdue first."""
        found = await self._r.zrangebyscore(keys.DUE, "-inf", now, start=0, num=limit)
        return cast(list[str], found)

    async def due_at(self, feed_id: str) -> float | None:
        """When a feed is due (None: it is not scheduled)."""
        return await self._r.zscore(keys.DUE, feed_id)

    async def next_due(self) -> float | None:
        """When the next feed is due, if any is scheduled."""
        first = cast(list[tuple[str, float]], await self._r.zrange(keys.DUE, 0, 0, withscores=True))
        return first[0][1] if first else None

    async def scheduled(self) -> dict[str, float]:
        """Every scheduled feed with its due time."""
        pairs = await self._r.zrange(keys.DUE, 0, -1, withscores=True)
        return dict(cast(list[tuple[str, float]], pairs))

    async def claim(self, feed_id: str, owner: str, ttl_ms: int) -> bool:
        """Take the feed's lease for `ttl_ms`; False when another poller holds it."""
        return bool(await self._r.set(keys.lease(feed_id), owner, nx=True, px=ttl_ms))

    async def release(self, feed_id: str, owner: str) -> None:
        """Give the lease back, if it is still ours."""
        await self._release(keys=[keys.lease(feed_id)], args=[owner])

    async def polled(self, when: float) -> None:
        """Record that a poller finished polling a feed at `when` (for health checks)."""
        await self._r.set(keys.LAST_POLL, repr(when))

    async def last_polled(self) -> float | None:
        """When any poller last finished polling a feed (epoch seconds), if ever."""
        raw = cast(str | None, await self._r.get(keys.LAST_POLL))
        return float(raw) if raw else None
