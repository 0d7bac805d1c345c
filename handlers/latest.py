"""/latest: the newest items of the chat's sources."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.delivery.render import render_item_line
from config.texts import text
from handlers.common import LATEST_COUNT, chat_id, followed_ids, reply, services


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The newest items of the chat's sources, newest first."""
    store = services(context).store
    feeds = await store.catalog.all()
    chat = await store.chats.get(chat_id(update))
    items = await store.items.latest(followed_ids(chat, feeds), LATEST_COUNT)
    if not items:
        await reply(update, text("latest.none"))
        return
    names = {f.id: f.name for f in feeds}
    entries = [render_item_line(item, names.get(item.feed_id, item.feed_id)) for item in items]
    await reply(update, "\n\n".join([text("latest.header"), *entries]))
