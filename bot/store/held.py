"""Alerts held for a chat's digest or the end of its quiet hours, and when each chat's are due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from bot.core.models import Delivery
from bot.store import keys
from bot.store.connection import Client


@dataclass(frozen=True)
class Held:
    """One held alert: the delivery and its raw member (to remove exactly it once sent)."""

    member: str
    delivery: Delivery


class HeldRepo:
    """Per-chat sorted sets of held deliveries, and one due-time sorted set over all chats."""

    def __init__(self, client: Client) -> None:
        """Work through `client`."""
        self._r = client

    async def hold(self, delivery: Delivery, due: datetime, now: datetime) -> None:
        """Keep a delivery for the chat's next digest; the chat is due at `due` (or earlier)."""
        member = delivery.model_dump_json()
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zadd(keys.held(delivery.chat_id), {member: now.timestamp()}, nx=True)
            pipe.expire(keys.held(delivery.chat_id), keys.STORY_TTL)
            # LT: a due time already set earlier stands (a new one is still added).
            pipe.zadd(keys.DIGEST_DUE, {str(delivery.chat_id): due.timestamp()}, lt=True)
            await pipe.execute()

    async def due(self, now: datetime, count: int) -> list[tuple[int, float]]:
        """Chats whose digest is due at `now`, with the due time, earliest first."""
        raw = await self._r.zrangebyscore(
            keys.DIGEST_DUE, "-inf", now.timestamp(), start=0, num=count, withscores=True
        )
        pairs = cast(list[tuple[str, float]], raw)
        return [(int(chat), float(score)) for chat, score in pairs]

    async def lease(self, chat_id: int, owner: str) -> bool:
        """Take the right to build a chat's digest (it expires if the sender dies)."""
        return bool(
            await self._r.set(keys.digest_lease(chat_id), owner, nx=True, px=keys.DIGEST_LEASE_MS)
        )

    async def release(self, chat_id: int) -> None:
        """Give the chat's digest lease back."""
        await self._r.delete(keys.digest_lease(chat_id))

    async def held(self, chat_id: int) -> list[Held]:
        """A chat's held deliveries, oldest first."""
        # The score (when the alert was held) orders them; nothing else reads it.
        members = cast(list[str], await self._r.zrange(keys.held(chat_id), 0, -1))
        return [Held(member, Delivery.model_validate_json(member)) for member in members]

    async def done(self, chat_id: int, members: list[str]) -> int:
        """Drop delivered (or obsolete) held entries; return how many remain held."""
        async with self._r.pipeline(transaction=False) as pipe:
            if members:
                pipe.zrem(keys.held(chat_id), *members)
            pipe.zcard(keys.held(chat_id))
            *_, left = await pipe.execute()
        if not left:
            await self._r.zrem(keys.DIGEST_DUE, str(chat_id))
        return int(left)

    async def reschedule(self, chat_id: int, due: datetime) -> None:
        """Set when the chat's held alerts are due next."""
        await self._r.zadd(keys.DIGEST_DUE, {str(chat_id): due.timestamp()})

    async def count(self) -> int:
        """How many chats have alerts held."""
        return int(await self._r.zcard(keys.DIGEST_DUE))


def digest_id(due: float) -> str:
    """The id a digest is sent under (its chat's sent marker): one per due time, never twice."""
    return f"digest-{int(due)}"
