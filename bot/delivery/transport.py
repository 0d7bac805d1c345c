"""How a rendered alert leaves the process: Telegram through python-telegram-bot, or a console."""

from __future__ import annotations

import logging
from typing import Protocol

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

log = logging.getLogger(__name__)


class ChatGone(Exception):
    """Telegram will not deliver to this chat any more (blocked, kicked, deleted, migrated)."""


class RetryLater(Exception):
    """Telegram did not take the message now; try again after `delay` seconds."""

    def __init__(self, reason: str, delay: float) -> None:
        """Keep the reason for logs and the delay for the retry."""
        super().__init__(reason)
        self.delay = delay


class Rejected(Exception):
    """Telegram refused this message for good (e.g. bad markup); retrying will not help."""


class Transport(Protocol):
    """Sends one HTML message to one chat, raising ChatGone, RetryLater or Rejected."""

    async def send(self, chat_id: int, html: str) -> None:
        """Send `html` to `chat_id`."""


class TelegramTransport:
    """Sends with python-telegram-bot and turns its errors into the three outcomes above."""

    def __init__(self, bot: Bot, *, link_preview: bool = False, network_delay: float = 5.0) -> None:
        """Send through `bot`; after a network error or a 5xx, retry in `network_delay` s."""
        self._bot = bot
        self._network_delay = network_delay
        self._preview = LinkPreviewOptions(is_disabled=not link_preview)

    async def send(self, chat_id: int, html: str) -> None:
        """Send one message as HTML."""
        try:
            await self._bot.send_message(
                chat_id, html, parse_mode=ParseMode.HTML, link_preview_options=self._preview
            )
        except RetryAfter as exc:
            raise RetryLater("Telegram flood limit", _seconds(exc.retry_after)) from None
        except Forbidden as exc:
            raise ChatGone(exc.message) from None
        except ChatMigrated as exc:
            raise ChatGone(f"group moved to chat {exc.new_chat_id}") from None
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise ChatGone(exc.message) from None
            raise Rejected(exc.message) from None
        except NetworkError as exc:  # includes TimedOut and Telegram's 5xx answers
            raise RetryLater(f"network: {exc.message}", self._network_delay) from None


def _seconds(value: object) -> float:
    total_seconds = getattr(value, "total_seconds", None)
    if callable(total_seconds):
        return float(total_seconds())
    return float(value) if isinstance(value, int | float) else 5.0
