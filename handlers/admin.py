"""Admin views of delivery: /failed lists the alerts that could not be delivered."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from config.texts import text
from handlers.common import reply, services
from handlers.feeds import is_admin

FAILED_SHOWN = 10


async def failed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The newest dead letters: which chat, which item, how often it failed and why."""
    if not is_admin(update, context):
        await reply(update, text("admin.only"))
        return
    store = services(context).store
    letters = await store.deliveries.dead_letters(FAILED_SHOWN)
    if not letters:
        await reply(update, text("failed.none"))
        return
    lines = [text("failed.header", count=len(letters))]
    for letter in letters:
        item = await store.items.get(letter.delivery.item_id)
        lines.append(
            text(
                "failed.line",
                when=letter.failed_at.strftime("%d %b %H:%M UTC"),
                chat=letter.delivery.chat_id,
                title=item.title[:80] if item else letter.delivery.item_id,
                attempts=letter.attempts,
                error=letter.error,
            )
        )
    await reply(update, "\n".join(lines))
