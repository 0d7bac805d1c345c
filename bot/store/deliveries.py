"""The delivery streams: one entry per (chat, story) message, sharded by chat, read by senders.

Every shard is a stream with one consumer group. An entry is acknowledged only after Telegram
took the message (or the chat is gone, or it was dead-lettered). Before sending, a sender
claims the (chat, story) pair; after sending, the claim becomes the sent message's id. A
redelivered or duplicated entry finds the id and is not sent again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, cast

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

from bot.core.models import Delivery
from bot.store import keys
from bot.store.connection import Client

PENDING = "pending:"  # a claim's value while a sender is sending
CLAIM_TTL = 30  # seconds a claim outlives a sender that died while sending (a send's timeouts)
GONE = "gone"  # the value after the chat turned out to be gone
DIGESTED = "digest"  # the value for a story the chat was told of in a digest
NEAR_FULL = 0.8  # a backlog this share of the capacity is reported (logs, /stats)
# On a Redis Cluster an idle sender reads its shards again after a pause that starts here and
# doubles while nothing comes, up to the cap (the first alert after a quiet spell waits at most
# that long; an idle sender reads about twice a second, not ten times).
CLUSTER_POLL_FIRST = 0.1
CLUSTER_POLL_CAP = 0.5

# Claims a send: NX, or ours again after a retry. Returns the value that stands in the way.
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if not current or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return false
end
return current
"""
# Drops a claim only if it is still ours (pending), never a sent message's id.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Queued:
    """A stream entry: its shard, its id, and the delivery it carries."""

    shard: int
    entry_id: str
    delivery: Delivery


class Claim(Enum):
    """What claiming a send found."""

    OURS = "ours"  # go ahead and send
    SENT = "sent"  # already sent (or the chat was gone): acknowledge, do not send
    BUSY = "busy"  # another sender is sending it right now


@dataclass(frozen=True)
class EditState:
    """A sent message's edits so far, and how many outlets of its story it names."""

    count: int
    shown: int  # 1: the first report's outlet only


@dataclass(frozen=True)
class DeadLetter:
    """A delivery that failed for good, with why and when."""

    delivery: Delivery
    error: str
    failed_at: datetime
    attempts: int


class DeliveryQueue:
    """Append deliveries; read, acknowledge, reclaim and dead-letter them by shard."""

    def __init__(self, client: Client, *, maxlen: int = 1_000_000) -> None:
        """Work through `client`; the streams keep about `maxlen` entries in all."""
        self._r = client
        self._shard_maxlen = max(1000, maxlen // keys.SHARDS)
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)
        self._pause = CLUSTER_POLL_FIRST

    @property
    def capacity(self) -> int:
        """About how many entries the streams keep before the oldest are trimmed."""
        return self._shard_maxlen * keys.SHARDS

    async def ensure_groups(self) -> None:
        """Create every shard's stream and consumer group once; later calls do nothing."""
        for shard in range(keys.SHARDS):
            try:
                await self._r.xgroup_create(
                    keys.deliveries(shard), keys.SENDER_GROUP, id="0", mkstream=True
                )
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        """Append deliveries in order, each to its chat's shard."""
        if not deliveries:
            return
        async with self._r.pipeline(transaction=False) as pipe:
            for d in deliveries:
                pipe.xadd(
                    keys.deliveries(keys.shard_of(d.chat_id)),
                    _fields(d),
                    maxlen=self._shard_maxlen,
                    approximate=True,
                )
            await pipe.execute()

    async def read(
        self, shards: Sequence[int], consumer: str, count: int, block_ms: int | None
    ) -> list[Queued]:
        """New entries of these shards for this consumer (waiting up to `block_ms` for some)."""
        if not shards:
            return []
        if not isinstance(self._r, RedisCluster):
            streams: dict[Any, Any] = {keys.deliveries(s): ">" for s in shards}
            reply = await self._r.xreadgroup(
                keys.SENDER_GROUP, consumer, streams, count=count, block=block_ms
            )
            return _entries(reply)
        # A cluster reads (and blocks on) one slot per command: read every shard without
        # blocking, in one pipeline, and look again a little later while nothing came.
        per_shard = -(-count // len(shards))
        deadline = time.monotonic() + (block_ms or 0) / 1000
        while True:
            async with self._r.pipeline(transaction=False) as pipe:
                for shard in shards:
                    pipe.xreadgroup(
                        keys.SENDER_GROUP, consumer, {keys.deliveries(shard): ">"}, count=per_shard
                    )
                replies: list[object] = await pipe.execute()
            entries = [entry for reply in replies for entry in _entries(reply)]
            if entries:
                self._pause = CLUSTER_POLL_FIRST
                return entries
            left = deadline - time.monotonic()
            if left <= 0:
                return entries
            await asyncio.sleep(min(self._pause, left))
            self._pause = min(CLUSTER_POLL_CAP, self._pause * 2)

    async def pending(self, shard: int, consumer: str, count: int) -> list[Queued]:
        """Entries of a shard this consumer read earlier and has not acknowledged, oldest first."""
        streams: dict[Any, Any] = {keys.deliveries(shard): "0"}
        reply = await self._r.xreadgroup(keys.SENDER_GROUP, consumer, streams, count=count)
        return _entries(reply)

    async def take_over(self, shard: int, consumer: str, count: int) -> list[Queued]:
        """Every unacknowledged entry of a shard whose lease we now hold, oldest first."""
        entries: list[Queued] = []
        start = "0-0"
        while True:
            reply = await self._r.xautoclaim(
                keys.deliveries(shard), keys.SENDER_GROUP, consumer, 0, start, count=count
            )
            start = reply[0]
            entries += [_entry(shard, entry_id, fields) for entry_id, fields in reply[1] if fields]
            if start in ("0-0", b"0-0"):
                return entries

    async def ack(self, entry: Queued) -> None:
        """The entry is done (sent, gone, or dead-lettered)."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.xack(keys.deliveries(entry.shard), keys.SENDER_GROUP, entry.entry_id)
            pipe.hdel(keys.attempts(entry.shard), entry.entry_id)
            await pipe.execute()

    async def failed(self, entry: Queued) -> int:
        """Count one more failed attempt at an entry; return the count."""
        return int(await self._r.hincrby(keys.attempts(entry.shard), entry.entry_id, 1))

    async def dead_letter(self, entry: Queued, error: str, attempts: int) -> None:
        """Move an entry that failed for good to the dead letters (and acknowledge it)."""
        d = entry.delivery
        await self._r.xadd(
            keys.DEAD_LETTERS,
            {
                **_fields(d),
                "error": error[:500],
                "failed_at": datetime.now(UTC).isoformat(),
                "attempts": str(attempts),
            },
            maxlen=keys.DEAD_LETTERS_MAXLEN,
            approximate=True,
        )
        await self.ack(entry)

    async def dead_letters(self, count: int) -> list[DeadLetter]:
        """The newest dead letters, newest first."""
        raw = cast(
            list[tuple[str, dict[str, str]]],
            await self._r.xrevrange(keys.DEAD_LETTERS, count=count),
        )
        return [
            DeadLetter(
                delivery=_delivery(f),
                error=f.get("error", ""),
                failed_at=datetime.fromisoformat(f["failed_at"]),
                attempts=int(f.get("attempts", "1")),
            )
            for _, f in raw
        ]

    async def dead_letter_count(self) -> int:
        """How many dead letters are kept."""
        return int(await self._r.xlen(keys.DEAD_LETTERS))

    def near_full(self, backlog: int) -> bool:
        """Whether a backlog this long is close to where the oldest entries get trimmed."""
        return backlog >= NEAR_FULL * self.capacity

    async def backlog(self) -> int:
        """Entries not yet acknowledged, over all shards (waiting and in flight)."""
        total = 0
        for shard in range(keys.SHARDS):
            try:
                groups = await self._r.xinfo_groups(keys.deliveries(shard))
            except ResponseError:  # no stream yet
                continue
            for group in groups:
                if group["name"] == keys.SENDER_GROUP:
                    total += int(group.get("lag") or 0) + int(group["pending"])
        return total

    async def oldest_waiting(self) -> datetime | None:
        """When the oldest entry not yet acknowledged was queued (None: nothing waits)."""
        oldest: int | None = None
        for shard in range(keys.SHARDS):
            stream = keys.deliveries(shard)
            try:
                groups = await self._r.xinfo_groups(stream)
            except ResponseError:  # no stream yet
                continue
            group = next((g for g in groups if g["name"] == keys.SENDER_GROUP), None)
            if group is None:
                continue
            candidates: list[str] = []
            if int(group["pending"]):  # read but not acknowledged: the oldest is the first
                summary = await self._r.xpending(stream, keys.SENDER_GROUP)
                candidates.append(str(summary["min"]))
            unread = await self._r.xrange(stream, f"({group['last-delivered-id']}", "+", count=1)
            if unread:
                candidates.append(str(unread[0][0]))
            for entry_id in candidates:
                millis = int(entry_id.split("-")[0])
                oldest = millis if oldest is None else min(oldest, millis)
        return None if oldest is None else datetime.fromtimestamp(oldest / 1000, UTC)

    async def claim_send(self, delivery: Delivery, consumer: str) -> Claim:
        """Claim the right to send this delivery (it expires if this sender dies)."""
        key = keys.sent(delivery.chat_id, delivery.story)
        standing = await self._claim(keys=[key], args=[PENDING + consumer, CLAIM_TTL])
        if standing is None:
            return Claim.OURS
        return Claim.BUSY if str(standing).startswith(PENDING) else Claim.SENT

    async def mark_sent(self, delivery: Delivery, message_id: int | str) -> None:
        """The message went out: remember its id (for edits) and never send it again."""
        key = keys.sent(delivery.chat_id, delivery.story)
        await self._r.set(key, str(message_id), ex=keys.SENT_TTL)

    async def release_send(self, delivery: Delivery, consumer: str) -> None:
        """Give a claim back after a failed attempt, so the retry can claim it again."""
        key = keys.sent(delivery.chat_id, delivery.story)
        await self._release(keys=[key], args=[PENDING + consumer])

    async def sent_message(self, chat_id: int, story_id: str) -> int | None:
        """The id of the message a chat was sent about a story, if it was sent."""
        raw = cast(str | None, await self._r.get(keys.sent(chat_id, story_id)))
        return int(raw) if raw and raw.isdigit() else None

    async def edits(self, chat_id: int, story_id: str) -> EditState:
        """How often a chat's message about a story was edited, and how many outlets it shows."""
        raw = cast(dict[str, str], await self._r.hgetall(keys.edits(chat_id, story_id)))
        return EditState(count=int(raw.get("count", 0)), shown=int(raw.get("shown", 1)))

    async def edited(self, chat_id: int, story_id: str, count: int, shown: int) -> None:
        """Record an edit of a chat's message about a story."""
        key = keys.edits(chat_id, story_id)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"count": count, "shown": shown})
            pipe.expire(key, keys.SENT_TTL)
            await pipe.execute()

    async def send_state(self, delivery: Delivery, consumer: str) -> Claim:
        """What a claim would find, without claiming: free (or ours), sent, or busy."""
        value = cast(str | None, await self._r.get(keys.sent(delivery.chat_id, delivery.story)))
        if value is None or value == PENDING + consumer:
            return Claim.OURS
        return Claim.BUSY if value.startswith(PENDING) else Claim.SENT


def _entries(reply: object) -> list[Queued]:
    entries: list[Queued] = []
    for stream, messages in cast(list[tuple[str, list[tuple[str, dict[str, str]]]]], reply or []):
        shard = int(stream.rsplit("{", 1)[1].rstrip("}"))
        entries.extend(_entry(shard, entry_id, fields) for entry_id, fields in messages if fields)
    return entries


def _entry(shard: int, entry_id: str, fields: dict[str, str]) -> Queued:
    return Queued(shard=shard, entry_id=entry_id, delivery=_delivery(fields))


def _fields(d: Delivery) -> dict[FieldT, EncodableT]:
    """A delivery as stream fields (optional ones only when set, to keep entries small)."""
    fields: dict[FieldT, EncodableT] = {
        "chat_id": str(d.chat_id),
        "item_id": d.item_id,
        "rule": d.rule,
    }
    if d.story_id and d.story_id != d.item_id:
        fields["story_id"] = d.story_id
    if d.update:
        fields["update"] = "1"
    if d.words:
        fields["words"] = " ".join(d.words)
    if d.folded:
        fields["folded"] = json.dumps(d.folded)
    return fields


def _delivery(fields: dict[str, str]) -> Delivery:
    return Delivery(
        chat_id=int(fields["chat_id"]),
        item_id=fields["item_id"],
        rule=fields.get("rule", ""),
        story_id=fields.get("story_id", ""),
        update=fields.get("update") == "1",
        words=tuple(fields.get("words", "").split()),
        folded=tuple(json.loads(fields["folded"])) if "folded" in fields else (),
    )
