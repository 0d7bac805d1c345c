"""/latest [query] [n]: the newest stories of the chat's sources, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit

from bot.core.document import item_document
from bot.core.models import Feed, Item
from bot.core.rules import Rule
from bot.delivery.render import also_line, render_item_line
from bot.errors import RuleError
from bot.i18n import text
from handlers.common import (
    LATEST_COUNT,
    Context,
    Services,
    argument,
    chat_id,
    followed_ids,
    rule_problem,
)

PREFIX = "latest"  # callback data: "latest:<offset>:<n>:<query key or ->"
MAX_COUNT = 20
SCAN = 200  # newest items looked at (the store keeps this many per feed)


@dataclass(frozen=True)
class Page:
    """One page of stories: their lines, and whether more follow."""

    lines: list[str]
    more: bool


async def latest(update: Update, context: Context) -> None:
    """The n newest stories (default 5, at most 20), optionally only those matching a rule."""
    svc = context.services
    query, count = parse(argument(update))
    if not 1 <= count <= MAX_COUNT:
        await answer(update, text("latest.range", most=MAX_COUNT))
        return
    rule: Rule | None = None
    if query:
        try:
            rule = svc.compiler.compile(query)
        except RuleError as exc:
            await answer(update, text("latest.invalid", reason=rule_problem(exc)))
            return
    key = await svc.store.items.remember_query(query) if query else "-"
    await send_page(update, svc, rule, offset=0, count=count, key=key)


async def pressed(update: Update, context: Context) -> None:
    """The "more" button: the next page of the same list, as a new message."""
    query = update.callback_query
    assert query is not None
    svc = context.services
    parts = (query.data or "").split(":")
    if len(parts) != 4 or not (parts[1].isdigit() and parts[2].isdigit()):
        await query.answer(text("latest.stale"), show_alert=True)
        return
    offset, count, key = int(parts[1]), min(int(parts[2]), MAX_COUNT), parts[3]
    rule: Rule | None = None
    if key != "-":
        raw = await svc.store.items.recall_query(key)
        if raw is None:
            await query.answer(text("latest.stale"), show_alert=True)
            return
        try:
            rule = svc.compiler.compile(raw)
        except RuleError:
            await query.answer(text("latest.stale"), show_alert=True)
            return
    await query.answer()
    if query.message is not None:  # the button has done its job on the earlier page
        await query.edit_message_reply_markup(None)
    await send_page(update, svc, rule, offset=offset, count=count, key=key)


def parse(raw: str) -> tuple[str, int]:
    """The filter and the count of `/latest "US base" drone 10` (a trailing number is n).

    The count is as typed, in range or not: `latest` says the range rather than guess.
    """
    words = raw.split()
    count = LATEST_COUNT
    if words and words[-1].isdigit():
        count = int(words[-1])
        raw = raw[: raw.rstrip().rfind(words[-1])].strip()
    return raw.strip(), count


async def send_page(
    update: Update, svc: Services, rule: Rule | None, *, offset: int, count: int, key: str
) -> None:
    """Send one page, with a "more" button when stories remain."""
    chat = await svc.store.chats.get(chat_id(update))
    feeds = await svc.store.catalog.all()
    items = await svc.store.items.latest(followed_ids(chat, feeds), SCAN)
    if not items:
        await answer(update, text("latest.none"))
        return
    page = await build_page(svc, items, feeds, rule, offset=offset, count=count, tz=chat.tz)
    if not page.lines:
        none = "latest.none_matching" if rule is not None else "latest.none"
        await answer(update, text("latest.no_more" if offset else none))
        return
    buttons = None
    if page.more:
        data = f"{PREFIX}:{offset + count}:{count}:{key}"
        buttons = InlineKeyboardMarkup(
            [[InlineKeyboardButton(text("latest.more"), callback_data=data)]]
        )
    header = [text("latest.header")] if offset == 0 else []
    messages = pack([*header, *page.lines])
    for html in messages[:-1]:
        await answer(update, html)
    await answer(update, messages[-1], buttons)


def pack(entries: list[str], limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Entries joined by blank lines into as few messages as fit Telegram's limit, none cut.

    The HTML length is what is measured: it is never less than the text Telegram counts.
    """
    messages: list[str] = []
    for entry in entries:
        if messages and len(messages[-1]) + 2 + len(entry) <= limit:
            messages[-1] += "\n\n" + entry
        else:
            messages.append(entry)
    return messages


async def build_page(
    svc: Services,
    items: list[Item],
    feeds: list[Feed],
    rule: Rule | None,
    *,
    offset: int,
    count: int,
    tz: str,
) -> Page:
    """Stories (newest report of each) that pass the filter, `count` of them after `offset`."""
    by_id = {f.id: f for f in feeds}
    seen: dict[str, Item] = {}
    for item in items:  # newest first: a story's first item here is its newest report
        story = item.story_id or item.id
        if story in seen:
            continue
        if rule is not None and not rule.matches(item_document(item, by_id.get(item.feed_id))):
            continue
        seen[story] = item
    stories = list(seen.items())
    lines = []
    for story, item in stories[offset : offset + count]:
        name = by_id[item.feed_id].name if item.feed_id in by_id else item.feed_id
        line = render_item_line(item, name, tz=tz)
        # Every outlet of the story, whichever language it reported in.
        others = [
            by_id[feed].name if feed in by_id else feed
            for feed in await svc.store.stories.outlets(story)
            if feed != item.feed_id
        ]
        if others:
            line += "\n" + also_line(others)
        lines.append(line)
    return Page(lines=lines, more=len(stories) > offset + count)


async def answer(update: Update, html: str, buttons: InlineKeyboardMarkup | None = None) -> None:
    """Reply in the chat (one message: `pack` keeps pages within the limit)."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(html, reply_markup=buttons, do_quote=False)
