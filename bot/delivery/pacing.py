"""Telegram's limits as the sender keeps them: a bot-wide slot, then the chat's turn.

Both are kept in Redis (bot/store/ratelimit.py), so they hold for every sender together. The
bot slot is booked ahead: each waiting task holds one booking and sleeps until it, so late
wake-ups do not lower the rate. The chat's turn is taken right before the send, so the chat's
spacing is the spacing Telegram sees.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.store.ratelimit import RateLimiter, bot_bucket, chat_bucket

# How late a message may still go after its bot-wide slot. Telegram counts 30 messages in any
# one second; at SendLimits.per_second (28.5) 31 slots span 30 / 28.5 = 1.053 s, so 53 ms of delay
# between our slots and Telegram's count is all it takes to put a 31st message into one second.
# Being late at the slot may use part of that; the rest is for the way there (the HTTP client,
# the network, Telegram's intake), where a loaded machine adds tens of milliseconds. (A lower
# rate buys more room: ALERTBOT_SEND_RATE; 28.5 keeps the fan-out at 28 a second or more.)
LATE_SLOT = 0.015


@dataclass(frozen=True)
class SendLimits:
    """Telegram's limits, with a margin (its counting and ours do not start at the same time)."""

    per_second: float = 28.5  # the whole bot (Telegram: about 30 a second; the rest is for jitter)
    private_interval: float = 1.1  # between messages to one private chat (Telegram: 1 s)
    group_interval: float = 3.1  # groups and channels (Telegram: 20 a minute)

    def chat_interval(self, chat_id: int) -> float:
        """Seconds between two messages to this chat (negative ids are groups and channels)."""
        return self.group_interval if chat_id < 0 else self.private_interval


class Pacing:
    """Books the bot-wide slots and the chats' turns of one sender, and counts late messages."""

    def __init__(self, limiter: RateLimiter, limits: SendLimits) -> None:
        """Keep `limits` through the shared buckets of `limiter`."""
        self._limiter = limiter
        self.limits = limits
        self.late = 0  # messages that missed their bot-wide slot and went back to wait

    async def bot_slot(self) -> float:
        """Book a slot of the bot-wide limit and sleep until it; its time on the monotonic clock.

        The slot is reckoned from when the booking was asked for: Redis answered "wait this
        long" at some moment after that, so this errs early, and a late message is seen to be
        late. Reckoned from the reply, a reply held up on the way (a busy loop, a loaded
        machine) would move the slot later by as much, and a late message would pass for one
        on time.
        """
        t0 = time.monotonic()
        wait = await self._limiter.reserve(bot_bucket(), 1 / self.limits.per_second)
        slot = t0 + wait
        if wait:
            await asyncio.sleep(max(0.0, slot - time.monotonic()))
        return slot

    async def turn(self, chat_id: int) -> tuple[float, float]:
        """Book the bot-wide slot, sleep until it, then take the chat's turn.

        Returns the slot (see `bot_slot`) and 0.0 when the message may go now, else the seconds
        the chat must wait. The chat's turn comes last, right before the send, so the chat's
        spacing is the spacing Telegram sees.
        """
        slot = await self.bot_slot()
        return slot, await self.chat_turn(chat_id)

    async def chat_turn(self, chat_id: int) -> float:
        """Take the chat's turn: 0.0 when a message may go to it now, else seconds to wait."""
        return await self._limiter.acquire(chat_bucket(chat_id), self.limits.chat_interval(chat_id))

    def missed(self, slot: float) -> bool:
        """Whether it is too late to send in `slot` (it would bunch with messages sent on time).

        A miss is counted: Redis held the sender up (a slow call, a reconnect) past its slot.
        """
        if time.monotonic() - slot <= LATE_SLOT:
            return False
        self.late += 1
        return True

    async def hold(self, chat_id: int, seconds: float) -> None:
        """Send nothing to the chat for `seconds` (Telegram answered 429 with retry_after)."""
        await self._limiter.hold(chat_bucket(chat_id), seconds)
