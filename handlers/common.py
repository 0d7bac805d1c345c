"""What every handler shares: its typed context and services, the access check, reply helpers."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from html import unescape
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.core.models import ChatView, Feed, FeedPreview, find_feed
from bot.core.rules import RuleCompiler
from bot.errors import RuleError, RuleTooDeep
from bot.i18n import CURRENT_LANG, Html, pick_lang, text
from bot.store import Store
from bot.store.connection import REDIS_ERRORS
from config.settings import Settings

LATEST_COUNT = 5
CALLBACK_ANSWER_LIMIT = 200  # characters Telegram shows of a button's answer


@dataclass(frozen=True)
class Services:
    """The store, settings, rule compiler and feed probe the handlers work with."""

    store: Store
    settings: Settings
    compiler: RuleCompiler
    probe: Callable[[str], Awaitable[FeedPreview]]  # fetch a candidate feed once (/addfeed)


class BotData:
    """The Application's bot_data: python-telegram-bot makes it empty, the app gives `services`."""

    services: Services


# The bot's rate limiter (bot/delivery/limiter.py) takes an int per call: the bot's type says so.
AppBot = ExtBot[int]


class Context(CallbackContext[AppBot, dict[Any, Any], dict[Any, Any], BotData]):
    """What every handler is given with an update: python-telegram-bot's context, typed."""

    @property
    def services(self) -> Services:
        """The services of the running application."""
        return self.bot_data.services


# The Application the app builds with CONTEXT_TYPES (its job queue type is the builder's default).
CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData)
BotApplication = Application[
    AppBot,
    Context,
    dict[Any, Any],
    dict[Any, Any],
    BotData,
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


class Access(Enum):
    """Who may use a command or button (the README's "who" column words each)."""

    EVERYONE = "anyone"
    GROUP_ADMINS = "in a group, its admins"  # anyone in a private chat; the bot's admins too
    BOT_ADMINS = "the bot's admins"  # ALERTBOT_ADMINS


async def lang_of(update: Update, context: Context) -> str:
    """The chat's language: its setting, else its user's Telegram language.

    The user's too while Redis cannot be reached: the gate answers such a command once, in it.
    """
    chat = update.effective_chat
    if chat is not None:
        try:
            chosen = await context.services.store.chats.lang(chat.id)
        except REDIS_ERRORS:
            chosen = None
        if chosen is not None:
            return chosen
    user = update.effective_user
    return pick_lang(user.language_code if user is not None else None)


def localized(callback: Callback) -> Callback:
    """The handler, answering in the chat's language (texts need not be told which)."""

    @functools.wraps(callback)
    async def answer(update: Update, context: Context) -> None:
        token = CURRENT_LANG.set(await lang_of(update, context))
        try:
            await callback(update, context)
        finally:
            CURRENT_LANG.reset(token)

    return answer


def is_bot_admin(update: Update, context: Context) -> bool:
    """Whether the user is one of the bot's admins (ALERTBOT_ADMINS)."""
    user = update.effective_user
    return user is not None and user.id in context.services.settings.admins


async def can_change(update: Update, context: Context) -> bool:
    """Whether the user may change this chat's rules, sources and settings.

    Anyone in a private chat; in a group, its administrators (and the bot's admins).
    """
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if user is None:
        return False
    if is_bot_admin(update, context):
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except (BadRequest, Forbidden):  # not a member any more, or the bot was removed
        return False
    return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def addressed_to(update: Update) -> str | None:
    """The bot a command names after its @ (/watch@other_bot), casefolded; None if none."""
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    _, at, name = message.text.split(maxsplit=1)[0].partition("@")
    return name.casefold() if at else None


def for_another_bot(update: Update, context: Context) -> bool:
    """Whether the update is a command addressed to some other bot of the chat."""
    name = addressed_to(update)
    return name is not None and name != (context.bot.username or "").casefold()


async def allows(update: Update, context: Context, access: Access) -> bool:
    """Whether `access` lets the user of this update in, in this chat."""
    if access is Access.BOT_ADMINS:
        return is_bot_admin(update, context)
    if access is Access.GROUP_ADMINS:
        return await can_change(update, context)
    return True


# What a user left out is told by default: who may.
REFUSALS = {Access.BOT_ADMINS: "admin.only", Access.GROUP_ADMINS: "group.admins_only"}


async def refused(
    update: Update, context: Context, access: Access, refusal: str | None = None
) -> bool:
    """Whether `access` leaves the user out here; if so they are told, by the text `refusal`.

    The one check of who may do what: the command table applies it to each command and button,
    and a command that only sometimes changes the chat (/tz with a zone) calls it then. The
    refusal is a reply to a command, an alert on a pressed button.
    """
    if await allows(update, context, access):
        return False
    said = text(refusal or REFUSALS[access])
    if update.callback_query is not None:
        await update.callback_query.answer(said, show_alert=True)
    else:
        await reply(update, said)
    return True


def guarded(callback: Callback, access: Access, refusal: str | None = None) -> Callback:
    """The handler, run only for users `access` lets in (the others are told, see `refused`)."""
    if access is Access.EVERYONE:
        return callback

    @functools.wraps(callback)
    async def checked(update: Update, context: Context) -> None:
        if not await refused(update, context, access, refusal):
            await callback(update, context)

    return checked


def argument(update: Update) -> str:
    """The raw text after the command word (quotes and spacing kept), or ''."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    parts = message.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def plain(html: str, limit: int = CALLBACK_ANSWER_LIMIT) -> str:
    """A text for a button's answer: Telegram shows it as typed, so without markup, and short."""
    shown = unescape(re.sub(r"<[^>]*>", "", html))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def chat_id(update: Update) -> int:
    """The id of the chat the update came from."""
    chat = update.effective_chat
    assert chat is not None
    return chat.id


async def reply(update: Update, html: str) -> None:
    """Answer in the chat (HTML, no previews: the app's Defaults), split if longer than allowed."""
    message = update.effective_message
    if message is not None:
        for part in split_message(html):
            await message.reply_text(part, do_quote=False)


def rule_problem(exc: RuleError) -> str:
    """Why a rule cannot be used, in the chat's language where the catalog words it.

    Errors the rule language words only in English (most syntax errors) are shown as they are.
    """
    if isinstance(exc, RuleTooDeep):
        return Html(text("rule.too_deep", line=exc.line, column=exc.column, limit=exc.limit))
    return str(exc)


def split_message(html: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split HTML at line ends into parts of at most `limit` characters.

    Every line the bot writes closes its own tags, so each part is valid HTML on its own.
    """
    lines: list[str] = []
    for line in html.split("\n"):
        # No line the bot writes comes near the limit; cutting one keeps the rest deliverable.
        lines.extend(line[i : i + limit] for i in range(0, max(len(line), 1), limit))
    parts: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            candidate = line
        current = candidate
    parts.append(current)
    return [part for part in parts if part.strip()]


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
