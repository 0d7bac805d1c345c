"""Scheduling: the interval policy, leases in Redis, and pollers sharing the work."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator

import pytest

from bot.core.models import Feed
from bot.core.rules import RuleCompiler
from bot.core.schedule import Cadence, Outcome, next_delay
from bot.demo.feedserver import FeedServer
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import AddressPolicy
from bot.poller import Poller
from bot.store import Store
from testkit.feeds import Entry, rss

CADENCE = Cadence(interval=100.0, minimum=20.0, maximum=1000.0)


@pytest.mark.parametrize(
    ("outcome", "kwargs", "expected"),
    [
        (Outcome.QUIET, {}, 100.0),
        (Outcome.QUIET, {"interval": 30.0}, 30.0),
        (Outcome.NEW, {"new_streak": 1}, 100.0),
        (Outcome.NEW, {"new_streak": 2}, 50.0),
        (Outcome.NEW, {"new_streak": 3}, 25.0),
        (Outcome.NEW, {"new_streak": 9}, 20.0),  # never below the minimum
        (Outcome.FAILED, {"errors": 1}, 100.0),
        (Outcome.FAILED, {"errors": 2}, 200.0),
        (Outcome.FAILED, {"errors": 4}, 800.0),
        (Outcome.FAILED, {"errors": 40}, 1000.0),  # capped
        (Outcome.FAILED, {"errors": 1, "retry_after": 600.0}, 600.0),
        (Outcome.FAILED, {"errors": 1, "retry_after": 10**6}, 1000.0),
    ],
)
def test_next_delay(outcome: Outcome, kwargs: dict[str, float], expected: float) -> None:
    """The next poll follows the interval, backs off after errors, speeds up for busy feeds."""
    assert next_delay(CADENCE, outcome, jitter=0.0, **kwargs) == pytest.approx(expected)  # type: ignore[arg-type]


def test_jitter_spreads_but_never_beats_retry_after() -> None:
    """Jitter spreads polls by about 10%, but never schedules before the server's Retry-After."""
    rng = random.Random(3)
    delays = [next_delay(CADENCE, Outcome.QUIET, rng=rng) for _ in range(200)]
    assert 90 <= min(delays) < max(delays) <= 110
    waits = [
        next_delay(CADENCE, Outcome.FAILED, errors=1, retry_after=100, rng=rng) for _ in range(50)
    ]
    assert min(waits) >= 100


async def test_leases(store: Store) -> None:
    """A lease is exclusive, released only by its holder, and expires on its own."""
    schedule = store.schedule
    assert await schedule.claim("wire", "a", 300)
    assert not await schedule.claim("wire", "b", 300)
    await schedule.release("wire", "b")  # not b's to release
    assert not await schedule.claim("wire", "b", 300)
    await asyncio.sleep(0.4)  # a poller that died: its lease runs out
    assert await schedule.claim("wire", "b", 300)
    await schedule.release("wire", "b")
    assert await schedule.claim("wire", "a", 300)


async def test_due_order(store: Store) -> None:
    """Due feeds come most overdue first; ensure() never moves a scheduled feed."""
    await store.schedule.ensure(["a", "b"], 100.0)
    await store.schedule.set("c", 50.0)
    await store.schedule.ensure(["c"], 10.0)
    assert await store.schedule.due(now=100.0, limit=10) == ["c", "a", "b"]
    assert await store.schedule.due(now=60.0, limit=10) == ["c"]
    assert await store.schedule.next_due() == 50.0


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A fetcher allowed to reach the local feed server."""
    fetcher = Fetcher(timeout=5, policy=AddressPolicy(allow_private=True))
    yield fetcher
    await fetcher.aclose()


async def test_two_pollers_never_fetch_a_feed_twice(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """Two pollers running together fetch each due feed once, and every feed gets polled."""
    feeds = []
    for n in range(12):
        url = feed_server.set(f"/f{n}.xml", rss([Entry(f"g{n}", f"Story {n}")]), delay=0.2)
        feeds.append(Feed(id=f"f{n}", name=f"Feed {n}", url=url))
    await store.catalog.replace(feeds)
    await store.schedule.ensure([f.id for f in feeds], time.time())
    cadence = Cadence(interval=3600.0, minimum=3600.0, maximum=3600.0)
    pollers = [
        Poller(store, fetcher, RuleCompiler(), cadence=cadence, concurrency=3) for _ in range(2)
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(p.run(stop)) for p in pollers]
    try:
        for _ in range(200):  # until every feed was polled and rescheduled an hour out
            due = await store.schedule.scheduled()
            if all(when > time.time() + 3000 for when in due.values()):
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert {f"/f{n}.xml": 1 for n in range(12)} == {
        path: count for path, count in feed_server.requests.items() if path.startswith("/f")
    }
    due = await store.schedule.scheduled()
    assert all(when > time.time() + 3000 for when in due.values())


async def test_crashed_pollers_lease_expires(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """A feed leased by a poller that died is polled once the lease runs out."""
    url = feed_server.set("/wire.xml", rss([Entry("g", "Story")]))
    await store.catalog.replace([Feed(id="wire", name="Wire", url=url)])
    await store.schedule.ensure(["wire"], time.time())
    assert await store.schedule.claim("wire", "dead-poller", 700)
    poller = Poller(store, fetcher, RuleCompiler(), concurrency=2)
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        await asyncio.sleep(0.4)
        assert feed_server.requests.get("/wire.xml", 0) == 0
        for _ in range(50):
            if feed_server.requests.get("/wire.xml", 0):
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
    assert feed_server.requests["/wire.xml"] == 1


async def test_removed_and_gone_feeds_leave_the_schedule(
    store: Store, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    """A due feed no longer in the catalog, or disabled, is dropped from the schedule."""
    url = feed_server.set("/wire.xml", rss([Entry("g", "Story")]))
    await store.catalog.replace([Feed(id="wire", name="Wire", url=url)])
    await store.schedule.ensure(["wire", "ghost"], time.time())
    await store.feeds.disable("wire", "HTTP 410 Gone")
    poller = Poller(store, fetcher, RuleCompiler())
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        for _ in range(50):
            if not await store.schedule.scheduled():
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    assert await store.schedule.scheduled() == {}
    assert "/wire.xml" not in feed_server.requests
