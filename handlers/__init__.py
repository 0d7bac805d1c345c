"""Telegram command handlers, one module per feature; `build_handlers()` lists them in order."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from config.texts import text
from handlers import admin, fallback, feeds, latest, rules, sources, start

# Order matters for Telegram's command menu.
MENU = (
    "start",
    "watch",
    "rules",
    "unwatch",
    "latest",
    "sources",
    "subscribe",
    "unsubscribe",
    "help",
)


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
    }
    found: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler(name, callback, filters=new_messages) for name, callback in commands.items()
    ]
    found.append(MessageHandler(new_messages & filters.COMMAND, fallback.unknown_command))
    found.append(
        MessageHandler(new_messages & filters.ChatType.PRIVATE & filters.TEXT, fallback.plain_text)
    )
    return found


def bot_commands() -> list[BotCommand]:
    """The command menu registered with Telegram (setMyCommands)."""
    return [BotCommand(name, text(f"command.{name}")) for name in MENU]
