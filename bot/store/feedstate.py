"""Per-feed polling state and health in Redis."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

from bot.core.models import FeedState
from bot.store import keys

_REASON_MAX = 200


class FeedStateRepo:
    """Conditional-GET validators, the primed flag and health counters of each feed."""

    def __init__(self, client: aioredis.Redis) -> None:
        """Work through `client`."""
        self._r = client

    async def get(self, feed_id: str) -> FeedState:
        """The feed's state (a fresh state for a feed never polled)."""
        raw = cast(dict[str, str], await self._r.hgetall(keys.feed_state(feed_id)))
        return FeedState.model_validate(raw) if raw else FeedState()

    async def record_success(
        self,
        feed_id: str,
        now: datetime,
        *,
        etag: str | None,
        last_modified: str | None,
        new_items: int,
    ) -> None:
        """A poll worked: the feed is primed, its validators stored, its error count reset."""
        key = keys.feed_state(feed_id)
        mapping: dict[FieldT, EncodableT] = {
            "last_ok": now.isoformat(),
            "errors": "0",
            "primed": "1",
        }
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)
            for field, value in (("etag", etag), ("last_modified", last_modified)):
                if value:
                    pipe.hset(key, field, value)
                else:
                    pipe.hdel(key, field)
            pipe.hincrby(key, "items_seen", new_items)
            await pipe.execute()

    async def record_not_modified(self, feed_id: str, now: datetime) -> None:
        """A 304: nothing new, the feed is healthy."""
        await self._r.hset(
            keys.feed_state(feed_id), mapping={"last_ok": now.isoformat(), "errors": "0"}
        )

    async def record_failure(self, feed_id: str, now: datetime, reason: str) -> int:
        """A poll failed: keep a short reason; return the number of consecutive failures."""
        key = keys.feed_state(feed_id)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(
                key, mapping={"last_error": reason[:_REASON_MAX], "last_error_at": now.isoformat()}
            )
            pipe.hincrby(key, "errors", 1)
            result = await pipe.execute()
        return int(result[1])
