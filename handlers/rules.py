"""/watch, /unwatch and /rules.

Who may change a chat's rules (its admins, in a group) is checked by the command table.
"""

from __future__ import annotations

import hashlib

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.document import item_document
from bot.core.rules import NAME_MARK, Rule, RuleCompiler
from bot.delivery.render import render_item_line
from bot.errors import RuleError
from bot.i18n import Html, text
from bot.store.chats import AddOutcome
from handlers.common import (
    Context,
    Services,
    argument,
    chat_id,
    followed_ids,
    plain,
    reply,
    rule_problem,
    split_message,
)

PREVIEW_ITEMS = 200
PREFIX = "rules"  # callback data: "rules:rm:<number>:<digest of the rule>"
MAX_BUTTONS = 100  # Telegram's limit on an inline keyboard; later rules go by /unwatch


async def watch(update: Update, context: Context) -> None:
    """Add a rule after checking that it compiles and fits the chat's limit."""
    svc = context.services
    raw = argument(update)
    if not raw:
        await reply(update, text("watch.usage"))
        return
    try:
        rule = svc.compiler.compile(raw)
    except RuleError as exc:
        await reply(update, text("watch.invalid", reason=rule_problem(exc)))
        return
    cid = chat_id(update)
    result = await svc.store.chats.add_rule(cid, rule.text, svc.settings.max_rules)
    if result.outcome is AddOutcome.DUPLICATE:
        await reply(update, text("watch.duplicate", number=result.number))
        return
    if result.outcome is AddOutcome.LIMIT:
        await reply(update, text("watch.limit", count=result.number))
        return
    answer = "\n".join([text("watch.added", number=result.number, rule=rule.text), *readings(rule)])
    answer += "\n" + await preview(svc, cid, rule)
    chat = await svc.store.chats.get(cid)
    if not chat.known or not chat.alerts:
        answer += text("watch.alerts_off")
    await reply(update, answer)


def readings(rule: Rule) -> list[str]:
    """How the rule reads English and Arabic reports, a line each.

    A language the rule finds nothing in gets a line saying so, unless the rule keeps to the
    other language on purpose (lang:).
    """
    lines = []
    for language, reading in rule.readings().items():
        if reading is not None:
            lines.append(text(f"watch.reading.{language}", reading=reading))
        elif not rule.keeps_to_language():
            lines.append(text(f"watch.unread.{language}"))
    if NAME_MARK in rule.describe():
        lines.append(text("watch.name_mark", mark=NAME_MARK))
    return lines


async def preview(svc: Services, cid: int, rule: Rule) -> str:
    """How many of the latest items the rule would have matched (per language), and the newest."""
    feeds = await svc.store.catalog.all()
    chat = await svc.store.chats.get(cid)
    items = await svc.store.items.latest(followed_ids(chat, feeds), PREVIEW_ITEMS)
    by_id = {f.id: f for f in feeds}
    matched = []
    languages = {"en": 0, "ar": 0}
    for item in items:
        doc = item_document(item, by_id.get(item.feed_id))
        if rule.matches(doc):
            matched.append(item)
            languages[doc.language] += 1
    if not items:
        return text("watch.preview_empty")
    if not matched:
        return text("watch.preview_none", total=len(items))
    newest = matched[0]
    feed = by_id.get(newest.feed_id)
    example = render_item_line(newest, feed.name if feed is not None else newest.feed_id)
    return text(
        "watch.preview",
        count=len(matched),
        total=len(items),
        english=languages["en"],
        arabic=languages["ar"],
        example=Html(example),
    )


async def unwatch(update: Update, context: Context) -> None:
    """Remove one rule by its number in /rules."""
    store = context.services.store
    raw = argument(update).lstrip("#")
    if not raw.isdigit() or int(raw) < 1:
        await reply(update, text("unwatch.usage"))
        return
    number = int(raw)
    removed = await store.chats.remove_rule(chat_id(update), number)
    if removed is None:
        await reply(update, text("unwatch.missing", number=number))
        return
    await reply(update, text("unwatch.removed", number=number, rule=removed))


async def rules(update: Update, context: Context) -> None:
    """List the chat's rules, numbered, with a button to remove each."""
    chat = await context.services.store.chats.get(chat_id(update))
    message = update.effective_message
    if message is None:
        return
    html, buttons = rule_list(chat.rules, context.services.compiler)
    parts = split_message(html)
    for part in parts[:-1]:
        await message.reply_text(part, do_quote=False)
    await message.reply_text(parts[-1], reply_markup=buttons, do_quote=False)


async def pressed(update: Update, context: Context) -> None:
    """A removal button: remove that rule, if it is still the rule the button was made for."""
    query = update.callback_query
    assert query is not None  # a CallbackQueryHandler's update
    store = context.services.store
    cid = chat_id(update)
    parts = (query.data or "").split(":")
    chat = await store.chats.get(cid)
    number = int(parts[2]) if len(parts) == 4 and parts[2].isdigit() else 0
    # The list may have changed since the button was drawn: the rule's digest must still match.
    if not 1 <= number <= len(chat.rules) or parts[3] != _digest(chat.rules[number - 1]):
        await query.answer(text("rules.stale"), show_alert=True)
        return
    removed = await store.chats.remove_rule(cid, number, expected=chat.rules[number - 1])
    if removed is None:  # changed in the meantime (another admin's button)
        await query.answer(text("rules.stale"), show_alert=True)
        return
    await query.answer(plain(text("unwatch.removed", number=number, rule=removed)))
    html, buttons = rule_list((await store.chats.get(cid)).rules, context.services.compiler)
    if len(split_message(html)) == 1:
        await query.edit_message_text(html, reply_markup=buttons)
    else:  # a list too long for one message: the buttons follow, the text is sent anew
        await query.edit_message_reply_markup(buttons)


def rule_list(
    chat_rules: tuple[str, ...], compiler: RuleCompiler
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The numbered rules and their removal buttons (five to a row).

    A stored rule the rule language now refuses (a newer version's stricter limits) matches
    nothing: its line says so and why, rather than leaving the chat to wonder at the silence.
    """
    if not chat_rules:
        return text("rules.none"), None
    lines = [text("rules.header")]
    for number, rule in enumerate(chat_rules, start=1):
        try:
            compiler.compile(rule)
        except RuleError as exc:
            lines.append(text("rules.unused", number=number, rule=rule, reason=rule_problem(exc)))
        else:
            lines.append(text("rules.line", number=number, rule=rule))
    buttons = [
        InlineKeyboardButton(
            text("button.remove", number=n), callback_data=f"{PREFIX}:rm:{n}:{_digest(rule)}"
        )
        for n, rule in enumerate(chat_rules, start=1)
    ]
    rows = [buttons[i : i + 5] for i in range(0, min(len(buttons), MAX_BUTTONS), 5)]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _digest(rule: str) -> str:
    return hashlib.blake2b(rule.encode(), digest_size=4).hexdigest()
