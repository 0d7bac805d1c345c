"""End to end: the real `alertbot run` process, real Redis, a local feed server, the emulator."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from bot.demo.feedserver import FeedServer
from bot.store import Store
from tests.support import process
from tests.support.botapi import BotApiEmulator
from tests.support.chat import ask
from tests.support.feeds import Entry, rss

CHAT = 777
OLD = Entry("old", "Aid convoy crosses into Gaza", "Trucks crossed at Rafah.", minutes=0)
MATCH = Entry(
    "match",
    "Drones target largest US base in eastern Syria",
    "Iran-backed militias targeted the base, a monitor said.",
    minutes=60,
    link="https://wire.example/drones-us-base",
)
OTHER = Entry("other", "Oil prices climb as tensions rise", "Brent rose on Monday.", minutes=61)


def write_catalog(path: Path, server: FeedServer) -> Path:
    """A one-feed catalog pointing at the local feed server."""
    path.write_text(
        f'[[feeds]]\nid = "wire"\nname = "Levant Wire"\nurl = "{server.url("/wire.xml")}"\n',
        encoding="utf-8",
    )
    return path


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM the bot and check it stopped cleanly."""
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=20)
    assert code == 0, log.read_text()


async def polls(server: FeedServer, emu: BotApiEmulator, more: int, after: int) -> None:
    """Wait until the feed was fetched `more` more times than `after`."""
    await emu.wait_for(
        lambda: server.requests.get("/wire.xml", 0) >= after + more,
        timeout=20,
        what=f"{more} more polls of the feed",
    )


@pytest.mark.timeout(120)
async def test_watch_alert_latest_restart(
    tmp_path: Path, emu: BotApiEmulator, feed_server: FeedServer, redis_url: str, store: Store
) -> None:
    """A rule fires once on a matching item, /latest lists both, a restart sends nothing again."""
    feed_server.set("/wire.xml", rss([OLD]))
    env = process.bot_env(emu, redis_url, write_catalog(tmp_path / "feeds.toml", feed_server))
    log = tmp_path / "bot.log"
    bot = process.start(["run"], env, tmp_path, log)
    try:
        await emu.wait_for(lambda: bool(emu.commands), timeout=30, what="the bot to start")
        assert "Welcome" in (await ask(emu, CHAT, "/start")).plain_text
        assert "Rule 1 added" in (await ask(emu, CHAT, "/watch US base drone")).plain_text
        await polls(feed_server, emu, 1, 0)
        while not (await store.feeds.get("wire")).primed:
            await polls(feed_server, emu, 1, feed_server.requests["/wire.xml"])
        feed_server.set("/wire.xml", rss([OLD, MATCH, OTHER]))
        sent = await emu.wait_sent(CHAT, 3, timeout=20)
        alert = sent[2]
        assert alert.plain_text.splitlines()[0] == MATCH.title
        assert "Levant Wire" in alert.plain_text
        assert 'href="https://wire.example/drones-us-base"' in alert.text
        assert "Rule: US base drone" in alert.plain_text
        await polls(feed_server, emu, 2, feed_server.requests["/wire.xml"])
        assert len(emu.sent(CHAT)) == 3  # the other item did not alert, nothing twice
        latest = (await ask(emu, CHAT, "/latest")).plain_text
        assert latest.index(OTHER.title) < latest.index(MATCH.title) < latest.index(OLD.title)
        stop(bot, log)

        feed_server.set("/wire.xml", rss([OLD, MATCH, OTHER], title="changed"))  # forces a re-parse
        bot = process.start(["run"], env, tmp_path, log)
        await polls(feed_server, emu, 3, feed_server.requests["/wire.xml"])
        assert "1. US base drone" in (await ask(emu, CHAT, "/rules")).plain_text
        assert [m.plain_text.splitlines()[0] for m in emu.sent(CHAT)].count(MATCH.title) == 1
        stop(bot, log)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    assert "Traceback" not in log.read_text()
    assert emu.token not in log.read_text()
