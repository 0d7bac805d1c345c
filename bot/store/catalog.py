"""The feed catalog in Redis, shared by every process."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from redis.asyncio.cluster import RedisCluster

from bot.core.models import Feed
from bot.store import keys
from bot.store.connection import Client


class CatalogRepo:
    """Feeds that chats can follow, keyed by feed id."""

    def __init__(self, client: Client) -> None:
        """Work through `client`."""
        self._r = client

    async def replace(self, feeds: list[Feed]) -> None:
        """Make the catalog exactly `feeds` (the demo and tests start from a known catalog)."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(keys.CATALOG, keys.REMOVED)
            if feeds:
                pipe.hset(keys.CATALOG, mapping={f.id: f.model_dump_json() for f in feeds})
            await pipe.execute()

    async def adopt_legacy_names(self) -> None:
        """Rename the catalog's keys from their names before hash tags (one server only)."""
        if isinstance(self._r, RedisCluster):
            return  # no alertbot ran on a cluster under the old names
        for old, new in keys.LEGACY_NAMES.items():
            if await self._r.exists(old) and not await self._r.exists(new):
                await self._r.rename(old, new)

    async def seed(self, from_file: list[Feed]) -> list[Feed]:
        """Bring in the catalog file at start; return the catalog after it.

        The file's feeds are added or updated (the file wins over an admin feed of the same id),
        file feeds no longer in the file leave, feeds admins added stay, and feeds an admin
        removed stay out.
        """
        current = await self.all()
        removed = cast(set[str], await self._r.smembers(keys.REMOVED))
        listed = {feed.id for feed in from_file}
        async with self._r.pipeline(transaction=True) as pipe:
            for feed in from_file:
                if feed.id not in removed:
                    pipe.hset(keys.CATALOG, feed.id, feed.model_dump_json())
            for feed in current:
                if feed.origin == "file" and feed.id not in listed:
                    pipe.hdel(keys.CATALOG, feed.id)
            await pipe.execute()
        return await self.all()

    async def add(self, feed: Feed) -> None:
        """Add (or update) a feed; one an admin had removed comes back."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(keys.CATALOG, feed.id, feed.model_dump_json())
            pipe.srem(keys.REMOVED, feed.id)
            await pipe.execute()

    async def remove(self, feed_id: str) -> bool:
        """Take a feed out of the catalog for good (the file does not bring it back)."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.CATALOG, feed_id)
            pipe.sadd(keys.REMOVED, feed_id)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    async def move(self, feed_id: str, url: str) -> None:
        """A permanent redirect: the feed lives at `url` from now on."""
        feed = await self.get(feed_id)
        if feed is not None and feed.url != url:
            await self._r.hset(
                keys.CATALOG, feed_id, feed.model_copy(update={"url": url}).model_dump_json()
            )

    async def all(self) -> list[Feed]:
        """Every feed, sorted by display name."""
        raw = cast(dict[str, str], await self._r.hgetall(keys.CATALOG))
        feeds = [Feed.model_validate_json(v) for v in raw.values()]
        return sorted(feeds, key=lambda f: f.name.casefold())

    async def get(self, feed_id: str) -> Feed | None:
        """One feed by id."""
        raw = cast(str | None, await self._r.hget(keys.CATALOG, feed_id))
        return Feed.model_validate_json(raw) if raw else None

    async def names(self, feed_ids: Iterable[str]) -> dict[str, str]:
        """Display names of these feeds (a feed no longer in the catalog is left out)."""
        wanted = list(dict.fromkeys(feed_ids))
        if not wanted:
            return {}
        raw = cast(list[str | None], await self._r.hmget(keys.CATALOG, wanted))
        return {
            feed_id: Feed.model_validate_json(value).name
            for feed_id, value in zip(wanted, raw, strict=True)
            if value
        }
