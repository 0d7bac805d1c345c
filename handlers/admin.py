"""Admin views: /stats (the bot at a glance) and /failed (alerts that could not be delivered).

The command table lets only the bot's admins use them.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from telegram import Update

from bot.delivery.render import format_time
from bot.i18n import ago, text
from bot.store.counters import Event
from handlers.common import Context, reply
from handlers.feeds import Health, capped, health

FAILED_SHOWN = 10


async def failed(update: Update, context: Context) -> None:
    """The newest dead letters: which chat, which item, how often it failed and why."""
    store = context.services.store
    letters = await store.deliveries.dead_letters(FAILED_SHOWN)
    if not letters:
        await reply(update, text("failed.none"))
        return
    lines = [text("failed.header", count=len(letters))]
    for letter in letters:
        item = await store.items.get(letter.delivery.item_id)
        lines.append(
            text(
                "failed.line",
                when=format_time(letter.failed_at),  # month names in the chat's language
                chat=letter.delivery.chat_id,
                title=item.title[:80] if item else letter.delivery.item_id,
                attempts=letter.attempts,
                error=letter.error,
            )
        )
    await reply(update, "\n".join(lines))


async def stats(update: Update, context: Context) -> None:
    """The bot at a glance: chats and rules, feed health, the last hour, the delivery backlog."""
    svc = context.services
    store = svc.store
    now = datetime.now(UTC)
    chats = await store.chats.counts()
    catalog = await store.catalog.all()
    states = await store.feeds.many([feed.id for feed in catalog])
    health_counts = Counter(health(state, now) for state in states.values())
    hour = await store.counters.last_hour(now=now.timestamp())
    backlog = await store.deliveries.backlog()
    oldest = await store.deliveries.oldest_waiting()
    senders = await store.senders.live(
        int(now.timestamp() * 1000), int(svc.settings.http_timeout * 1000)
    )
    lines = [
        text("stats.header"),
        text(
            "stats.chats",
            started=chats.started,
            active=chats.active,
            alerted=chats.alerted,
            rules=chats.rules,
        ),
        text(
            "stats.feeds",
            feeds=len(catalog),
            ok=health_counts[Health.OK],
            failing=health_counts[Health.FAILING] + health_counts[Health.FAILING_LONG],
            failing_long=health_counts[Health.FAILING_LONG],
            never=health_counts[Health.NEVER],
            off=health_counts[Health.OFF],
        ),
        text(
            "stats.hour",
            items=hour[Event.ITEMS],
            poll_errors=hour[Event.POLL_ERRORS],
            sent=hour[Event.SENT],
            retries=hour[Event.SEND_RETRIES],
            floods=hour[Event.FLOODS],
            dead=hour[Event.DEAD],
        ),
        text(
            "stats.delivery",
            backlog=backlog,
            capacity=store.deliveries.capacity,
            oldest=ago(oldest, now) if oldest else text("stats.nothing_waits"),
            senders=senders,
        ),
    ]
    if store.deliveries.near_full(backlog):
        lines.append(text("stats.near_full"))
    held_back = sum(1 for state in states.values() if capped(state, now))
    if held_back:
        lines.append(text("stats.capped", count=held_back))
    lines.append(text("stats.failed", count=await store.deliveries.dead_letter_count()))
    await reply(update, "\n".join(lines))
