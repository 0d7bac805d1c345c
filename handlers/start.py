"""/start: alerts on, and how to add rules."""

from __future__ import annotations

from telegram import Update

from bot.i18n import CURRENT_LANG, Html, text
from handlers.common import Context, chat_id, reply


async def start(update: Update, context: Context) -> None:
    """Register the chat with alerts on from all sources, and show how to add rules.

    In a group, only its admins turn its alerts on (a member's /start after an admin's
    /unsubscribe must not undo it): the command table welcomes anyone else, and nothing changes.
    """
    store = context.services.store
    await store.chats.start(chat_id(update))
    chat = await store.chats.get(chat_id(update))
    if chat.lang is None:  # alerts are written in it too: keep the language the user has
        await store.chats.set_lang(chat_id(update), CURRENT_LANG.get())
    sources = len(await store.catalog.all())
    note = text("start.has_rules", count=len(chat.rules)) if chat.rules else ""
    await reply(update, text("start.welcome", sources=sources, rules_note=Html(note)))
