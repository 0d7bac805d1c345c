"""What every update passes before any handler: the allowlist and the per-chat command rate."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.i18n import text
from bot.store.connection import REDIS_ERRORS
from bot.store.ratelimit import command_bucket, notice_bucket
from handlers.common import Context, for_another_bot, reply

log = logging.getLogger(__name__)

SLOW_DOWN_EVERY = 60.0  # seconds: a chat over its rate is told so at most this often


async def gate(update: Update, context: Context) -> None:
    """Stop commands for other bots, updates from outside the allowlist, commands over the rate.

    A command addressed to another bot of a group (/watch@other_bot) is not ours to answer or
    count: groups with several bots would otherwise be told to slow down for the others' use.
    """
    if for_another_bot(update, context):
        raise ApplicationHandlerStop
    svc = context.services
    settings = svc.settings
    chat, user = update.effective_chat, update.effective_user
    ids = {chat.id if chat else None, user.id if user else None} - {None}
    if settings.allowlist and not ids & (settings.allowlist | settings.admins):
        if update.effective_message is not None and chat is not None and chat.type == "private":
            await reply(update, text("gate.private"))
        elif update.callback_query is not None:
            await update.callback_query.answer(text("gate.private"), show_alert=True)
        raise ApplicationHandlerStop
    message = update.effective_message
    is_command = bool(message and message.text and message.text.startswith("/"))
    if chat is None or not (is_command or update.callback_query is not None):
        return  # only commands and buttons count (a group's chatter is not for the bot)
    if user is not None and user.id in settings.admins:
        return
    interval = 60.0 / settings.command_rate
    try:
        wait = await svc.store.limiter.acquire(
            command_bucket(chat.id), interval, burst=settings.command_burst
        )
    except REDIS_ERRORS:
        # Answered here, once: an error raised now would be answered by the error handler and
        # the command's handler would then run (and fail, and be answered) again.
        log.warning("cannot reach Redis for a command of chat %s", chat.id)
        if update.callback_query is not None:
            await update.callback_query.answer(text("error"))
        elif update.effective_message is not None:
            await reply(update, text("error"))
        raise ApplicationHandlerStop from None
    if wait:
        # Told once per SLOW_DOWN_EVERY at most: the notice itself must not flood the chat.
        notice = await svc.store.limiter.acquire(notice_bucket(chat.id), SLOW_DOWN_EVERY)
        if not notice and update.effective_message is not None:
            await reply(update, text("gate.slow_down", seconds=max(1, round(wait))))
        elif update.callback_query is not None:
            await update.callback_query.answer(text("gate.slow_down", seconds=max(1, round(wait))))
        raise ApplicationHandlerStop
