"""Redis memory: a large deployment over the retention period, and one feed churning all-new items.

Everything is written through the real code paths (ChatRepo for chats and rules, Poller.ingest
for feed entries: dedup, the per-poll and per-feed bounds, stories, matching, seen markers) into
a throwaway embedded Redis, on a simulated clock; memory is Redis's used_memory (clients'
buffers left out) before and after.

1. Deployment: a sample of chats with 10 two-word rules each, and a sample of feeds publishing
   50 items a day for the whole retention (14 days; a poll every 2 h reads the feed's newest 30
   entries). Items of the last 3 days go through grouping as they would live (stories live 3
   days); older days are taken as a poller sees them after that (no grouping, no alert). The
   measured figures are extrapolated linearly to the target (100,000 chats, 1,000 feeds): the
   goal is under 3 GB. The rules do not match the generated items: alert traffic is bounded on
   its own (the delivery streams by ALERTBOT_STREAM_MAXLEN, measured per entry here and counted
   at that bound).
2. Churn: one feed whose every poll (each simulated minute, for a day) lists only all-new
   entries, many and large (the hostile feed of issue 13: ~6 MB a poll), with the default
   bounds. Memory is read every simulated hour; the goal is a plateau, and the bound is stated.
   The entries are copies of one set under new ids (text does not matter to a poll of more new
   entries than alert); --churn-fresh gives each new words, for a churn small enough to alert.

    python bench/memory.py [--chats 10000] [--feeds 50] [--churn-minutes 1440]
        [--churn-entries 1000] [--churn-bytes 6000] [--churn-fresh]

The last line is one JSON object. It exits 1 when the deployment misses 3 GB or the churning
feed grows past its bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis.asyncio as aioredis

from bot.app import compiler_for
from bot.core.models import Delivery, Feed, FeedState, Item
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import AddressPolicy
from bot.poller import Poller
from bot.store import Store, open_redis
from bot.store.connection import Client
from config.settings import Settings

MB = 1_000_000
GB = 1_000_000_000
TARGET_CHATS = 100_000
TARGET_FEEDS = 1_000
RULES_PER_CHAT = 10
ITEMS_PER_DAY = 50
POLLS_PER_DAY = 12
FEED_LISTS = 30  # entries in a feed's document
STORY_DAYS = 3  # stories live keys.STORY_TTL: only the last days' items are grouped
GOAL_BYTES = 3 * GB
CHAT_BASE = 7_000_000
BATCH = 40  # chats written at once (within the client's connection pool)
WORDFREQ = Path(__file__).resolve().parents[1] / "bot/core/data/wordfreq.tsv"


def vocabulary() -> tuple[list[str], list[str]]:
    """Common words for items, and rarer ones (no overlap) for rules that match none of them."""
    ranked: list[tuple[float, str]] = []
    for line in WORDFREQ.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        word, score = line.split("\t")
        if word.isalpha() and len(word) > 3:
            ranked.append((float(score), word))
    ranked.sort(reverse=True)
    words = [word for _, word in ranked]
    return words[:12_000], words[15_000:]


async def used_memory(client: Client) -> int:
    """Redis's used_memory less its clients' buffers (our pool's connections are closed first)."""
    if isinstance(client, aioredis.Redis):  # the embedded server is one server
        await client.connection_pool.disconnect()
    info = await client.info("memory")
    clients = int(info.get("mem_clients_normal", 0)) + int(info.get("mem_clients_slaves", 0))
    return int(info["used_memory"]) - clients


def make_entry(
    rng: random.Random, words: list[str], feed_id: str, n: int, *, when: datetime, size: int
) -> Item:
    """One entry of a feed: a headline of 10 words, a summary of about `size` characters."""
    title = " ".join(rng.choices(words, k=10)).capitalize()
    summary: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(words)
        summary.append(word)
        length += len(word) + 1
    return Item(
        id=f"{feed_id}:{n:010d}",
        feed_id=feed_id,
        title=title,
        summary=" ".join(summary),
        link=f"https://{feed_id}.example/news/{n}",
        published=when,
        lang="en",
        fingerprint=f"{feed_id}{n:010d}",
    )


async def add_chats(store: Store, count: int, rule_words: list[str], rng: random.Random) -> None:
    """`count` started private chats with RULES_PER_CHAT two-word rules each."""

    async def one(chat_id: int) -> None:
        await store.chats.start(chat_id)
        for _ in range(RULES_PER_CHAT):
            first, second = rng.sample(rule_words, 2)
            await store.chats.add_rule(chat_id, f"{first} {second}", 50)

    for start in range(0, count, BATCH):
        await asyncio.gather(*(one(CHAT_BASE + n) for n in range(start, min(count, start + BATCH))))


async def publish(
    store: Store, poller: Poller, *, count: int, days: float, words: list[str], rng: random.Random
) -> tuple[int, int]:
    """`count` feeds publishing ITEMS_PER_DAY items a day for `days`; items taken and dropped."""
    feeds = [Feed(id=f"feed{n:04d}", name=f"Feed {n}", url=f"https://f{n}.example/rss")
             for n in range(count)]  # fmt: skip
    await store.catalog.replace(feeds)
    end = datetime.now(UTC).replace(microsecond=0)
    begin = end - timedelta(days=days)
    per_poll = ITEMS_PER_DAY / POLLS_PER_DAY
    listed: dict[str, list[Item]] = {feed.id: [] for feed in feeds}
    states: dict[str, FeedState] = {feed.id: FeedState() for feed in feeds}
    counter = written = dropped = 0
    for poll in range(int(days * POLLS_PER_DAY)):
        at = begin + timedelta(hours=24 / POLLS_PER_DAY * (poll + 1))
        # Older days are taken as a poller sees them once their stories are gone: too old
        # to group (in a live bot their stories expired after keys.STORY_TTL).
        grouped = end - at <= timedelta(days=STORY_DAYS)
        seen_at = at if grouped else at + timedelta(days=STORY_DAYS)
        for feed in feeds:
            fresh = int(per_poll * (poll + 1)) - int(per_poll * poll)
            for k in range(fresh):
                counter += 1
                when = at - timedelta(minutes=(fresh - k) * 7)
                listed[feed.id].insert(
                    0, make_entry(rng, words, feed.id, counter, when=when, size=300)
                )
            del listed[feed.id][FEED_LISTS:]
            report = await poller.ingest(feed, states[feed.id], listed[feed.id], seen_at)
            assert report.state is not None
            states[feed.id] = report.state
            written += report.new_items
            dropped += report.dropped
        if (poll + 1) % POLLS_PER_DAY == 0:
            print(f"  day {(poll + 1) // POLLS_PER_DAY}: {written:,} items", flush=True)
    return written, dropped


async def deployment(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """Chats and rules, then feeds over the retention; measured and extrapolated figures."""
    words, rule_words = vocabulary()
    rng = random.Random(13)
    async with open_redis(None, None) as handle:
        client = handle.client
        store = Store(
            client,
            retention_seconds=settings.retention_seconds,
            stream_maxlen=settings.stream_maxlen,
            keep_per_feed=settings.max_items_per_feed,
        )
        empty = await used_memory(client)
        started = time.monotonic()
        await add_chats(store, args.chats, rule_words, rng)
        with_chats = await used_memory(client)
        chat_bytes = with_chats - empty
        print(
            f"chats: {args.chats:,} x {RULES_PER_CHAT} rules: {chat_bytes / MB:.1f} MB measured "
            f"({chat_bytes / args.chats:.0f} B a chat) in {time.monotonic() - started:.1f} s",
            flush=True,
        )

        fetcher = Fetcher(timeout=5, policy=AddressPolicy(allow_private=True))
        poller = Poller(
            store,
            fetcher,
            compiler_for(settings),
            max_item_age=timedelta(hours=settings.max_item_age),
            max_items_per_poll=settings.max_items_per_poll,
        )
        started = time.monotonic()
        await poller.rule_index()
        index_s = time.monotonic() - started
        days = settings.retention_days
        started = time.monotonic()
        written, dropped = await publish(
            store, poller, count=args.feeds, days=days, words=words, rng=rng
        )
        feed_s = time.monotonic() - started
        with_items = await used_memory(client)
        item_bytes = with_items - with_chats
        print(
            f"feeds: {args.feeds:,} x {ITEMS_PER_DAY} items a day x {days:g} days = {written:,} "
            f"items: {item_bytes / MB:.1f} MB measured ({item_bytes / written:.0f} B an item, "
            f"stories of the last {STORY_DAYS} days included) in {feed_s:.1f} s",
            flush=True,
        )

        # A delivery stream entry, to state what alert traffic can add at its bound.
        sample = [
            Delivery(chat_id=CHAT_BASE + n, item_id=f"feed0000:{n:010d}", rule="word other",
                     story_id=f"feed0000:{n:010d}", words=("word", "other"))
            for n in range(10_000)
        ]  # fmt: skip
        stream_bytes_before = await used_memory(client)
        await store.deliveries.enqueue(sample)
        entry_bytes = (await used_memory(client) - stream_bytes_before) / len(sample)
        await fetcher.aclose()

    chat_scale = TARGET_CHATS / args.chats
    feed_scale = TARGET_FEEDS / args.feeds
    total = empty + chat_bytes * chat_scale + item_bytes * feed_scale
    streams = entry_bytes * settings.stream_maxlen
    figures = {
        "empty_mb": round(empty / MB, 1),
        "chats_measured": args.chats,
        "chats_mb_measured": round(chat_bytes / MB, 1),
        "bytes_per_chat": round(chat_bytes / args.chats),
        "feeds_measured": args.feeds,
        "items_measured": written,
        "items_dropped": dropped,
        "items_mb_measured": round(item_bytes / MB, 1),
        "bytes_per_item": round(item_bytes / written),
        "rule_index_build_s": round(index_s, 1),
        "chats_mb_extrapolated": round(chat_bytes * chat_scale / MB, 1),
        "items_mb_extrapolated": round(item_bytes * feed_scale / MB, 1),
        "total_gb_extrapolated": round(total / GB, 2),
        "stream_entry_bytes": round(entry_bytes),
        "streams_at_maxlen_gb": round(streams / GB, 2),
        "total_with_full_streams_gb": round((total + streams) / GB, 2),
        "goal_gb": GOAL_BYTES / GB,
        "met": total < GOAL_BYTES,
    }
    print(
        f"extrapolated to {TARGET_CHATS:,} chats and {TARGET_FEEDS:,} feeds: "
        f"{figures['chats_mb_extrapolated']:,} MB chats + {figures['items_mb_extrapolated']:,} MB "
        f"items = {figures['total_gb_extrapolated']} GB (goal < 3 GB: "
        f"{'met' if figures['met'] else 'MISSED'}); delivery streams full at "
        f"{settings.stream_maxlen:,} entries would add {figures['streams_at_maxlen_gb']} GB "
        f"({entry_bytes:.0f} B an entry)",
        flush=True,
    )
    return figures


async def churn(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """One feed listing only new, large entries every simulated minute; memory by the hour."""
    words, _ = vocabulary()
    rng = random.Random(14)
    async with open_redis(None, None) as handle:
        client = handle.client
        store = Store(
            client,
            retention_seconds=settings.retention_seconds,
            keep_per_feed=settings.max_items_per_feed,
        )
        fetcher = Fetcher(timeout=5, policy=AddressPolicy(allow_private=True))
        poller = Poller(
            store,
            fetcher,
            compiler_for(settings),
            max_items_per_poll=settings.max_items_per_poll,
        )
        feed = Feed(id="churn", name="Churn", url="https://churn.example/rss")
        await store.catalog.replace([feed])
        empty = await used_memory(client)
        # Entries are built once and renamed each poll, so building them costs little.
        size = args.churn_bytes
        template = [
            make_entry(rng, words, feed.id, n, when=datetime.now(UTC), size=size)
            for n in range(args.churn_entries)
        ]
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=args.churn_minutes)
        state = FeedState()
        hourly: list[float] = []
        written = dropped = skipped = 0
        per_item = 0.0
        counter = 0
        started = time.monotonic()
        for minute in range(args.churn_minutes):
            at = start + timedelta(minutes=minute)
            listed = []
            if args.churn_fresh:  # new words too, so grouping sees new stories
                template = [
                    make_entry(rng, words, feed.id, n, when=at, size=size)
                    for n in range(args.churn_entries)
                ]
            for k, base in enumerate(template):
                counter += 1
                listed.append(
                    base.model_copy(
                        update={
                            "id": f"churn:{counter:010d}",
                            "fingerprint": f"churn{counter:010d}",
                            "published": at - timedelta(seconds=k),
                        }
                    )
                )
            report = await poller.ingest(feed, state, listed, at)
            assert report.state is not None
            state = report.state
            written += report.new_items
            dropped += report.dropped
            skipped += report.skipped
            if minute == 0:  # what one item costs, with its markers and index entries
                per_item = (await used_memory(client) - empty) / report.new_items
            if (minute + 1) % 60 == 0:
                now_bytes = await used_memory(client) - empty
                hourly.append(now_bytes / MB)
                print(
                    f"  hour {(minute + 1) // 60:2d}: {now_bytes / MB:6.1f} MB, "
                    f"{written:,} items taken, {dropped:,} dropped, {skipped:,} entries left out",
                    flush=True,
                )
        elapsed = time.monotonic() - started
        final = await used_memory(client) - empty
        await fetcher.aclose()
    poll_mb = args.churn_entries * size / MB
    bound = settings.max_items_per_feed * per_item
    figures = {
        "minutes": args.churn_minutes,
        "entries_a_poll": args.churn_entries,
        "entry_bytes": size,
        "document_mb_a_poll": round(poll_mb, 1),
        "read_a_poll": settings.max_items_per_poll,
        "kept_per_feed": settings.max_items_per_feed,
        "items_taken": written,
        "items_dropped": dropped,
        "entries_left_out": skipped,
        "mb_by_hour": [round(mb, 1) for mb in hourly],
        "final_mb": round(final / MB, 1),
        "bound_mb": round(bound / MB, 1),
        "unbounded_gb_a_day": round(poll_mb * 1440 / 1000, 1),
        "wall_s": round(elapsed, 1),
        # Fresh words make stories, which live keys.STORY_TTL outside the per-feed bound:
        # then the last hour's growth is the figure, not a verdict.
        "fresh": args.churn_fresh,
        "last_hour_growth_mb": round(hourly[-1] - hourly[-2], 1) if len(hourly) > 1 else None,
        "bounded": final <= bound * 1.1 or args.churn_fresh,
    }
    print(
        f"churn: {args.churn_entries:,} new entries of {size:,} B every minute for "
        f"{args.churn_minutes / 60:g} h ({poll_mb:.1f} MB a poll; without bounds "
        f"~{figures['unbounded_gb_a_day']} GB a day, kept {settings.retention_days:g} days): "
        f"{final / MB:.1f} MB at the end, bound {settings.max_items_per_feed:,} items x "
        f"{per_item / 1000:.1f} KB = {bound / MB:.1f} MB "
        f"({'held' if figures['bounded'] else 'EXCEEDED'}) in {elapsed:.1f} s",
        flush=True,
    )
    return figures


def main() -> None:
    """Run both measurements; print the figures, the last line one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000, help="chats measured")
    parser.add_argument("--feeds", type=int, default=50, help="feeds measured")
    parser.add_argument("--churn-minutes", type=int, default=1440, help="simulated minutes")
    parser.add_argument("--churn-entries", type=int, default=1000, help="entries a churning poll")
    parser.add_argument("--churn-bytes", type=int, default=6000, help="an entry's summary, chars")
    parser.add_argument(
        "--churn-fresh", action="store_true", help="new words in every entry (default: renamed)"
    )
    args = parser.parse_args()
    logging.getLogger("bot").setLevel(logging.ERROR)  # a flood warning each churning poll
    settings = Settings(_env_file=None)
    started = time.monotonic()
    figures: dict[str, Any] = {
        "deployment": asyncio.run(deployment(args, settings)),
        "churn": asyncio.run(churn(args, settings)),
    }
    figures["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(figures))
    ok = figures["deployment"]["met"] and figures["churn"]["bounded"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
