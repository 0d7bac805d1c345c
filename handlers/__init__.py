"""Telegram command handlers, one module per feature; `build_handlers()` lists them in order."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from config.texts import LANGS, text
from handlers import admin, fallback, feeds, gate, latest, rules, settings, sources, start
from handlers.common import localized

# Order matters for Telegram's command menu.
MENU = (
    "start",
    "watch",
    "rules",
    "unwatch",
    "latest",
    "settings",
    "lang",
    "sources",
    "subscribe",
    "unsubscribe",
    "help",
)
# The admins' commands, added to the menu of each admin's private chat.
ADMIN_MENU = ("feeds", "addfeed", "removefeed", "failed", "stats")


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Every handler, in the order the Application must try them (fallbacks last)."""
    new_messages = filters.UpdateType.MESSAGE
    commands = {
        "start": start.start,
        "help": start.help_command,
        "watch": rules.watch,
        "unwatch": rules.unwatch,
        "rules": rules.rules,
        "latest": latest.latest,
        "sources": sources.sources,
        "subscribe": sources.subscribe,
        "unsubscribe": sources.unsubscribe,
        "feeds": feeds.feeds,
        "addfeed": feeds.addfeed,
        "removefeed": feeds.removefeed,
        "failed": admin.failed,
        "stats": admin.stats,
        "settings": settings.settings,
        "lang": settings.lang,
        "pause": settings.pause,
        "resume": settings.resume,
        "quiet": settings.quiet,
        "tz": settings.tz,
    }
    # Inline buttons, by the prefix of their callback data.
    buttons = {
        settings.PREFIX: settings.pressed,
        rules.PREFIX: rules.pressed,
        latest.PREFIX: latest.pressed,
    }
    found: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler(name, localized(callback), filters=new_messages)
        for name, callback in commands.items()
    ]
    found += [
        CallbackQueryHandler(localized(callback), pattern=f"^{prefix}:")
        for prefix, callback in buttons.items()
    ]
    found.append(
        MessageHandler(new_messages & filters.COMMAND, localized(fallback.unknown_command))
    )
    found.append(
        MessageHandler(
            new_messages & filters.ChatType.PRIVATE & filters.TEXT, localized(fallback.plain_text)
        )
    )
    return found


def build_gate() -> BaseHandler[Any, Any, Any]:
    """The handler every update passes first (group -1): allowlist and command rate."""
    return TypeHandler(Update, localized(gate.gate))


def bot_commands(lang: str | None = None, *, admin: bool = False) -> list[BotCommand]:
    """The command menu registered with Telegram (setMyCommands), in one language."""
    names = MENU + ADMIN_MENU if admin else MENU
    return [BotCommand(name, text(f"command.{name}", lang)) for name in names]


def menus(*, admin: bool = False) -> dict[str | None, list[BotCommand]]:
    """The menu per Telegram language code: None is the default (English) for everyone else.

    With `admin`, the menu of an admin's chat: everyone's commands, then the admins'.
    """
    return {
        None: bot_commands("en", admin=admin),
        **{lang: bot_commands(lang, admin=admin) for lang in LANGS if lang != "en"},
    }
