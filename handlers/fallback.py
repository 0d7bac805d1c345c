"""Answers for unknown commands and plain messages, and the error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType

from bot.i18n import pick_lang, text
from handlers.common import Context, addressed_to, lang_of, reply

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: Context) -> None:
    """Say the command is unknown and point to /help.

    In a group only when the command names this bot: a bare /command there is as likely for
    another bot of the group (commands for other bots never get here, see the gate).
    """
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE and addressed_to(update) is None:
        return
    message = update.effective_message
    word = (message.text or "").split(maxsplit=1)[0] if message else ""
    await reply(update, text("unknown_command", command=word.split("@", 1)[0] or "that"))


async def plain_text(update: Update, context: Context) -> None:
    """In a private chat, a message that is not a command gets a pointer to /help."""
    await reply(update, text("not_a_command"))


async def on_error(update: object, context: Context) -> None:
    """Log a failed handler and tell the user something went wrong (never the details)."""
    log.error("handler failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await reply(update, text("error", await _lang(update, context)))
        except Exception:  # Telegram itself may be what failed
            log.debug("could not send the error notice", exc_info=True)


async def _lang(update: Update, context: Context) -> str:
    """The chat's language, or its user's when the store is what failed."""
    try:
        return await lang_of(update, context)
    except Exception:
        user = update.effective_user
        return pick_lang(user.language_code if user is not None else None)
