"""How a rendered alert leaves the process: Telegram through python-telegram-bot, or a console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.errors import ChatGone, ChatMoved, Rejected, RetryLater

# The outcomes are defined with the other errors (bot/errors.py) and offered here too, beside
# the Transport that raises them.
__all__ = [
    "ChatGone",
    "ChatMoved",
    "Rejected",
    "RetryLater",
    "TelegramTransport",
    "Transport",
    "retry_seconds",
]


class Transport(Protocol):
    """Sends or edits one HTML message, raising ChatGone, ChatMoved, RetryLater or Rejected."""

    async def send(self, chat_id: int, html: str) -> int:
        """Send `html` to `chat_id`; return the sent message's id."""

    async def edit(self, chat_id: int, message_id: int, html: str) -> None:
        """Replace the text of a message sent earlier (no change is not an error)."""


class TelegramTransport:
    """Sends with python-telegram-bot and turns its errors into the outcomes above."""

    def __init__(self, bot: Bot, *, link_preview: bool = False, network_delay: float = 5.0) -> None:
        """Send through `bot`; after a network error or a 5xx, retry in `network_delay` s."""
        self._bot = bot
        self._network_delay = network_delay
        self._preview = LinkPreviewOptions(is_disabled=not link_preview)

    async def send(self, chat_id: int, html: str) -> int:
        """Send one message as HTML."""
        with self._outcomes():
            message = await self._bot.send_message(
                chat_id, html, parse_mode=ParseMode.HTML, link_preview_options=self._preview
            )
        return message.message_id

    async def edit(self, chat_id: int, message_id: int, html: str) -> None:
        """Edit one message's HTML text."""
        try:
            with self._outcomes():
                await self._bot.edit_message_text(
                    html,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=self._preview,
                )
        except Rejected as exc:
            if "not modified" not in str(exc).lower():  # the text already reads so: done
                raise

    @contextmanager
    def _outcomes(self) -> Iterator[None]:
        """Turn python-telegram-bot's errors into the outcomes the sender acts on."""
        try:
            yield
        except RetryAfter as exc:
            raise RetryLater(
                "Telegram flood limit", retry_seconds(exc.retry_after), flood=True
            ) from None
        except Forbidden as exc:
            raise ChatGone(exc.message) from None
        except ChatMigrated as exc:
            raise ChatMoved(int(exc.new_chat_id)) from None
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise ChatGone(exc.message) from None
            raise Rejected(exc.message) from None
        except NetworkError as exc:  # includes TimedOut and Telegram's 5xx answers
            # A 5xx message carries the whole HTML error page: its first line says enough.
            reason = " ".join(exc.message.split())[:120]
            raise RetryLater(f"network: {reason}", self._network_delay) from None


def retry_seconds(value: object) -> float:
    """Telegram's retry_after as seconds (python-telegram-bot gives a timedelta or an int)."""
    total_seconds = getattr(value, "total_seconds", None)
    if callable(total_seconds):
        return float(total_seconds())
    return float(value) if isinstance(value, int | float) else 5.0
