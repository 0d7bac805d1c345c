"""/start and /help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from config.texts import CURRENT_LANG, Html, text
from handlers.common import LATEST_COUNT, can_change, chat_id, reply, services


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Register the chat with alerts on from all sources, and show how to add rules.

    In a group, only its admins turn its alerts on (a member's /start after an admin's
    /unsubscribe must not undo it): anyone else is welcomed and nothing changes.
    """
    if not await can_change(update, context):
        await reply(update, text("start.member"))
        return
    store = services(context).store
    await store.chats.start(chat_id(update))
    chat = await store.chats.get(chat_id(update))
    if chat.lang is None:  # alerts are written in it too: keep the language the user has
        await store.chats.set_lang(chat_id(update), CURRENT_LANG.get())
    sources = len(await store.catalog.all())
    note = text("start.has_rules", count=len(chat.rules)) if chat.rules else ""
    await reply(update, text("start.welcome", sources=sources, rules_note=Html(note)))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands with examples (and the admin commands, to admins)."""
    answer = text("help", latest=LATEST_COUNT)
    user = update.effective_user
    if user is not None and user.id in services(context).settings.admins:
        answer += "\n\n" + text("help.admin")
    await reply(update, answer)
