"""Every role as its own process: 2 pollers, 2 senders and the bot on one Redis, real feeds.

300 local feeds and 1,000 chats with rules; each of 3 rounds, 10 feeds publish an item that 20
chats watch; in the middle round one poller and one sender are killed with SIGKILL. Prints the
alerts expected, delivered, duplicated and missing, the seconds from publishing to the last
alert per round, fetches and the smallest gap between two fetches of one feed (two pollers
fetching one feed at once would show as a gap under half the poll interval), and Telegram
limit breaches; the last line is one JSON object.

    python bench/roles.py [--feeds 300] [--chats 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from bot.store import Store
from bot.store.connection import make_client
from bot.store.embedded import EmbeddedRedis
from testkit.botapi import BotApiEmulator
from testkit.cluster import LocalCluster
from testkit.fleet import POLL_INTERVAL, run_fleet


async def main(feeds: int, chats: int, rounds: int, cluster: bool) -> None:
    """Run the fleet once and print its figures."""
    server = LocalCluster() if cluster else EmbeddedRedis(None)
    with tempfile.TemporaryDirectory() as tmp, server:
        client = make_client(server.url)
        emulator = BotApiEmulator(enforce_limits=True)
        emulator.start()
        try:
            store = Store(client, retention_seconds=3600)
            found = await run_fleet(
                store, emulator, server.url, Path(tmp), feeds=feeds, chats=chats, rounds=rounds
            )
        finally:
            emulator.stop()
            await client.aclose()
    where = "a local 3-master Redis Cluster" if cluster else "one Redis server"
    print(f"{feeds} feeds, {chats} chats, {rounds} rounds; poll interval {POLL_INTERVAL:g} s")
    print(f"Redis: {where}")
    print(
        f"alerts: {found.expected} expected, {found.delivered} delivered, "
        f"{found.duplicates} duplicates, {found.missing} missing, {found.unexpected} unexpected"
    )
    print(f"killed mid-run: {', '.join(found.killed)}; exits {found.exits}")
    print(f"publish to last alert, per round: {found.round_seconds} s")
    print(
        f"fetches: {found.fetches}; smallest gap between fetches of one feed "
        f"{found.min_fetch_gap_s} s; fetched twice within half an interval: {found.double_fetches}"
    )
    print(
        f"Telegram limit breaches: {len(found.breaches)} {found.breaches}; "
        f"bot role answered /start: {found.bot_answered}"
    )
    print(json.dumps(found.figures()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cluster", action="store_true", help="run on a local Redis Cluster")
    args = parser.parse_args()
    asyncio.run(main(args.feeds, args.chats, args.rounds, args.cluster))
