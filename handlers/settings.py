"""/settings (a panel of buttons), /lang, /pause, /resume, /quiet and /tz.

Who may change a chat's settings (its admins, in a group) is checked by the command table;
/lang and /tz, which also just show, check it themselves when they change something.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import available_timezones

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.core.models import ChatView
from bot.core.timing import zone
from bot.i18n import CURRENT_LANG, LANGS, listing, text
from bot.store import Store
from handlers.common import Access, Context, argument, chat_id, refused, reply

PREFIX = "set"  # callback data: "set:<what>:<value>" ("set:pick:ar": a /lang button)
# Preset zones (each named by a "zone.<name>" text); any other by /tz.
ZONES = ("UTC", "Asia/Baghdad", "Asia/Damascus", "Asia/Riyadh", "Europe/London", "America/New_York")
QUIET = ((22, 7), (23, 8), (0, 6))
DAILY_HOURS = (7, 8, 12, 18, 21)
PAUSE_HOURS = (1, 8)
LANG_NAMES = {"en": "English", "ar": "العربية"}
MAX_ECHO = 32  # characters of an unknown language name said back
_DURATION = re.compile(r"^(\d{1,4})\s*(m|min|h|d)$")


async def settings(update: Update, context: Context) -> None:
    """Show the chat's settings with buttons to change them."""
    chat = await context.services.store.chats.get(chat_id(update))
    message = update.effective_message
    if message is not None:
        await message.reply_text(panel_text(chat), reply_markup=panel_buttons(chat))


async def pressed(update: Update, context: Context) -> None:
    """Apply a settings button and redraw the panel in place."""
    query = update.callback_query
    assert query is not None  # a CallbackQueryHandler's update
    changed = await apply(context.services.store, chat_id(update), query.data or "")
    if not changed:
        await query.answer(text("settings.stale"), show_alert=True)
        return
    chat = await context.services.store.chats.get(chat_id(update))
    token = CURRENT_LANG.set(chat.lang or CURRENT_LANG.get())  # a new language shows at once
    try:
        await query.answer(text("settings.saved"))
        if query.message is not None:
            # /lang's question becomes its answer; the panel is redrawn with the change.
            chosen = (query.data or "").startswith(f"{PREFIX}:pick:")
            try:
                if chosen:
                    await query.edit_message_text(text("lang.set"))
                else:
                    await query.edit_message_text(
                        panel_text(chat), reply_markup=panel_buttons(chat)
                    )
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    raise
    finally:
        CURRENT_LANG.reset(token)


async def apply(store: Store, cid: int, data: str) -> bool:
    """Carry out a button's change; False when its data is not one this panel offers."""
    chats = store.chats
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != PREFIX:
        return False
    _, what, value = parts
    if what == "mode" and value in ("instant", "hourly"):
        await chats.set_mode(cid, value)
    elif what == "daily" and value.isdigit() and int(value) in DAILY_HOURS:
        await chats.set_mode(cid, "daily", digest_hour=int(value))
    elif what == "quiet" and value == "off":
        await chats.clear_quiet(cid)
    elif what == "quiet" and value in {f"{a}-{b}" for a, b in QUIET}:
        start, end = value.split("-")
        await chats.set_quiet(cid, int(start), int(end))
    elif what == "pause" and value == "on":
        await chats.pause(cid, None)
    elif what == "pause" and value.isdigit() and int(value) in PAUSE_HOURS:
        await chats.pause(cid, datetime.now(UTC) + timedelta(hours=int(value)))
    elif what == "pause" and value == "off":
        await chats.resume(cid)
    elif what == "tz" and value.isdigit() and int(value) < len(ZONES):
        await chats.set_tz(cid, ZONES[int(value)])
    elif what in ("lang", "pick") and value in LANGS:
        await chats.set_lang(cid, value)
    else:
        return False
    return True


def panel_text(chat: ChatView) -> str:
    """The settings as sentences, in the chat's language and time zone."""
    now = datetime.now(UTC)
    mode = (
        text("settings.mode.daily", hour=chat.digest_hour)
        if chat.mode == "daily"
        else text(f"settings.mode.{chat.mode}")
    )
    quiet = (
        text("settings.quiet.on", start=chat.quiet[0], end=chat.quiet[1])
        if chat.quiet
        else text("settings.quiet.off")
    )
    if not chat.is_paused(now):
        alerts = text("settings.alerts.on")
    elif chat.paused_until is not None:
        alerts = text("settings.alerts.paused_until", until=local(chat.paused_until, chat.tz))
    else:
        alerts = text("settings.alerts.paused")
    when = now.astimezone(zone(chat.tz)).strftime("%H:%M")
    lines = [text("settings.header"), "", alerts, mode, quiet]
    lines += [text("settings.tz", tz=chat.tz, now=when), text("settings.lang")]
    return "\n".join(lines)


def panel_buttons(chat: ChatView) -> InlineKeyboardMarkup:
    """Buttons for every choice; the current one is marked with a dot."""

    def button(label: str, data: str, current: bool = False) -> InlineKeyboardButton:
        return InlineKeyboardButton(("• " if current else "") + label, callback_data=data)

    paused = chat.is_paused(datetime.now(UTC))
    rows = [
        [
            button(text("button.instant"), f"{PREFIX}:mode:instant", chat.mode == "instant"),
            button(text("button.hourly"), f"{PREFIX}:mode:hourly", chat.mode == "hourly"),
        ],
        [
            button(
                text("button.daily", hour=hour),
                f"{PREFIX}:daily:{hour}",
                chat.mode == "daily" and chat.digest_hour == hour,
            )
            for hour in DAILY_HOURS[:3]
        ],
        [button(text("button.quiet_off"), f"{PREFIX}:quiet:off", chat.quiet is None)]
        + [
            button(
                text("button.quiet", start=a, end=b),
                f"{PREFIX}:quiet:{a}-{b}",
                chat.quiet == (a, b),
            )
            for a, b in QUIET
        ],
        (
            [button(text("button.resume"), f"{PREFIX}:pause:off")]
            if paused
            else [
                *(
                    button(text("button.pause_hours", hours=hours), f"{PREFIX}:pause:{hours}")
                    for hours in PAUSE_HOURS
                ),
                button(text("button.pause"), f"{PREFIX}:pause:on"),
            ]
        ),
        [
            button(text(f"zone.{name}"), f"{PREFIX}:tz:{n}", chat.tz == name)
            for n, name in enumerate(ZONES)
        ],
        [
            button(LANG_NAMES[lang], f"{PREFIX}:lang:{lang}", (chat.lang or "en") == lang)
            for lang in LANGS
        ],
    ]
    return InlineKeyboardMarkup(rows)


def local(moment: datetime, tz: str) -> str:
    """A moment in the chat's zone, briefly: 24 Nov 18:30."""
    shown = moment.astimezone(zone(tz))
    month = text("time.months").split()[shown.month - 1]
    return f"{shown.day} {month} {shown:%H:%M}"


async def lang(update: Update, context: Context) -> None:
    """`/lang ar` or `/lang en` sets the language; `/lang` offers both as buttons.

    A language the bot does not write (`/lang fr`) is named as such, with the ones it does.
    """
    wanted = argument(update).lower()
    if wanted in LANGS:
        if await refused(update, context, Access.GROUP_ADMINS):
            return
        await context.services.store.chats.set_lang(chat_id(update), wanted)
        await reply(update, text("lang.set", wanted))
        return
    message = update.effective_message
    if message is not None:
        buttons = [
            InlineKeyboardButton(LANG_NAMES[code], callback_data=f"{PREFIX}:pick:{code}")
            for code in LANGS
        ]
        question = (
            text(
                "lang.unsupported",
                wanted=wanted[:MAX_ECHO],
                langs=listing(LANG_NAMES[code] for code in LANGS),
            )
            if wanted
            else text("lang.choose")
        )
        await message.reply_text(question, reply_markup=InlineKeyboardMarkup([buttons]))


async def pause(update: Update, context: Context) -> None:
    """`/pause` until resumed, or `/pause 2h` (m, h or d)."""
    raw = argument(update).lower()
    store = context.services.store
    cid = chat_id(update)
    if not raw:
        await store.chats.pause(cid, None)
        await reply(update, text("pause.forever"))
        return
    found = _DURATION.match(raw)
    if found is None or int(found.group(1)) == 0:
        await reply(update, text("pause.usage"))
        return
    amount, unit = int(found.group(1)), found.group(2)
    length = {"m": timedelta(minutes=amount), "min": timedelta(minutes=amount)}.get(
        unit, timedelta(hours=amount) if unit == "h" else timedelta(days=amount)
    )
    if length > timedelta(days=365):
        await reply(update, text("pause.usage"))
        return
    until = datetime.now(UTC) + length
    await store.chats.pause(cid, until)
    chat = await store.chats.get(cid)
    await reply(update, text("pause.until", until=local(until, chat.tz)))


async def resume(update: Update, context: Context) -> None:
    """Alerts again after /pause."""
    await context.services.store.chats.resume(chat_id(update))
    await reply(update, text("resume.done"))


async def quiet(update: Update, context: Context) -> None:
    """`/quiet 23-7` sets quiet hours (local time); `/quiet off` ends them."""
    raw = argument(update).lower().replace(" ", "")
    store = context.services.store
    cid = chat_id(update)
    if raw in ("off", "none", "0"):
        await store.chats.clear_quiet(cid)
        await reply(update, text("quiet.off"))
        return
    found = re.fullmatch(r"(\d{1,2})(?::00)?[-–](\d{1,2})(?::00)?", raw)
    if found is None or int(found.group(1)) > 23 or int(found.group(2)) > 23:
        await reply(update, text("quiet.usage"))
        return
    start, end = int(found.group(1)), int(found.group(2))
    if start == end:
        await reply(update, text("quiet.usage"))
        return
    await store.chats.set_quiet(cid, start, end)
    chat = await store.chats.get(cid)
    await reply(update, text("quiet.set", start=start, end=end, tz=chat.tz))


async def tz(update: Update, context: Context) -> None:
    """`/tz Asia/Baghdad` sets the chat's time zone; `/tz` shows it."""
    raw = argument(update)
    store = context.services.store
    cid = chat_id(update)
    if not raw:
        await reply(update, text("tz.usage", tz=(await store.chats.get(cid)).tz))
        return
    if await refused(update, context, Access.GROUP_ADMINS):
        return
    name = _zone_name(raw)
    if name is None or not await store.chats.set_tz(cid, name):
        await reply(update, text("tz.unknown", tz=raw))
        return
    now = datetime.now(UTC).astimezone(zone(name)).strftime("%H:%M")
    await reply(update, text("tz.set", tz=name, now=now))


def _zone_name(raw: str) -> str | None:
    """The IANA name a user meant, any case ("asia/baghdad" -> "Asia/Baghdad"), or None.

    Only names of the zone list count (not "localtime" or "posixrules"); should the system
    offer no list, the name goes on as typed and the store checks it.
    """
    wanted = raw.strip().replace(" ", "_")
    zones = _zones()
    return zones.get(wanted.casefold()) if zones else wanted or None


@functools.cache
def _zones() -> dict[str, str]:
    """Every IANA zone name by its case-folded form (read once: it walks the database)."""
    return {name.casefold(): name for name in available_timezones()}
