"""The delivery stream: one entry per (chat, item) alert, read by the senders' consumer group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from bot.core.models import Delivery
from bot.store import keys


@dataclass(frozen=True)
class Entry:
    """A stream entry and the delivery it carries."""

    entry_id: str
    delivery: Delivery


class DeliveryQueue:
    """Append deliveries; read, acknowledge and reclaim them as a consumer group member."""

    def __init__(self, client: aioredis.Redis) -> None:
        """Work through `client`."""
        self._r = client

    async def ensure_group(self) -> None:
        """Create the senders' group (and the stream) once; later calls do nothing."""
        try:
            await self._r.xgroup_create(keys.DELIVERIES, keys.SENDER_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        """Append deliveries in order."""
        if not deliveries:
            return
        async with self._r.pipeline(transaction=False) as pipe:
            for d in deliveries:
                pipe.xadd(
                    keys.DELIVERIES,
                    {"chat_id": str(d.chat_id), "item_id": d.item_id, "rule": d.rule},
                    maxlen=keys.DELIVERIES_MAXLEN,
                    approximate=True,
                )
            await pipe.execute()

    async def read(self, consumer: str, count: int, block_ms: int | None) -> list[Entry]:
        """New entries for this consumer (waiting up to `block_ms` for some)."""
        return await self._read(consumer, ">", count, block_ms)

    async def pending(self, consumer: str, count: int) -> list[Entry]:
        """Entries this consumer read earlier and has not acknowledged yet."""
        return await self._read(consumer, "0", count, None)

    async def reclaim(self, consumer: str, min_idle_ms: int, count: int) -> list[Entry]:
        """Take over entries another consumer left unacknowledged for `min_idle_ms`."""
        reply = await self._r.xautoclaim(
            keys.DELIVERIES, keys.SENDER_GROUP, consumer, min_idle_ms, "0-0", count=count
        )
        return [_entry(entry_id, fields) for entry_id, fields in reply[1] if fields]

    async def ack(self, entry_id: str) -> None:
        """The entry is done (sent, or its chat is gone)."""
        await self._r.xack(keys.DELIVERIES, keys.SENDER_GROUP, entry_id)

    async def backlog(self) -> int:
        """Entries not yet acknowledged by the group (lag plus pending)."""
        info = await self._r.xinfo_groups(keys.DELIVERIES)
        for group in info:
            if group["name"] == keys.SENDER_GROUP:
                return int(group.get("lag") or 0) + int(group["pending"])
        return 0

    async def was_sent(self, delivery: Delivery) -> bool:
        """Whether this chat already got this item."""
        return bool(await self._r.exists(keys.sent(delivery.chat_id, delivery.item_id)))

    async def mark_sent(self, delivery: Delivery) -> None:
        """Remember that this chat got this item."""
        await self._r.set(keys.sent(delivery.chat_id, delivery.item_id), "1", ex=keys.SENT_TTL)

    async def _read(
        self, consumer: str, start: str, count: int, block_ms: int | None
    ) -> list[Entry]:
        reply = cast(
            list[tuple[str, list[tuple[str, dict[str, str]]]]] | None,
            await self._r.xreadgroup(
                keys.SENDER_GROUP, consumer, {keys.DELIVERIES: start}, count=count, block=block_ms
            ),
        )
        entries: list[Entry] = []
        for _stream, messages in reply or []:
            entries.extend(_entry(entry_id, fields) for entry_id, fields in messages if fields)
        return entries


def _entry(entry_id: str, fields: dict[str, str]) -> Entry:
    delivery = Delivery(
        chat_id=int(fields["chat_id"]), item_id=fields["item_id"], rule=fields["rule"]
    )
    return Entry(entry_id=entry_id, delivery=delivery)
