"""The sender: sends every queued alert once, in order per chat, within Telegram's limits.

Any number of senders share the work. Each holds a fair share of the delivery shards by lease
(shards.py: a chat's alerts all go to one shard, so they are sent in order), takes over what a
dead sender left unacknowledged, and counts every message against Telegram's limits in Redis
(pacing.py), so the limits hold for all senders together. Here is the send loop: a queue per
chat, so a chat that Telegram asks to wait (429) waits alone and the others go on. What
Telegram's answers mean is decided in answers.py, for alerts and digests (digests.py) alike.
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
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from bot import metrics
from bot.core.models import ChatView, Delivery
from bot.core.timing import hold_until, utcnow
from bot.delivery.answers import Action, Answers, Verdict, timed
from bot.delivery.digests import Digests
from bot.delivery.pacing import Pacing, SendLimits
from bot.delivery.render import Alert, render_alert, render_burst
from bot.delivery.shards import Shards
from bot.delivery.transport import Transport
from bot.errors import DeliveryError, Rejected
from bot.i18n import DEFAULT_LANG
from bot.store import Store, keys
from bot.store.connection import REDIS_ERRORS
from bot.store.counters import Event
from bot.store.deliveries import GONE, Claim, Queued

__all__ = ["Sender", "consumer_name"]

log = logging.getLogger(__name__)

READ_BATCH = 100
IDLE_READ_MS = 1000  # an idle sender waits this long in one blocking read (under MAINTAIN_EVERY)
QUEUE_HIGH_WATER = 300  # entries read ahead and waiting in memory, at most
MAINTAIN_EVERY = 2.0  # seconds between heartbeats, lease renewals and rebalancing
BACKLOG_EVERY = 30.0  # seconds between backlog checks
MAX_BACKOFF = 60.0
BUSY_WAIT = 5.0  # seconds before looking again at an alert another sender is sending


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
        limits: SendLimits | None = None,
        lease_seconds: float = 15.0,
        max_attempts: int = 5,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """Send through `transport` as consumer `consumer`, `concurrency` messages at a time.

        `clock` tells the time of day (quiet hours, digests, pauses, heartbeats); waits and
        rate slots are measured on the monotonic clock.
        """
        self._store = store
        self._queue = store.deliveries
        self._transport = transport
        self.consumer = consumer or consumer_name()
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._clock = clock
        self._pacing = Pacing(store.limiter, limits or SendLimits())
        self._answers = Answers(store, self._pacing)
        self._shards = Shards(
            store.senders,
            self._queue,
            self.consumer,
            lease_ms=int(lease_seconds * 1000),
            clock=clock,
        )
        self._digests = Digests(
            store, transport, self._pacing, self._answers, consumer=self.consumer, clock=clock
        )
        self._chats: dict[int, deque[Queued]] = {}  # in the order their alerts were queued
        self._ready_at: dict[int, float] = {}  # chat -> when it may be tried again
        self._busy: set[int] = set()  # chats with a send in flight
        self._tasks: set[asyncio.Task[None]] = set()
        self._failures: dict[int, int] = {}  # chat -> transient failures in a row
        # Entries Telegram took while Redis could not record it: recorded, never resent.
        # Keyed by shard too: entry ids are unique only within one stream.
        self._unrecorded: dict[tuple[int, str], int] = {}
        self._queued = 0
        self._next_backlog_check = 0.0
        self._sent = 0
        self.handled = 0

    @property
    def sent(self) -> int:
        """Messages this sender sent (alerts and digests)."""
        return self._sent + self._digests.sent

    @property
    def late(self) -> int:
        """Messages that missed their bot-wide slot and went back to wait."""
        return self._pacing.late

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; while Redis is away, wait and try again."""
        await self._work(stop, everything=False)

    async def drain(self, within: float = 60.0) -> int:
        """Hold every shard and send what is queued now; return how many entries were handled.

        It returns as soon as nothing is queued or in flight (it does not wait for more).
        """
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
                    read = await self._fill(block=not everything)
                    pause = 0.0
                except REDIS_ERRORS:
                    pause = min(30.0, max(0.5, pause * 2))
                    log.warning("sender cannot reach Redis; retrying in %.1f s", pause)
                    self._shards.forget()
                    self._keep_owned()
                    await self._sleep(stop, pause)
                    next_maintenance = 0.0
                    groups_checked = False
                    continue
                self._dispatch()
                if not self._queued and not self._tasks:
                    if everything and not read:
                        return  # drained
                    if self._shards.owned:
                        continue  # the next read waits for new entries
                await self._wait(stop, idle=not self._queued and not self._tasks)
        finally:
            await self._shutdown()

    async def _maintain(self, everything: bool) -> None:
        """Keep our shards (and take their leftovers), start due digests, watch the backlog."""
        leftovers = await self._shards.keep(everything=everything, in_use=self._shard_in_use)
        self._keep_owned()
        self._enqueue(leftovers)
        for chat_id, due in await self._digests.due(self._concurrency - len(self._tasks)):
            self._start(self._digests.send(chat_id, due))
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

    def _keep_owned(self) -> None:
        """Let go of entries of shards no longer ours: they stay pending for the next holder."""
        owned = self._shards.owned
        for chat_id, entries in list(self._chats.items()):
            kept = deque(e for e in entries if e.shard in owned)
            self._queued -= len(entries) - len(kept)
            if kept:
                self._chats[chat_id] = kept
            else:
                del self._chats[chat_id]

    async def _fill(self, *, block: bool) -> int:
        """Read new entries from our shards while there is room; return how many were read.

        Idle and allowed to `block`, the read itself is the wait: a new alert is picked up the
        moment it is queued. A drain never blocks: it sends what is there and returns.
        """
        owned = self._shards.owned
        if not owned or self._queued >= QUEUE_HIGH_WATER:
            return 0
        idle = not self._queued and not self._tasks
        entries = await self._queue.read(
            sorted(owned), self.consumer, READ_BATCH, IDLE_READ_MS if idle and block else None
        )
        self._enqueue(entries)
        return len(entries)

    def _enqueue(self, entries: list[Queued]) -> None:
        for entry in entries:
            self._chats.setdefault(entry.delivery.chat_id, deque()).append(entry)
        self._queued += len(entries)

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as one of the sender's tasks (waited for by the loop and at shutdown)."""
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _dispatch(self) -> None:
        """Start sends for chats whose turn it is, oldest queued first, up to the concurrency."""
        now = time.monotonic()
        for chat_id, entries in list(self._chats.items()):
            if len(self._tasks) >= self._concurrency:
                return
            if chat_id in self._busy or self._ready_at.get(chat_id, 0.0) > now:
                continue
            self._busy.add(chat_id)
            self._start(self._attempt(chat_id, entries[0]))

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

    async def _attempt(self, chat_id: int, entry: Queued) -> None:
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

    async def _deliver(self, entry: Queued) -> float | None:
        """Send one entry. None: it is done (sent, gone or dead-lettered); else seconds to wait."""
        queue, delivery = self._queue, entry.delivery
        where = (entry.shard, entry.entry_id)
        if where in self._unrecorded:
            await queue.mark_sent(delivery, self._unrecorded[where])
            await queue.ack(entry)
            del self._unrecorded[where]
            await self._answers.count(Event.SENT)
            return None
        chat = await self._answers.follow(delivery.chat_id)
        if chat is None:  # the chat is gone: nothing more to send it
            await queue.ack(entry)
            return None
        if delivery.update:
            return await self._edit(entry, chat)
        state = await queue.send_state(delivery, self.consumer)
        if state is Claim.SENT:  # a duplicate, or a retry of what went out already
            await queue.ack(entry)
            return None
        if state is Claim.BUSY:
            return BUSY_WAIT  # another sender is sending it (or died doing so; the claim expires)
        now = self._clock()
        if chat.is_paused(now):  # paused: alerts are not kept for later (/latest catches up)
            await queue.ack(entry)
            metrics.DELIVERIES.labels("dropped").inc()
            return None
        due = hold_until(chat, now)
        if due is not None:  # quiet hours or a digest: it waits with the chat's other alerts
            for held in await self._unfolded(delivery):  # a digest lists a burst's stories too
                update = {"chat_id": chat.chat_id}
                await self._store.held.hold(held.model_copy(update=update), due, now)
            await queue.ack(entry)
            metrics.DELIVERIES.labels("held").inc()
            return None
        return await self._alert(entry, chat)

    async def _alert(self, entry: Queued, chat: ChatView) -> float | None:
        """Render an alert, wait for its slots, claim it and send it, as `_deliver` answers."""
        queue, delivery = self._queue, entry.delivery
        rendered = await self._rendered(entry, chat)
        if rendered is None:
            return None
        html, shown = rendered
        slot, wait = await self._pacing.turn(chat.chat_id)
        if wait:
            return wait
        # Claimed only now: a sender killed while waiting for a slot blocks nobody.
        claim = await queue.claim_send(delivery, self.consumer)
        if claim is Claim.SENT:
            await queue.ack(entry)
            return None
        if claim is Claim.BUSY:
            return BUSY_WAIT
        if self._pacing.missed(slot):
            # Sent now, this message would bunch with the ones sent on time: it starts over
            # after the chat's interval.
            await queue.release_send(delivery, self.consumer)
            return self._pacing.limits.chat_interval(chat.chat_id)
        return await self._send(entry, chat.chat_id, html, shown)

    async def _send(self, entry: Queued, target: int, html: str, shown: int) -> float | None:
        """Send a claimed entry to chat `target` and record the outcome, as `_deliver` answers."""
        queue, delivery = self._queue, entry.delivery
        try:
            message_id = await timed(self._transport.send(target, html))
        except DeliveryError as exc:
            await queue.release_send(delivery, self.consumer)
            verdict = await self._answers.take(target, exc)
            if verdict.action is Action.GONE:
                await queue.mark_sent(delivery, GONE)
            return await self._settle(entry, verdict)
        self._sent += 1
        where = (entry.shard, entry.entry_id)
        self._unrecorded[where] = message_id  # until Redis has it
        await queue.mark_sent(delivery, message_id)
        if shown > 1:  # an edit is due only when more outlets than these report the story
            await queue.edited(delivery.chat_id, delivery.story, 0, shown)
        await queue.ack(entry)
        del self._unrecorded[where]
        await self._answers.count(Event.SENT)
        queued_ms = int(entry.entry_id.split("-", 1)[0])
        metrics.DELIVERY_DELAY.observe(max(0.0, time.time() - queued_ms / 1000))
        return None

    async def _edit(self, entry: Queued, chat: ChatView) -> float | None:
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
        rendered = await self._rendered(entry, chat, outlets)
        if rendered is None:
            return None
        html, shown = rendered
        slot, wait = await self._pacing.turn(chat.chat_id)
        if wait:
            return wait
        if self._pacing.missed(slot):
            return self._pacing.limits.chat_interval(chat.chat_id)
        try:
            await timed(self._transport.edit(chat.chat_id, message_id, html))
        except Rejected as exc:  # the message was deleted, or is too old to edit
            log.info("cannot edit message %s in chat %s: %s", message_id, chat.chat_id, exc)
            await queue.ack(entry)
            return None
        except DeliveryError as exc:
            return await self._settle(entry, await self._answers.take(chat.chat_id, exc))
        await queue.edited(delivery.chat_id, delivery.story, edits.count + 1, shown)
        await queue.ack(entry)
        await self._answers.count(Event.EDITS)
        return None

    async def _settle(self, entry: Queued, verdict: Verdict) -> float | None:
        """Carry out a verdict on a stream entry, as `_deliver` answers (None: it is done)."""
        delivery = entry.delivery
        match verdict.action:
            case Action.GONE:
                await self._queue.ack(entry)
                return None
            case Action.MOVED if delivery.update:  # the message stayed with the old group
                await self._queue.ack(entry)
                return None
            case Action.MOVED:
                return 0.0  # the retry goes to the new chat
            case Action.REFUSED:
                return await self._count_failure(entry, f"Telegram refused it: {verdict.reason}")
        if verdict.flood:
            return verdict.delay
        failures = self._failures[delivery.chat_id] = self._failures.get(delivery.chat_id, 0) + 1
        log.warning("delivery to chat %s postponed: %s", delivery.chat_id, verdict.reason)
        return min(MAX_BACKOFF, verdict.delay * 2.0 ** (failures - 1))

    async def _count_failure(self, entry: Queued, reason: str) -> float | None:
        """Count a failed attempt; the entry is dead-lettered when it has failed too often."""
        attempts = await self._queue.failed(entry)
        if attempts >= self._max_attempts:
            log.error(
                "delivery of %s to chat %s failed %d times, dead-lettered: %s",
                entry.delivery.item_id, entry.delivery.chat_id, attempts, reason,
            )  # fmt: skip
            await self._queue.dead_letter(entry, reason, attempts)
            await self._answers.count(Event.DEAD)
            return None
        await self._answers.count(Event.SEND_RETRIES)
        return min(MAX_BACKOFF, 2.0**attempts)

    async def _rendered(
        self, entry: Queued, chat: ChatView, outlets: list[str] | None = None
    ) -> tuple[str, int] | None:
        """The entry's message rendered; None when its items expired (the entry is then done)."""
        rendered = await self._render(entry.delivery, chat, outlets)
        if rendered is None:
            await self._queue.ack(entry)
        return rendered

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
        html = render_alert(alert, lang=lang, tz=chat.tz, now=self._clock())
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
            await self._shards.give_back()
        self._shards.forget()
        log.info(
            "sender %s stopped: %d sent, %d late for their slot",
            self.consumer,
            self.sent,
            self.late,
        )
