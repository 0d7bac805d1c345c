"""`alertbot demo`: the whole path on bundled sample feeds, alerts printed instead of sent."""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TextIO

from bot.app import compiler_for, make_fetcher, make_poller
from bot.delivery.sender import Sender
from bot.demo.feedserver import FeedServer
from bot.feeds.catalog import parse_catalog
from bot.store import Store, open_redis
from config.settings import Settings

DEMO_CHAT = 1001
SAMPLES_AGE_HOURS = 24 * 365 * 100.0
DEMO_RULES = ('"US base" drone', "قاعدة أمريكية مسيرة")
# The rounds after the first poll: which snapshot the outlets serve, and what happens.
ROUNDS = (
    (2, "21:31 UTC, Arabic Post and Levant Wire report drones hitting a US base"),
    (3, "21:48 UTC, the Syrian Observatory reports the same attack"),
    (4, "22:20 UTC, Al Mayadeen reports it too, and a drone attack on another US base in Iraq"),
)
_CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "feed": "application/atom+xml; charset=utf-8",
}


class ConsoleTransport:
    """Prints each message exactly as the sender would hand it to Telegram."""

    def __init__(self, out: TextIO) -> None:
        """Print to `out`."""
        self._out = out
        self.sent: list[tuple[int, str]] = []
        self.edits: list[tuple[int, int, str]] = []

    async def send(self, chat_id: int, html: str) -> int:
        """Print one message with the call it would be; its number stands for a message id."""
        self.sent.append((chat_id, html))
        bar = "─" * 8
        print(f"{bar} sendMessage chat_id={chat_id} parse_mode=HTML (alert {len(self.sent)}) {bar}",
              file=self._out)  # fmt: skip
        print(html, file=self._out)
        print(file=self._out)
        return len(self.sent)

    async def edit(self, chat_id: int, message_id: int, html: str) -> None:
        """Print an edit of an earlier message, as the call it would be."""
        self.edits.append((chat_id, message_id, html))
        bar = "─" * 8
        print(f"{bar} editMessageText chat_id={chat_id} message_id={message_id} {bar}",
              file=self._out)  # fmt: skip
        print(html, file=self._out)
        print(file=self._out)


@dataclass(frozen=True)
class DemoResult:
    """What the demo did, for the tests."""

    recorded: int
    new_items: int
    alerts: list[tuple[int, str]]
    edits: list[tuple[int, int, str]]


def demo_dir() -> Path:
    """The folder of bundled demo feeds."""
    return Path(str(files("config") / "demo"))


async def run_demo(settings: Settings, out: TextIO = sys.stdout) -> DemoResult:
    """Serve the sample feeds locally, poll them twice with a demo chat's rules, print alerts."""
    folder = demo_dir()
    console = ConsoleTransport(out)
    # The sample feeds live on this machine, and their stories date from 23 October 2023.
    settings = settings.model_copy(
        update={"allow_private_feeds": True, "max_item_age": SAMPLES_AGE_HOURS}
    )
    with FeedServer() as server:
        raw = (
            (folder / "feeds.toml").read_text(encoding="utf-8").replace("{server}", server.base_url)
        )
        feeds = parse_catalog(tomllib.loads(raw), str(folder / "feeds.toml"))
        _publish(server, folder, snapshot=1, feed_ids=[f.id for f in feeds])
        async with open_redis(None, None) as handle:  # throwaway: the demo never touches real data
            store = Store(handle.client, retention_seconds=settings.retention_seconds)
            await store.catalog.replace(feeds)
            await store.chats.start(DEMO_CHAT)
            for rule in DEMO_RULES:
                await store.chats.add_rule(DEMO_CHAT, rule, settings.max_rules)
            fetcher = make_fetcher(settings)
            try:
                poller = make_poller(settings, store, fetcher, compiler_for(settings))
                print(f"alertbot demo: embedded Redis started, {len(feeds)} sample feeds served at "
                      f"{server.base_url}", file=out)  # fmt: skip
                print(f"Demo chat {DEMO_CHAT} watches: " + "  |  ".join(DEMO_RULES), file=out)
                first = await poller.poll_all()
                print(f"First poll: {first.new_items} items already in the feeds recorded as seen "
                      "(a new feed's backlog never alerts).", file=out)  # fmt: skip
                new_items = 0
                for snapshot, what in ROUNDS:
                    _publish(server, folder, snapshot=snapshot, feed_ids=[f.id for f in feeds])
                    report = await poller.poll_all()
                    new_items += report.new_items
                    print(f"{what}: {counted(report.new_items, 'new item')}, "
                          f"{counted(report.deliveries, 'message')} for the demo chat. "
                          "The sender sends:\n", file=out)  # fmt: skip
                    await Sender(store, console, consumer="demo").drain()
            finally:
                await fetcher.aclose()
    print(f"Done: {counted(len(console.sent), 'alert')}, {counted(len(console.edits), 'edit')}: "
          "one story told by "
          "four outlets in Arabic and English is one alert, edited as outlets report it; the "
          "attack on another base is an alert of its own. Set ALERTBOT_TELEGRAM_TOKEN to run "
          "the real bot.", file=out)  # fmt: skip
    return DemoResult(
        recorded=first.new_items, new_items=new_items, alerts=console.sent, edits=console.edits
    )


def _publish(server: FeedServer, folder: Path, snapshot: int, feed_ids: list[str]) -> None:
    """Serve each feed as its newest snapshot up to `snapshot`."""
    for feed_id in feed_ids:
        number = max(n for n in range(1, snapshot + 1) if (folder / f"{feed_id}-{n}.xml").is_file())
        body = (folder / f"{feed_id}-{number}.xml").read_bytes()
        kind = "feed" if b"<feed" in body[:500] else "rss"
        server.set(f"/{feed_id}.xml", body, content_type=_CONTENT_TYPES[kind])


def counted(count: int, noun: str) -> str:
    """A count and its English noun in the right number: 1 alert, 2 alerts."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
