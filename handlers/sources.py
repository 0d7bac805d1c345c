"""/sources, /subscribe and /unsubscribe.

Who may change a chat's sources (its admins, in a group) is checked by the command table.
"""

from __future__ import annotations

from telegram import Update

from bot.i18n import listing, text
from handlers.channels import subscribe_channel, unsubscribe_channel
from handlers.common import (
    Context,
    argument,
    chat_id,
    followed_ids,
    reply,
    resolve_sources,
)


async def sources(update: Update, context: Context) -> None:
    """The catalog, with a mark on the sources this chat follows."""
    store = context.services.store
    feeds = await store.catalog.all()
    if not feeds:
        await reply(update, text("sources.empty"))
        return
    chat = await store.chats.get(chat_id(update))
    following = set(followed_ids(chat, feeds)) if chat.known else set()
    lines = [text("sources.header")]
    lines += [
        text("sources.line", mark="✅" if f.id in following else "▫️", name=f.name, id=f.id)
        for f in feeds
    ]
    if chat.known and not chat.alerts:
        lines.append(text("sources.alerts_off"))
    await reply(update, "\n".join(lines))


async def subscribe(update: Update, context: Context) -> None:
    """Alerts on: from all sources, or add the named ones."""
    store = context.services.store
    cid = chat_id(update)
    feeds = await store.catalog.all()
    raw = argument(update)
    if raw.startswith("@"):
        await subscribe_channel(update, context, raw.split()[0])
        return
    if not raw:
        await store.chats.subscribe_all(cid)
        answer = text("subscribe.all", count=len(feeds))
    else:
        found, unknown = resolve_sources(feeds, raw)
        if unknown:
            await reply(update, text("sources.unknown", names=listing(unknown)))
            return
        names = listing(f.name for f in found)
        before = await store.chats.get(cid)
        await store.chats.subscribe(cid, [f.id for f in found])
        if before.known and before.all_sources:
            answer = text("subscribe.already_all", names=names)
        else:
            after = await store.chats.get(cid)
            chosen = listing(f.name for f in feeds if f.id in after.sources)
            answer = text("subscribe.added", names=chosen)
    chat = await store.chats.get(cid)
    if not chat.rules:
        answer += text("subscribe.no_rules")
    await reply(update, answer)


async def unsubscribe(update: Update, context: Context) -> None:
    """Alerts off, or stop the named sources."""
    store = context.services.store
    cid = chat_id(update)
    raw = argument(update)
    if raw.startswith("@"):
        await unsubscribe_channel(update, context, raw.split()[0])
        return
    if not raw:
        await store.chats.unsubscribe_all(cid)
        await reply(update, text("unsubscribe.all"))
        return
    feeds = await store.catalog.all()
    found, unknown = resolve_sources(feeds, raw)
    if unknown:
        await reply(update, text("sources.unknown", names=listing(unknown)))
        return
    chat = await store.chats.get(cid)
    following = set(followed_ids(chat, feeds)) if chat.known else set()
    names = listing(f.name for f in found)
    not_followed = [f for f in found if f.id not in following]
    if not_followed:
        await reply(
            update, text("unsubscribe.not_following", names=listing(f.name for f in not_followed))
        )
        return
    await store.chats.unsubscribe(cid, [f.id for f in found], [f.id for f in feeds])
    left = len(following) - len(found)
    key = "unsubscribe.removed" if left else "unsubscribe.none_left"
    await reply(update, text(key, names=names, count=left))
