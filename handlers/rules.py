"""/watch, /unwatch and /rules."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.core.document import analyze, source_text
from bot.core.rules import Rule
from bot.delivery.render import render_item_line
from bot.errors import RuleError
from bot.store.chats import AddOutcome
from config.texts import Html, text
from handlers.common import Services, argument, chat_id, followed_ids, reply, services

PREVIEW_ITEMS = 200


async def watch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add a rule after checking that it compiles and fits the chat's limit."""
    svc = services(context)
    raw = argument(update)
    if not raw:
        await reply(update, text("watch.usage"))
        return
    try:
        rule = svc.compiler.compile(raw)
    except RuleError as exc:
        await reply(update, text("watch.invalid", reason=str(exc)))
        return
    cid = chat_id(update)
    result = await svc.store.chats.add_rule(cid, rule.text, svc.settings.max_rules)
    if result.outcome is AddOutcome.DUPLICATE:
        await reply(update, text("watch.duplicate", number=result.number))
        return
    if result.outcome is AddOutcome.LIMIT:
        await reply(update, text("watch.limit", count=result.number))
        return
    answer = text("watch.added", number=result.number, rule=rule.text, reading=rule.describe())
    answer += "\n" + await preview(svc, cid, rule)
    chat = await svc.store.chats.get(cid)
    if not chat.known or not chat.alerts:
        answer += text("watch.alerts_off")
    await reply(update, answer)


async def preview(svc: Services, cid: int, rule: Rule) -> str:
    """How many of the chat's latest items the rule would have matched, and the newest one."""
    feeds = await svc.store.catalog.all()
    chat = await svc.store.chats.get(cid)
    items = await svc.store.items.latest(followed_ids(chat, feeds), PREVIEW_ITEMS)
    by_id = {f.id: f for f in feeds}
    matched = [
        item
        for item in items
        if (feed := by_id.get(item.feed_id)) is not None
        and rule.matches(
            analyze(item.title, item.summary, source_text(feed.name, feed.url, item.link))
        )
    ]
    if not items:
        return text("watch.preview_empty")
    if not matched:
        return text("watch.preview_none", total=len(items))
    newest = matched[0]
    example = render_item_line(newest, by_id[newest.feed_id].name)
    return text("watch.preview", count=len(matched), total=len(items), example=Html(example))


async def unwatch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove one rule by its number in /rules."""
    store = services(context).store
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


async def rules(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the chat's rules, numbered."""
    chat = await services(context).store.chats.get(chat_id(update))
    if not chat.rules:
        await reply(update, text("rules.none"))
        return
    lines = [text("rules.header")]
    lines += [text("rules.line", number=n, rule=r) for n, r in enumerate(chat.rules, start=1)]
    await reply(update, "\n".join(lines))
