"""Digests: a chat's held alerts (quiet hours, hourly or daily digest) sent as one message.

Alerts for a chat in quiet hours or on a digest schedule are held in Redis (bot/store/held.py)
until the chat's next digest is due. Any sender may build a due digest; a lease makes it one
sender per chat. The digest's send is claimed like an alert's, so a sender that crashed after
Telegram took it finishes the bookkeeping instead of sending it again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.models import ChatView, Delivery, Item
from bot.core.timing import hold_until, quiet_end
from bot.delivery.answers import Action, Answers, timed
from bot.delivery.pacing import Pacing
from bot.delivery.render import render_digest
from bot.delivery.transport import Transport
from bot.errors import DeliveryError
from bot.i18n import DEFAULT_LANG
from bot.store import Store
from bot.store.connection import REDIS_ERRORS
from bot.store.counters import Event
from bot.store.deliveries import DIGESTED, Claim
from bot.store.held import Held, digest_id

log = logging.getLogger(__name__)

RETRY_BROKEN = 60.0  # seconds before a digest that failed unexpectedly is tried again


class Digests:
    """Builds and sends the chats' due digests, one sender per chat at a time."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        pacing: Pacing,
        answers: Answers,
        *,
        consumer: str,
        clock: Callable[[], datetime],
    ) -> None:
        """Send through `transport` within `pacing`, as `consumer`, on `clock`'s time."""
        self._store = store
        self._transport = transport
        self._pacing = pacing
        self._answers = answers
        self._consumer = consumer
        self._clock = clock
        self._building: set[int] = set()  # chats whose digest this sender is building
        self.sent = 0

    async def due(self, most: int) -> list[tuple[int, float]]:
        """Up to `most` due digests this sender now holds the lease of: (chat, due) pairs."""
        if most <= 0:
            return []
        taken: list[tuple[int, float]] = []
        for chat_id, due in await self._store.held.due(self._clock(), most):
            if chat_id in self._building or not await self._store.held.lease(
                chat_id, self._consumer
            ):
                continue
            self._building.add(chat_id)
            taken.append((chat_id, due))
        return taken

    async def send(self, chat_id: int, due: float) -> None:
        """Send a chat's held alerts as one message (or put them off, or drop them if paused)."""
        held = self._store.held
        try:
            await self._send(chat_id, due)
        except REDIS_ERRORS:
            pass  # the main loop notices Redis is away; the digest stays due
        except Exception:
            log.exception("digest for chat %s failed unexpectedly", chat_id)
            with contextlib.suppress(*REDIS_ERRORS):
                await held.reschedule(chat_id, self._clock() + timedelta(seconds=RETRY_BROKEN))
        finally:
            self._building.discard(chat_id)
            with contextlib.suppress(*REDIS_ERRORS):
                await held.release(chat_id)

    async def _send(self, chat_id: int, due: float) -> None:
        queue, held = self._store.deliveries, self._store.held
        entries = await held.held(chat_id)
        members = [entry.member for entry in entries]
        chat = await self._answers.follow(chat_id)
        now = self._clock()
        if chat is None or chat.is_paused(now) or not entries:
            await held.done(chat_id, members)  # gone, or paused: held alerts are not kept
            return
        later = quiet_end(chat, now)
        if later is not None:  # quiet hours began (or were set) since: wait for their end
            await held.reschedule(chat_id, later)
            return
        marker = Delivery(chat_id=chat_id, item_id=digest_id(due), rule="")
        if await queue.send_state(marker, self._consumer) is Claim.SENT:
            await self._done(chat_id, chat, members, entries)  # sent before a crash: finish up
            return
        html = await self._render(chat, entries, now)
        if html is None:
            await held.done(chat_id, members)  # every item expired
            return
        if await self._pacing.chat_turn(chat.chat_id):
            return  # the chat's turn has not come: the digest stays due for the next round
        await self._pacing.bot_slot()
        if await queue.claim_send(marker, self._consumer) is not Claim.OURS:
            return  # another sender has it
        try:
            message_id = await timed(self._transport.send(chat.chat_id, html))
        except DeliveryError as exc:
            await queue.release_send(marker, self._consumer)
            verdict = await self._answers.take(chat.chat_id, exc)
            if verdict.action is Action.RETRY:
                await held.reschedule(chat_id, now + timedelta(seconds=max(verdict.delay, 1.0)))
            elif verdict.action is Action.REFUSED:
                log.error("digest for chat %s refused by Telegram, dropped: %s", chat_id, exc)
                await held.done(chat_id, members)
            elif verdict.action is Action.GONE:
                await held.done(chat_id, members)
            # MOVED: still due; the next round sends it to the new chat
            return
        self.sent += 1
        await queue.mark_sent(marker, message_id)
        await self._done(chat_id, chat, members, entries)
        await self._answers.count(Event.SENT)

    async def _render(self, chat: ChatView, entries: list[Held], now: datetime) -> str | None:
        """The digest as the chat reads it: a line per story (its first report), or None."""
        store = self._store
        stories: dict[str, tuple[Item, str, int]] = {}
        items = await store.items.many([entry.delivery.item_id for entry in entries])
        for entry in entries:
            item = items.get(entry.delivery.item_id)
            if item is not None and entry.delivery.story not in stories:
                outlets = await store.stories.outlets(entry.delivery.story)
                stories[entry.delivery.story] = (item, item.feed_id, max(0, len(outlets) - 1))
        if not stories:
            return None
        names = await store.catalog.names(item.feed_id for item, _, _ in stories.values())
        lines = [(item, names.get(feed, feed), others) for item, feed, others in stories.values()]
        return render_digest(lines, lang=chat.lang or DEFAULT_LANG, tz=chat.tz, now=now)

    async def _done(
        self, chat_id: int, chat: ChatView, members: list[str], entries: list[Held]
    ) -> None:
        """Mark the digest's stories told (no later alert or edit for them) and let them go.

        `chat_id` is the chat the alerts were held for; `chat` is where they went (the
        supergroup it became, if it moved).
        """
        queue, held = self._store.deliveries, self._store.held
        for entry in entries:
            await queue.mark_sent(entry.delivery, DIGESTED)
        if await held.done(chat_id, members):
            # Alerts held while the digest went out wait for the chat's next one.
            now = self._clock()
            await held.reschedule(chat_id, hold_until(chat, now) or now)
