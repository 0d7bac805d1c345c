"""The flow of an item: fetch, parse, seen?, match, deliveries on the stream.

This is the poller role. It joins the feeds, store and core modules; each stage stays in its own
module and this one only calls them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.document import source_text
from bot.core.matching import RuleIndex, TermStats
from bot.core.models import Delivery, Feed, Item
from bot.core.rules import RuleCompiler
from bot.errors import FeedError
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import parse_feed
from bot.store import Store

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass
class FeedReport:
    """What one poll of one feed did."""

    feed_id: str
    new_items: int = 0
    deliveries: int = 0
    not_modified: bool = False
    primed: bool = False  # this was the feed's first poll: items recorded, no alerts
    error: str | None = None


@dataclass
class PollReport:
    """What one poll of the whole catalog did."""

    feeds: list[FeedReport] = field(default_factory=list)

    @property
    def new_items(self) -> int:
        """New items over all feeds."""
        return sum(r.new_items for r in self.feeds)

    @property
    def deliveries(self) -> int:
        """Deliveries queued over all feeds."""
        return sum(r.deliveries for r in self.feeds)

    @property
    def errors(self) -> int:
        """Feeds that failed."""
        return sum(1 for r in self.feeds if r.error)


class Poller:
    """Polls every catalog feed, concurrently and bounded, and queues alerts for new items."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        compiler: RuleCompiler,
        *,
        concurrency: int = 10,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """Poll with `fetcher`, `concurrency` feeds at a time; compile rules with `compiler`."""
        self._store = store
        self._fetcher = fetcher
        self._compiler = compiler
        self._stats = TermStats()  # which words are common, learnt from the items seen
        self._limit = asyncio.Semaphore(concurrency)
        self._clock = clock

    async def poll_all(self) -> PollReport:
        """Poll every feed of the catalog once; a failing feed never stops the others."""
        feeds = await self._store.catalog.all()
        index = RuleIndex(await self._store.chats.subscribers(), self._compiler, self._stats)
        reports = await asyncio.gather(*(self._guarded(feed, index) for feed in feeds))
        report = PollReport(feeds=list(reports))
        log.info(
            "polled %d feeds: %d new items, %d alerts queued, %d failed",
            len(feeds), report.new_items, report.deliveries, report.errors,
        )  # fmt: skip
        return report

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Poll every `interval` seconds until `stop` is set."""
        while not stop.is_set():
            started = asyncio.get_running_loop().time()
            try:
                await self.poll_all()
            except Exception:  # Redis away: log, wait, try again
                log.exception("poll cycle failed")
            elapsed = asyncio.get_running_loop().time() - started
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, interval - elapsed))

    async def _guarded(self, feed: Feed, index: RuleIndex) -> FeedReport:
        async with self._limit:
            try:
                return await self.poll_feed(feed, index)
            except FeedError as exc:
                count = await self._store.feeds.record_failure(feed.id, self._clock(), str(exc))
                log.warning("feed %s failed (%d in a row): %s", feed.id, count, exc)
                return FeedReport(feed_id=feed.id, error=str(exc))

    async def poll_feed(self, feed: Feed, index: RuleIndex) -> FeedReport:
        """Fetch one feed, store its new items and queue alerts (not on its first poll)."""
        store = self._store
        state = await store.feeds.get(feed.id)
        result = await self._fetcher.fetch(feed.url, state.etag, state.last_modified)
        now = self._clock()
        if result.not_modified:
            await store.feeds.record_not_modified(feed.id, now)
            return FeedReport(feed_id=feed.id, not_modified=True)
        parsed = await asyncio.to_thread(parse_feed, result.body, result.headers, feed, now)
        new = await store.items.unseen(parsed.items)
        # Oldest first, so alerts go out in the order things happened.
        new.sort(key=lambda item: item.published)
        await store.items.save(new)
        deliveries = self._deliveries(feed, new, index) if state.primed else []
        await store.deliveries.enqueue(deliveries)
        # Marked seen only after the alerts are queued: a crash in between re-queues them,
        # and the sender's per-(chat, item) marker stops a second copy.
        await store.items.mark_seen(new)
        await store.feeds.record_success(
            feed.id, now, etag=result.etag, last_modified=result.last_modified, new_items=len(new)
        )
        return FeedReport(
            feed_id=feed.id, new_items=len(new), deliveries=len(deliveries), primed=not state.primed
        )

    @staticmethod
    def _deliveries(feed: Feed, items: list[Item], index: RuleIndex) -> list[Delivery]:
        return [
            Delivery(chat_id=hit.chat_id, item_id=item.id, rule=hit.text)
            for item in items
            for hit in index.match(item, source_text(feed.name, feed.url, item.link))
        ]
