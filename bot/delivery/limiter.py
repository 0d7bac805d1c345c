"""Command replies within Telegram's limits: a 429 for one chat holds that chat only.

python-telegram-bot's AIORateLimiter pauses every request of the bot while it waits out one
429, so a group that hit its 20 messages a minute made every other chat's reply (and, when the
sender shared the bot, every alert) wait 10 to 40 s. Here the wait belongs to the chat Telegram
named: its requests wait and are retried, everyone else's go at once. Alerts do not pass
through this limiter: the sender keeps its own limits in Redis, shared by all senders, and
sees each 429 itself. Each message a reply sends or edits takes a slot of the bot-wide limit
the senders share (`slot`), so replies and alerts together stay under Telegram's 30 a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from typing_extensions import override

from bot.delivery.transport import retry_seconds

log = logging.getLogger(__name__)

MAX_RETRIES = 2  # a reply asked to wait is tried this many times more
MAX_WAIT = 60.0  # seconds: a reply that would wait longer is given up (the user has moved on)
HOLDS_KEPT = 1000  # chats on hold remembered before the expired holds are swept

Outcome = Callable[[str], Awaitable[None]]  # told "flood" or "retried", for /stats; must not raise
Slot = Callable[[], Awaitable[float]]  # books a bot-wide slot: seconds until it; must not raise
MESSAGES = ("send", "edit", "copy", "forward")  # the methods Telegram counts as messages


class ChatRateLimiter(BaseRateLimiter[int]):
    """Holds a chat for as long as Telegram asked after a 429, and retries its request then."""

    def __init__(
        self,
        on_outcome: Outcome | None = None,
        *,
        slot: Slot | None = None,
        max_retries: int = MAX_RETRIES,
        max_wait: float = MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Retry a request up to `max_retries` times; tell `on_outcome` each 429 and retry.

        Each message waits for a slot booked by `slot` first (none: no bot-wide limit here).
        """
        self._on_outcome = on_outcome
        self._slot = slot
        self._max_retries = max_retries
        self._max_wait = max_wait
        self._clock = clock
        self._held: dict[str, float] = {}  # chat -> when Telegram takes its messages again

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    @override
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send one request, after its chat's hold; on a 429, hold the chat and try again."""
        chat = data.get("chat_id")
        key = None if chat is None else str(chat)
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            await self._wait_for(key)
            if self._slot is not None and endpoint.startswith(MESSAGES):
                wait = await self._slot()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = retry_seconds(exc.retry_after)
                await self._tell("flood")
                if key is not None:
                    self._hold(key, delay)
                if attempt >= retries or delay > self._max_wait:
                    log.warning(
                        "Telegram asks to wait %.0f s for %s to chat %s: not retried",
                        delay, endpoint, key,
                    )  # fmt: skip
                    raise
                attempt += 1
                await self._tell("retried")
                log.info("Telegram asks to wait %.0f s for chat %s: retrying then", delay, key)
                if key is None:
                    await asyncio.sleep(delay)

    def held_until(self, chat_id: int | str) -> float:
        """When a chat's requests may go again (on the limiter's clock; past if not held)."""
        return self._held.get(str(chat_id), 0.0)

    async def _wait_for(self, key: str | None) -> None:
        """Sleep until the chat's hold ends (other chats never wait here)."""
        if key is None:
            return
        # Again after each sleep: another 429 for the chat may have made the hold longer.
        while (wait := self._held.get(key, 0.0) - self._clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    def _hold(self, key: str, delay: float) -> None:
        now = self._clock()
        if len(self._held) >= HOLDS_KEPT:
            self._held = {chat: end for chat, end in self._held.items() if end > now}
        self._held[key] = max(self._held.get(key, 0.0), now + delay)

    async def _tell(self, outcome: str) -> None:
        if self._on_outcome is None:
            return
        await self._on_outcome(outcome)
