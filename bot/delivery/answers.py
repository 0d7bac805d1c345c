"""What the sender does about Telegram's answer, for alerts, edits and digests alike.

Telegram's refusals reach the sender as DeliveryErrors (bot/errors.py). `Answers.take` is the
one place that acts on one for the chat: a gone chat stops getting alerts, a group that became
a supergroup is followed, a 429 holds that chat (only) as long as Telegram asked. What the
answer then means for the message is a `Verdict` the caller carries out on its own record (an
alert's stream entry, a digest's held alerts).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from bot import metrics
from bot.core.models import ChatView
from bot.delivery.pacing import Pacing
from bot.errors import ChatGone, ChatMoved, DeliveryError, RetryLater
from bot.store import Store
from bot.store.counters import Event

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


class Action(Enum):
    """What becomes of the message Telegram did not take."""

    RETRY = "retry"  # send it again after the verdict's delay
    GONE = "gone"  # the chat is gone: nothing more goes to it
    MOVED = "moved"  # the chat became the verdict's new chat: send it there
    REFUSED = "refused"  # Telegram will never take this message


@dataclass(frozen=True)
class Verdict:
    """An action, and what it needs: the delay of a retry, the new chat of a move."""

    action: Action
    reason: str
    delay: float = 0.0
    flood: bool = False  # a 429: the delay is Telegram's, not to be stretched by backoff
    new_chat_id: int | None = None


class Answers:
    """Acts on Telegram's answers and counts the outcomes (shared in Redis, and for Prometheus)."""

    def __init__(self, store: Store, pacing: Pacing) -> None:
        """Record through `store`; hold flooded chats through `pacing`."""
        self._store = store
        self._pacing = pacing

    async def take(self, chat_id: int, error: DeliveryError) -> Verdict:
        """Act on Telegram's refusal of a message to `chat_id`, and say what becomes of it."""
        if isinstance(error, ChatGone):
            log.info("chat %s is gone (%s): its alerts stop", chat_id, error)
            metrics.DELIVERIES.labels("gone").inc()
            await self._store.chats.deactivate(chat_id)
            return Verdict(Action.GONE, str(error))
        if isinstance(error, ChatMoved):
            log.info("chat %s moved to %s: its subscription follows", chat_id, error.new_chat_id)
            await self._store.chats.migrate(chat_id, error.new_chat_id)
            return Verdict(Action.MOVED, str(error), new_chat_id=error.new_chat_id)
        if isinstance(error, RetryLater):
            if error.flood:
                log.warning("Telegram asks to wait %.0f s for chat %s", error.delay, chat_id)
                await self.count(Event.FLOODS)
                await self._pacing.hold(chat_id, error.delay)
            await self.count(Event.SEND_RETRIES)
            return Verdict(Action.RETRY, str(error), delay=error.delay, flood=error.flood)
        return Verdict(Action.REFUSED, str(error))

    async def count(self, event: Event) -> None:
        """Count an outcome for /stats (shared, in Redis) and for Prometheus (this process)."""
        await self._store.counters.add(event)
        metrics.DELIVERIES.labels(OUTCOMES[event]).inc()

    async def follow(self, chat_id: int) -> ChatView | None:
        """Where a chat's alerts go now: itself, the supergroup it became, or nowhere."""
        for _ in range(3):  # a group upgraded twice is still followed
            chat = await self._store.chats.get(chat_id)
            if chat.moved_to is not None:
                chat_id = chat.moved_to
                continue
            return chat if chat.active else None
        return None


async def timed(call: Awaitable[T]) -> T:
    """Await a Telegram call, timing it for the send-latency metric."""
    started = time.monotonic()
    try:
        return await call
    finally:
        metrics.SEND_LATENCY.observe(time.monotonic() - started)
