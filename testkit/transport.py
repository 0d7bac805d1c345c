"""A scripted Transport for the sender's tests: Telegram's answers without HTTP, as scripted.

Like httpx's MockTransport, it stands in at the interface the sender uses (bot/delivery's
Transport), so a test says "the next send to chat 7 is refused as gone" in one line and reads
back what was sent, edited and when. Unscripted calls succeed with increasing message ids. The
mapping from python-telegram-bot's errors to these outcomes is tested against the emulator.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal

from bot.errors import DeliveryError
from testkit.botapi import INVISIBLE, parse_html

Method = Literal["send", "edit"]


@dataclass(frozen=True)
class Call:
    """One call the sender made: which, to which chat, the HTML, when, and what it got."""

    method: Method
    chat_id: int
    html: str
    at: float  # time.monotonic() when it was made
    message_id: int  # the sent (or edited) message's id; 0 when refused
    error: DeliveryError | None = None

    @property
    def plain_text(self) -> str:
        """The text as Telegram shows it (the HTML parsed as Telegram does, strictly)."""
        return parse_html(self.html)[0]

    @property
    def visible(self) -> str:
        """The plain text without direction marks and isolates (what the eye reads)."""
        return self.plain_text.translate(INVISIBLE)


class ScriptedTransport:
    """Takes every message, except those a script says Telegram refuses (and how)."""

    def __init__(self) -> None:
        """Start with no script and nothing sent."""
        self._script: dict[tuple[Method, int | None], deque[DeliveryError]] = {}
        self.calls: list[Call] = []
        self._next_id = 1
        self._taken_one = asyncio.Condition()  # notified whenever a message is taken

    def fail(
        self, method: Method, error: DeliveryError, *, chat_id: int | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, or to any chat) with `error`."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._script.setdefault((method, chat_id), deque()).extend([error] * times)

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """The messages taken (to one chat, or to any), in order."""
        return self._taken("send", chat_id)

    def edits(self, chat_id: int | None = None) -> list[Call]:
        """The edits taken (to one chat, or to any), in order."""
        return self._taken("edit", chat_id)

    def refused(self, chat_id: int | None = None) -> list[Call]:
        """The calls answered with a scripted error, in order."""
        return [c for c in self.calls if c.error is not None and chat_id in (None, c.chat_id)]

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Call]:  # noqa: ASYNC109
        """Wait until `count` messages were taken for the chat; fail saying how many were."""
        try:
            async with asyncio.timeout(timeout), self._taken_one:
                await self._taken_one.wait_for(lambda: len(self.sent(chat_id)) >= count)
        except TimeoutError:
            got = len(self.sent(chat_id))
            raise AssertionError(
                f"{got} of {count} messages to chat {chat_id} in {timeout} s"
            ) from None
        return self.sent(chat_id)

    async def send(self, chat_id: int, html: str) -> int:
        """Take a message (returning its id), or raise what the script says."""
        self._answer("send", chat_id, html, 0)
        message_id = self._next_id
        self._next_id += 1
        self.calls.append(Call("send", chat_id, html, time.monotonic(), message_id))
        async with self._taken_one:
            self._taken_one.notify_all()
        return message_id

    async def edit(self, chat_id: int, message_id: int, html: str) -> None:
        """Take an edit, or raise what the script says."""
        self._answer("edit", chat_id, html, message_id)
        self.calls.append(Call("edit", chat_id, html, time.monotonic(), message_id))

    def _answer(self, method: Method, chat_id: int, html: str, message_id: int) -> None:
        """Raise the scripted error for this call, if there is one left (the chat's first)."""
        for key in ((method, chat_id), (method, None)):
            errors = self._script.get(key)
            if errors:
                error = errors.popleft()
                self.calls.append(Call(method, chat_id, html, time.monotonic(), 0, error))
                raise error

    def _taken(self, method: Method, chat_id: int | None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and c.error is None and chat_id in (None, c.chat_id)
        ]
