"""Bad feeds against the real poller, a real Redis and real local HTTP.

Every case puts the bad feed in a catalog together with a healthy feed that publishes one
matching story between two polls, and proves four things: poll_all returns normally, the healthy
feed still queues its one alert, the bad feed's state records the right health, and nothing
floods the delivery stream (alerts only for new, recent, matching items).
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formatdate
from functools import cache
from html import escape

import httpcore
import pytest

from bot.core.models import Delivery, Feed, FeedState
from bot.core.rules import RuleCompiler
from bot.core.schedule import Cadence
from bot.demo.feedserver import FeedServer
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import AddressPolicy
from bot.feeds.parse import SUMMARY_MAX_CHARS, TITLE_MAX_CHARS, item_id
from bot.poller import MAX_NEW_PER_POLL, FeedReport, Poller, PollReport
from bot.store import Store, keys
from testkit.feeds import BASE_TIME, Entry, rss
from testkit.queue import queued

CHAT = 1
RULE = "drone OR مسيرة"  # every bad feed below carries stories that would match it
CAP = 100_000  # the fetcher's body cap in these tests
TIMEOUT = 1.0
INTERVAL = 60.0
CADENCE = Cadence(interval=INTERVAL, minimum=30.0, maximum=3600.0)
RETRY_AFTER = 900  # seconds; well above any backoff CADENCE gives after two failures
LOOPBACK_ONLY = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),))
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
# A public address the default policy permits; connections to it are sent to the local server
# (see `network`), so the healthy feed can be reached while the real default policy is in force.
PUBLIC_STAND_IN = "1.1.1.1"

HEALTHY = "healthy"
CALM = Entry("calm-1", "Harbour reopens after the storm", minutes=0)
NEWS = Entry("news-1", "Drones strike US base in Syria", "Officials confirmed.", minutes=60)
STORIES = [
    Entry("s-1", "Drone sighted over the airport", "Flights were held for an hour.", minutes=10),
    Entry("s-2", "Drone factory hit overnight", "The plant was empty.", minutes=20),
    Entry("s-3", "Navy tests a new sea drone", "The trial ran for a week.", minutes=30),
]
ARABIC_OLD = "افتتاح معرض الكتاب في عمّان"
# Another story than NEWS (a drone over a port in Yemen): the English and Arabic reports of one
# event would be one story, whose second report edits the first alert.
ARABIC_NEW = "مسيرة تستهدف ميناء الحديدة في اليمن"


# Building documents the shared helper cannot (custom dates, links, encodings, bad XML).


def item_xml(guid: str, title: str, *, date: str | None = "", link: str | None = None) -> str:
    """One RSS <item>; date "" means a recent valid date, None means no <pubDate> at all."""
    if date == "":
        date = format_datetime(BASE_TIME, usegmt=True)
    parts = [f"<title>{escape(title)}</title>", f"<guid isPermaLink='false'>{escape(guid)}</guid>"]
    if link is not None:
        parts.append(f"<link>{escape(link)}</link>")
    if date is not None:
        parts.append(f"<pubDate>{escape(date)}</pubDate>")
    return f"<item>{''.join(parts)}</item>"


def document(items: Iterable[str], *, prolog: str | None = "UTF-8") -> str:
    """An RSS 2.0 document around ready-made <item> elements (prolog None: no XML declaration)."""
    declaration = f'<?xml version="1.0" encoding="{prolog}"?>' if prolog else ""
    return (
        f'{declaration}<rss version="2.0"><channel><title>Feed</title>'
        f"<link>https://news.example/</link>{''.join(items)}</channel></rss>"
    )


def future(days: int) -> str:
    """An RFC 822 date `days` from now."""
    return format_datetime(datetime.now(UTC) + timedelta(days=days), usegmt=True)


@cache
def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzipped: a tiny download that inflates enormously."""
    return gzip.compress(b"\0" * size, compresslevel=9)


# The bench: a healthy feed, the feed under test, one watching chat, one poller.


@dataclass
class Bench:
    """A store, a feed server and a poller, with a healthy feed always in the catalog."""

    store: Store
    server: FeedServer
    poller: Poller
    healthy_url: str = ""
    started: list[float] = field(default_factory=list)  # wall time at the start of each poll
    queued: list[Delivery] = field(default_factory=list)  # read off the stream so far

    async def catalog(self, *feeds: Feed) -> None:
        """The healthy feed plus `feeds`, all scheduled, and a chat watching for drones."""
        healthy = Feed(id=HEALTHY, name="Healthy", url=self.healthy_url)
        await self.store.catalog.replace([healthy, *feeds])
        await self.store.schedule.ensure([healthy.id, *(f.id for f in feeds)], time.time())
        await self.store.chats.start(CHAT)
        await self.store.chats.add_rule(CHAT, RULE, 50)

    async def poll(self) -> PollReport:
        """One poll_all, remembering when it started."""
        self.started.append(time.time())
        try:
            return await self.poller.poll_all()
        except BaseException:
            await settle()
            raise

    def publish_news(self) -> None:
        """The healthy feed publishes one new matching story."""
        self.server.set("/healthy.xml", rss([CALM, NEWS], title="Healthy"))

    async def deliveries(self) -> list[Delivery]:
        """Everything queued on the delivery stream so far (a group read gives each entry once)."""
        self.queued.extend(await queued(self.store))
        return list(self.queued)

    async def alerted(self, feed_id: str) -> list[str]:
        """The titles of the items alerted from one feed, in queue order."""
        titles = []
        for delivery in await self.deliveries():
            if delivery.item_id.startswith(f"{feed_id}:"):
                item = await self.store.items.get(delivery.item_id)
                titles.append(item.title if item else delivery.item_id)
        return titles

    async def due_in(self, feed_id: str) -> float | None:
        """Seconds from the last poll's start to the feed's next due time (None: unscheduled)."""
        due = (await self.store.schedule.scheduled()).get(feed_id)
        return None if due is None else due - self.started[-1]

    async def state(self, feed_id: str) -> FeedState:
        """The feed's stored state."""
        return await self.store.feeds.get(feed_id)

    async def assert_healthy_unaffected(self, last: PollReport) -> None:
        """The healthy feed polled fine both times and queued exactly its one alert."""
        report = find(last, HEALTHY)
        assert report is not None
        assert (report.error, report.new_items, report.deliveries) == (None, 1, 1)
        state = await self.state(HEALTHY)
        assert (state.primed, state.errors, state.last_error) == (True, 0, None)
        assert state.items_seen == 2
        news_id = item_id(HEALTHY, NEWS.guid)
        alerts = [d for d in await self.deliveries() if d.item_id.startswith(f"{HEALTHY}:")]
        assert [(d.chat_id, d.item_id, d.rule, d.update) for d in alerts] == [
            (CHAT, news_id, RULE, False)
        ]


async def settle() -> None:
    """Wait for the feed polls a failed poll_all left running, so none outlives the test."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    if pending:
        await asyncio.wait(pending, timeout=5)


def find(report: PollReport, feed_id: str) -> FeedReport | None:
    """The report of one feed in a poll, if it was polled."""
    return next((r for r in report.feeds if r.feed_id == feed_id), None)


def close_to(when: datetime, epoch: float, within: float = 5.0) -> bool:
    """Whether `when` is within `within` seconds after wall time `epoch`."""
    return -0.5 <= when.timestamp() - epoch <= within


async def make_bench(store: Store, server: FeedServer, fetcher: Fetcher, base: str) -> Bench:
    """A bench whose healthy feed is served by `server` and reached under the `base` URL."""
    server.set("/healthy.xml", rss([CALM], title="Healthy"))
    poller = Poller(store, fetcher, RuleCompiler(), cadence=CADENCE)
    return Bench(store, server, poller, healthy_url=f"{base}/healthy.xml")


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A fetcher with a 1 s timeout and a 100 kB cap that may reach the local feed server."""
    fetcher = Fetcher(
        timeout=TIMEOUT,
        connect_timeout=TIMEOUT,
        max_bytes=CAP,
        policy=AddressPolicy(allow_private=True),
    )
    yield fetcher
    await fetcher.aclose()


@pytest.fixture
async def bench(store: Store, feed_server: FeedServer, fetcher: Fetcher) -> Bench:
    """The bench on the local feed server, everything on 127.0.0.1 allowed."""
    return await make_bench(store, feed_server, fetcher, feed_server.base_url)


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address the fetcher connects to, in order; PUBLIC_STAND_IN is served locally.

    The guard has already checked the address by the time this backend is asked to connect, so
    the stand-in only changes where the packets go, never what the policy decides. Any address
    other than loopback and the stand-in is refused here, so no test reaches a real network.
    """
    hosts: list[str] = []
    original = httpcore.AnyIOBackend.connect_tcp

    async def connect_tcp(
        self: httpcore.AnyIOBackend,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        *,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        hosts.append(host)
        if host == PUBLIC_STAND_IN:
            host = "127.0.0.1"
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"test network: {host} is not reachable")
        return await original(
            self,
            host,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_tcp)
    return hosts


# Feeds that fail: the fetch or the parse raises, every poll.


@dataclass(frozen=True)
class Failure:
    """A misbehaving server, and what the feed's state must say about it."""

    serve: Callable[[FeedServer], str]  # sets the server up, returns the feed URL
    error: str  # the exact last_error, or its start when it ends with "..."
    retry_after: float | None = None
    slow: bool = False  # each poll waits out the fetcher's timeout


def redirect_loop(server: FeedServer, status: int) -> str:
    """Two paths redirecting to each other; the URL of the first."""
    server.redirect("/loop-b.xml", "/bad.xml", status)
    return server.redirect("/bad.xml", "/loop-b.xml", status)


MATCHING_RSS = rss(STORIES, title="Bad")
BIG_RSS = rss(
    [Entry(f"big-{n}", f"Drone story number {n}", "x" * 500, minutes=n) for n in range(300)]
)
FAILURES = {
    "html page instead of a feed": Failure(
        lambda s: s.set(
            "/bad.xml",
            "<!doctype html><html><head><title>Drone news</title></head>"
            "<body><h1>Welcome</h1><p>Drone stories are on our home page.</p></body></html>",
            content_type="text/html; charset=utf-8",
        ),
        "not a feed: ...",
    ),
    "empty body": Failure(lambda s: s.set("/bad.xml", b""), "empty response"),
    "blank body": Failure(lambda s: s.set("/bad.xml", b"  \r\n\t\n"), "empty response"),
    "body over the cap": Failure(
        lambda s: s.set("/bad.xml", BIG_RSS), f"body larger than {CAP} bytes"
    ),
    "gzip bomb": Failure(
        lambda s: s.set("/bad.xml", gzip_bomb(10_000_000), gzip=True, encoded=True),
        f"body larger than {CAP} bytes",
    ),
    "server that never answers": Failure(
        lambda s: s.set("/bad.xml", MATCHING_RSS, hang=True), "timed out after 1 s", slow=True
    ),
    "headers then one byte a second": Failure(
        lambda s: s.set("/bad.xml", MATCHING_RSS, trickle=1.0), "timed out after 1 s", slow=True
    ),
    "status line after the timeout": Failure(
        lambda s: s.set("/bad.xml", MATCHING_RSS, delay=5.0), "timed out after 1 s", slow=True
    ),
    "redirect loop (302)": Failure(lambda s: redirect_loop(s, 302), "more than 5 redirects"),
    "redirect loop (301)": Failure(lambda s: redirect_loop(s, 301), "more than 5 redirects"),
    "404": Failure(lambda s: s.url("/bad.xml"), "HTTP 404 Not Found"),
    "500": Failure(
        lambda s: s.set("/bad.xml", MATCHING_RSS, status=500), "HTTP 500 Internal Server Error"
    ),
    "429 with Retry-After seconds": Failure(
        lambda s: s.set(
            "/bad.xml", "slow down", status=429, headers={"Retry-After": str(RETRY_AFTER)}
        ),
        "HTTP 429 Too Many Requests",
        retry_after=RETRY_AFTER,
    ),
    "503 with Retry-After date": Failure(
        lambda s: s.set(
            "/bad.xml",
            "maintenance",
            status=503,
            headers={"Retry-After": formatdate(time.time() + RETRY_AFTER, usegmt=True)},
        ),
        "HTTP 503 Service Unavailable",
        retry_after=RETRY_AFTER - 2,  # an HTTP date has whole seconds, and time passes
    ),
    "body cut short of its Content-Length": Failure(
        lambda s: s.set("/bad.xml", MATCHING_RSS[:200], declared_length=len(MATCHING_RSS)),
        "RemoteProtocolError: ...",
    ),
}


def error_matches(actual: str | None, expected: str) -> bool:
    """Exact match, or a prefix match when `expected` ends with '...'."""
    if actual is None:
        return False
    if expected.endswith("..."):
        return actual.startswith(expected[:-3]) and len(actual) > len(expected) - 3
    return actual == expected


@pytest.mark.parametrize("case", FAILURES.values(), ids=FAILURES.keys())
async def test_failing_feed_is_recorded_backs_off_and_spares_the_others(
    bench: Bench, case: Failure
) -> None:
    """A feed failing to fetch or parse gets its error and backoff recorded; others still alert."""
    url = case.serve(bench.server)
    await bench.catalog(Feed(id="bad", name="Bad", url=url))

    first = await bench.poll()
    first_delay = await bench.due_in("bad")
    bench.publish_news()
    second = await bench.poll()
    second_delay = await bench.due_in("bad")

    elapsed = time.time() - bench.started[0]
    # Bounded by the fetcher's timeout, not by the server (the slowest would take 10 s or forever).
    assert elapsed < (2 * TIMEOUT + 5 if case.slow else 5)
    await bench.assert_healthy_unaffected(second)
    for report in (first, second):
        bad = find(report, "bad")
        assert bad is not None
        assert error_matches(bad.error, case.error), bad.error
        assert (bad.new_items, bad.deliveries) == (0, 0)
    state = await bench.state("bad")
    assert error_matches(state.last_error, case.error), state.last_error
    assert state.errors == 2
    assert (state.primed, state.last_ok, state.items_seen, state.disabled) == (False, None, 0, None)
    assert state.failing_since is not None
    assert close_to(state.failing_since, bench.started[0])
    assert state.last_error_at is not None
    assert close_to(state.last_error_at, bench.started[1], within=TIMEOUT + 2)
    assert first_delay is not None
    assert second_delay is not None
    if case.retry_after is not None:
        assert first_delay >= case.retry_after
        assert second_delay >= case.retry_after
    else:  # exponential backoff: 1x then 2x the interval, each +-10%
        assert 0.9 * INTERVAL <= first_delay < second_delay
        assert second_delay >= 0.9 * 2 * INTERVAL
    assert state.next_poll is not None
    assert abs(state.next_poll.timestamp() - (bench.started[1] + second_delay)) < 0.01
    assert await bench.alerted("bad") == []


async def test_gone_feed_is_disabled_and_unscheduled(bench: Bench) -> None:
    """A 410 disables the feed, takes it off the schedule and it is never fetched again."""
    url = bench.server.set("/gone.xml", "gone", status=410)
    await bench.catalog(Feed(id="gone", name="Gone", url=url))

    first = await bench.poll()
    bench.publish_news()
    second = await bench.poll()

    report = find(first, "gone")
    assert report is not None
    assert report.gone
    assert report.error == "HTTP 410 Gone: the feed was removed"
    assert find(second, "gone") is None  # skipped: not even tried
    await bench.assert_healthy_unaffected(second)
    state = await bench.state("gone")
    assert state.disabled == "HTTP 410 Gone: the feed was removed"
    assert (state.errors, state.last_error) == (1, "HTTP 410 Gone: the feed was removed")
    assert state.next_poll is None
    scheduled = await bench.store.schedule.scheduled()
    assert "gone" not in scheduled
    assert HEALTHY in scheduled
    assert bench.server.requests["/gone.xml"] == 1
    assert await bench.alerted("gone") == []


# Feeds that are odd but readable: the items must come through right, and alert only when news.


async def test_malformed_but_readable_xml_still_yields_and_alerts(bench: Bench) -> None:
    """XML with a bare '&', an unclosed tag and no closing </rss> still gives items and alerts."""

    def broken(*items: tuple[str, str]) -> str:
        entries = "".join(
            f"<item><title>{title}</title><guid>{guid}</guid>"
            f"<pubDate>{format_datetime(BASE_TIME, usegmt=True)}</pubDate>"
            "<description>Seen <b>from the shore</description></item>"
            for guid, title in items
        )
        return f"<rss version='2.0'><channel><title>Bent & broken</title>{entries}"

    url = bench.server.set("/bent.xml", broken(("b-1", "Fishermen & farmers protest")))
    await bench.catalog(Feed(id="bent", name="Bent", url=url))

    first = await bench.poll()
    bench.publish_news()
    bench.server.set(
        "/bent.xml",
        broken(
            ("b-2", "Drone & missile attack on the port"), ("b-1", "Fishermen & farmers protest")
        ),
    )
    second = await bench.poll()

    assert find(first, "bent") == FeedReport(feed_id="bent", new_items=1, primed=True)
    assert find(second, "bent") == FeedReport(feed_id="bent", new_items=1, deliveries=1)
    await bench.assert_healthy_unaffected(second)
    state = await bench.state("bent")
    assert (state.errors, state.last_error, state.items_seen) == (0, None, 2)
    titles = [i.title for i in await bench.store.items.latest(["bent"], 5)]
    assert sorted(titles) == ["Drone & missile attack on the port", "Fishermen & farmers protest"]
    assert await bench.alerted("bent") == ["Drone & missile attack on the port"]


CHARSETS = {
    # (bytes in, Content-Type charset, XML prolog encoding)
    "windows-1256 declared as utf-8": ("cp1256", "utf-8", "UTF-8"),
    "windows-1256 declared as utf-8, no prolog charset": ("cp1256", "utf-8", None),
    "utf-8 declared as windows-1256": ("utf-8", "windows-1256", "windows-1256"),
    "utf-8 declared as windows-1256 in the header only": ("utf-8", "windows-1256", "UTF-8"),
    "windows-1256 declared as utf-8 in the prolog only": ("cp1256", "", "UTF-8"),
}


def arabic_feed(titles: list[tuple[str, str]], encoding: str, prolog: str | None) -> bytes:
    """An Arabic RSS feed of (guid, title) encoded in `encoding`."""
    return document((item_xml(guid, title) for guid, title in titles), prolog=prolog).encode(
        encoding
    )


@pytest.mark.parametrize(("encoding", "declared", "prolog"), CHARSETS.values(), ids=CHARSETS.keys())
async def test_wrong_declared_charset_gives_correct_arabic(
    bench: Bench, encoding: str, declared: str, prolog: str | None
) -> None:
    """Arabic text in a wrongly declared charset is stored as the right Arabic and alerts once."""
    content_type = "application/rss+xml" + (f"; charset={declared}" if declared else "")
    old = [("ar-1", ARABIC_OLD)]
    url = bench.server.set("/ar.xml", arabic_feed(old, encoding, prolog), content_type=content_type)
    await bench.catalog(Feed(id="arabic", name="Arabic", url=url))

    await bench.poll()
    bench.publish_news()
    both = [("ar-2", ARABIC_NEW), *old]
    bench.server.set("/ar.xml", arabic_feed(both, encoding, prolog), content_type=content_type)
    second = await bench.poll()

    assert find(second, "arabic") == FeedReport(feed_id="arabic", new_items=1, deliveries=1)
    await bench.assert_healthy_unaffected(second)
    items = await bench.store.items.latest(["arabic"], 5)
    assert sorted(i.title for i in items) == sorted([ARABIC_OLD, ARABIC_NEW])
    assert {i.lang for i in items} == {"ar"}
    assert (await bench.state("arabic")).errors == 0
    assert await bench.alerted("arabic") == [ARABIC_NEW]


async def test_vocalized_windows_1256_declared_as_utf8_gives_correct_arabic(bench: Bench) -> None:
    """Fully vocalized windows-1256 Arabic declared as UTF-8 is still stored as the right Arabic."""
    vocalized_old = "افْتِتَاحُ مَعْرِضِ الْكِتَابِ فِي عَمَّانَ"
    vocalized_new = "مُسَيَّرَةٌ تَسْتَهْدِفُ مِينَاءَ الْحُدَيْدَةِ فِي الْيَمَنِ"
    content_type = "application/rss+xml; charset=utf-8"
    old = [("ar-1", vocalized_old)]
    url = bench.server.set(
        "/ar.xml", arabic_feed(old, "cp1256", "UTF-8"), content_type=content_type
    )
    await bench.catalog(Feed(id="arabic", name="Arabic", url=url))

    await bench.poll()
    bench.publish_news()
    both = [("ar-2", vocalized_new), *old]
    bench.server.set("/ar.xml", arabic_feed(both, "cp1256", "UTF-8"), content_type=content_type)
    second = await bench.poll()

    await bench.assert_healthy_unaffected(second)
    items = await bench.store.items.latest(["arabic"], 5)
    assert sorted(i.title for i in items) == sorted([vocalized_old, vocalized_new])
    assert await bench.alerted("arabic") == [vocalized_new]


async def test_duplicate_guids_in_one_feed_alert_once(bench: Bench) -> None:
    """Entries sharing a GUID within one document are one item: stored once, alerted once."""
    first_doc = rss(
        [
            Entry("dup-old", "Storm warning for the coast"),
            Entry("dup-old", "Storm warning for the coast (corrected)"),
        ]
    )
    url = bench.server.set("/dup.xml", first_doc)
    await bench.catalog(Feed(id="dup", name="Dup", url=url))

    first = await bench.poll()
    bench.publish_news()
    bench.server.set(
        "/dup.xml",
        rss(
            [
                Entry("dup-new", "Drone downed near the border", minutes=50),
                Entry("dup-new", "Drone downed near the border", minutes=50),
                Entry("dup-new", "Drone downed near the border (updated)", minutes=51),
                Entry("dup-old", "Storm warning for the coast"),
            ]
        ),
    )
    second = await bench.poll()

    assert find(first, "dup") == FeedReport(feed_id="dup", new_items=1, primed=True)
    assert find(second, "dup") == FeedReport(feed_id="dup", new_items=1, deliveries=1)
    await bench.assert_healthy_unaffected(second)
    assert (await bench.state("dup")).items_seen == 2
    assert len(await bench.store.items.latest(["dup"], 10)) == 2
    assert len(await bench.alerted("dup")) == 1


async def test_guids_changing_on_every_fetch_do_not_realert(bench: Bench) -> None:
    """A feed that gives the same stories new GUIDs on every fetch queues no alert after priming."""

    def fetch_number(n: int) -> str:
        return rss([replace(e, guid=f"{e.guid}-fetch{n}") for e in STORIES])

    url = bench.server.set("/churn.xml", fetch_number(1))
    await bench.catalog(Feed(id="churn", name="Churn", url=url))

    first = await bench.poll()
    bench.publish_news()
    bench.server.set("/churn.xml", fetch_number(2))
    second = await bench.poll()
    bench.server.set("/churn.xml", fetch_number(3))
    third = await bench.poll()

    assert find(first, "churn") == FeedReport(feed_id="churn", new_items=3, primed=True)
    assert find(second, "churn") == FeedReport(feed_id="churn")
    assert find(third, "churn") == FeedReport(feed_id="churn")
    await bench.assert_healthy_unaffected(second)
    state = await bench.state("churn")
    assert (state.errors, state.items_seen) == (0, 3)
    assert bench.server.requests["/churn.xml"] == 3  # really fetched and parsed each time
    assert await bench.alerted("churn") == []


async def test_guids_changing_on_every_fetch_do_not_realert_short_headlines(bench: Bench) -> None:
    """Short headlines (under five words, no summary) under churning GUIDs do not re-alert."""
    headlines = ["Drone factory hit overnight", "Drone downs airliner", "Explosion at port"]

    def fetch_number(n: int) -> str:
        return rss(
            [Entry(f"h-{i}-fetch{n}", title, minutes=i) for i, title in enumerate(headlines)]
        )

    url = bench.server.set("/churn.xml", fetch_number(1))
    await bench.catalog(Feed(id="churn", name="Churn", url=url))

    await bench.poll()
    bench.publish_news()
    bench.server.set("/churn.xml", fetch_number(2))
    second = await bench.poll()
    bench.server.set("/churn.xml", fetch_number(3))
    await bench.poll()

    await bench.assert_healthy_unaffected(second)
    assert await bench.alerted("churn") == []


async def test_feed_dumping_many_new_items_records_them_without_alerting(bench: Bench) -> None:
    """A primed feed publishing 60 new matching items at once stores them all and alerts on none."""
    url = bench.server.set("/dump.xml", rss([CALM]))
    await bench.catalog(Feed(id="dump", name="Dump", url=url))

    await bench.poll()
    bench.publish_news()
    dumped = [
        Entry(f"dump-{n}", f"Drone report {n}: sighting number {n}", minutes=n) for n in range(60)
    ]
    assert len(dumped) > MAX_NEW_PER_POLL
    bench.server.set("/dump.xml", rss([CALM, *dumped]))
    second = await bench.poll()

    assert find(second, "dump") == FeedReport(feed_id="dump", new_items=60)
    await bench.assert_healthy_unaffected(second)
    state = await bench.state("dump")
    assert (state.errors, state.last_error, state.items_seen) == (0, None, 61)
    assert len(await bench.store.items.latest(["dump"], 100)) == 61
    assert await bench.alerted("dump") == []


async def test_new_but_old_item_is_stored_without_alerting(bench: Bench) -> None:
    """A matching item seen for the first time but published days ago is stored, not alerted."""
    url = bench.server.set("/late.xml", document([item_xml("l-1", CALM.title)]))
    await bench.catalog(Feed(id="late", name="Late", url=url))

    await bench.poll()
    bench.publish_news()
    stale = format_datetime(datetime.now(UTC) - timedelta(days=5), usegmt=True)
    bench.server.set(
        "/late.xml",
        document([item_xml("l-2", "Drone archive story", date=stale), item_xml("l-1", CALM.title)]),
    )
    second = await bench.poll()

    assert find(second, "late") == FeedReport(feed_id="late", new_items=1)
    await bench.assert_healthy_unaffected(second)
    assert "Drone archive story" in [i.title for i in await bench.store.items.latest(["late"], 5)]
    assert await bench.alerted("late") == []


DATES = [
    pytest.param(lambda: "Sat, 01 Jan 2098 12:00:00 GMT", id="an RFC 822 date in 2098"),
    pytest.param(lambda: "2099-06-01T08:00:00Z", id="an ISO date in 2099"),
    pytest.param(lambda: future(3), id="a date three days ahead"),
    pytest.param(lambda: None, id="no date at all"),
    pytest.param(
        lambda: "the day after tomorrow",
        id="an unreadable date",
    ),
    pytest.param(
        lambda: "9999-12-31T23:59:59-12:00",
        id="the last second of 9999 at UTC-12",
    ),
]


@pytest.mark.parametrize("date", DATES)
async def test_future_or_missing_dates_become_first_seen_time(
    bench: Bench, date: Callable[[], str | None]
) -> None:
    """Future, missing or unreadable dates become the first-seen time; the item alerts once."""

    def dated(guid: str, title: str) -> str:
        return item_xml(guid, title, date=date())

    # Always a 200, so every poll parses the document again (no 304 short cut).
    url = bench.server.set("/when.xml", document([dated("w-1", CALM.title)]), conditional=False)
    await bench.catalog(Feed(id="when", name="When", url=url))

    await bench.poll()
    bench.publish_news()
    bench.server.set(
        "/when.xml",
        document([dated("w-2", "Drone lands on the stadium roof"), dated("w-1", CALM.title)]),
        conditional=False,
    )
    second = await bench.poll()
    third = await bench.poll()  # nothing new: the undated items must not come back as news

    assert find(second, "when") == FeedReport(feed_id="when", new_items=1, deliveries=1)
    assert find(third, "when") == FeedReport(feed_id="when")
    await bench.assert_healthy_unaffected(second)
    items = {i.id: i for i in await bench.store.items.latest(["when"], 5)}
    first_seen = items[item_id("when", "w-1")].published
    news_seen = items[item_id("when", "w-2")].published
    assert close_to(first_seen, bench.started[0])
    assert close_to(news_seen, bench.started[1])
    assert await bench.alerted("when") == ["Drone lands on the stadium roof"]


async def test_feed_that_breaks_the_parser_is_not_refetched_in_a_tight_loop(bench: Bench) -> None:
    """The scheduler loop polls a feed whose parse raises once, records it and reschedules it."""
    year_one = "0001-01-01T00:00:00+01:00"
    url = bench.server.set(
        "/epoch.xml", document([item_xml("e-1", "Drone history: the first flight", date=year_one)])
    )
    await bench.catalog(Feed(id="epoch", name="Epoch", url=url))

    stop = asyncio.Event()
    began = time.time()
    runner = asyncio.create_task(bench.poller.run(stop))
    deadline = time.monotonic() + 10

    async def recorded() -> bool:
        """The epoch feed's outcome (primed or an error) is in Redis, and its next poll set."""
        state = await bench.state("epoch")
        due = (await bench.store.schedule.scheduled())["epoch"]
        return (state.primed or state.errors > 0) and due > began + 0.5 * INTERVAL

    while not await recorded():  # the outcome is written before the next poll is scheduled
        assert time.monotonic() < deadline, "the epoch feed's poll was never recorded"
        await asyncio.sleep(0.02)
    stop.set()
    await runner

    assert bench.server.requests["/healthy.xml"] == 1
    assert bench.server.requests["/epoch.xml"] == 1
    state = await bench.state("epoch")
    assert state.primed or state.errors == 1  # either way, the outcome is recorded
    due = (await bench.store.schedule.scheduled())["epoch"]
    assert due > time.time() + 0.5 * INTERVAL
    assert await bench.alerted("epoch") == []


async def test_relative_links_become_absolute(bench: Bench) -> None:
    """Relative, root-relative and scheme-relative links are resolved against the feed's URL."""
    url = bench.server.set(
        "/section/rel.xml",
        document(
            [
                item_xml("r-1", "Drone seen over the bay", link="story/1.html?utm_source=rss"),
                item_xml("r-2", "Ferry timetable changes", link="/world/2.html"),
                item_xml("r-3", "Market report", link="//cdn.news.example/3.html"),
                item_xml("r-4", "Weather outlook", link="../up/4.html#top"),
            ]
        ),
    )
    await bench.catalog(Feed(id="rel", name="Rel", url=url))

    await bench.poll()
    bench.publish_news()
    second = await bench.poll()

    await bench.assert_healthy_unaffected(second)
    base = bench.server.base_url
    links = {i.id: i.link for i in await bench.store.items.latest(["rel"], 10)}
    assert links == {
        item_id("rel", "r-1"): f"{base}/section/story/1.html",
        item_id("rel", "r-2"): f"{base}/world/2.html",
        item_id("rel", "r-3"): "http://cdn.news.example/3.html",
        item_id("rel", "r-4"): f"{base}/up/4.html#top",
    }
    assert await bench.alerted("rel") == []  # primed: nothing new since


# Redirects and the address guard.


@pytest.mark.parametrize(
    ("status", "moves"), [(301, True), (308, True), (302, False), (307, False)]
)
async def test_permanent_redirect_moves_the_feed_and_temporary_does_not(
    bench: Bench, status: int, moves: bool
) -> None:
    """A 301 or 308 updates the feed's catalog URL; a 302 or 307 leaves it; both still alert."""
    target = bench.server.set("/new-home.xml", rss([CALM]))
    old = bench.server.redirect("/old-home.xml", "/new-home.xml", status)
    await bench.catalog(Feed(id="moved", name="Moved", url=old))

    first = await bench.poll()
    bench.publish_news()
    bench.server.set("/new-home.xml", rss([CALM, Entry("m-2", "Drone swarm over the city")]))
    second = await bench.poll()

    assert find(first, "moved") == FeedReport(
        feed_id="moved", new_items=1, primed=True, moved_to=target if moves else None
    )
    report = find(second, "moved")
    assert report is not None
    assert (report.error, report.new_items, report.deliveries) == (None, 1, 1)
    await bench.assert_healthy_unaffected(second)
    feed = await bench.store.catalog.get("moved")
    assert feed is not None
    assert feed.url == (target if moves else old)
    assert bench.server.requests["/old-home.xml"] == (1 if moves else 2)
    assert (await bench.state("moved")).errors == 0
    assert await bench.alerted("moved") == ["Drone swarm over the city"]


async def test_default_policy_refuses_loopback_and_metadata_feeds(
    store: Store, feed_server: FeedServer, network: list[str]
) -> None:
    """Under the default address policy, feeds at 127.0.0.1 and 169.254.169.254 are refused."""
    fetcher = Fetcher(timeout=TIMEOUT, connect_timeout=TIMEOUT, max_bytes=CAP)  # default policy
    try:
        port = feed_server.base_url.rsplit(":", 1)[1]
        bench = await make_bench(store, feed_server, fetcher, f"http://{PUBLIC_STAND_IN}:{port}")
        local = feed_server.set("/local.xml", MATCHING_RSS)
        await bench.catalog(
            Feed(id="local", name="Local", url=local),
            Feed(id="metadata", name="Metadata", url=METADATA_URL),
        )
        await bench.poll()
        bench.publish_news()
        second = await bench.poll()
    finally:
        await fetcher.aclose()

    await bench.assert_healthy_unaffected(second)
    expected = {
        "local": f"{local}: 127.0.0.1 is a loopback address",
        "metadata": f"{METADATA_URL}: 169.254.169.254 is a cloud metadata address",
    }
    for feed_id, error in expected.items():
        report = find(second, feed_id)
        assert report is not None
        assert report.error == error
        state = await bench.state(feed_id)
        assert (state.last_error, state.errors, state.disabled) == (error, 2, None)
        assert await bench.alerted(feed_id) == []
    assert "/local.xml" not in feed_server.requests  # refused before connecting
    assert set(network) == {PUBLIC_STAND_IN}  # only the healthy feed was ever connected to


async def test_loopback_only_policy_refuses_a_redirect_to_metadata(
    store: Store, feed_server: FeedServer, network: list[str]
) -> None:
    """With only loopback allowed, a local feed redirecting to 169.254.169.254 is refused."""
    fetcher = Fetcher(timeout=TIMEOUT, connect_timeout=TIMEOUT, max_bytes=CAP, policy=LOOPBACK_ONLY)
    try:
        bench = await make_bench(store, feed_server, fetcher, feed_server.base_url)
        trap = feed_server.redirect("/trap.xml", METADATA_URL, status=301)
        await bench.catalog(Feed(id="trap", name="Trap", url=trap))
        await bench.poll()
        bench.publish_news()
        second = await bench.poll()
    finally:
        await fetcher.aclose()

    await bench.assert_healthy_unaffected(second)
    error = f"{METADATA_URL}: 169.254.169.254 is a cloud metadata address"
    report = find(second, "trap")
    assert report is not None
    assert report.error == error
    state = await bench.state("trap")
    assert (state.last_error, state.errors) == (error, 2)
    feed = await store.catalog.get("trap")
    assert feed is not None
    assert feed.url == trap  # the refused 301 did not move the feed to the metadata address
    assert feed_server.requests["/trap.xml"] == 2
    assert "169.254.169.254" not in network
    assert await bench.alerted("trap") == []


async def test_gzip_bomb_inflates_little_more_than_the_cap(bench: Bench) -> None:
    """A gzip bomb under the cap on the wire is stopped before it inflates far past the cap."""
    bomb = gzip_bomb(90_000_000)
    assert len(bomb) < CAP
    url = bench.server.set("/bomb.xml", bomb, gzip=True, encoded=True)
    await bench.catalog(Feed(id="bomb", name="Bomb", url=url))

    tracemalloc.start()
    try:
        report = await bench.poll()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    bad = find(report, "bomb")
    assert bad is not None
    assert bad.error == f"body larger than {CAP} bytes"
    assert peak < 50 * CAP  # 5 MB: generous for a 100 kB cap


async def test_feed_with_a_4_mb_headline_is_kept_to_the_caps_matched_and_grouped(
    store: Store, feed_server: FeedServer
) -> None:
    """A 4 MB headline and lead are stored cut to the caps, and alert and group like any item."""
    words = " ".join(f"word{n}" for n in range(450_000))
    huge = Entry("huge-1", f"Drone strike on the port {words}", f"Drones hit the port. {words}", 60)
    url = feed_server.set("/huge.xml", rss([CALM]))
    fetcher = Fetcher(timeout=10, max_bytes=20_000_000, policy=AddressPolicy(allow_private=True))
    try:
        bench = await make_bench(store, feed_server, fetcher, feed_server.base_url)
        await bench.catalog(Feed(id="huge", name="Huge", url=url))
        await bench.poll()
        bench.publish_news()
        feed_server.set("/huge.xml", rss([CALM, huge]))
        second = await bench.poll()
    finally:
        await fetcher.aclose()

    assert find(second, "huge") == FeedReport(feed_id="huge", new_items=1, deliveries=1)
    await bench.assert_healthy_unaffected(second)
    item = await store.items.get(item_id("huge", huge.guid))
    assert item is not None
    assert item.story_id is not None
    assert len(huge.title) > 4_000_000
    assert len(item.title) <= TITLE_MAX_CHARS
    assert item.title.startswith("Drone strike on the port word0 word1")
    assert len(item.summary) <= SUMMARY_MAX_CHARS
    assert await bench.alerted("huge") == [item.title]
    # Grouping kept the report's features and counted its words: bounded by the cut text too.
    reports = await store.redis.lrange(keys.story_reports(item.story_id), 0, -1)
    assert sum(len(report) for report in reports) < 4 * (TITLE_MAX_CHARS + SUMMARY_MAX_CHARS)
    period = int(time.time() // keys.TERM_PERIOD)
    assert await store.redis.hlen(keys.terms(period)) < (TITLE_MAX_CHARS + SUMMARY_MAX_CHARS) / 5
