"""Per-feed polling state and health in Redis."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from redis.typing import EncodableT, FieldT

from bot.core.models import FeedState
from bot.store import keys
from bot.store.connection import Client

_REASON_MAX = 200


class FeedStateRepo:
    """Conditional-GET validators, the primed flag, health counters and the next poll of feeds."""

    def __init__(self, client: Client) -> None:
        """Work through `client`."""
        self._r = client

    async def get(self, feed_id: str) -> FeedState:
        """The feed's state (a fresh state for a feed never polled)."""
        raw = cast(dict[str, str], await self._r.hgetall(keys.feed_state(feed_id)))
        return FeedState.model_validate(raw) if raw else FeedState()

    async def many(self, feed_ids: list[str]) -> dict[str, FeedState]:
        """The states of several feeds."""
        async with self._r.pipeline(transaction=False) as pipe:
            for feed_id in feed_ids:
                pipe.hgetall(keys.feed_state(feed_id))
            raws = cast(list[dict[str, str]], await pipe.execute())
        return {
            feed_id: FeedState.model_validate(raw) if raw else FeedState()
            for feed_id, raw in zip(feed_ids, raws, strict=True)
        }

    async def record_success(
        self,
        feed_id: str,
        now: datetime,
        *,
        validators: tuple[str | None, str | None] | None,
        new_items: int,
        skipped: int = 0,
        dropped: int = 0,
    ) -> FeedState:
        """A poll worked: primed, errors cleared, validators stored; return the new state.

        `validators` is (ETag, Last-Modified); None keeps the old ones, as after a 304.
        `skipped` entries were left out of the poll and `dropped` older items were dropped to
        keep the feed within its bounds.
        """
        key = keys.feed_state(feed_id)
        mapping: dict[FieldT, EncodableT] = {
            "last_ok": now.isoformat(),
            "errors": "0",
            "primed": "1",
        }
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)
            pipe.hdel(key, "failing_since")
            for field, value in zip(("etag", "last_modified"), validators or (), strict=False):
                if value:
                    pipe.hset(key, field, value)
                else:
                    pipe.hdel(key, field)
            pipe.hincrby(key, "items_seen", new_items)
            if skipped:
                pipe.hset(key, mapping={"skipped_at": now.isoformat(), "skipped": str(skipped)})
            if dropped:
                pipe.hset(key, "dropped_at", now.isoformat())
                pipe.hincrby(key, "dropped", dropped)
            if new_items:
                pipe.hincrby(key, "new_streak", 1)
            else:
                pipe.hset(key, "new_streak", "0")
            pipe.hgetall(key)
            *_, raw = await pipe.execute()
        return FeedState.model_validate(raw)

    async def record_not_modified(self, feed_id: str, now: datetime) -> FeedState:
        """A 304: nothing new, the feed is healthy."""
        return await self.record_success(feed_id, now, validators=None, new_items=0)

    async def record_failure(self, feed_id: str, now: datetime, reason: str) -> FeedState:
        """A poll failed: keep a short reason, count it; return the new state."""
        key = keys.feed_state(feed_id)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(
                key, mapping={"last_error": reason[:_REASON_MAX], "last_error_at": now.isoformat()}
            )
            pipe.hsetnx(key, "failing_since", now.isoformat())
            pipe.hincrby(key, "errors", 1)
            pipe.hset(key, "new_streak", "0")
            pipe.hgetall(key)
            *_, raw = await pipe.execute()
        return FeedState.model_validate(raw)

    async def set_next_poll(self, feed_id: str, when: datetime) -> None:
        """When the feed will be polled next (for /feeds)."""
        await self._r.hset(keys.feed_state(feed_id), "next_poll", when.isoformat())

    async def disable(self, feed_id: str, reason: str) -> None:
        """The feed is not polled any more (410 Gone), with the reason shown in /feeds."""
        await self._r.hset(keys.feed_state(feed_id), "disabled", reason[:_REASON_MAX])

    async def enable(self, feed_id: str) -> None:
        """Poll the feed again (an admin added it again)."""
        await self._r.hdel(keys.feed_state(feed_id), "disabled", "errors", "failing_since")

    async def forget(self, feed_id: str) -> None:
        """Drop everything known about a removed feed."""
        await self._r.delete(
            keys.feed_state(feed_id),
            keys.feed_latest(feed_id),
            keys.feed_kept(feed_id),
            keys.feed_kept_fingerprints(feed_id),
        )
