"""The sender: sends every queued alert once, in order per chat, within Telegram's limits.

Any number of senders share the work. Each holds a fair share of the delivery shards by lease
(a chat's alerts all go to one shard, so they are sent in order), takes over what a dead
sender left unacknowledged, and counts every message against Telegram's limits in Redis, so
the limits hold for all senders together. A chat that Telegram asks to wait (429) waits alone;
the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from bot.core.models import Delivery
from bot.delivery.render import render_alert
from bot.delivery.transport import ChatGone, ChatMoved, Rejected, RetryLater, Transport
from bot.store import Store, keys
from bot.store.counters import Event
from bot.store.deliveries import GONE, Claim, Entry
from bot.store.ratelimit import RateLimiter, bot_bucket, chat_bucket
from bot.store.senders import fair_share

log = logging.getLogger(__name__)

READ_BATCH = 100
IDLE_READ_MS = 1000  # an idle sender waits this long in one blocking read (under MAINTAIN_EVERY)
QUEUE_HIGH_WATER = 300  # entries read ahead and waiting in memory, at most
MAINTAIN_EVERY = 2.0  # seconds between heartbeats, lease renewals and rebalancing
BACKLOG_EVERY = 30.0  # seconds between backlog checks
MAX_BACKOFF = 60.0
LATE_SLOT = (
    0.05  # seconds past its bot-wide slot a message may still go (Telegram counts per second)
)


@dataclass(frozen=True)
class Limits:
    """Telegram's limits, with a margin (its counting and ours do not start at the same time)."""

    per_second: float = 28.5  # the whole bot (Telegram: about 30 a second; the rest is for jitter)
    private_interval: float = 1.1  # between messages to one private chat (Telegram: 1 s)
    group_interval: float = 3.1  # groups and channels (Telegram: 20 a minute)

    def chat_interval(self, chat_id: int) -> float:
        """Seconds between two messages to this chat (negative ids are groups and channels)."""
        return self.group_interval if chat_id < 0 else self.private_interval


def consumer_name() -> str:
    """A name unique to this sender within the senders' groups."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class Sender:
    """Reads its shards, keeps a queue per chat, and sends with bounded concurrency."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        consumer: str | None = None,
        concurrency: int = 8,
        limits: Limits | None = None,
        lease_seconds: float = 15.0,
        max_attempts: int = 5,
    ) -> None:
        """Send through `transport` as consumer `consumer`, `concurrency` messages at a time."""
        self._store = store
        self._queue = store.deliveries
        self._transport = transport
        self._registry = store.senders
        self._limiter = RateLimiter(store.redis)
        self.consumer = consumer or consumer_name()
        self._concurrency = concurrency
        self._limits = limits or Limits()
        self._lease_ms = int(lease_seconds * 1000)
        self._max_attempts = max_attempts
        self._owned: set[int] = set()
        self._chats: dict[int, deque[Entry]] = {}  # in the order their alerts were queued
        self._ready_at: dict[int, float] = {}  # chat -> when it may be tried again
        self._busy: set[int] = set()  # chats with a send in flight
        self._tasks: set[asyncio.Task[None]] = set()
        self._failures: dict[int, int] = {}  # chat -> transient failures in a row
        # Entries Telegram took while Redis could not record it: recorded, never resent.
        # Keyed by shard too: entry ids are unique only within one stream.
        self._unrecorded: dict[tuple[int, str], int] = {}
        self._queued = 0
        self._next_backlog_check = 0.0
        self.sent = 0
        self.late = 0  # messages that missed their bot-wide slot and went back to wait
        self.handled = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; while Redis is away, wait and try again."""
        await self._work(stop, everything=False)

    async def drain(self, within: float = 60.0) -> int:
        """Hold every shard and send what is queued now; return how many entries were handled."""
        before = self.handled
        stop = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._work(stop, everything=True)
        return self.handled - before

    async def _work(self, stop: asyncio.Event, *, everything: bool) -> None:
        pause = 0.0
        next_maintenance = 0.0
        try:
            await self._queue.ensure_groups()
            while not stop.is_set():
                try:
                    if time.monotonic() >= next_maintenance:
                        await self._maintain(everything)
                        next_maintenance = time.monotonic() + MAINTAIN_EVERY
                    read = await self._fill()
                    pause = 0.0
                except RedisError:
                    pause = min(30.0, max(0.5, pause * 2))
                    log.warning("sender cannot reach Redis; retrying in %.1f s", pause)
                    self._forget_shards()
                    await self._sleep(stop, pause)
                    next_maintenance = 0.0
                    continue
                self._dispatch()
                if not self._queued and not self._tasks:
                    if everything and not read:
                        return  # drained
                    if self._owned:
                        continue  # the next read waits for new entries
                await self._wait(stop, idle=not self._queued and not self._tasks)
        finally:
            await self._shutdown()

    async def _maintain(self, everything: bool) -> None:
        """Heartbeat, keep our shards, give back extras, take free ones (and their leftovers)."""
        registry = self._registry
        now_ms = int(time.time() * 1000)
        # A sender not heard for a lease's length is dead: its shards are free by then too.
        live = await registry.heartbeat(self.consumer, now_ms, stale_ms=self._lease_ms)
        share = keys.SHARDS if everything else fair_share(live)
        for shard in sorted(self._owned):
            if not await registry.renew(shard, self.consumer, self._lease_ms):
                log.warning("sender %s lost shard %d", self.consumer, shard)
                self._drop_shard(shard)
        for shard in sorted(self._owned, reverse=True):
            if len(self._owned) <= share:
                break
            if not self._shard_in_use(shard):
                await registry.release(shard, self.consumer)
                self._drop_shard(shard)
        start = secrets.randbelow(keys.SHARDS)
        for offset in range(keys.SHARDS):
            if len(self._owned) >= share:
                break
            shard = (start + offset) % keys.SHARDS
            if shard not in self._owned and await registry.claim(
                shard, self.consumer, self._lease_ms
            ):
                self._owned.add(shard)
                # What the last holder left unacknowledged comes first, oldest first.
                leftovers = await self._queue.take_over(shard, self.consumer, READ_BATCH)
                self._enqueue(leftovers)
                if leftovers:
                    log.info("shard %d: took over %d pending deliveries", shard, len(leftovers))
        if time.monotonic() >= self._next_backlog_check:
            self._next_backlog_check = time.monotonic() + BACKLOG_EVERY
            await self._check_backlog()

    async def _check_backlog(self) -> None:
        backlog = await self._queue.backlog()
        if self._queue.near_full(backlog):
            log.warning(
                "delivery backlog %d of %d: senders are falling behind (Telegram slow or down?)",
                backlog, self._queue.capacity,
            )  # fmt: skip

    def _shard_in_use(self, shard: int) -> bool:
        return any(e.shard == shard for q in self._chats.values() for e in q)

    def _drop_shard(self, shard: int) -> None:
        """Stop working on a shard: its queued entries stay pending for the next holder."""
        self._owned.discard(shard)
        for chat_id, entries in list(self._chats.items()):
            kept = deque(e for e in entries if e.shard != shard)
            self._queued -= len(entries) - len(kept)
            if kept:
                self._chats[chat_id] = kept
            else:
                del self._chats[chat_id]

    def _forget_shards(self) -> None:
        for shard in list(self._owned):
            self._drop_shard(shard)

    async def _fill(self) -> int:
        """Read new entries from our shards while there is room; return how many were read."""
        if not self._owned or self._queued >= QUEUE_HIGH_WATER:
            return 0
        idle = not self._queued and not self._tasks
        # Idle, the read itself is the wait: a new alert is picked up the moment it is queued.
        entries = await self._queue.read(
            sorted(self._owned), self.consumer, READ_BATCH, IDLE_READ_MS if idle else None
        )
        self._enqueue(entries)
        return len(entries)

    def _enqueue(self, entries: list[Entry]) -> None:
        for entry in entries:
            self._chats.setdefault(entry.delivery.chat_id, deque()).append(entry)
        self._queued += len(entries)

    def _dispatch(self) -> None:
        """Start sends for chats whose turn it is, oldest queued first, up to the concurrency."""
        now = time.monotonic()
        for chat_id, entries in list(self._chats.items()):
            if len(self._tasks) >= self._concurrency:
                return
            if chat_id in self._busy or self._ready_at.get(chat_id, 0.0) > now:
                continue
            self._busy.add(chat_id)
            task = asyncio.create_task(self._attempt(chat_id, entries[0]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _wait(self, stop: asyncio.Event, *, idle: bool) -> None:
        """Until a send finishes, a waiting chat's turn comes, or (when idle) a moment passes."""
        now = time.monotonic()
        waits = [at - now for at in self._ready_at.values() if at > now]
        timeout = min([*waits, 0.5 if idle else 0.05])
        stopped = asyncio.ensure_future(stop.wait())
        waiters: set[asyncio.Future[Any]] = {stopped, *self._tasks}
        await asyncio.wait(waiters, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    async def _attempt(self, chat_id: int, entry: Entry) -> None:
        """Try the chat's oldest entry; on success it leaves the queue, else the chat waits."""
        try:
            delay = await self._deliver(entry)
        except RedisError:
            delay = 1.0  # the main loop notices Redis is away and waits for it
        except Exception:
            log.exception("delivery to chat %s failed unexpectedly", chat_id)
            delay = await self._count_failure(entry, "unexpected error")
        finally:
            self._busy.discard(chat_id)
        if delay is None:
            entries = self._chats.get(chat_id)
            if entries and entries[0] is entry:
                entries.popleft()
                self._queued -= 1
                if not entries:
                    del self._chats[chat_id]
            self._ready_at.pop(chat_id, None)
            self._failures.pop(chat_id, None)
            self.handled += 1
        else:
            self._ready_at[chat_id] = time.monotonic() + delay

    async def _deliver(self, entry: Entry) -> float | None:
        """Send one entry. None: it is done (sent, gone or dead-lettered); else seconds to wait."""
        queue, delivery = self._queue, entry.delivery
        where = (entry.shard, entry.entry_id)
        if where in self._unrecorded:
            await queue.mark_sent(delivery, self._unrecorded[where])
            await queue.ack(entry)
            del self._unrecorded[where]
            await self._store.counters.add(Event.SENT)
            return None
        target = await self._target(delivery.chat_id)
        if target is None:  # the chat is gone: nothing more to send it
            await queue.ack(entry)
            return None
        state = await queue.send_state(delivery, self.consumer)
        if state is Claim.SENT:  # a duplicate, or a retry of what went out already
            await queue.ack(entry)
            return None
        if state is Claim.BUSY:
            return 5.0  # another sender is sending it (or died doing so; the claim expires)
        html = await self._render(delivery)
        if html is None:
            await queue.ack(entry)
            return None
        # The bot-wide slot first (shared with other senders: wait for it), then the chat's,
        # right before sending, so the chat's spacing is the spacing Telegram sees.
        slot = await self._bot_slot()
        interval = self._limits.chat_interval(target)
        wait = await self._limiter.acquire(chat_bucket(target), interval)
        if wait:
            return wait
        # Claimed only now: a sender killed while waiting for a slot blocks nobody.
        claim = await queue.claim_send(delivery, self.consumer)
        if claim is Claim.SENT:
            await queue.ack(entry)
            return None
        if claim is Claim.BUSY:
            return 5.0  # another sender is sending it (or died doing so; the claim expires)
        if time.monotonic() - slot > LATE_SLOT:
            # Redis held us up (a slow call, a reconnect) past our slot: sent now, this message
            # would bunch with the ones sent on time, so it starts over after the chat's interval.
            self.late += 1
            await queue.release_send(delivery, self.consumer)
            return interval
        return await self._send(entry, target, html)

    async def _send(self, entry: Entry, target: int, html: str) -> float | None:
        """Send a claimed entry to chat `target` and record the outcome, as `_deliver` answers."""
        store, queue, delivery = self._store, self._queue, entry.delivery
        try:
            message_id = await self._transport.send(target, html)
        except RetryLater as exc:
            await queue.release_send(delivery, self.consumer)
            if exc.flood:
                log.warning("Telegram asks to wait %.0f s for chat %s", exc.delay, target)
                await store.counters.add(Event.FLOODS)
                await self._limiter.hold(chat_bucket(target), exc.delay)
                return exc.delay
            failures = self._failures[delivery.chat_id] = (
                self._failures.get(delivery.chat_id, 0) + 1
            )
            log.warning("delivery to chat %s postponed: %s", target, exc)
            await store.counters.add(Event.SEND_RETRIES)
            return min(MAX_BACKOFF, exc.delay * 2.0 ** (failures - 1))
        except ChatGone as exc:
            log.info("chat %s is gone (%s): its alerts stop", target, exc)
            await store.chats.deactivate(target)
            await queue.mark_sent(delivery, GONE)
            await queue.ack(entry)
            return None
        except ChatMoved as moved:
            log.info("chat %s moved to %s: its subscription follows", target, moved.new_chat_id)
            await store.chats.migrate(target, moved.new_chat_id)
            await queue.release_send(delivery, self.consumer)
            return 0.0  # the retry goes to the new chat
        except Rejected as exc:
            await queue.release_send(delivery, self.consumer)
            return await self._count_failure(entry, f"Telegram refused it: {exc}")
        self.sent += 1
        where = (entry.shard, entry.entry_id)
        self._unrecorded[where] = message_id  # until Redis has it
        await queue.mark_sent(delivery, message_id)
        await queue.ack(entry)
        del self._unrecorded[where]
        await store.counters.add(Event.SENT)
        return None

    async def _bot_slot(self) -> float:
        """Book a slot of the bot-wide limit and sleep until it; its time on the monotonic clock."""
        wait = await self._limiter.reserve(bot_bucket(), 1 / self._limits.per_second)
        slot = time.monotonic() + wait
        if wait:
            await asyncio.sleep(wait)
        return slot

    async def _count_failure(self, entry: Entry, reason: str) -> float | None:
        """Count a failed attempt; the entry is dead-lettered when it has failed too often."""
        attempts = await self._queue.failed(entry)
        if attempts >= self._max_attempts:
            log.error(
                "delivery of %s to chat %s failed %d times, dead-lettered: %s",
                entry.delivery.item_id, entry.delivery.chat_id, attempts, reason,
            )  # fmt: skip
            await self._queue.dead_letter(entry, reason, attempts)
            await self._store.counters.add(Event.DEAD)
            return None
        await self._store.counters.add(Event.SEND_RETRIES)
        return min(MAX_BACKOFF, 2.0**attempts)

    async def _target(self, chat_id: int) -> int | None:
        """Where a chat's alerts go now: itself, the supergroup it became, or nowhere."""
        for _ in range(3):  # a group upgraded twice is still followed
            chat = await self._store.chats.get(chat_id)
            if chat.moved_to is not None:
                chat_id = chat.moved_to
                continue
            return chat_id if chat.active else None
        return None

    async def _render(self, delivery: Delivery) -> str | None:
        item = await self._store.items.get(delivery.item_id)
        if item is None:
            log.warning("item %s expired before it was sent", delivery.item_id)
            return None
        feed = await self._store.catalog.get(item.feed_id)
        return render_alert(item, feed.name if feed else item.feed_id, delivery.rule)

    async def _shutdown(self) -> None:
        """Let sends in flight finish (briefly), then give the shards back."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(RedisError):
            for shard in list(self._owned):
                await self._registry.release(shard, self.consumer)
            await self._registry.leave(self.consumer)
        self._owned.clear()
        log.info(
            "sender %s stopped: %d sent, %d late for their slot",
            self.consumer,
            self.sent,
            self.late,
        )
