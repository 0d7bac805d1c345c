"""Feed engine benchmark: two polls of 1,000 local feeds through the real Poller, Fetcher and Redis.

A child process serves generated feeds (bench/feedfarm.py: RSS 2.0 and Atom, 30 items of English
and Arabic news each, ~35 KB) with ETag / Last-Modified. The first cycle fetches and parses every
feed; then a share of the feeds (10%) publishes new items and the second cycle gets 304 from the
rest. For each cycle it prints wall time, the poller process's CPU time, feeds/s, new items,
errors and the bytes the server wrote (headers and bodies); then what the second cycle would
have cost without conditional GET (every feed a full 200), and the poller's peak memory. The last
line is one JSON object. It exits 1 if any feed failed.

    python bench/poll.py [--feeds 1000] [--items 30] [--changed 0.1] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis.asyncio as aioredis

from bench.feedfarm import RULE_WORDS, Farm
from bot.app import compiler_for, make_fetcher, make_poller
from bot.core.models import Feed
from bot.errors import RuleError
from bot.feeds.guard import AddressPolicy
from bot.poller import Poller, PollReport
from bot.store import Store, open_redis
from config.settings import Settings

TARGET_FIRST_S = 60.0
TARGET_SECOND_S = 10.0
CHAT_BASE = 5_000_000
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
MB = 1_000_000


@dataclass
class Cycle:
    """What one poll of the whole catalog took and did."""

    wall_s: float
    cpu_s: float  # the poller process, every thread (parsing runs in worker threads)
    user_s: float
    sys_s: float
    feeds_per_s: float
    feeds: int
    fetched: int  # answered 200 and parsed
    not_modified: int  # answered 304
    new_items: int
    deliveries: int
    errors: int
    wire_bytes: int  # written by the server: status lines, headers, bodies
    body_bytes: int
    header_bytes: int
    server_cpu_s: float
    redis_cpu_s: float


def rss_bytes() -> int:
    """Resident memory of this process now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) another process has used, 0 when it cannot be read."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def pool_size(pool: object) -> int:
    """Connections a redis-py pool has opened (idle and in use); it keeps them once opened."""
    idle = getattr(pool, "_available_connections", ())
    busy = getattr(pool, "_in_use_connections", ())
    return len(idle) + len(busy)


def make_rules(rng: random.Random) -> list[str]:
    """One to four rules from a small word list: single words, two words, an OR."""
    rules = []
    for _ in range(rng.randint(1, 4)):
        shape = rng.random()
        a, b = rng.sample(RULE_WORDS, 2)
        if shape < 0.5:
            rules.append(a)
        elif shape < 0.8:
            rules.append(f"{a} {b}")
        else:
            rules.append(f"{a} OR {b}")
    return rules


async def add_chats(store: Store, settings: Settings, count: int, rng: random.Random) -> int:
    """`count` chats on every source with rules; return how many rules compile."""
    compiler = compiler_for(settings)
    usable = 0
    for number in range(count):
        chat_id = CHAT_BASE + number
        await store.chats.start(chat_id)
        for rule in make_rules(rng):
            await store.chats.add_rule(chat_id, rule, settings.max_rules)
            try:
                compiler.compile(rule)
            except RuleError:
                continue
            usable += 1
    return usable


async def cycle(poller: Poller, farm: Farm, redis_pid: int | None) -> tuple[Cycle, PollReport]:
    """Poll every feed once and measure it."""
    gc.collect()
    farm.counters()  # start the server's counts here
    redis0 = process_cpu(redis_pid)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    report = await poller.poll_all()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    redis_cpu = process_cpu(redis_pid) - redis0
    server = farm.counters()
    not_modified = sum(1 for r in report.feeds if r.not_modified)
    figures = Cycle(
        wall_s=round(wall, 2),
        cpu_s=round(cpu, 2),
        user_s=round(usage.ru_utime - usage0.ru_utime, 2),
        sys_s=round(usage.ru_stime - usage0.ru_stime, 2),
        feeds_per_s=round(len(report.feeds) / wall, 1),
        feeds=len(report.feeds),
        fetched=len(report.feeds) - not_modified - report.errors,
        not_modified=not_modified,
        new_items=report.new_items,
        deliveries=report.deliveries,
        errors=report.errors,
        wire_bytes=int(server["wire_bytes"]),
        body_bytes=int(server["body_bytes"]),
        header_bytes=int(server["wire_bytes"] - server["body_bytes"]),
        server_cpu_s=round(server["cpu_s"], 2),
        redis_cpu_s=round(redis_cpu, 2),
    )
    return figures, report


def describe(name: str, c: Cycle) -> str:
    """One human line for a cycle."""
    return (
        f"{name}: {c.feeds} feeds in {c.wall_s:.2f} s ({c.feeds_per_s:.1f} feeds/s), "
        f"poller CPU {c.cpu_s:.2f} s (user {c.user_s:.2f}, sys {c.sys_s:.2f}); "
        f"{c.fetched}x200 {c.not_modified}x304, {c.new_items} new items, "
        f"{c.deliveries} alerts queued, {c.errors} errors; "
        f"{c.wire_bytes / MB:.2f} MB sent ({c.body_bytes / MB:.2f} MB bodies); "
        f"server CPU {c.server_cpu_s:.2f} s, Redis CPU {c.redis_cpu_s:.2f} s"
    )


async def bench(args: argparse.Namespace, farm: Farm) -> tuple[dict[str, object], int]:
    """Set up the store and the poller on the farm's feeds, run both cycles; figures, errors."""
    settings = Settings(
        _env_file=None, fetch_concurrency=args.concurrency, allow_private_feeds=True
    )
    feeds = [Feed(id=f.id, name=f.name, url=farm.url(f), lang=f.lang) for f in farm.feeds]
    rng = random.Random(args.seed)
    async with open_redis(None, None) as handle:
        client = handle.client
        # open_redis(None, None) starts one embedded server: one client with one pool to count.
        if not isinstance(client, aioredis.Redis):
            raise TypeError(f"expected one Redis server, got {type(client).__name__}")
        store = Store(client, retention_seconds=settings.retention_seconds)
        await store.catalog.replace(feeds)
        rules = await add_chats(store, settings, args.chats, rng)
        redis_pid = handle.server.pid if handle.server else None
        # The connections a cycle opened are reported: the poller must stay within the
        # client's pool (redis-py's default limit) whatever the number of feeds.
        pool = client.connection_pool
        pool_limit = pool.max_connections
        fetcher = make_fetcher(settings, AddressPolicy(allow_private=True))
        try:
            poller = make_poller(settings, store, fetcher, compiler_for(settings))
            first_sizes = farm.sizes()
            total = sum(first_sizes.values())
            print(
                f"{len(feeds)} feeds x {args.items} items, {total / MB:.1f} MB of bodies "
                f"({total / len(feeds) / 1000:.1f} KB per feed), generated in "
                f"{farm.generated_s:.1f} s; {args.chats} chats with {rules} rules; "
                f"concurrency {args.concurrency}",
                flush=True,
            )
            rss_before = rss_bytes()
            first, report1 = await cycle(poller, farm, redis_pid)
            print(describe("cycle 1", first), flush=True)
            changed = farm.change(args.changed, args.new)
            second_sizes = farm.sizes()
            second, report2 = await cycle(poller, farm, redis_pid)
            print(describe("cycle 2", second), flush=True)
            redis_connections = pool_size(pool)
        finally:
            await fetcher.aclose()
    for report in (report1, report2):
        for failed in [r for r in report.feeds if r.error][:5]:
            print(f"  failed: {failed.feed_id}: {failed.error}")
    expected = (len(feeds) - len(changed), len(changed) * min(args.new, args.items))
    as_expected = (second.not_modified, second.new_items) == expected
    if not as_expected:
        print(
            f"warning: cycle 2 expected {expected[0]}x304 and {expected[1]} new items, got "
            f"{second.not_modified}x304 and {second.new_items}"
        )
    # Without conditional GET every feed answers 200: its whole body, and a 200's headers
    # (cycle 1 measured them: every answer was a 200 there).
    header_200 = first.header_bytes / max(1, first.fetched)
    without = sum(second_sizes.values()) + round(header_200 * second.feeds)
    saving = without / max(1, second.wire_bytes)
    print(
        f"conditional GET: cycle 2 sent {second.wire_bytes / MB:.2f} MB; without it "
        f"{without / MB:.2f} MB ({saving:.1f}x more); {len(changed)} feeds changed, "
        f"{args.new} new items each"
    )
    print(f"Redis connections opened: {redis_connections} (the client's pool allows {pool_limit})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"poller memory: peak RSS {peak / MB:.1f} MB (RSS {rss_before / MB:.1f} MB before cycle 1)"
    )
    met = (
        first.wall_s <= TARGET_FIRST_S
        and second.wall_s <= TARGET_SECOND_S
        and first.errors + second.errors == 0
    )
    print(
        f"targets: cycle 1 {first.wall_s:.1f} s (<= {TARGET_FIRST_S:g}), "
        f"cycle 2 {second.wall_s:.1f} s (<= {TARGET_SECOND_S:g}): {'met' if met else 'MISSED'}"
    )
    figures = {
        "feeds": len(feeds),
        "items_per_feed": args.items,
        "changed_share": args.changed,
        "changed_feeds": len(changed),
        "new_items_per_changed_feed": args.new,
        "concurrency": args.concurrency,
        "chats": args.chats,
        "rules": rules,
        "gzip": args.gzip,
        "feed_kb_mean": round(sum(first_sizes.values()) / len(feeds) / 1000, 1),
        "cycle1": asdict(first),
        "cycle2": asdict(second),
        "cycle2_bytes_with_conditional_get": second.wire_bytes,
        "cycle2_bytes_without_conditional_get": without,
        "conditional_get_saving": round(saving, 1),
        "redis_connections": redis_connections,
        "redis_pool_limit": pool_limit,
        "peak_rss_mb": round(peak / MB, 1),
        "rss_before_cycle1_mb": round(rss_before / MB, 1),
        "cpu_count": os.cpu_count(),
        "cycle2_as_expected": as_expected,
        "targets_met": met,
    }
    return figures, first.errors + second.errors


def main() -> None:
    """Run the farm and both cycles; print the figures; exit 1 when a feed failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000, help="feeds served and polled")
    parser.add_argument("--items", type=int, default=30, help="items per feed")
    parser.add_argument("--changed", type=float, default=0.1, help="share of feeds that change")
    parser.add_argument("--new", type=int, default=3, help="new items in a changed feed")
    parser.add_argument("--concurrency", type=int, default=20, help="fetch_concurrency")
    parser.add_argument("--chats", type=int, default=50, help="chats with rules")
    parser.add_argument("--gzip", action="store_true", help="serve feeds gzip-coded")
    parser.add_argument("--seed", type=int, default=1, help="seed of the feeds, changes and rules")
    args = parser.parse_args()
    with Farm(args.feeds, args.items, seed=args.seed, gzip=args.gzip) as farm:
        figures, errors = asyncio.run(bench(args, farm))
    print(json.dumps(figures))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
