"""Admin commands for the feed catalog: /feeds (health), /addfeed, /removefeed.

The command table lets only the bot's admins use them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum

from telegram import Update

from bot.core.models import Feed, FeedState, feed_slug, find_feed
from bot.errors import FeedError, InvalidAddress
from bot.i18n import ago, listing, span, text, until
from handlers.common import Context, argument, reply

FAILING_FOR = timedelta(days=1)  # a feed failing this long is flagged in /feeds
CAPPED_FOR = timedelta(days=1)  # a feed held to its storage bounds this recently is flagged


async def feeds(update: Update, context: Context) -> None:
    """The catalog with each feed's health, for admins."""
    store = context.services.store
    catalog = await store.catalog.all()
    if not catalog:
        await reply(update, text("sources.empty"))
        return
    states = await store.feeds.many([feed.id for feed in catalog])
    now = datetime.now(UTC)
    settings = context.services.settings
    bounds = (settings.max_items_per_poll, settings.max_items_per_feed)
    lines = [text("feeds.header", count=len(catalog))]
    lines += [health_line(feed, states[feed.id], now, bounds) for feed in catalog]
    await reply(update, "\n".join(lines))


class Health(Enum):
    """A feed's health, as /feeds marks it and /stats counts it."""

    OK = "🟢"
    FAILING = "🟠"
    FAILING_LONG = "🔴"
    NEVER = "⚪"
    OFF = "⛔"


def health(state: FeedState, now: datetime) -> Health:
    """How a feed is doing, from its polling state."""
    if state.disabled:
        return Health.OFF
    if state.errors and state.failing_since and now - state.failing_since >= FAILING_FOR:
        return Health.FAILING_LONG
    if state.errors:
        return Health.FAILING
    return Health.NEVER if state.last_ok is None else Health.OK


def capped(state: FeedState, now: datetime) -> bool:
    """Whether a feed was lately held to its storage bounds (entries left out, items dropped)."""
    return any(
        when is not None and now - when < CAPPED_FOR
        for when in (state.skipped_at, state.dropped_at)
    )


def capped_note(state: FeedState, now: datetime, bounds: tuple[int, int]) -> str:
    """What /feeds adds to a feed's line while it is being capped (nothing otherwise)."""
    per_poll, per_feed = bounds
    note = ""
    if state.skipped_at is not None and now - state.skipped_at < CAPPED_FOR:
        note += text("feeds.skipping", limit=per_poll, skipped=state.skipped)
    if state.dropped_at is not None and now - state.dropped_at < CAPPED_FOR:
        note += text("feeds.dropping", limit=per_feed, dropped=state.dropped)
    return note


def health_line(feed: Feed, state: FeedState, now: datetime, bounds: tuple[int, int]) -> str:
    """One feed's line in /feeds: a status mark, its name, and what is known of its polls.

    `bounds` are the entries a poll reads and the items a feed keeps, named when it is capped.
    """
    status = health(state, now)
    if status is Health.OFF:
        detail = text("feeds.disabled", reason=state.disabled)
    elif status is Health.FAILING_LONG and state.failing_since:
        detail = text(
            "feeds.failing_long", span=span(now - state.failing_since), reason=state.last_error
        )
    elif status in (Health.FAILING, Health.FAILING_LONG):
        detail = text("feeds.failing", count=state.errors, reason=state.last_error)
    elif status is Health.NEVER or state.last_ok is None:
        detail = text("feeds.never")
    else:
        detail = text("feeds.ok", ago=ago(state.last_ok, now), items=state.items_seen)
    upcoming = (
        text("feeds.next", when=until(state.next_poll, now))
        if state.next_poll and status is not Health.OFF
        else ""
    )
    line = text("feeds.line", mark=status.value, name=feed.name, id=feed.id, detail=detail)
    return line + capped_note(state, now, bounds) + upcoming


async def addfeed(update: Update, context: Context) -> None:
    """Add a feed after fetching it once; shows its title and newest item."""
    svc = context.services
    raw = argument(update)
    if not raw:
        await reply(update, text("addfeed.usage"))
        return
    url, _, name = raw.partition(" ")
    if "://" not in url:  # "example.com/rss" or a word: not an address yet, whatever it names
        await reply(update, text("addfeed.no_scheme", url=url))
        return
    catalog = await svc.store.catalog.all()
    known = next((feed for feed in catalog if feed.url == url), None)
    if known is not None:
        await reply(update, text("addfeed.known", name=known.name, id=known.id))
        return
    try:
        preview = await svc.probe(url)
    except InvalidAddress as exc:
        await reply(update, text("addfeed.invalid", url=url, detail=exc.detail))
        return
    except FeedError as exc:
        reason = str(exc).removeprefix(f"{url}: ")  # the guard names the URL already
        await reply(update, text("addfeed.failed", url=url, reason=reason))
        return
    title = " ".join((name.strip() or preview.title or url).split())[:64]
    feed = Feed(
        id=feed_slug(title, preview.url, {f.id for f in catalog}),
        name=title,
        url=preview.url,
        lang=preview.lang,
        origin="admin",
    )
    await svc.store.catalog.add(feed)
    await svc.store.feeds.enable(feed.id)
    await svc.store.schedule.set(feed.id, datetime.now(UTC).timestamp())
    newest = preview.newest
    await reply(
        update,
        text(
            "addfeed.added",
            name=feed.name,
            id=feed.id,
            title=preview.title or "-",
            count=len(preview.items),
            newest=newest.title if newest else "-",
        ),
    )


async def removefeed(update: Update, context: Context) -> None:
    """Remove a feed from the catalog (the catalog file does not bring it back)."""
    store = context.services.store
    raw = argument(update)
    if not raw:
        await reply(update, text("removefeed.usage"))
        return
    feed = find_feed(await store.catalog.all(), raw)
    if feed is None:
        await reply(update, text("sources.unknown", names=listing([raw])))
        return
    await store.catalog.remove(feed.id)
    await store.schedule.remove(feed.id)
    await store.feeds.forget(feed.id)
    await reply(update, text("removefeed.removed", name=feed.name, id=feed.id))
