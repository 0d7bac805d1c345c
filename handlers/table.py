"""The command table: every command once, and everything made from it.

From `COMMANDS` come the handlers registered with python-telegram-bot (each behind the one
access check, `handlers.common.refused`), the command menus per language (everyone's, and the
admins' in their chats), /help in each language, and README.md's command table:
`python -m handlers.table` writes that into README.md, and tests/test_handlers.py fails while
they differ.

Each command's texts are found by convention in both catalogs (config/texts*.py): its menu entry
is `command.<name>`, its /help lines `help.<name>` under the header `help.section.<section>`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from telegram import BotCommand, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.i18n import LANGS, text
from handlers import admin, fallback, feeds, gate, latest, rules, settings, sources, start
from handlers.common import (
    LATEST_COUNT,
    Access,
    Callback,
    Context,
    guarded,
    is_bot_admin,
    localized,
    reply,
)


@dataclass(frozen=True)
class Command:
    """One command: its handler, who may use it, and where it shows (menu, /help, README)."""

    name: str
    callback: Callback
    readme: str  # what it does, for README.md's table (English, Markdown)
    access: Access = Access.EVERYONE
    refusal: str | None = None  # the text for users `access` leaves out; None: who may use it
    usage: str = ""  # its arguments as README.md shows them: "<rule>", "[source]"
    section: str | None = None  # its /help section; None: no line in /help
    menu: int | None = None  # its place in the command menu (1 first); None: not in the menu

    @property
    def menu_key(self) -> str:
        """The catalog key of its description in the command menu."""
        return f"command.{self.name}"

    @property
    def help_key(self) -> str:
        """The catalog key of its lines in /help."""
        return f"help.{self.name}"

    def handler(self) -> CommandHandler[Context, None]:
        """Its python-telegram-bot handler: new messages only, in the chat's language, checked."""
        callback = guarded(self.callback, self.access, self.refusal)
        return CommandHandler(self.name, localized(callback), filters=filters.UpdateType.MESSAGE)


@dataclass(frozen=True)
class Button:
    """The inline buttons whose callback data starts with `prefix`, and who may press them."""

    prefix: str
    callback: Callback
    access: Access = Access.EVERYONE

    def handler(self) -> CallbackQueryHandler[Context, None]:
        """Its python-telegram-bot handler, in the chat's language, checked."""
        callback = localized(guarded(self.callback, self.access))
        return CallbackQueryHandler(callback, pattern=f"^{self.prefix}:")


async def help_command(update: Update, context: Context) -> None:
    """List the commands with examples (and the admin commands, to admins)."""
    await reply(update, help_text(admin=is_bot_admin(update, context)))


GROUP, BOT = Access.GROUP_ADMINS, Access.BOT_ADMINS

# In /help's order (sections in order of first use, commands in table order); the menu's
# order is each command's `menu`. README.md lists them in this order.
COMMANDS: Final = (
    Command(
        "watch",
        rules.watch,
        "adds a rule (see below), says how it was read and how many recent items it would "
        "have matched",
        access=GROUP,
        usage="<rule>",
        section="rules",
        menu=2,
    ),
    Command(
        "rules",
        rules.rules,
        "lists the rules, numbered, with a ✖ button to remove each",
        section="rules",
        menu=3,
    ),
    Command(
        "unwatch",
        rules.unwatch,
        "removes rule n",
        access=GROUP,
        usage="<n>",
        section="rules",
        menu=4,
    ),
    Command(
        "sources",
        sources.sources,
        "the catalog, ✅ on the sources the chat follows",
        section="sources",
        menu=8,
    ),
    Command(
        "subscribe",
        sources.subscribe,
        "alerts on, from all sources or adds the named ones; `@channel`: also posts this "
        "chat's alerts to a channel that the user and the bot both administer",
        access=GROUP,
        usage="[source | @channel]",
        section="sources",
        menu=9,
    ),
    Command(
        "unsubscribe",
        sources.unsubscribe,
        "alerts off (rules kept), or drops the named sources, or stops posting to the channel",
        access=GROUP,
        usage="[source | @channel]",
        section="sources",
        menu=10,
    ),
    Command(
        "latest",
        latest.latest,
        "the n newest stories of the chat's sources (5 by default, 1 to 20), each story once, "
        'optionally only those matching a rule; a "More" button pages on',
        usage="[rule] [n]",
        section="reading",
        menu=5,
    ),
    Command(
        "settings",
        settings.settings,
        "a panel of buttons: an alert per story or an hourly or daily digest, quiet hours, "
        "pause, time zone, language",
        section="settings",
        menu=6,
    ),
    Command(
        "pause",
        settings.pause,
        "no alerts for a while (or until `/resume`); alerts meanwhile are not kept (`/latest` "
        "catches up)",
        access=GROUP,
        usage="[30m | 2h | 1d]",
        section="settings",
    ),
    Command("resume", settings.resume, "alerts on again after `/pause`", access=GROUP),
    Command(
        "quiet",
        settings.quiet,
        "quiet hours in the chat's time zone: alerts in them come as one digest when they "
        "end; `off` ends them",
        access=GROUP,
        usage="<23-7 | off>",
        section="settings",
    ),
    Command(
        "tz",
        settings.tz,
        "shows the chat's time zone (alert times, quiet hours, digests); with a zone, sets it "
        "(in a group, its admins)",
        usage="[Asia/Baghdad]",
        section="settings",
    ),
    Command(
        "lang",
        settings.lang,
        "English or Arabic, by default the user's Telegram language (in a group, its admins "
        "set it); without one, or another code, the languages offered as buttons",
        usage="[en | ar]",
        section="settings",
        menu=7,
    ),
    Command(
        "start",
        start.start,
        "subscribes the chat (alerts on, all sources) and shows example rules; a group "
        "member's `/start` is welcomed and changes nothing",
        access=GROUP,
        refusal="start.member",
        section="settings",
        menu=1,
    ),
    Command(
        "help",
        help_command,
        "the commands with examples (the admin commands too, to admins)",
        menu=11,
    ),
    Command(
        "feeds",
        feeds.feeds,
        "every feed with its health: 🟢 fine, 🟠 failing, 🔴 failing for a day, ⛔ off; ✂️ "
        "when it is being capped",
        access=BOT,
        section="admin",
        menu=12,
    ),
    Command(
        "addfeed",
        feeds.addfeed,
        "adds a feed to the catalog, fetched once to check it",
        access=BOT,
        usage="<url> [name]",
        section="admin",
        menu=13,
    ),
    Command(
        "removefeed",
        feeds.removefeed,
        "removes a feed from the catalog",
        access=BOT,
        usage="<id>",
        section="admin",
        menu=14,
    ),
    Command(
        "failed",
        admin.failed,
        "alerts that could not be delivered, with the reason",
        access=BOT,
        section="admin",
        menu=15,
    ),
    Command(
        "stats",
        admin.stats,
        "chats and rules, feed health, the last hour (items, alerts sent, retries, 429s), "
        "the delivery backlog and its oldest entry, feeds being capped",
        access=BOT,
        section="admin",
        menu=16,
    ),
)

BUTTONS: Final = (
    Button(settings.PREFIX, settings.pressed, access=GROUP),
    Button(rules.PREFIX, rules.pressed, access=GROUP),
    Button(latest.PREFIX, latest.pressed),
)


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    """Every handler, in the order the Application must try them (fallbacks last)."""
    new_messages = filters.UpdateType.MESSAGE
    found: list[BaseHandler[Update, Context, None]] = [c.handler() for c in COMMANDS]
    found += [button.handler() for button in BUTTONS]
    found.append(
        MessageHandler(new_messages & filters.COMMAND, localized(fallback.unknown_command))
    )
    found.append(
        MessageHandler(
            new_messages & filters.ChatType.PRIVATE & filters.TEXT, localized(fallback.plain_text)
        )
    )
    return found


def build_gate() -> TypeHandler[Update, Context, None]:
    """The handler every update passes first (group -1): allowlist and command rate."""
    return TypeHandler(Update, localized(gate.gate))


def in_menu(*, admin: bool = False) -> list[Command]:
    """The commands of the menu in its order: everyone's, and with `admin` the admins' too."""
    shown = [c for c in COMMANDS if c.menu is not None and (admin or c.access is not BOT)]
    return sorted(shown, key=lambda c: c.menu or 0)


def bot_commands(lang: str | None = None, *, admin: bool = False) -> list[BotCommand]:
    """The command menu registered with Telegram (setMyCommands), in one language."""
    return [BotCommand(c.name, text(c.menu_key, lang)) for c in in_menu(admin=admin)]


def menus(*, admin: bool = False) -> dict[str | None, list[BotCommand]]:
    """The menu per Telegram language code: None is the default (English) for everyone else.

    With `admin`, the menu of an admin's chat: everyone's commands, then the admins'.
    """
    return {
        None: bot_commands("en", admin=admin),
        **{lang: bot_commands(lang, admin=admin) for lang in LANGS if lang != "en"},
    }


def help_text(lang: str | None = None, *, admin: bool = False) -> str:
    """/help: the intro, then each section's header and lines (the admins' section to admins)."""
    sections: dict[str, list[str]] = {}
    for command in COMMANDS:
        if command.section is not None and (admin or command.access is not BOT):
            line = text(command.help_key, lang, latest=LATEST_COUNT)
            sections.setdefault(command.section, []).append(line)
    blocks = [text("help.intro", lang)]
    blocks += [
        "\n".join([text(f"help.section.{section}", lang), *lines])
        for section, lines in sections.items()
    ]
    return "\n\n".join(blocks)


README = Path(__file__).resolve().parents[1] / "README.md"
README_START = "<!-- commands: written by `python -m handlers.table` from handlers/table.py -->"
README_END = "<!-- end of commands -->"


def readme_table() -> str:
    """README.md's command table (Markdown), one row per command in the table's order."""
    rows = ["| command | who | what it does |", "|---|---|---|"]
    for command in COMMANDS:
        usage = f"/{command.name} {command.usage}".strip()
        cells = (f"`{usage}`", command.access.value, command.readme)
        rows.append("| " + " | ".join(cell.replace("|", r"\|") for cell in cells) + " |")
    return "\n".join(rows)


def readme_with_table(readme: str) -> str:
    """README.md's text with the command table between its markers made anew from the table."""
    head, start_marker, rest = readme.partition(README_START)
    _, end_marker, tail = rest.partition(README_END)
    if not (start_marker and end_marker):
        raise ValueError(f"README.md lacks the markers {README_START!r} and {README_END!r}")
    return f"{head}{README_START}\n{readme_table()}\n{README_END}{tail}"


def main() -> int:
    """Write the command table into README.md (`python -m handlers.table`)."""
    before = README.read_text(encoding="utf-8")
    after = readme_with_table(before)
    if after != before:
        README.write_text(after, encoding="utf-8")
        print("README.md: command table written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
