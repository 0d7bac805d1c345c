"""Every role as its own process on one Redis: 2 pollers, 2 senders and the bot, real feeds.

Used by tests/test_roles.py (assertions) and bench/roles.py (figures). The feeds are served by a
local FeedServer, Telegram by the emulator; chats and rules are written to Redis as the bot
would. Each round some feeds publish one new item with a word that a known set of chats
watches; in the middle round one poller and one sender are killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.demo.feedserver import FeedServer
from bot.store import Store
from testkit import process
from testkit.botapi import BotApiEmulator
from testkit.chat import ask
from testkit.feeds import Entry, rss

TOKENS = 50  # distinct watched words; chat n watches word n % TOKENS
POLL_INTERVAL = 4.0
HTTP_TIMEOUT = 3.0  # a killed poller's feed leases expire this + 30 s later


@dataclass
class Fleet:
    """What one run saw."""

    feeds: int
    chats: int
    expected: int = 0
    delivered: int = 0
    duplicates: int = 0
    missing: int = 0
    unexpected: int = 0
    round_seconds: list[float] = field(default_factory=list)  # publish to last alert, per round
    double_fetches: int = 0  # a feed fetched twice within half a poll interval
    min_fetch_gap_s: float = 0.0
    fetches: int = 0
    killed: list[str] = field(default_factory=list)
    exits: dict[str, int | None] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)  # what the emulator answered 429 to
    bot_answered: bool = False
    logs: str = ""

    def figures(self) -> dict[str, Any]:
        """The run as a JSON-friendly dict (logs left out)."""
        return {k: v for k, v in self.__dict__.items() if k != "logs"}


def word(n: int) -> str:
    """A made-up word no feed text holds by chance (letters only, no plural ending)."""
    consonants, vowels = "bdfgklmnprtvz", "aeiou"
    a, b, c = n % 13, (n // 13) % 5, (n // 65) % 13
    tail = f"{vowels[(n * 7) % 5]}x{consonants[(n * 3) % 13]}o"
    return f"q{consonants[a]}{vowels[b]}{consonants[c]}{tail}"


def filler(rng: random.Random, words: int) -> str:
    """Random made-up words, never a watched one, so no two items read alike (own stories)."""
    return " ".join("w" + word(rng.randrange(845))[1:] for _ in range(words))


async def run_fleet(  # noqa: PLR0915 - one scenario, told in order
    store: Store,
    emu: BotApiEmulator,
    redis_url: str,
    workdir: Path,
    *,
    feeds: int = 300,
    chats: int = 1000,
    rounds: int = 3,
    per_round: int = 10,
    deadline: float = 150.0,
) -> Fleet:
    """Run the fleet for `rounds` rounds of new items and report what happened."""
    rng = random.Random(7)
    found = Fleet(feeds=feeds, chats=chats)
    feed_ids = [f"f{n:03d}" for n in range(feeds)]
    entries: dict[str, list[Entry]] = {
        f: [Entry(f"{f}-old", filler(rng, 6), filler(rng, 12), minutes=0)] for f in feed_ids
    }
    chat_ids = [20_001 + n for n in range(chats)]
    with FeedServer() as server:
        for f in feed_ids:
            server.set(f"/{f}.xml", rss(entries[f], title=f))
        catalog = workdir / "fleet.toml"
        catalog.write_text(
            "".join(
                f'[[feeds]]\nid = "{f}"\nname = "Feed {f}"\nurl = "{server.url(f"/{f}.xml")}"\n'
                for f in feed_ids
            ),
            encoding="utf-8",
        )
        for chat_id in chat_ids:
            await store.chats.start(chat_id)
            await store.chats.add_rule(chat_id, word(chat_id % TOKENS), 50)
        env = process.bot_env(
            emu,
            redis_url,
            catalog,
            poll_interval=str(POLL_INTERVAL),
            min_poll_interval=str(POLL_INTERVAL),
            http_timeout=str(HTTP_TIMEOUT),
            fetch_concurrency="20",
            data_dir=str(workdir / "data"),
            log_level="INFO",
        )
        procs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        for name, role in [("poller-1", "poller"), ("poller-2", "poller"), ("sender-1", "sender"),
                           ("sender-2", "sender"), ("bot", "bot")]:  # fmt: skip
            log = workdir / f"{name}.log"
            procs[name] = (process.start(["run", "--role", role], env, workdir, log), log)
        try:
            await _wait_primed(store, feed_ids, deadline)
            await emu.wait_for(lambda: bool(emu.commands), timeout=30, what="the bot role")
            found.bot_answered = "Welcome" in (await ask(emu, 19_999, "/start")).plain_text
            expected: Counter[tuple[int, str]] = Counter()
            tokens = iter(range(TOKENS))
            for number in range(rounds):
                published = time.monotonic()
                titles = []
                for f in rng.sample(feed_ids, per_round):
                    token = next(tokens) if number * per_round < TOKENS else rng.randrange(TOKENS)
                    title = f"{filler(rng, 4)} {word(token)} {filler(rng, 3)}"
                    entries[f].append(
                        Entry(f"{f}-{number}", title, filler(rng, 14), minutes=60 + number)
                    )
                    server.set(f"/{f}.xml", rss(entries[f], title=f))
                    titles.append(title)
                    for chat_id in chat_ids:
                        if chat_id % TOKENS == token:
                            expected[(chat_id, title)] += 1
                if number == rounds // 2:  # mid-run: one poller and one sender die hard
                    await asyncio.sleep(POLL_INTERVAL / 2)
                    procs["poller-1"][0].kill()
                    procs["poller-1"][0].wait()
                    await process.kill_between_sends(store, procs["sender-1"][0])
                    found.killed += ["poller-1", "sender-1"]
                want = sum(expected.values())
                await _wait_alerts(emu, chat_ids, want, published + deadline)
                found.round_seconds.append(round(time.monotonic() - published, 2))
            await asyncio.sleep(POLL_INTERVAL * 2)  # a late duplicate would show by now
            got: Counter[tuple[int, str]] = Counter()
            for message in emu.sent():
                if message.chat_id in expected_chats(expected):
                    got[(message.chat_id, message.visible.splitlines()[0])] += 1
            found.expected = sum(expected.values())
            found.delivered = sum(min(got[k], 1) for k in expected)
            found.duplicates = sum(max(0, n - 1) for n in got.values())
            found.missing = sum(1 for k in expected if got[k] == 0)
            found.unexpected = sum(n for k, n in got.items() if k not in expected)
            found.breaches = list(emu.breaches)
            gaps = _fetch_gaps(server.request_times)
            found.fetches = len(server.request_times)
            found.min_fetch_gap_s = round(min(gaps), 3) if gaps else 0.0
            found.double_fetches = sum(1 for gap in gaps if gap < POLL_INTERVAL / 2)
        finally:
            for proc, _log in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for name, (proc, _log) in procs.items():
                try:
                    found.exits[name] = proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    found.exits[name] = None
            found.logs = "\n".join(
                f"--- {name} ---\n{log.read_text(errors='replace')[-3000:]}"
                for name, (_p, log) in procs.items()
            )
    return found


def expected_chats(expected: Counter[tuple[int, str]]) -> set[int]:
    """The chats some alert was expected for."""
    return {chat_id for chat_id, _ in expected}


async def _wait_primed(store: Store, feed_ids: list[str], deadline: float) -> None:
    """Until every feed's first poll recorded its backlog."""
    async with asyncio.timeout(deadline):
        for feed_id in feed_ids:
            while not (await store.feeds.get(feed_id)).primed:  # noqa: ASYNC110
                await asyncio.sleep(0.2)


async def _wait_alerts(emu: BotApiEmulator, chat_ids: list[int], want: int, until: float) -> None:
    """Until `want` alerts reached the watched chats (or the deadline: the caller counts)."""
    watched = set(chat_ids)
    while time.monotonic() < until:
        if sum(1 for m in emu.sent() if m.chat_id in watched) >= want:
            return
        await asyncio.sleep(0.2)


def _fetch_gaps(times: list[tuple[str, float]]) -> list[float]:
    """Seconds between consecutive fetches of each feed."""
    last: dict[str, float] = {}
    gaps = []
    for path, at in sorted(times, key=lambda t: t[1]):
        if path in last:
            gaps.append(at - last[path])
        last[path] = at
    return gaps
