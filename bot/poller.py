"""The flow of an item: schedule, fetch, parse, seen?, story, match, deliveries on the stream.

This is the poller role. It joins the feeds, store and core modules; each stage stays in its own
module and this one only calls them in order. Any number of pollers can run against one Redis:
a feed is fetched only by the poller holding its lease, when the schedule says it is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot import metrics
from bot.core.matching import RuleIndex, TermStats
from bot.core.models import Delivery, Feed, FeedPreview, FeedState, Item
from bot.core.rules import RuleCompiler
from bot.core.schedule import Cadence, Outcome, next_delay
from bot.core.stories import Featurizer
from bot.core.timing import utcnow
from bot.errors import FeedError, FeedErrorKind, FeedGone
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import parse_feed
from bot.store import Store, keys
from bot.store.connection import REDIS_ERRORS
from bot.store.counters import Event
from bot.store.stories import Joined, Told

log = logging.getLogger(__name__)

# A primed feed with more new items than this in one poll rewrote itself (new GUIDs on old
# stories, a CMS migration): its items are recorded without alerting, rather than flooding.
MAX_NEW_PER_POLL = 50
LEASE_MARGIN_S = 30  # a lease outlives the longest fetch by this much
RULE_FOLLOW_MS = 500  # a follower's blocking read of the rule-change stream


def newest(entries: list[Item], limit: int) -> list[Item]:
    """The `limit` most recently published entries, in feed order (a tie: the earlier listed)."""
    if len(entries) <= limit:
        return entries
    ranked = sorted(range(len(entries)), key=lambda n: (-entries[n].published.timestamp(), n))
    chosen = set(ranked[:limit])
    return [entry for n, entry in enumerate(entries) if n in chosen]


@dataclass
class FeedReport:
    """What one poll of one feed did."""

    feed_id: str
    new_items: int = 0
    deliveries: int = 0
    not_modified: bool = False
    primed: bool = False  # this was the feed's first poll: items recorded, no alerts
    skipped: int = 0  # older entries left out: the document had more than a poll reads
    dropped: int = 0  # older items dropped to keep the feed's newest
    error: str | None = None
    error_kind: FeedErrorKind | None = None  # FeedError.kind, for metrics
    retry_after: float | None = None
    gone: bool = False
    moved_to: str | None = None
    # The feed's state after this poll (to reschedule it without reading it again).
    state: FeedState | None = field(default=None, compare=False, repr=False)

    @property
    def outcome_name(self) -> str:
        """The poll's outcome as metrics name it: new, quiet, not_modified or failed."""
        if self.error:
            return "failed"
        if self.not_modified:
            return "not_modified"
        return "new" if self.new_items else "quiet"

    @property
    def outcome(self) -> Outcome:
        """What the schedule makes of this poll."""
        if self.error:
            return Outcome.FAILED
        return Outcome.NEW if self.new_items else Outcome.QUIET


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
    """Polls due feeds (leased, bounded concurrency) and queues alerts for their new items."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        compiler: RuleCompiler,
        *,
        cadence: Cadence | None = None,
        concurrency: int = 10,
        max_item_age: timedelta = timedelta(hours=48),
        lease_seconds: float = 60.0,
        max_items_per_poll: int = 200,
        burst_limit: int = 0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """Poll with `fetcher`, `concurrency` feeds at a time; compile rules with `compiler`.

        A poll reads only the `max_items_per_poll` newest entries of a feed's document; a chat
        gets at most `burst_limit` alerts a minute from one feed (0: no limit), the rest listed
        in one message.
        """
        self._store = store
        self._fetcher = fetcher
        self._compiler = compiler
        self._cadence = cadence or Cadence(interval=120.0, minimum=60.0, maximum=6 * 3600.0)
        self._concurrency = concurrency
        self._limit = asyncio.Semaphore(concurrency)
        self._max_age = max_item_age
        self._per_poll = max_items_per_poll
        self._burst_limit = burst_limit
        self._lease_ms = int((lease_seconds + LEASE_MARGIN_S) * 1000)
        self._clock = clock
        self._owner = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self._stats = TermStats()  # which words are common, learnt from the items seen
        # Story features name the bilingual synonym groups the rules use too.
        self._featurizer = Featurizer(compiler.synonyms)
        self._grouping = asyncio.Lock()
        self._index: RuleIndex | None = None
        self._last_change = "0-0"  # the newest rule change the index holds

    async def rule_index(self, block_ms: int | None = None) -> RuleIndex:
        """The chats' rules: built from Redis once, then kept current from the change stream.

        With `block_ms`, waits that long for a change (the run loop follows the stream so).
        """
        chats = self._store.chats
        if self._index is None:
            # The stream position first: a change made while the index is built is read again.
            self._last_change = await chats.last_change()
            self._index = RuleIndex(await chats.subscribers(), self._compiler, self._stats)
            return self._index
        self._last_change, changed = await chats.changes(self._last_change, block_ms)
        for chat_id in changed:
            self._index.set_chat(chat_id, await chats.subscriber(chat_id))
        return self._index

    async def follow_rules(self, stop: asyncio.Event) -> None:
        """Apply rule changes to the in-memory index as they come (within a second)."""
        pause = 0.0
        while not stop.is_set():
            try:
                await self.rule_index(block_ms=RULE_FOLLOW_MS)
                pause = 0.0
            except REDIS_ERRORS:
                pause = min(30.0, max(0.5, pause * 2))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=pause)

    async def poll_all(self) -> PollReport:
        """Poll every enabled catalog feed once, now, whatever the schedule says."""
        feeds = await self._store.catalog.all()
        reports = await asyncio.gather(*(self._claimed(feed.id) for feed in feeds))
        report = PollReport(feeds=[r for r in reports if r is not None])
        log.info(
            "polled %d feeds: %d new items, %d alerts queued, %d failed",
            len(report.feeds), report.new_items, report.deliveries, report.errors,
        )  # fmt: skip
        return report

    async def run(self, stop: asyncio.Event) -> None:
        """Poll feeds as they fall due until `stop` is set."""
        running: dict[str, asyncio.Task[FeedReport | None]] = {}
        follower = asyncio.create_task(self.follow_rules(stop))
        pause = 0.0
        while not stop.is_set():
            try:
                await self._start_due(running)
                pause = 0.0
                wait = await self._idle_time()
            except REDIS_ERRORS:  # Redis away: keep trying, a little slower each time
                pause = min(30.0, max(0.5, pause * 2))
                log.warning("cannot reach Redis to schedule polls; retrying in %.1f s", pause)
                wait = pause
            stopped = asyncio.ensure_future(stop.wait())
            waiters: set[asyncio.Future[Any]] = {stopped, *running.values()}
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            for feed_id, task in list(running.items()):
                if task.done():
                    del running[feed_id]
                    if not task.cancelled() and task.exception() is not None:
                        log.error("polling %s failed", feed_id, exc_info=task.exception())
        for task in [*running.values(), follower]:
            task.cancel()
        await asyncio.gather(*running.values(), follower, return_exceptions=True)

    async def _start_due(self, running: dict[str, asyncio.Task[FeedReport | None]]) -> None:
        free = self._concurrency - len(running)
        if free <= 0:
            return
        now = self._clock().timestamp()
        for feed_id in await self._store.schedule.due(now, free * 2):
            if feed_id in running:
                continue
            running[feed_id] = asyncio.create_task(self._claimed(feed_id, when_due=True))
            if len(running) >= self._concurrency:
                return

    async def _idle_time(self) -> float:
        """How long to wait before looking for due feeds again."""
        next_due = await self._store.schedule.next_due()
        if next_due is None:
            return 1.0
        return min(1.0, max(0.05, next_due - self._clock().timestamp()))

    async def _claimed(self, feed_id: str, *, when_due: bool = False) -> FeedReport | None:
        """Poll one feed if its lease can be had (None when another poller has it).

        With `when_due`, only if it is still due once the lease is ours: another poller may
        have polled and rescheduled it since this one saw it due.
        """
        schedule = self._store.schedule
        # The lease is taken inside the limit: it starts when the work does, and no more
        # feeds are in flight (or Redis connections busy) than the concurrency setting.
        async with self._limit:
            if not await schedule.claim(feed_id, self._owner, self._lease_ms):
                return None
            try:
                if when_due:
                    due = await schedule.due_at(feed_id)
                    if due is None or due > self._clock().timestamp():
                        return None
                return await self._poll_and_reschedule(feed_id)
            finally:
                with contextlib.suppress(*REDIS_ERRORS):
                    await schedule.release(feed_id, self._owner)

    async def _poll_and_reschedule(self, feed_id: str) -> FeedReport | None:
        store = self._store
        feed = await store.catalog.get(feed_id)
        state = await store.feeds.get(feed_id)
        if feed is None or state.disabled:
            await store.schedule.remove(feed_id)  # removed from the catalog, or gone
            return None
        report = await self._guarded(feed, state)
        await store.counters.add(Event.POLL_ERRORS, 1 if report.error else 0)
        await store.counters.add(Event.ITEMS, report.new_items)
        await store.schedule.polled(self._clock().timestamp())
        metrics.FEEDS_POLLED.labels(report.outcome_name).inc()
        metrics.ITEMS_NEW.inc(report.new_items)
        if report.error_kind:
            metrics.FETCH_ERRORS.labels(report.error_kind).inc()
        if report.gone:
            await store.schedule.remove(feed_id)
            return report
        state = report.state or await store.feeds.get(feed_id)
        delay = next_delay(
            self._cadence,
            report.outcome,
            interval=feed.interval,
            errors=state.errors,
            new_streak=state.new_streak,
            retry_after=report.retry_after,
        )
        due = self._clock() + timedelta(seconds=delay)
        await store.schedule.set(feed_id, due.timestamp())
        await store.feeds.set_next_poll(feed_id, due)
        return report

    async def _guarded(self, feed: Feed, state: FeedState) -> FeedReport:
        """Poll a feed; a failure is recorded on the feed and never reaches the caller."""
        try:
            return await self.poll_feed(feed, state)
        except FeedGone as exc:
            await self._store.feeds.record_failure(feed.id, self._clock(), str(exc))
            await self._store.feeds.disable(feed.id, str(exc))
            log.warning("feed %s is gone and is no longer polled: %s", feed.id, exc)
            return FeedReport(feed_id=feed.id, error=str(exc), error_kind=exc.kind, gone=True)
        except FeedError as exc:
            now = self._clock()
            failed = await self._store.feeds.record_failure(feed.id, now, str(exc))
            log.warning("feed %s failed (%d in a row): %s", feed.id, failed.errors, exc)
            return FeedReport(
                feed_id=feed.id,
                error=str(exc),
                error_kind=exc.kind,
                retry_after=exc.retry_after,
                state=failed,
            )
        except REDIS_ERRORS:
            raise  # not the feed's fault: the poll loop waits for Redis
        except Exception as exc:  # a feed that trips a bug must not stop the others
            log.exception("feed %s: unexpected error", feed.id)
            reason = f"unexpected error: {type(exc).__name__}: {exc}"
            failed = await self._store.feeds.record_failure(feed.id, self._clock(), reason)
            return FeedReport(feed_id=feed.id, error=reason, error_kind="other", state=failed)

    async def poll_feed(self, feed: Feed, state: FeedState | None = None) -> FeedReport:
        """Fetch one feed, store its new items and queue alerts (not on its first poll)."""
        store = self._store
        state = state or await store.feeds.get(feed.id)
        result = await self._fetcher.fetch(feed.url, state.etag, state.last_modified)
        if result.moved_to:
            await store.catalog.move(feed.id, result.moved_to)
            log.info("feed %s moved permanently to %s", feed.id, result.moved_to)
            feed = feed.model_copy(update={"url": result.moved_to})
        now = self._clock()
        if result.not_modified:
            after = await store.feeds.record_not_modified(feed.id, now)
            return FeedReport(
                feed_id=feed.id, not_modified=True, moved_to=result.moved_to, state=after
            )
        parsed = await asyncio.to_thread(parse_feed, result.body, result.headers, feed, now)
        report = await self.ingest(
            feed, state, parsed.items, now, validators=(result.etag, result.last_modified)
        )
        report.moved_to = result.moved_to
        return report

    async def ingest(
        self,
        feed: Feed,
        state: FeedState,
        entries: list[Item],
        now: datetime,
        *,
        validators: tuple[str | None, str | None] | None = None,
    ) -> FeedReport:
        """Take a fetched document's entries: store the new, queue alerts, record the poll.

        Only the newest `max_items_per_poll` entries are read, and the feed keeps only its
        newest items (ItemRepo.keep), so what one feed stores stays bounded however much it
        publishes.
        """
        store = self._store
        read = newest(entries, self._per_poll)
        skipped = len(entries) - len(read)
        if skipped:
            log.info(
                "feed %s lists %d entries; only the newest %d are read", feed.id, len(entries),
                len(read),
            )  # fmt: skip
        entries = read
        new, reworded = await store.items.unseen(entries)
        # Oldest first, so alerts go out in the order things happened.
        new.sort(key=lambda item: item.published)
        new, deliveries = await self._record(feed, state, new, now)
        await store.deliveries.enqueue(deliveries)
        # Marked seen only after the alerts are queued: a crash in between re-queues them,
        # and the sender's per-(chat, item) marker stops a second copy.
        await store.items.mark_seen([*new, *reworded])
        dropped = await store.items.keep(feed.id, entries, now.timestamp())
        after = await store.feeds.record_success(
            feed.id,
            now,
            validators=validators,
            new_items=len(new),
            skipped=skipped,
            dropped=dropped,
        )
        return FeedReport(
            feed_id=feed.id,
            new_items=len(new),
            deliveries=len(deliveries),
            primed=not state.primed,
            skipped=skipped,
            dropped=dropped,
            state=after,
        )

    async def _record(
        self, feed: Feed, state: FeedState, new: list[Item], now: datetime
    ) -> tuple[list[Item], list[Delivery]]:
        """Store a poll's new items (grouped into stories) and make the alerts they call for.

        A feed's first poll and a flood of new items are recorded without alerts. Returns the
        items as stored and the deliveries to queue.
        """
        if not state.primed:
            await self._store.items.save(new)
            log.info("feed %s: first poll, %d items recorded without alerts", feed.id, len(new))
            return new, []
        if len(new) > MAX_NEW_PER_POLL:
            await self._store.items.save(new)
            log.warning(
                "feed %s published %d new items at once; recorded without alerts", feed.id, len(new)
            )
            return new, []
        # Stories are for news: only items young enough to alert are grouped.
        new, joined = await self._group(new, self._recent(new, now))
        await self._store.items.save(new)
        index = await self.rule_index()
        return new, await self._deliveries(feed, self._recent(new, now), index, joined)

    async def probe(self, url: str) -> FeedPreview:
        """Fetch and parse a URL once, as a feed would be (raises FeedError if it is none)."""
        result = await self._fetcher.fetch(url)
        probe = Feed(id="probe", name="probe", url=result.url)
        parsed = await asyncio.to_thread(
            parse_feed, result.body, result.headers, probe, self._clock()
        )
        if not parsed.items:
            raise FeedError("the feed has no items")
        langs = Counter(item.lang for item in parsed.items if item.lang)
        lang = langs.most_common(1)[0][0] if langs else None
        return FeedPreview(
            url=result.moved_to or url, title=parsed.title, items=parsed.items, lang=lang
        )

    def _recent(self, items: list[Item], now: datetime) -> list[Item]:
        """Items young enough to alert on (an old story that shows up late is not news)."""
        oldest = now - self._max_age
        return [item for item in items if item.published >= oldest]

    async def _group(
        self, items: list[Item], young: list[Item]
    ) -> tuple[list[Item], dict[str, Joined]]:
        """Put the `young` items in their stories; all `items` come back, those with story ids."""
        if not young:
            return items, {}
        featurizer = self._featurizer
        reports = await asyncio.to_thread(lambda: [featurizer.report(item) for item in young])
        joined: dict[str, Joined] = {}
        # One item at a time per poller: feeds polled together would otherwise each start a
        # story for one event, neither seeing the other's yet.
        async with self._grouping:
            for item, features in zip(young, reports, strict=True):
                joined[item.id] = await self._store.stories.assign(item, features)
        grouped = [
            item.model_copy(update={"story_id": joined[item.id].story_id})
            if item.id in joined
            else item
            for item in items
        ]
        return grouped, joined

    async def _deliveries(
        self, feed: Feed, items: list[Item], index: RuleIndex, joined: dict[str, Joined]
    ) -> list[Delivery]:
        """A first alert for each chat the story is new to; an edit for chats told of it before.

        A chat gets one message per story: a later report that matches its rules adds nothing
        new for it, and a report from another outlet edits the messages already sent ("Also:").
        Past the chat's burst limit for this feed, its first alerts come as one message (`_fold`).
        """
        stories = self._store.stories
        firsts: list[Delivery] = []
        updates: list[Delivery] = []
        told_now: dict[str, dict[int, Told]] = {}  # told in this poll, by story
        for item in items:
            hits = index.match(item, feed)
            join = joined.get(item.id)
            story_id = item.story_id or item.id
            told = await stories.told(story_id) if join is not None and not join.new else {}
            told = {**told, **told_now.get(story_id, {})}
            newly = told_now.setdefault(story_id, {})
            for hit in hits:
                if hit.chat_id in told or hit.chat_id in newly:
                    # The chat's message is about this story: it says so (and is edited when
                    # an outlet is new); an item that joined no told story always alerts.
                    metrics.FOLDED.inc()
                    log.debug("item %s joins story %s, told to chat %s", item.id, story_id,
                              hit.chat_id)  # fmt: skip
                    continue
                newly[hit.chat_id] = Told(item.id, hit.text, hit.words)
                firsts.append(
                    Delivery(
                        chat_id=hit.chat_id,
                        item_id=item.id,
                        rule=hit.text,
                        story_id=story_id,
                        words=hit.words,
                    )
                )
            if join is not None and join.new_outlet and not join.new:
                updates += [
                    Delivery(
                        chat_id=chat_id,
                        item_id=seen.item_id,
                        rule=seen.rule,
                        story_id=story_id,
                        update=True,
                        words=seen.words,
                    )
                    for chat_id, seen in told.items()
                ]
        alerts, bursts = await self._fold(feed, firsts)
        story_of = {d.item_id: d.story for d in firsts}
        for delivery in bursts:  # a story only listed in a burst is not told: its next alert goes
            for item_id in delivery.folded:
                told_now[story_of[item_id]].pop(delivery.chat_id, None)
        for story_id, newly in told_now.items():
            await stories.tell(story_id, newly)
        metrics.MATCHES.inc(len(firsts))  # a burst's listed items count, one each
        metrics.UPDATES.inc(len(updates))
        return [*alerts, *updates, *bursts]

    async def _fold(
        self, feed: Feed, firsts: list[Delivery]
    ) -> tuple[list[Delivery], list[Delivery]]:
        """The first alerts within each chat's burst limit for this feed; one message for the rest.

        A feed that publishes 40 matching items at once is 5 alerts and one list of 35 for a
        chat; its next items within the burst window join a list too.
        """
        if not self._burst_limit or not firsts:
            return firsts, []
        wanted = Counter(d.chat_id for d in firsts)
        totals = await self._store.limiter.tally(
            {keys.burst(chat_id, feed.id): count for chat_id, count in wanted.items()},
            keys.BURST_WINDOW,
        )
        # What each chat had from this feed in the window before this poll.
        had = {c: totals[keys.burst(c, feed.id)] - count for c, count in wanted.items()}
        alerts: list[Delivery] = []
        rest: dict[int, list[Delivery]] = {}
        for delivery in firsts:
            chat_id = delivery.chat_id
            if had[chat_id] < self._burst_limit:
                alerts.append(delivery)
                had[chat_id] += 1
            else:
                rest.setdefault(chat_id, []).append(delivery)
        bursts = [
            Delivery(
                chat_id=chat_id,
                item_id=folded[0].item_id,
                rule=folded[0].rule,
                story_id=f"burst:{folded[0].item_id}",
                folded=tuple(d.item_id for d in folded),
            )
            for chat_id, folded in rest.items()
        ]
        metrics.BURSTS.inc(len(bursts))
        return alerts, bursts
