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
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot import metrics
from bot.core.models import ChatView, Delivery, Item
from bot.core.timing import hold_until, quiet_end
from bot.delivery.render import Alert, render_alert, render_burst, render_digest
from bot.delivery.transport import ChatGone, ChatMoved, Rejected, RetryLater, Transport
from bot.i18n import DEFAULT_LANG
from bot.store import Store, keys
from bot.store.connection import REDIS_ERRORS
from bot.store.counters import Event
from bot.store.deliveries import DIGESTED, GONE, Claim, Entry
from bot.store.held import Held, digest_id
from bot.store.ratelimit import RateLimiter, bot_bucket, chat_bucket
from bot.store.senders import fair_share

log = logging.getLogger(__name__)
T = TypeVar("T")

# How the shared counters' events are named in the Prometheus metric's outcome label.
OUTCOMES = {
    Event.SENT: "sent",
    Event.EDITS: "edited",
    Event.FLOODS: "flood",
    Event.SEND_RETRIES: "retried",
    Event.DEAD: "dead",
}

READ_BATCH = 100
IDLE_READ_MS = 1000  # an idle sender waits this long in one blocking read (under MAINTAIN_EVERY)
QUEUE_HIGH_WATER = 300  # entries read ahead and waiting in memory, at most
MAINTAIN_EVERY = 2.0  # seconds between heartbeats, lease renewals and rebalancing
BACKLOG_EVERY = 30.0  # seconds between backlog checks
MAX_BACKOFF = 60.0
# How late a message may still go after its bot-wide slot. Telegram counts 30 messages in any
# one second; at Limits.per_second (27) 31 slots span 30 / 27 = 1.111 s, so 111 ms of delay
# between our slots and Telegram's count is what it takes to put a 31st message into one second
# (at 28.5 the 53 ms left were used up on a loaded 2-core CI machine).
# Being late at the slot may use part of that; the rest is for the way there (the HTTP client,
# the network, Telegram's intake), where a loaded machine adds tens of milliseconds.
LATE_SLOT = 0.015


@dataclass(frozen=True)
class Limits:
    """Telegram's limits, with a margin (its counting and ours do not start at the same time)."""

    per_second: float = 27.0  # the whole bot (Telegram: about 30 a second; the rest is for jitter)
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
        self._digesting: set[int] = set()  # chats whose digest this sender is building
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
        groups_checked = False
        try:
            while not stop.is_set():
                try:
                    if not groups_checked:
                        # Again after every Redis error: a server back without its data (no
                        # AOF) has lost the streams' consumer groups (reads answer NOGROUP).
                        await self._queue.ensure_groups()
                        groups_checked = True
                    if time.monotonic() >= next_maintenance:
                        await self._maintain(everything)
                        next_maintenance = time.monotonic() + MAINTAIN_EVERY
                    read = await self._fill()
                    pause = 0.0
                except REDIS_ERRORS:
                    pause = min(30.0, max(0.5, pause * 2))
                    log.warning("sender cannot reach Redis; retrying in %.1f s", pause)
                    self._forget_shards()
                    await self._sleep(stop, pause)
                    next_maintenance = 0.0
                    groups_checked = False
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
        await self._start_digests()
        if time.monotonic() >= self._next_backlog_check:
            self._next_backlog_check = time.monotonic() + BACKLOG_EVERY
            await self._check_backlog()

    async def _start_digests(self) -> None:
        """Start building the digests that are due (each chat's by one sender, under a lease)."""
        free = self._concurrency - len(self._tasks)
        if free <= 0:
            return
        for chat_id, due in await self._store.held.due(datetime.now(UTC), free):
            if chat_id in self._digesting or not await self._store.held.lease(
                chat_id, self.consumer
            ):
                continue
            self._digesting.add(chat_id)
            task = asyncio.create_task(self._digest(chat_id, due))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _digest(self, chat_id: int, due: float) -> None:
        """Send a chat's held alerts as one message (or put them off, or drop them if paused)."""
        held = self._store.held
        try:
            await self._send_digest(chat_id, due)
        except REDIS_ERRORS:
            pass  # the main loop notices Redis is away; the digest stays due
        except Exception:
            log.exception("digest for chat %s failed unexpectedly", chat_id)
            with contextlib.suppress(*REDIS_ERRORS):
                await held.reschedule(chat_id, datetime.now(UTC) + timedelta(seconds=MAX_BACKOFF))
        finally:
            self._digesting.discard(chat_id)
            with contextlib.suppress(*REDIS_ERRORS):
                await held.release(chat_id)

    async def _send_digest(self, chat_id: int, due: float) -> None:
        store, queue, held = self._store, self._queue, self._store.held
        entries = await held.held(chat_id)
        members = [entry.member for entry in entries]
        chat = await self._target(chat_id)
        now = datetime.now(UTC)
        if chat is None or chat.is_paused(now) or not entries:
            await held.done(chat_id, members)  # gone, or paused: held alerts are not kept
            return
        later = quiet_end(chat, now)
        if later is not None:  # quiet hours began (or were set) since: wait for their end
            await held.reschedule(chat_id, later)
            return
        marker = Delivery(chat_id=chat_id, item_id=digest_id(due), rule="")
        if await queue.send_state(marker, self.consumer) is Claim.SENT:
            await self._digest_done(chat, members, entries)  # sent before a crash: finish up
            return
        stories: dict[str, tuple[Item, str, int]] = {}
        items = await store.items.many([entry.delivery.item_id for entry in entries])
        for entry in entries:
            item = items.get(entry.delivery.item_id)
            if item is not None and entry.delivery.story not in stories:
                outlets = await store.stories.outlets(entry.delivery.story)
                stories[entry.delivery.story] = (item, item.feed_id, max(0, len(outlets) - 1))
        if not stories:
            await held.done(chat_id, members)  # every item expired
            return
        names = await store.catalog.names(item.feed_id for item, _, _ in stories.values())
        lines = [(item, names.get(feed, feed), others) for item, feed, others in stories.values()]
        html = render_digest(lines, lang=chat.lang or DEFAULT_LANG, tz=chat.tz, now=now)
        wait = await self._limiter.acquire(
            chat_bucket(chat.chat_id), self._limits.chat_interval(chat.chat_id)
        )
        if wait:  # the chat's turn has not come: the digest stays due for the next round
            return
        await self._bot_slot()
        if await queue.claim_send(marker, self.consumer) is not Claim.OURS:
            return  # another sender has it
        try:
            message_id = await self._timed(self._transport.send(chat.chat_id, html))
        except RetryLater as exc:
            await queue.release_send(marker, self.consumer)
            await self._not_taken(chat.chat_id, exc)
            await held.reschedule(chat_id, now + timedelta(seconds=max(exc.delay, 1.0)))
            return
        except ChatGone:
            await store.chats.deactivate(chat.chat_id)
            await held.done(chat_id, members)
            return
        except ChatMoved as moved:
            await queue.release_send(marker, self.consumer)
            await store.chats.migrate(chat.chat_id, moved.new_chat_id)
            return  # still due: the next round sends it to the new chat
        except Rejected as exc:
            log.error("digest for chat %s refused by Telegram, dropped: %s", chat_id, exc)
            await held.done(chat_id, members)
            return
        self.sent += 1
        await queue.mark_sent(marker, message_id)
        await self._digest_done(chat, members, entries)
        await self._count(Event.SENT)

    async def _digest_done(self, chat: ChatView, members: list[str], entries: list[Held]) -> None:
        """Mark the digest's stories told (no later alert or edit for them) and let them go."""
        queue, held = self._queue, self._store.held
        for entry in entries:
            await queue.mark_sent(entry.delivery, DIGESTED)
        if await held.done(entry.delivery.chat_id, members):
            # Alerts held while the digest went out wait for the chat's next one.
            now = datetime.now(UTC)
            await held.reschedule(entry.delivery.chat_id, hold_until(chat, now) or now)

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
        except REDIS_ERRORS:
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
            await self._count(Event.SENT)
            return None
        chat = await self._target(delivery.chat_id)
        if chat is None:  # the chat is gone: nothing more to send it
            await queue.ack(entry)
            return None
        target = chat.chat_id
        if delivery.update:
            return await self._edit(entry, chat)
        state = await queue.send_state(delivery, self.consumer)
        if state is Claim.SENT:  # a duplicate, or a retry of what went out already
            await queue.ack(entry)
            return None
        if state is Claim.BUSY:
            return 5.0  # another sender is sending it (or died doing so; the claim expires)
        now = datetime.now(UTC)
        if chat.is_paused(now):  # paused: alerts are not kept for later (/latest catches up)
            await queue.ack(entry)
            metrics.DELIVERIES.labels("dropped").inc()
            return None
        due = hold_until(chat, now)
        if due is not None:  # quiet hours or a digest: it waits with the chat's other alerts
            for held in await self._unfolded(delivery):  # a digest lists a burst's stories too
                await self._store.held.hold(held.model_copy(update={"chat_id": target}), due, now)
            await queue.ack(entry)
            metrics.DELIVERIES.labels("held").inc()
            return None
        rendered = await self._render(delivery, chat)
        if rendered is None:
            await queue.ack(entry)
            return None
        html, shown = rendered
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
        return await self._send(entry, target, html, shown)

    async def _edit(self, entry: Entry, chat: ChatView) -> float | None:
        """Edit the chat's message about a story to name the outlets that reported it since.

        Edits are bounded (keys.MAX_EDITS per message) and skipped when nothing new would show:
        several updates queued for one message become one edit, rendered when it is sent.
        """
        store, queue, delivery = self._store, self._queue, entry.delivery
        message_id = await queue.sent_message(delivery.chat_id, delivery.story)
        outlets = await store.stories.outlets(delivery.story)
        edits = await queue.edits(delivery.chat_id, delivery.story)
        if message_id is None or edits.count >= keys.MAX_EDITS or len(outlets) <= edits.shown:
            await queue.ack(entry)  # never sent (held, gone), edited enough, or up to date
            return None
        rendered = await self._render(delivery, chat, outlets)
        if rendered is None:
            await queue.ack(entry)
            return None
        html, shown = rendered
        slot = await self._bot_slot()
        interval = self._limits.chat_interval(chat.chat_id)
        wait = await self._limiter.acquire(chat_bucket(chat.chat_id), interval)
        if wait:
            return wait
        if time.monotonic() - slot > LATE_SLOT:
            self.late += 1
            return interval
        try:
            await self._timed(self._transport.edit(chat.chat_id, message_id, html))
        except (RetryLater, ChatGone, ChatMoved) as exc:
            return await self._failed_attempt(entry, chat.chat_id, exc)
        except Rejected as exc:  # the message was deleted, or is too old to edit
            log.info("cannot edit message %s in chat %s: %s", message_id, chat.chat_id, exc)
            await queue.ack(entry)
            return None
        await queue.edited(delivery.chat_id, delivery.story, edits.count + 1, shown)
        await queue.ack(entry)
        await self._count(Event.EDITS)
        return None

    async def _failed_attempt(
        self, entry: Entry, target: int, exc: RetryLater | ChatGone | ChatMoved
    ) -> float | None:
        """What a send or edit that Telegram did not take leads to, as `_deliver` answers."""
        store, queue, delivery = self._store, self._queue, entry.delivery
        await queue.release_send(delivery, self.consumer)
        if isinstance(exc, ChatGone):
            log.info("chat %s is gone (%s): its alerts stop", target, exc)
            metrics.DELIVERIES.labels("gone").inc()
            await store.chats.deactivate(target)
            if not delivery.update:
                await queue.mark_sent(delivery, GONE)
            await queue.ack(entry)
            return None
        if isinstance(exc, ChatMoved):
            log.info("chat %s moved to %s: its subscription follows", target, exc.new_chat_id)
            await store.chats.migrate(target, exc.new_chat_id)
            if delivery.update:  # the message stayed with the old group: nothing to edit
                await queue.ack(entry)
                return None
            return 0.0  # the retry goes to the new chat
        await self._not_taken(target, exc)
        if exc.flood:
            return exc.delay
        failures = self._failures[delivery.chat_id] = self._failures.get(delivery.chat_id, 0) + 1
        log.warning("delivery to chat %s postponed: %s", target, exc)
        return min(MAX_BACKOFF, exc.delay * 2.0 ** (failures - 1))

    async def _not_taken(self, target: int, exc: RetryLater) -> None:
        """Count an attempt Telegram did not take; after a 429, hold the chat as long as asked."""
        if exc.flood:
            log.warning("Telegram asks to wait %.0f s for chat %s", exc.delay, target)
            await self._count(Event.FLOODS)
            await self._limiter.hold(chat_bucket(target), exc.delay)
        await self._count(Event.SEND_RETRIES)

    async def _send(self, entry: Entry, target: int, html: str, shown: int) -> float | None:
        """Send a claimed entry to chat `target` and record the outcome, as `_deliver` answers."""
        queue, delivery = self._queue, entry.delivery
        try:
            message_id = await self._timed(self._transport.send(target, html))
        except (RetryLater, ChatGone, ChatMoved) as exc:
            return await self._failed_attempt(entry, target, exc)
        except Rejected as exc:
            await queue.release_send(delivery, self.consumer)
            return await self._count_failure(entry, f"Telegram refused it: {exc}")
        self.sent += 1
        where = (entry.shard, entry.entry_id)
        self._unrecorded[where] = message_id  # until Redis has it
        await queue.mark_sent(delivery, message_id)
        if shown > 1:  # an edit is due only when more outlets than these report the story
            await queue.edited(delivery.chat_id, delivery.story, 0, shown)
        await queue.ack(entry)
        del self._unrecorded[where]
        await self._count(Event.SENT)
        queued_ms = int(entry.entry_id.split("-", 1)[0])
        metrics.DELIVERY_DELAY.observe(max(0.0, time.time() - queued_ms / 1000))
        return None

    async def _timed(self, call: Awaitable[T]) -> T:
        """Await a Telegram call, timing it for the send-latency metric."""
        started = time.monotonic()
        try:
            return await call
        finally:
            metrics.SEND_LATENCY.observe(time.monotonic() - started)

    async def _count(self, event: Event) -> None:
        """Count an outcome for /stats (shared, in Redis) and for Prometheus (this process)."""
        await self._store.counters.add(event)
        metrics.DELIVERIES.labels(OUTCOMES[event]).inc()

    async def _bot_slot(self) -> float:
        """Book a slot of the bot-wide limit and sleep until it; its time on the monotonic clock.

        The slot is reckoned from when the booking was asked for: Redis answered "wait this
        long" at some moment after that, so this errs early, and a late message is seen to be
        late. Reckoned from the reply, a reply held up on the way (a busy loop, a loaded
        machine) would move the slot later by as much, and a late message would pass for one
        on time.
        """
        t0 = time.monotonic()
        wait = await self._limiter.reserve(bot_bucket(), 1 / self._limits.per_second)
        slot = t0 + wait
        if wait:
            await asyncio.sleep(max(0.0, slot - time.monotonic()))
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
            await self._count(Event.DEAD)
            return None
        await self._count(Event.SEND_RETRIES)
        return min(MAX_BACKOFF, 2.0**attempts)

    async def _target(self, chat_id: int) -> ChatView | None:
        """Where a chat's alerts go now: itself, the supergroup it became, or nowhere."""
        for _ in range(3):  # a group upgraded twice is still followed
            chat = await self._store.chats.get(chat_id)
            if chat.moved_to is not None:
                chat_id = chat.moved_to
                continue
            return chat if chat.active else None
        return None

    async def _render(
        self, delivery: Delivery, chat: ChatView, outlets: list[str] | None = None
    ) -> tuple[str, int] | None:
        """The alert as the chat reads it (its language and time zone), and how many outlets.

        `outlets` are the story's, when the caller has read them already (an edit has).
        """
        store = self._store
        lang = chat.lang or DEFAULT_LANG
        if delivery.folded:
            found = await store.items.many(delivery.folded)
            items = [found[i] for i in delivery.folded if i in found]
            if not items:
                log.warning("the items of burst %s expired before it was sent", delivery.story)
                return None
            feed_id = items[0].feed_id
            source = (await store.catalog.names([feed_id])).get(feed_id, feed_id)
            return render_burst(items, source, lang=lang, tz=chat.tz), 1
        item = await store.items.get(delivery.item_id)
        if item is None:
            log.warning("item %s expired before it was sent", delivery.item_id)
            return None
        if outlets is None:
            outlets = await store.stories.outlets(delivery.story)
        names = await store.catalog.names([item.feed_id, *outlets])
        also = [names.get(feed_id, feed_id) for feed_id in outlets if feed_id != item.feed_id]
        alert = Alert(
            item=item,
            source=names.get(item.feed_id, item.feed_id),
            rule=delivery.rule,
            words=delivery.words,
            also=also,
        )
        html = render_alert(alert, lang=lang, tz=chat.tz, now=datetime.now(UTC))
        return html, max(1, len(outlets))

    async def _unfolded(self, delivery: Delivery) -> list[Delivery]:
        """A burst as the alerts it lists, each about its story; any other delivery as itself."""
        if not delivery.folded:
            return [delivery]
        found = await self._store.items.many(delivery.folded)
        return [
            Delivery(
                chat_id=delivery.chat_id,
                item_id=item_id,
                rule=delivery.rule,
                story_id=found[item_id].story_id or item_id,
            )
            for item_id in delivery.folded
            if item_id in found
        ]

    async def _shutdown(self) -> None:
        """Let sends in flight finish (briefly), then give the shards back."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(*REDIS_ERRORS):
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
