"""The sender: reads the delivery stream as a consumer-group member and sends each alert once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from bot.core.models import Delivery
from bot.delivery.render import render_alert
from bot.delivery.transport import ChatGone, Rejected, RetryLater, Transport
from bot.store import Store
from bot.store.deliveries import Entry

log = logging.getLogger(__name__)

BATCH = 50
RECLAIM_IDLE_MS = 60_000  # a delivery unacked this long belonged to a sender that died
MAX_RETRY_DELAY = 30.0


def consumer_name() -> str:
    """A name unique to this process within the senders' group."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Sender:
    """Sends deliveries in stream order; acks only after Telegram took the message."""

    def __init__(self, store: Store, transport: Transport, *, consumer: str | None = None) -> None:
        """Send through `transport`, as consumer `consumer` of the senders' group."""
        self._store = store
        self._transport = transport
        self.consumer = consumer or consumer_name()
        self.sent = 0

    async def run(self, stop: asyncio.Event, block_ms: int = 1000) -> None:
        """Send until `stop` is set; while Redis is away, wait and try again."""
        delay = 0.0
        group_ready = False  # a Redis that restarted without its data lost the group too
        while not stop.is_set():
            try:
                if not group_ready:
                    await self._store.deliveries.ensure_group()
                    group_ready = True
                await self.step(block_ms)
                delay = 0.0
            except Exception:  # Redis away or a bug: log it, back off, keep the sender alive
                group_ready = False
                delay = min(MAX_RETRY_DELAY, max(0.5, delay * 2))
                log.exception("sender step failed; retrying in %.1f s", delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)

    async def step(self, block_ms: int | None) -> int:
        """One round: retry our unacked entries, take over abandoned ones, then read new ones."""
        queue = self._store.deliveries
        entries = await queue.pending(self.consumer, BATCH)
        entries += await queue.reclaim(self.consumer, RECLAIM_IDLE_MS, BATCH)
        if not entries:
            entries = await queue.read(self.consumer, BATCH, block_ms)
        delay = 0.0
        for entry in entries:
            try:
                await self.handle(entry)
            except RetryLater as exc:
                log.warning("delivery to chat %s postponed: %s", entry.delivery.chat_id, exc)
                delay = max(delay, exc.delay)
        if delay:
            await asyncio.sleep(delay)
        return len(entries)

    async def drain(self, max_rounds: int = 100) -> int:
        """Send everything queued now and return how many entries were handled (demo, tests)."""
        await self._store.deliveries.ensure_group()
        handled = 0
        for _ in range(max_rounds):
            count = await self.step(block_ms=None)
            if not count:
                break
            handled += count
        return handled

    async def handle(self, entry: Entry) -> None:
        """Send one delivery, or drop it when it was already sent or cannot be sent any more."""
        store, delivery = self._store, entry.delivery
        if await store.deliveries.was_sent(delivery):
            await store.deliveries.ack(entry.entry_id)
            return
        html = await self._render(delivery)
        chat = await store.chats.get(delivery.chat_id)
        if html is None or not chat.active:
            await store.deliveries.ack(entry.entry_id)
            return
        try:
            await self._transport.send(delivery.chat_id, html)
        except ChatGone as exc:
            log.info("chat %s is gone (%s): its alerts stop", delivery.chat_id, exc)
            await store.chats.deactivate(delivery.chat_id)
        except Rejected as exc:
            log.error(
                "Telegram refused item %s for chat %s: %s", delivery.item_id, delivery.chat_id, exc
            )
        else:
            await store.deliveries.mark_sent(delivery)
            self.sent += 1
        await store.deliveries.ack(entry.entry_id)

    async def _render(self, delivery: Delivery) -> str | None:
        item = await self._store.items.get(delivery.item_id)
        if item is None:
            log.warning("item %s expired before it was sent", delivery.item_id)
            return None
        feed = await self._store.catalog.get(item.feed_id)
        return render_alert(item, feed.name if feed else item.feed_id, delivery.rule)
