"""The poller on real parts: local HTTP feeds, real Redis, the rule index, the delivery stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.core.models import Feed, Item
from bot.core.rules import RuleCompiler
from bot.demo.feedserver import FeedServer
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import AddressPolicy
from bot.poller import Poller
from bot.store import Store, keys
from bot.store.connection import Client
from bot.store.counters import Event
from testkit.feeds import Entry, rss
from testkit.queue import queued

OLD = Entry("old-1", "Old news about drones at a US base", minutes=0)
MATCH = Entry("new-1", "Drones strike US base in Syria", "Officials confirmed.", minutes=60)
OTHER = Entry("new-2", "Oil prices rise", "Markets moved.", minutes=61)
# Words for headlines that share nothing but "drone" (one per entry of a churning feed).
PLACES = (
    "Aden Basra Cairo Dakar Essen Fargo Genoa Hanoi Izmir Jaffa Kazan Lagos Minsk Nablus Osaka "
    "Perth Quito Rabat Sanaa Tunis Ulsan Vaduz Warsaw Yerevan Zagreb Accra Beirut Colombo Dhaka "
    "Erbil Fez"
).split()
THINGS = (
    "tanker bridge reactor pipeline airport convoy warehouse stadium harbour railway dam "
    "embassy refinery hospital barracks market school tower depot factory mine checkpoint "
    "lighthouse ferry satellite cathedral bunker runway silo palace"
).split()
DEEDS = (
    "burned flooded collapsed evacuated seized shelled closed reopened sealed raided looted "
    "hijacked bombed stormed abandoned blockaded mined sabotaged encircled captured liberated "
    "cordoned patrolled photographed intercepted downed jammed spotted tracked shadowed"
).split()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A fetcher with short timeouts."""
    fetcher = Fetcher(timeout=5, policy=AddressPolicy(allow_private=True))
    yield fetcher
    await fetcher.aclose()


async def setup(store: Store, server: FeedServer, *feed_ids: str) -> list[Feed]:
    """Serve an initial snapshot for each feed and put the feeds in the catalog."""
    feeds = []
    for feed_id in feed_ids:
        url = server.set(f"/{feed_id}.xml", rss([OLD], title=feed_id))
        feeds.append(Feed(id=feed_id, name=feed_id.title(), url=url))
    await store.catalog.replace(feeds)
    return feeds


async def watcher(store: Store, chat_id: int, rule: str, sources: list[str] | None = None) -> None:
    """A started chat with one rule, following all sources or the given ones."""
    if sources is None:
        await store.chats.start(chat_id)
    else:
        await store.chats.subscribe(chat_id, sources)
    await store.chats.add_rule(chat_id, rule, 50)


async def test_first_poll_records_without_alerting(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """A new feed's existing entries are stored for /latest but never alert."""
    await setup(store, feed_server, "wire")
    await watcher(store, 1, "drone")
    report = await Poller(store, fetcher, RuleCompiler()).poll_all()
    assert report.feeds[0].primed
    assert (report.new_items, report.deliveries) == (1, 0)
    assert [i.title for i in await store.items.latest(["wire"], 5)] == [OLD.title]
    assert (await store.feeds.get("wire")).primed


async def test_new_items_alert_matching_chats_once(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """After priming, a new matching item queues one delivery per matching chat, once."""
    await setup(store, feed_server, "wire", "other")
    await watcher(store, 1, "US base drone")
    await watcher(store, 2, "oil")
    await watcher(store, 3, "drone", sources=["other"])
    poller = Poller(store, fetcher, RuleCompiler())
    await poller.poll_all()
    feed_server.set("/wire.xml", rss([OLD, MATCH, OTHER]))
    report = await poller.poll_all()
    assert report.new_items == 2
    entries = await queued(store)
    assert sorted((d.chat_id, d.rule) for d in entries) == [
        (1, "US base drone"),
        (2, "oil"),
    ]
    again = await Poller(store, fetcher, RuleCompiler()).poll_all()  # a restarted poller
    assert (again.new_items, again.deliveries) == (0, 0)


async def test_unchanged_feed_is_not_parsed(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """The second poll of an unchanged feed sends the validators and gets a 304."""
    await setup(store, feed_server, "wire")
    poller = Poller(store, fetcher, RuleCompiler())
    await poller.poll_all()
    report = await poller.poll_all()
    assert report.feeds[0].not_modified
    path, headers = feed_server.request_headers[-1]
    assert path == "/wire.xml"
    assert "if-none-match" in headers


async def test_failing_feed_does_not_stop_others(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """A 404, a non-feed and an unreachable host are recorded and counted; others still alert."""
    feeds = await setup(store, feed_server, "good")
    feed_server.set("/html.xml", "<html><body>Hello</body></html>", content_type="text/html")
    broken = [
        Feed(id="missing", name="Missing", url=feed_server.url("/missing.xml")),
        Feed(id="html", name="Html", url=feed_server.url("/html.xml")),
        Feed(id="down", name="Down", url="http://127.0.0.1:9/feed.xml"),
    ]
    await store.catalog.replace([*feeds, *broken])
    await watcher(store, 1, "drone")
    poller = Poller(store, fetcher, RuleCompiler())
    await poller.poll_all()
    feed_server.set("/good.xml", rss([OLD, MATCH]))
    report = await poller.poll_all()
    assert report.errors == 3
    assert report.deliveries == 1
    missing = await store.feeds.get("missing")
    assert missing.last_error == "HTTP 404 Not Found"
    assert missing.errors == 2
    assert (await store.feeds.get("html")).last_error is not None
    assert "not a feed" in str((await store.feeds.get("html")).last_error)
    assert (await store.feeds.get("down")).last_error is not None
    assert (await store.feeds.get("good")).errors == 0
    hour = await store.counters.last_hour()
    assert (hour[Event.POLL_ERRORS], hour[Event.ITEMS]) == (6, 2)  # /stats: 3 feeds x 2 polls


async def test_alerts_are_queued_oldest_first(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """Several new items alert in the order they were published."""
    await setup(store, feed_server, "wire")
    await watcher(store, 1, "*")
    poller = Poller(store, fetcher, RuleCompiler())
    await poller.poll_all()
    feed_server.set("/wire.xml", rss([OLD, OTHER, MATCH]))
    await poller.poll_all()
    entries = await queued(store)
    titles = [(await store.items.get(d.item_id)) for d in entries]
    assert [t.title for t in titles if t] == [MATCH.title, OTHER.title]


async def test_a_story_alerts_each_chat_once_and_updates_on_new_outlets(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """A second outlet's report of a story edits the chats told of it, and alerts only new chats."""
    await setup(store, feed_server, "wire", "other")
    await watcher(store, 1, "US base drone")
    await watcher(store, 2, "Syria")
    await watcher(store, 3, "confirmed", sources=["other"])
    poller = Poller(store, fetcher, RuleCompiler())
    await poller.poll_all()
    feed_server.set("/wire.xml", rss([OLD, MATCH]))
    await poller.poll_all()
    first = await queued(store)
    assert sorted((d.chat_id, d.update) for d in first) == [(1, False), (2, False)]
    (story,) = {d.story for d in first}
    copy = Entry(
        "other-7", MATCH.title, MATCH.summary, minutes=70, link="https://news.example/new-1"
    )
    feed_server.set("/other.xml", rss([OLD, copy]))
    await poller.poll_all()
    later = await queued(store)  # what was queued since
    assert sorted((d.chat_id, d.update, d.item_id.startswith("wire")) for d in later) == [
        (1, True, True),  # edit the message chat 1 got, which shows wire's report
        (2, True, True),
        (3, False, False),  # chat 3 follows only "other": its first message about the story
    ]
    assert {d.story for d in later} == {story}
    assert await store.stories.outlets(story) == ["wire", "other"]
    assert (await store.items.get(later[-1].item_id)) is not None


async def test_rule_changes_reach_every_poller_within_a_second(
    store: Store, fetcher: Fetcher
) -> None:
    """Two running pollers' indexes follow /watch and /unwatch within a second, channels too."""
    item = Item(id="w:1", feed_id="wire", title="Drones hit base", published=datetime.now(UTC))
    pollers = [Poller(store, fetcher, RuleCompiler()) for _ in range(2)]
    for poller in pollers:
        assert (await poller.rule_index()).match(item) == []
    stop = asyncio.Event()
    followers = [asyncio.create_task(p.follow_rules(stop)) for p in pollers]
    try:
        await store.chats.start(1)
        await store.chats.link_channel(-1009, owner_id=1, lang=None)
        started = time.monotonic()
        await store.chats.add_rule(1, "drone", 50)

        async def everywhere(expected: set[int]) -> float:
            while True:
                found = [
                    {hit.chat_id for hit in p._index.match(item)} if p._index else set()
                    for p in pollers
                ]
                if all(f == expected for f in found):
                    return time.monotonic() - started
                await asyncio.sleep(0.01)

        assert await asyncio.wait_for(everywhere({1, -1009}), timeout=1.0) < 1.0
        started = time.monotonic()
        await store.chats.remove_rule(1, 1)
        assert await asyncio.wait_for(everywhere(set()), timeout=1.0) < 1.0
        await store.chats.add_rule(1, "base", 50)
        fresh = Poller(store, fetcher, RuleCompiler())  # a restarted poller builds from Redis
        assert {h.chat_id for h in (await fresh.rule_index()).match(item)} == {1, -1009}
    finally:
        stop.set()
        await asyncio.gather(*followers)


async def count_keys(redis: Client, pattern: str) -> int:
    """How many keys match `pattern` (every node of a cluster)."""
    return len([key async for key in redis.scan_iter(match=pattern, count=1000)])


async def test_a_poll_reads_only_the_newest_entries(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """A document longer than a poll reads is cut to its newest entries, and the feed says so."""
    entries = [Entry(f"e-{n}", f"Report number {n} from the coast", minutes=n) for n in range(5)]
    url = feed_server.set("/long.xml", rss(list(reversed(entries[:2])) + entries[2:]))
    await store.catalog.replace([Feed(id="long", name="Long", url=url)])
    report = await Poller(store, fetcher, RuleCompiler(), max_items_per_poll=3).poll_all()
    assert (report.feeds[0].new_items, report.feeds[0].skipped) == (3, 2)
    latest = await store.items.latest(["long"], 10)
    assert [i.title for i in latest] == [e.title for e in reversed(entries[2:])]
    state = await store.feeds.get("long")
    assert (state.skipped, state.skipped_at is not None, state.dropped) == (2, True, 0)


async def test_a_feed_of_all_new_entries_every_poll_stores_a_bounded_amount(
    redis: Client, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """A feed whose every poll is all new keeps its newest items only, and its alerts still go."""
    store = Store(redis, retention_seconds=3600, keep_per_feed=6)
    url = feed_server.set("/churn.xml", rss([OLD]))
    await store.catalog.replace([Feed(id="churn", name="Churn", url=url)])
    await watcher(store, 1, "drone")
    poller = Poller(store, fetcher, RuleCompiler(), max_items_per_poll=4)
    await poller.poll_all()
    words = iter(zip(PLACES, THINGS, DEEDS, strict=False))  # headlines of distinct stories
    dropped = 0
    for poll in range(1, 7):
        fresh = [
            Entry(f"c-{poll}-{n}", f"Drone {' '.join(next(words))}", minutes=poll * 10 + n)
            for n in range(5)
        ]
        feed_server.set("/churn.xml", rss(fresh))
        report = await poller.poll_all()
        (fed,) = report.feeds
        assert (fed.new_items, fed.skipped) == (4, 1)
        dropped += fed.dropped
        sent = await queued(store)  # what this poll queued (like items group in one story)
        assert sent
        assert all([await store.items.get(d.item_id) for d in sent])  # the sender finds them
    assert await count_keys(redis, keys.item("churn:*")) == 6
    assert await count_keys(redis, keys.seen("churn", "*")) == 6
    assert await count_keys(redis, keys.fingerprint("churn", "*")) == 6
    state = await store.feeds.get("churn")
    assert (state.dropped, dropped) == (1 + 6 * 4 - 6, 1 + 6 * 4 - 6)
    assert state.dropped_at is not None


def burst_entries(first: int, count: int) -> list[Entry]:
    """`count` unrelated new entries (a story each), published a minute apart."""
    return [
        Entry(f"b-{n}", f"{PLACES[n]} {THINGS[n]} {DEEDS[n]}", minutes=60 + n)
        for n in range(first, first + count)
    ]


async def test_a_burst_past_the_limit_comes_as_one_message(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """Past 5 alerts a minute from one feed, a chat's further alerts are listed in one message."""
    await setup(store, feed_server, "wire")
    await watcher(store, 1, "*")
    await watcher(store, 2, f"{PLACES[0]} OR {PLACES[1]}")  # under the limit: alerts only
    poller = Poller(store, fetcher, RuleCompiler(), burst_limit=5)
    await poller.poll_all()
    first = burst_entries(0, 12)
    feed_server.set("/wire.xml", rss([OLD, *first]))
    await poller.poll_all()
    queued_now = await queued(store)
    alerts = [d for d in queued_now if d.chat_id == 1 and not d.folded]
    (burst,) = [d for d in queued_now if d.folded]
    titles = {d.item_id: (await store.items.get(d.item_id)) for d in queued_now}
    assert [titles[d.item_id].title for d in alerts] == [e.title for e in first[:5]]  # type: ignore[union-attr]
    assert burst.chat_id == 1
    assert len(burst.folded) == 7
    assert burst.story.startswith("burst:")
    assert sorted(d.chat_id for d in queued_now if d.chat_id == 2) == [2, 2]
    # A story only listed in the burst was not told to the chat: its next report alerts it.
    listed = await store.items.get(burst.folded[0])
    assert listed is not None
    assert listed.story_id is not None
    assert 1 not in await store.stories.told(listed.story_id)
    assert 1 in await store.stories.told(alerts[0].story)
    # Within the minute, the feed's next items join a list at once.
    feed_server.set("/wire.xml", rss([OLD, *first, *burst_entries(12, 2)]))
    await poller.poll_all()
    (later,) = await queued(store)
    assert (later.chat_id, len(later.folded)) == (1, 2)


async def test_no_burst_limit_alerts_every_item(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """With the burst limit off (0), every matching item is its own alert."""
    await setup(store, feed_server, "wire")
    await watcher(store, 1, "*")
    poller = Poller(store, fetcher, RuleCompiler(), burst_limit=0)
    await poller.poll_all()
    feed_server.set("/wire.xml", rss([OLD, *burst_entries(0, 8)]))
    await poller.poll_all()
    entries = await queued(store)
    assert len(entries) == 8
    assert not any(d.folded for d in entries)
