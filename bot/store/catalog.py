"""The feed catalog in Redis, shared by every process."""

from __future__ import annotations

from typing import cast

import redis.asyncio as aioredis

from bot.core.models import Feed
from bot.store import keys


class CatalogRepo:
    """Feeds that chats can follow, keyed by feed id."""

    def __init__(self, client: aioredis.Redis) -> None:
        """Work through `client`."""
        self._r = client

    async def replace(self, feeds: list[Feed]) -> None:
        """Make the catalog exactly `feeds` (the catalog file is the source of truth)."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(keys.CATALOG)
            if feeds:
                pipe.hset(keys.CATALOG, mapping={f.id: f.model_dump_json() for f in feeds})
            await pipe.execute()

    async def all(self) -> list[Feed]:
        """Every feed, sorted by display name."""
        raw = cast(dict[str, str], await self._r.hgetall(keys.CATALOG))
        feeds = [Feed.model_validate_json(v) for v in raw.values()]
        return sorted(feeds, key=lambda f: f.name.casefold())

    async def get(self, feed_id: str) -> Feed | None:
        """One feed by id."""
        raw = cast(str | None, await self._r.hget(keys.CATALOG, feed_id))
        return Feed.model_validate_json(raw) if raw else None
