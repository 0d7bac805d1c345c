"""Fan-out benchmark: one story to 10,000 private chats through the emulator, Telegram's limits on.

A throwaway embedded Redis holds N started private chats with one rule each (bytes per subscriber:
INFO memory used_memory before and after creating them, client buffers left out), one catalog
feed and one item. The Bot API emulator runs in its own process (bench/botapi_server.py) with
enforce_limits: a message that would pass 30 a second for the bot or 1 a second for a private
chat is answered 429 and counted as a breach. For 1 .. --senders-max sender processes
(`python -m bot run --role sender`, as an operator runs them) it waits until they share the
delivery shards, queues the N deliveries of a fresh item at t0, and waits until every chat has
its message. It prints the sustained rate (messages between the 5th and 95th percentile arrival
over that time span), the overall rate (first to last message), time to first and last delivery,
429 answers, breaches, duplicates and missing chats, how close the bot came to Telegram's 30 a
second (messages that were the 30th within a second), what each delivery leaves in Redis (its
stream entry and sent marker, by MEMORY USAGE) and the CPU of every process; then one JSON
object as the last line. It exits 1 if a chat got no message or more than one.

    python bench/fanout.py [--chats 10000] [--senders-max 2] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis.asyncio as aioredis

from bench.botapi_server import EmulatorProcess
from bot.core.models import Delivery, Feed, Item
from bot.store import Store, keys, open_redis
from bot.store.connection import Client
from bot.store.senders import SenderRegistry, fair_share

ROOT = Path(__file__).resolve().parents[1]
CHAT_BASE = 100_000_000  # private chats have positive ids
RULE = "ceasefire"
FEED = Feed(id="bench-news", name="Bench News", url="https://news.example.com/rss", lang="en")
TARGET_RATE = 28.0  # messages per second, sustained
LIMIT = 30  # Telegram's messages per second for a bot
BATCH = 50  # chats created concurrently (within the client's connection pool)
SHARDS_TIMEOUT = 60.0  # seconds for the senders to start and share the shards
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    """What one fan-out did: rates, times, refusals, correctness, and the CPU it took."""

    chats: int
    senders: int
    delivered: int
    msgs_per_s_sustained: float
    msgs_per_s_overall: float
    first_delivery_s: float
    last_delivery_s: float
    answers_429: int
    breaches: int
    duplicates: int
    missing: int
    redis_bytes_per_subscriber: float
    redis_bytes_per_stream_entry: float  # kept until the stream is trimmed (stream_maxlen)
    redis_bytes_per_sent_marker: float  # kept for keys.SENT_TTL (7 days)
    max_in_any_1s: int
    at_limit_1s: int  # messages that were the 30th within one second (a 31st would be refused)
    per_second: dict[str, float]  # messages in each whole second after the first delivery
    median_interval_ms: float  # between consecutive messages
    max_gap_s: float
    max_gap_at_s: float
    enqueue_s: float
    shards_ready_s: float
    backlog_after: int
    statuses: dict[str, int]
    sender_cpu_s: float
    emulator_cpu_s: float
    redis_cpu_s: float
    sender_exit_codes: list[int]
    sender_log_lines: int
    late_for_slot: int
    timed_out: bool


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


async def used_memory(client: aioredis.Redis) -> int:
    """Redis's INFO memory used_memory, less its clients' buffers, once they have settled.

    Our pool's connections are closed first (each keeps a query buffer that Redis frees only
    when idle), and Redis is given a second to bring its client accounting up to date.
    """
    await client.connection_pool.disconnect()
    await asyncio.sleep(1.0)
    info = await client.info("memory")
    clients = int(info.get("mem_clients_normal", 0)) + int(info.get("mem_clients_slaves", 0))
    return int(info["used_memory"]) - clients


async def stream_bytes(client: Client) -> int:
    """What the delivery streams take now (MEMORY USAGE, every node counted)."""
    total = 0
    for shard in range(keys.SHARDS):
        total += int(await client.memory_usage(keys.deliveries(shard), samples=0) or 0)
    return total


async def marker_bytes(client: Client, deliveries: list[Delivery]) -> float:
    """What one sent marker (chat, item) -> message id takes, averaged over a sample."""
    sample = deliveries[:: max(1, len(deliveries) // 200)]
    sizes = [await client.memory_usage(keys.sent(d.chat_id, d.item_id)) for d in sample]
    found = [int(size) for size in sizes if size]
    return sum(found) / len(found) if found else 0.0


async def add_subscribers(store: Store, count: int) -> None:
    """`count` private chats, started, with one rule each."""

    async def one(chat_id: int) -> None:
        await store.chats.start(chat_id)
        await store.chats.add_rule(chat_id, RULE, 50)

    for first in range(0, count, BATCH):
        last = min(count, first + BATCH)
        await asyncio.gather(*(one(CHAT_BASE + n) for n in range(first, last)))


def make_item(run: int) -> Item:
    """A fresh story (its own id, so no chat has had it)."""
    return Item(
        id=f"bench-fanout-{run}-{time.time_ns()}",
        feed_id=FEED.id,
        title=f"Ceasefire talks resume in Cairo as envoys meet for round {run}",
        summary=(
            "Negotiators from both sides arrived on Tuesday for a new round of ceasefire talks, "
            "the foreign ministry said, after a week of strikes and warnings from aid agencies."
        ),
        link=f"https://news.example.com/world/ceasefire-talks-{run}",
        published=datetime.now(UTC),
        lang="en",
    )


def sender_env(emulator: EmulatorProcess, redis_url: str, data_dir: Path) -> dict[str, str]:
    """A sender's environment: no inherited ALERTBOT_ settings, the emulator and our Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env["PTB_TIMEDELTA"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(
        {
            "ALERTBOT_TELEGRAM_TOKEN": emulator.token,
            "ALERTBOT_TELEGRAM_API_URL": emulator.base_url,
            "ALERTBOT_REDIS_URL": redis_url,
            "ALERTBOT_LOG_LEVEL": "INFO",
            "ALERTBOT_DATA_DIR": str(data_dir),
        }
    )
    return env


def start_senders(count: int, env: dict[str, str], workdir: Path) -> list[subprocess.Popen[bytes]]:
    """`count` sender processes with fresh logs, run from `workdir` (no .env of the checkout)."""
    processes = []
    for number in range(count):
        with (workdir / f"sender-{number}.log").open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot", "run", "--role", "sender"],
                    env=env,
                    cwd=workdir,
                    stdout=log,
                    stderr=log,
                )
            )
    return processes


async def wait_for_shards(
    store: Store, processes: list[subprocess.Popen[bytes]], within: float
) -> float:
    """Wait until every shard is held and the senders hold a fair share each; seconds taken."""
    registry = SenderRegistry(store.redis)
    started = time.monotonic()
    share = fair_share(len(processes))
    while time.monotonic() - started < within:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a sender process exited while starting (see its log)")
        holders = await registry.holders()
        counts = Counter(holders.values())
        if None not in counts and len(counts) == len(processes) and max(counts.values()) <= share:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the senders did not share the {keys.SHARDS} shards within {within} s")


def stop_senders(processes: list[subprocess.Popen[bytes]]) -> list[int]:
    """SIGTERM every sender (they give their shards back), then wait; their exit codes."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=20))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
    return codes


async def wait_delivered(emulator: EmulatorProcess, chats: int, t0: float, within: float) -> bool:
    """Wait until every chat has a message (True) or `within` seconds pass (False)."""
    next_line = t0 + 30.0
    while True:
        progress = emulator.progress()
        now = time.time()
        if progress["chats"] >= chats:
            return True
        if now - t0 > within:
            return False
        if now >= next_line:
            next_line += 30.0
            print(
                f"  t0+{now - t0:.0f} s: {progress['chats']} chats reached, "
                f"{progress['refused']} answered 429",
                flush=True,
            )
        await asyncio.sleep(0.25)


def rates(times: list[float]) -> tuple[float, float]:
    """Sustained (5th to 95th percentile arrival) and overall (first to last) messages/s."""
    n = len(times)
    if n < 2 or times[-1] <= times[0]:
        return 0.0, 0.0
    low, high = int(n * 0.05), max(int(n * 0.05) + 1, math.ceil(n * 0.95) - 1)
    span = times[high] - times[low]
    sustained = (high - low) / span if span > 0 else 0.0
    return sustained, (n - 1) / (times[-1] - times[0])


def per_second(times: list[float]) -> list[int]:
    """Messages in each whole second after the first one (the last, partial second left out)."""
    if not times:
        return []
    whole = int(times[-1] - times[0])
    counts = [0] * whole
    for moment in times:
        second = int(moment - times[0])
        if second < whole:
            counts[second] += 1
    return counts


def largest_gap(times: list[float], t0: float) -> tuple[float, float]:
    """The longest time between two consecutive messages, and when it began (after t0)."""
    best, at = 0.0, 0.0
    for before, after in itertools.pairwise(times):
        if after - before > best:
            best, at = after - before, before - t0
    return best, at


async def fan_out(
    store: Store,
    redis_pid: int | None,
    args: argparse.Namespace,
    *,
    senders: int,
    subscriber_bytes: float,
    workdir: Path,
) -> tuple[Run, list[int]]:
    """One fan-out with `senders` sender processes and a fresh emulator; figures, per second."""
    item = make_item(senders)
    await store.items.save([item])
    deliveries = [
        Delivery(chat_id=CHAT_BASE + n, item_id=item.id, rule=RULE) for n in range(args.chats)
    ]
    timeout = args.timeout or args.chats / 25 + 60
    with EmulatorProcess() as emulator:
        processes = start_senders(senders, sender_env(emulator, args.redis_url, workdir), workdir)
        try:
            ready_s = await wait_for_shards(store, processes, SHARDS_TIMEOUT)
            streams0 = await stream_bytes(store.redis)
            redis_cpu0 = process_cpu(redis_pid)
            t0 = time.time()
            await store.deliveries.enqueue(deliveries)
            enqueue_s = time.time() - t0
            complete = await wait_delivered(emulator, args.chats, t0, timeout)
            await asyncio.sleep(2.0)  # anything sent twice would show up now
            sender_cpu = sum(process_cpu(p.pid) for p in processes)
            redis_cpu = process_cpu(redis_pid) - redis_cpu0
            backlog = await store.deliveries.backlog()
            streams1 = await stream_bytes(store.redis)
            marker = await marker_bytes(store.redis, deliveries)
        finally:
            codes = stop_senders(processes)
        report = emulator.report()
    sent: list[tuple[int, float]] = report["sent"]
    times = sorted(moment for _, moment in sent)
    received = Counter(chat for chat, _ in sent)
    expected = {d.chat_id for d in deliveries}
    sustained, overall = rates(times)
    counts = per_second(times)
    gap, gap_at = largest_gap(times, t0)
    intervals = [b - a for a, b in itertools.pairwise(times)]
    logs = [
        (workdir / f"sender-{n}.log").read_text(errors="replace").splitlines()
        for n in range(senders)
    ]
    log_lines = sum(
        1 for lines in logs for line in lines if " WARNING " in line or " ERROR " in line
    )
    # Each sender says on the way out how many messages missed their bot-wide slot.
    late = sum(
        int(match.group(1))
        for lines in logs
        for line in lines
        if (match := re.search(r"(\d+) late for their slot", line))
    )
    run = Run(
        chats=args.chats,
        senders=senders,
        delivered=len(sent),
        msgs_per_s_sustained=round(sustained, 2),
        msgs_per_s_overall=round(overall, 2),
        first_delivery_s=round(times[0] - t0, 3) if times else -1.0,
        last_delivery_s=round(times[-1] - t0, 3) if times else -1.0,
        answers_429=len(report["refused_at"]),
        breaches=len(report["breaches"]),
        duplicates=sum(1 for n in received.values() if n > 1),
        missing=len(expected - set(received)),
        redis_bytes_per_subscriber=round(subscriber_bytes, 1),
        redis_bytes_per_stream_entry=round((streams1 - streams0) / args.chats, 1),
        redis_bytes_per_sent_marker=round(marker, 1),
        max_in_any_1s=int(report["max_in_1s"]),
        at_limit_1s=sum(
            1 for i in range(LIMIT - 1, len(times)) if times[i] - times[i - LIMIT + 1] < 1
        ),
        per_second=summarize(counts),
        median_interval_ms=round(statistics.median(intervals) * 1000, 2) if intervals else 0.0,
        max_gap_s=round(gap, 3),
        max_gap_at_s=round(gap_at, 1),
        enqueue_s=round(enqueue_s, 3),
        shards_ready_s=round(ready_s, 1),
        backlog_after=backlog,
        statuses={str(k): v for k, v in sorted(report["statuses"].items())},
        sender_cpu_s=round(sender_cpu, 1),
        emulator_cpu_s=round(float(report["cpu_s"]), 1),
        redis_cpu_s=round(redis_cpu, 1),
        sender_exit_codes=codes,
        sender_log_lines=log_lines,
        late_for_slot=late,
        timed_out=not complete,
    )
    for breach in report["breaches"][:5]:
        print(f"  breach: {breach}")
    for n, lines in enumerate(logs):
        for line in [line for line in lines if " WARNING " in line or " ERROR " in line][:5]:
            print(f"  sender {n}: {line}")
    return run, counts


def summarize(counts: list[int]) -> dict[str, float]:
    """Min, 5th percentile, median and max of the per-second counts."""
    if not counts:
        return {}
    ordered = sorted(counts)
    return {
        "seconds": len(counts),
        "min": ordered[0],
        "p5": ordered[int(len(ordered) * 0.05)],
        "median": statistics.median(ordered),
        "max": ordered[-1],
    }


def describe(run: Run) -> str:
    """The human lines for one run."""
    verdict = (
        "met" if run.msgs_per_s_sustained >= TARGET_RATE and run.answers_429 == 0 else "MISSED"
    )
    return (
        f"{run.senders} sender(s), {run.chats} chats: {run.delivered} messages, "
        f"sustained {run.msgs_per_s_sustained:.2f} msg/s, overall {run.msgs_per_s_overall:.2f} "
        f"msg/s (target >= {TARGET_RATE:g}, limit {LIMIT}): {verdict}\n"
        f"  first delivery {run.first_delivery_s:.2f} s, last {run.last_delivery_s:.1f} s after "
        f"queueing (queued in {run.enqueue_s:.2f} s; senders ready in {run.shards_ready_s} s)\n"
        f"  429 answers {run.answers_429}, breaches {run.breaches}, most in any 1 s "
        f"{run.max_in_any_1s} ({run.at_limit_1s} messages were the {LIMIT}th within 1 s);\n"
        f"  duplicates {run.duplicates}, missing {run.missing}, backlog "
        f"after {run.backlog_after}; sendMessage statuses {run.statuses}\n"
        f"  per whole second {run.per_second}; median interval {run.median_interval_ms} ms; "
        f"longest pause {run.max_gap_s:.2f} s "
        f"(at t0+{run.max_gap_at_s:.0f} s)\n"
        f"  CPU: senders {run.sender_cpu_s} s, emulator {run.emulator_cpu_s} s, Redis "
        f"{run.redis_cpu_s} s; Redis per delivery: {run.redis_bytes_per_stream_entry:.0f} B "
        f"of stream, {run.redis_bytes_per_sent_marker:.0f} B of sent marker; "
        f"sender exit codes {run.sender_exit_codes}, {run.sender_log_lines} warnings or errors; "
        f"{run.late_for_slot} messages late for their slot went back to wait"
    )


def histogram(counts: list[int]) -> str:
    """How many whole seconds carried each number of messages, e.g. {29: 300, 28: 40}."""
    return str(dict(sorted(Counter(counts).items(), reverse=True)))


async def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Create the subscribers, measure their memory, then fan out with 1 .. N senders."""
    async with open_redis(None, None) as handle:
        client = handle.client
        # open_redis(None, None) starts one embedded server, and used_memory needs its pool.
        if not isinstance(client, aioredis.Redis):
            raise TypeError(f"expected one Redis server, got {type(client).__name__}")
        store = Store(client, retention_seconds=86_400)
        args.redis_url = handle.url
        redis_pid = handle.server.pid if handle.server else None
        await store.catalog.replace([FEED])
        await store.deliveries.ensure_groups()
        before = await used_memory(client)
        started = time.perf_counter()
        await add_subscribers(store, args.chats)
        created_s = time.perf_counter() - started
        subscriber_bytes = (await used_memory(client) - before) / args.chats
        print(
            f"{args.chats} private chats with one rule each created in {created_s:.1f} s; "
            f"Redis {subscriber_bytes:.0f} bytes per subscriber; {os.cpu_count()} CPUs",
            flush=True,
        )
        results: dict[str, Any] = {}
        for senders in range(1, args.senders_max + 1):
            run, counts = await fan_out(
                store,
                redis_pid,
                args,
                senders=senders,
                subscriber_bytes=subscriber_bytes,
                workdir=workdir,
            )
            print(describe(run), flush=True)
            if run.msgs_per_s_sustained < TARGET_RATE or run.answers_429:
                print(f"  seconds by messages sent in them: {histogram(counts)}")
                print(f"  messages per second, in order: {counts}")
            results[str(senders)] = asdict(run)
    return results


def main() -> None:
    """Run the fan-outs and print the figures; exit 1 when a chat got none or two messages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000, help="subscribed private chats")
    parser.add_argument("--senders-max", type=int, default=2, help="runs with 1 .. N senders")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds per run (default chats/25 + 60)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="alertbot-fanout-") as tmp:
        results = asyncio.run(bench(args, Path(tmp)))
    runs = list(results.values())
    met = all(r["msgs_per_s_sustained"] >= TARGET_RATE and r["answers_429"] == 0 for r in runs)
    correct = all(r["duplicates"] == 0 and r["missing"] == 0 for r in runs)
    print(f"targets (>= {TARGET_RATE:g} msg/s sustained, no 429): {'met' if met else 'MISSED'}")
    print(json.dumps({"runs": results, "targets_met": met, "cpu_count": os.cpu_count()}))
    sys.exit(0 if correct else 1)


if __name__ == "__main__":
    main()
