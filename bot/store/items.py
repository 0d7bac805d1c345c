"""Items in Redis: which entries were seen, the items themselves, the newest per feed.

What one feed stores is bounded: its item ids and fingerprints are indexed by when they were
last in the feed (`keys.feed_kept`), and past `keep_per_feed` the oldest go, bodies and seen
markers with them. An entry still in the feed is never the oldest, so it stays seen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import cast

from bot.core.analysis import SHORT_MARK
from bot.core.models import Item
from bot.store import keys
from bot.store.connection import Client


class ItemRepo:
    """Seen markers (SET with TTL), item bodies and each feed's newest items for /latest."""

    def __init__(self, client: Client, retention_seconds: int, keep_per_feed: int = 1_000) -> None:
        """Work through `client`; items live `retention_seconds`, `keep_per_feed` per feed."""
        self._r = client
        self._ttl = retention_seconds
        self._keep = keep_per_feed

    async def unseen(self, items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
        """Split items into new ones and ones already seen under another id (same content).

        Each id and each content counts once, in the given order; items seen before under their
        own id are in neither list.
        """
        unique: dict[str, Item] = {}
        for item in items:
            unique.setdefault(item.id, item)
        if not unique:
            return [], []
        async with self._r.pipeline(transaction=False) as pipe:
            for item in unique.values():
                pipe.exists(keys.seen(item.feed_id, item.id))
                if item.fingerprint:
                    pipe.exists(keys.fingerprint(item.feed_id, item.fingerprint))
                else:
                    pipe.exists(keys.seen(item.feed_id, item.id))
            flags = await pipe.execute()
        new: list[Item] = []
        reworded: list[Item] = []
        contents: set[str] = set()
        for number, item in enumerate(unique.values()):
            seen_id, seen_content = flags[2 * number], flags[2 * number + 1]
            if seen_id:
                continue
            if seen_content or (item.fingerprint and item.fingerprint in contents):
                reworded.append(item)  # a new GUID on content already seen: not news
                continue
            if item.fingerprint:
                contents.add(item.fingerprint)
            new.append(item)
        return new, reworded

    async def save(self, items: Sequence[Item]) -> None:
        """Store items and list them among their feed's newest (before alerting on them)."""
        if not items:
            return
        async with self._r.pipeline(transaction=False) as pipe:
            feeds: set[str] = set()
            for item in items:
                pipe.set(keys.item(item.id), item.model_dump_json(), ex=self._ttl)
                pipe.zadd(keys.feed_latest(item.feed_id), {item.id: item.published.timestamp()})
                feeds.add(item.feed_id)
            for feed_id in feeds:
                pipe.zremrangebyrank(keys.feed_latest(feed_id), 0, -keys.LATEST_PER_FEED - 1)
            await pipe.execute()

    async def mark_seen(self, items: Iterable[Item]) -> None:
        """Record items (and their content) as seen, so later polls do not alert on them again."""
        async with self._r.pipeline(transaction=False) as pipe:
            for item in items:
                pipe.set(keys.seen(item.feed_id, item.id), "1", ex=self._ttl)
                if item.fingerprint:
                    short = item.fingerprint.startswith(SHORT_MARK)
                    ttl = min(self._ttl, keys.SHORT_FINGERPRINT_TTL) if short else self._ttl
                    pipe.set(keys.fingerprint(item.feed_id, item.fingerprint), "1", ex=ttl)
            await pipe.execute()

    async def keep(self, feed_id: str, present: Sequence[Item], now: float) -> int:
        """Note the entries a poll read (all of them, seen or new); drop what is past the cap.

        Ids and fingerprints are ranked by the last poll that read them (`now`, epoch s). Past
        `keep_per_feed` of either, the oldest are dropped: an id's body, seen marker and place
        in /latest, a fingerprint's marker. Entries read by this poll rank newest, so as long
        as a poll reads no more than the cap, nothing still in the feed is dropped. Returns how
        many items were dropped.
        """
        ids, prints = keys.feed_kept(feed_id), keys.feed_kept_fingerprints(feed_id)
        stale = now - self._ttl  # last read a retention ago: its markers expired already
        id_members = [item.id for item in present]
        print_members = [item.fingerprint for item in present if item.fingerprint]
        async with self._r.pipeline(transaction=False) as pipe:
            for key, members in ((ids, id_members), (prints, print_members)):
                if members:
                    pipe.zadd(key, dict.fromkeys(members, now))
                pipe.zremrangebyscore(key, "-inf", stale)
                pipe.expire(key, self._ttl)
                pipe.zrange(key, 0, -self._keep - 1)  # past the cap, oldest first
            replies = await pipe.execute()
        # Each key's commands end with its ZRANGE, the fingerprints' last.
        old_ids: list[str] = replies[-5 if print_members else -4]
        old_prints: list[str] = replies[-1]
        if not old_ids and not old_prints:
            return 0
        async with self._r.pipeline(transaction=False) as pipe:
            # One DEL per key: an item's body is not in its feed's slot on a cluster.
            for item_id in old_ids:
                pipe.delete(keys.item(item_id))
                pipe.delete(keys.seen(feed_id, item_id))
            for digest in old_prints:
                pipe.delete(keys.fingerprint(feed_id, digest))
            if old_ids:
                pipe.zrem(keys.feed_latest(feed_id), *old_ids)
                pipe.zrem(ids, *old_ids)
            if old_prints:
                pipe.zrem(prints, *old_prints)
            await pipe.execute()
        return len(old_ids)

    async def get(self, item_id: str) -> Item | None:
        """One stored item (None once it expired)."""
        raw = cast(str | None, await self._r.get(keys.item(item_id)))
        return Item.model_validate_json(raw) if raw else None

    async def many(self, item_ids: Iterable[str]) -> dict[str, Item]:
        """Stored items by id (expired ones are left out)."""
        wanted = list(dict.fromkeys(item_ids))
        if not wanted:
            return {}
        # GETs in a pipeline, not one MGET: on a cluster the items live in different slots.
        async with self._r.pipeline(transaction=False) as pipe:
            for item_id in wanted:
                pipe.get(keys.item(item_id))
            bodies: list[str | None] = await pipe.execute()
        return {
            item_id: Item.model_validate_json(body)
            for item_id, body in zip(wanted, bodies, strict=True)
            if body
        }

    async def latest(self, feed_ids: Iterable[str], limit: int) -> list[Item]:
        """The `limit` newest items of these feeds, newest first."""
        feed_ids = list(feed_ids)
        if not feed_ids or limit <= 0:
            return []
        async with self._r.pipeline(transaction=False) as pipe:
            for feed_id in feed_ids:
                pipe.zrevrange(keys.feed_latest(feed_id), 0, limit - 1, withscores=True)
            per_feed: list[list[tuple[str, float]]] = await pipe.execute()
        ranked = sorted((pair for pairs in per_feed for pair in pairs), key=lambda p: -p[1])
        found = await self.many(item_id for item_id, _score in ranked[:limit])
        return list(found.values())

    async def remember_query(self, query: str) -> str:
        """Keep a /latest filter for its "more" button; return the short key it is kept under."""
        digest = hashlib.blake2b(query.encode(), digest_size=6).hexdigest()
        await self._r.set(keys.latest_query(digest), query, ex=keys.LATEST_QUERY_TTL)
        return digest

    async def recall_query(self, digest: str) -> str | None:
        """A filter kept by `remember_query` (None once it expired)."""
        return cast(str | None, await self._r.get(keys.latest_query(digest)))
