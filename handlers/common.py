"""What every handler shares: the services it works with and small reply helpers."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

from bot.core.models import ChatView, Feed, find_feed
from bot.store import Store
from config.settings import Settings

SERVICES_KEY = "alertbot.services"
LATEST_COUNT = 5


@dataclass(frozen=True)
class Services:
    """The store and settings, put in the Application's bot_data by the app."""

    store: Store
    settings: Settings


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services of the running application."""
    found = context.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


def argument(update: Update) -> str:
    """The raw text after the command word (quotes and spacing kept), or ''."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    parts = message.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def chat_id(update: Update) -> int:
    """The id of the chat the update came from."""
    chat = update.effective_chat
    assert chat is not None
    return chat.id


async def reply(update: Update, html: str) -> None:
    """Answer in the chat the update came from (HTML, no link previews: see the app's Defaults)."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(html, do_quote=False)


def resolve_sources(feeds: list[Feed], raw: str) -> tuple[list[Feed], list[str]]:
    """Feeds named in `raw` (ids or names, separated by commas or spaces) and the unknown names."""
    if not raw:
        return [], []
    whole = find_feed(feeds, raw)
    if whole is not None:
        return [whole], []
    names = [n for n in (raw.split(",") if "," in raw else raw.split()) if n.strip()]
    found: list[Feed] = []
    unknown: list[str] = []
    for name in names:
        feed = find_feed(feeds, name)
        if feed is None:
            unknown.append(name.strip())
        elif feed not in found:
            found.append(feed)
    return found, unknown


def followed_ids(chat: ChatView, feeds: list[Feed]) -> list[str]:
    """Ids of the catalog feeds this chat follows."""
    return [f.id for f in feeds if chat.all_sources or f.id in chat.sources]
