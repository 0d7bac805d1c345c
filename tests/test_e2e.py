"""End to end: the real `alertbot run` process, real Redis, a local feed server, the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest

from bot.demo.feedserver import FeedServer
from bot.demo.run import demo_dir
from bot.store import Store
from testkit import process
from testkit.botapi import ApiError, BotApiEmulator
from testkit.chat import ask
from testkit.feeds import Entry, rss

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


def start_bot(
    folder: Path, emu: BotApiEmulator, redis_url: str, catalog: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    """The real `alertbot run` on this catalog, talking to the emulator; its log file."""
    log = folder / "bot.log"
    return process.start(["run"], process.bot_env(emu, redis_url, catalog), folder, log), log


@contextlib.contextmanager
def running(bot: subprocess.Popen[bytes], log: Path) -> Iterator[None]:
    """Kill the bot if the test leaves it running; a test that passes leaves no traceback logged."""
    try:
        yield
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    assert "Traceback" not in log.read_text()


def outlet_catalog(folder: Path, server: FeedServer, outlets: dict[str, str]) -> Path:
    """A catalog of these outlets (feed id -> name), each at /<id>.xml on the feed server."""
    path = folder / "feeds.toml"
    lines = [
        f'[[feeds]]\nid = "{feed}"\nname = "{name}"\nurl = "{server.url(f"/{feed}.xml")}"\n'
        for feed, name in outlets.items()
    ]
    path.write_text("".join(lines), encoding="utf-8")
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
        assert alert.visible.splitlines()[0] == MATCH.title
        assert "Levant Wire" in alert.plain_text
        assert 'href="https://wire.example/drones-us-base"' in alert.text
        assert "Rule: \u2068US base drone\u2069" in alert.plain_text
        await polls(feed_server, emu, 2, feed_server.requests["/wire.xml"])
        assert len(emu.sent(CHAT)) == 3  # the other item did not alert, nothing twice
        latest = (await ask(emu, CHAT, "/latest")).plain_text
        assert latest.index(OTHER.title) < latest.index(MATCH.title) < latest.index(OLD.title)
        stop(bot, log)

        feed_server.set("/wire.xml", rss([OLD, MATCH, OTHER], title="changed"))  # forces a re-parse
        bot = process.start(["run"], env, tmp_path, log)
        await polls(feed_server, emu, 3, feed_server.requests["/wire.xml"])
        assert "1. US base drone" in (await ask(emu, CHAT, "/rules")).plain_text
        assert [m.visible.splitlines()[0] for m in emu.sent(CHAT)].count(MATCH.title) == 1
        stop(bot, log)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    assert "Traceback" not in log.read_text()
    assert emu.token not in log.read_text()


def demo_entries(name: str, minutes: int) -> list[Entry]:
    """A bundled demo snapshot's items as test entries, re-dated to be recent, in feed order."""
    parsed = feedparser.parse((demo_dir() / name).read_bytes())
    return [
        Entry(
            e.id,
            e.title,
            re.sub(r"<[^>]+>", " ", e.summary),
            minutes=minutes - n,
            link=e.link,
        )
        for n, e in enumerate(parsed.entries)
    ]


@pytest.mark.timeout(120)
async def test_one_story_three_outlets_one_alert_edited_twice(
    tmp_path: Path, emu: BotApiEmulator, feed_server: FeedServer, redis_url: str, store: Store
) -> None:
    """Three outlets report one attack: one alert, edited twice; another base gets its own alert."""
    outlets = {"arabicpost": "عربي بوست", "sohr": "المرصد السوري", "almayadeen": "الميادين"}
    for feed_id in outlets:
        feed_server.set(f"/{feed_id}.xml", rss(demo_entries(f"{feed_id}-1.xml", 0)))
    bot, log = start_bot(tmp_path, emu, redis_url, outlet_catalog(tmp_path, feed_server, outlets))
    with running(bot, log):
        await emu.wait_for(lambda: bool(emu.commands), timeout=30, what="the bot to start")
        await ask(emu, CHAT, "/start")
        assert "Rule 1 added" in (await ask(emu, CHAT, '/watch "قاعدة أمريكية" مسيرة')).plain_text
        # The attack on another base does not hold the phrase; this rule catches it too.
        assert "Rule 2 added" in (await ask(emu, CHAT, "/watch قاعدة الأسد مسيرة")).plain_text

        await wait_primed(store, list(outlets))  # every feed's first poll recorded its backlog
        feed_server.set("/arabicpost.xml", rss(demo_entries("arabicpost-2.xml", 60)))
        alert = (await emu.wait_sent(CHAT, 4, timeout=20))[3]
        assert "دير الزور" in alert.visible.splitlines()[0]
        assert "Also" not in alert.plain_text
        feed_server.set("/sohr.xml", rss(demo_entries("sohr-3.xml", 70)))
        await emu.wait_for(lambda: len(emu.edits(CHAT)) == 1, timeout=20, what="the first edit")
        feed_server.set("/almayadeen.xml", rss(demo_entries("almayadeen-4.xml", 90)))
        await emu.wait_for(lambda: len(emu.edits(CHAT)) == 2, timeout=20, what="the second edit")
        other = (await emu.wait_sent(CHAT, 5, timeout=20))[4]
        assert "عين الأسد" in other.visible.splitlines()[0]
        before = feed_server.requests["/sohr.xml"]
        await emu.wait_for(  # a few more poll rounds change nothing
            lambda: feed_server.requests["/sohr.xml"] >= before + 3, timeout=20, what="3 polls"
        )
        assert len(emu.sent(CHAT)) == 5
        assert len(emu.edits(CHAT)) == 2
        assert {e.message_id for e in emu.edits(CHAT)} == {alert.message_id}
        final = emu.message(CHAT, alert.message_id).plain_text
        assert "Also: \u2068المرصد السوري\u2069, \u2068الميادين\u2069" in final
        assert final.splitlines()[0] == alert.plain_text.splitlines()[0]
        stop(bot, log)


# One outlet's templates: another region, another flight. Each is news of its own.
KYIV = Entry("kyiv", "Air raid alert declared in Kyiv region", "Residents are urged to take "
             "shelter until the all-clear.", minutes=60)  # fmt: skip
ODESA = Entry("odesa", "Air raid alert declared in Odesa region", "Residents are urged to take "
              "shelter until the all-clear.", minutes=62)  # fmt: skip
FLIGHT_A = Entry("f2041", "Flight 2041 diverted to Cairo", "The plane landed safely after a "
                 "passenger fell ill, the airline said.", minutes=64)  # fmt: skip
FLIGHT_B = Entry("f763", "Flight 763 diverted to Cairo", "The plane landed safely after a "
                 "passenger fell ill, the airline said.", minutes=66)  # fmt: skip
FLIGHT_B_ELSEWHERE = Entry(
    "ap-763",
    "Passenger illness forces Flight 763 to land in Cairo",
    "The airline said the plane landed safely in Cairo.",
    minutes=70,
)


@pytest.mark.timeout(120)
async def test_templated_series_alerts_each_and_joins_the_right_story(
    tmp_path: Path, emu: BotApiEmulator, feed_server: FeedServer, redis_url: str, store: Store
) -> None:
    """One outlet's series alerts each, and another outlet's report edits the right alert.

    Kyiv then Odesa, Flight 2041 then Flight 763 from one outlet are four alerts; another
    outlet's Flight 763 report edits the Flight 763 alert, not the Flight 2041 one.
    """
    outlets = {"wire": "Levant Wire", "ap": "Press Agency"}
    for feed_id in outlets:
        feed_server.set(f"/{feed_id}.xml", rss([OLD]))
    bot, log = start_bot(tmp_path, emu, redis_url, outlet_catalog(tmp_path, feed_server, outlets))
    with running(bot, log):
        await emu.wait_for(lambda: bool(emu.commands), timeout=30, what="the bot to start")
        await ask(emu, CHAT, "/start")
        assert "Rule 1 added" in (await ask(emu, CHAT, '/watch "air raid"')).plain_text
        assert "Rule 2 added" in (await ask(emu, CHAT, "/watch flight diverted")).plain_text
        await wait_primed(store, list(outlets))
        sent_before = len(emu.sent(CHAT))
        feed_server.set("/wire.xml", rss([OLD, KYIV]))
        await emu.wait_sent(CHAT, sent_before + 1, timeout=20)
        feed_server.set("/wire.xml", rss([OLD, KYIV, ODESA, FLIGHT_A]))
        await emu.wait_sent(CHAT, sent_before + 3, timeout=20)
        feed_server.set("/wire.xml", rss([OLD, KYIV, ODESA, FLIGHT_A, FLIGHT_B]))
        alerts = await emu.wait_sent(CHAT, sent_before + 4, timeout=20)
        heads = [a.visible.splitlines()[0] for a in alerts[sent_before:]]
        assert heads == [KYIV.title, ODESA.title, FLIGHT_A.title, FLIGHT_B.title]
        feed_server.set("/ap.xml", rss([OLD, FLIGHT_B_ELSEWHERE]))
        await emu.wait_for(lambda: len(emu.edits(CHAT)) == 1, timeout=20, what="one edit")
        flight_b = alerts[sent_before + 3]
        assert {e.message_id for e in emu.edits(CHAT)} == {flight_b.message_id}
        edited = emu.message(CHAT, flight_b.message_id).plain_text
        assert "Also: \u2068Press Agency\u2069" in edited
        before = feed_server.requests["/ap.xml"]
        await emu.wait_for(  # a few more poll rounds change nothing
            lambda: feed_server.requests["/ap.xml"] >= before + 2, timeout=20, what="2 polls"
        )
        assert len(emu.sent(CHAT)) == sent_before + 4
        stop(bot, log)


async def wait_primed(store: Store, feed_ids: list[str], timeout: float = 20.0) -> None:  # noqa: ASYNC109
    """Wait until each feed's first poll has recorded its backlog."""
    async with asyncio.timeout(timeout):
        for feed_id in feed_ids:
            while not (await store.feeds.get(feed_id)).primed:  # noqa: ASYNC110
                await asyncio.sleep(0.2)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "configured", ["", "configured-Secret_0123456789"], ids=["generated", "set"]
)
async def test_bot_role_behind_a_webhook(
    tmp_path: Path, emu: BotApiEmulator, feed_server: FeedServer, redis_url: str, configured: str
) -> None:
    """`--webhook URL` registers the webhook and answers; a DEBUG log shows no token or secret."""
    feed_server.set("/wire.xml", rss([OLD]))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = process.bot_env(
        emu,
        redis_url,
        write_catalog(tmp_path / "feeds.toml", feed_server),
        webhook_listen="127.0.0.1",
        webhook_port=str(port),
        log_level="DEBUG",
        **({"webhook_secret": configured} if configured else {}),
    )
    url = f"http://127.0.0.1:{port}/telegram"
    log = tmp_path / "bot.log"
    bot = process.start(["run", "--role", "bot", "--webhook", url], env, tmp_path, log)
    try:
        await emu.wait_for(lambda: emu.webhook_url == url, timeout=30, what="setWebhook")
        welcome = await ask(emu, CHAT, "/start")
        assert "Welcome" in welcome.plain_text
        assert emu.webhook_posts == 1
        assert emu.polls_started() == 0  # no long polling at all
        set_calls = emu.calls("setWebhook")
        secret = str(set_calls[-1].params.get("secret_token") or "")
        assert secret  # Telegram's header is checked
        assert secret == configured or not configured
        stop(bot, log)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    written = log.read_text()
    assert "setWebhook" in written  # the DEBUG lines of the call are there, redacted
    assert emu.token not in written
    assert secret not in written


@pytest.mark.timeout(120)
async def test_one_chats_429_holds_that_chat_only(
    tmp_path: Path, emu: BotApiEmulator, feed_server: FeedServer, redis_url: str, store: Store
) -> None:
    """A 429 (retry_after 10) for one chat delays its alert only: others' alerts and replies go."""
    held, others, admin = 11, (12, 14), 4242
    feed_server.set("/wire.xml", rss([OLD]))
    catalog = write_catalog(tmp_path / "feeds.toml", feed_server)
    log = tmp_path / "bot.log"
    env = process.bot_env(emu, redis_url, catalog, admins=str(admin))
    bot = process.start(["run"], env, tmp_path, log)
    with running(bot, log):
        await emu.wait_for(lambda: bool(emu.commands), timeout=30, what="the bot to start")
        for chat in (held, *others):
            await ask(emu, chat, "/start")
            assert "Rule 1 added" in (await ask(emu, chat, "/watch US base drone")).plain_text
        await wait_primed(store, ["wire"])
        emu.fail("sendMessage", ApiError.retry_after(10), chat_id=held)
        feed_server.set("/wire.xml", rss([OLD, MATCH]))
        await emu.wait_for(
            lambda: any(c.http_status == 429 for c in emu.calls("sendMessage")),
            timeout=20,
            what="the 429",
        )
        refused = next(c.time for c in emu.calls("sendMessage") if c.http_status == 429)
        help_asked = time.time()
        assert "/watch" in (await ask(emu, 99, "/help")).plain_text
        assert time.time() - help_asked < 3.0  # an unrelated user's reply is not held
        for chat in others:
            alert = (await emu.wait_sent(chat, 3, timeout=5))[2]
            assert alert.visible.splitlines()[0] == MATCH.title
            assert alert.date < refused + 3.0  # their normal pace, not after the 10 s
        alert = (await emu.wait_sent(held, 3, timeout=20))[2]
        assert alert.visible.splitlines()[0] == MATCH.title
        assert alert.date >= refused + 10.0 - 1.0  # Telegram dates are whole seconds
        stats = (await ask(emu, admin, "/stats", user_id=admin)).plain_text
        assert "1 retry · 1 slow-down answer (429)" in stats  # what Telegram answered
        stop(bot, log)


@pytest.mark.timeout(120)
async def test_telegram_unreachable_at_start_is_waited_out(
    tmp_path: Path, emu: BotApiEmulator, feed_server: FeedServer, redis_url: str, store: Store
) -> None:
    """Telegram down at start: the poller works, /healthz names it, the bot answers once up."""
    feed_server.set("/wire.xml", rss([OLD]))
    emu.fail("getMe", ApiError.bad_gateway(), times=8)  # about 15 s of backoff for each role
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = process.bot_env(
        emu, redis_url, write_catalog(tmp_path / "feeds.toml", feed_server), metrics_port=str(port)
    )
    log = tmp_path / "bot.log"
    bot = process.start(["run"], env, tmp_path, log)
    with running(bot, log):
        await wait_primed(store, ["wire"])  # the poller does not wait for Telegram
        async with httpx.AsyncClient() as client:
            down = None
            while down is None or down.status_code != 503:
                await asyncio.sleep(0.2)  # the endpoint starts with the roles
                with contextlib.suppress(httpx.TransportError):
                    down = await client.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            assert "Telegram unreachable" in " ".join(down.json()["problems"])
            await emu.wait_for(
                lambda: len([c for c in emu.calls("getMe") if c.http_status == 502]) == 8,
                timeout=60,
                what="every refused getMe",
            )
            assert bot.poll() is None  # still running, past the old 7 s
            await emu.wait_for(lambda: bool(emu.commands), timeout=60, what="the bot to start")
            assert "Welcome" in (await ask(emu, CHAT, "/start")).plain_text
            up = await client.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            assert "Telegram" not in " ".join(up.json()["problems"])
        stop(bot, log)


# Forty unrelated headlines (a story each) that one feed publishes at once.
BULLETINS = [
    f"{word.title()} prices announced for the season"
    for word in (
        "apple banana cherry date fig grape guava kiwi lemon lime mango melon olive orange papaya "
        "peach pear plum quince raisin almond cashew chestnut hazelnut peanut pecan walnut barley "
        "millet oat rice rye sorghum wheat cotton wool silk linen hemp jute"
    ).split()
]


@pytest.mark.timeout(120)
async def test_forty_items_at_once_are_five_alerts_and_a_list(
    tmp_path: Path, emu: BotApiEmulator, feed_server: FeedServer, redis_url: str, store: Store
) -> None:
    """A feed publishing 40 items at once gives a `*` chat 5 alerts and one list of the other 35."""
    feed_server.set("/wire.xml", rss([OLD]))
    bot, log = start_bot(
        tmp_path, emu, redis_url, write_catalog(tmp_path / "feeds.toml", feed_server)
    )
    with running(bot, log):
        await emu.wait_for(lambda: bool(emu.commands), timeout=30, what="the bot to start")
        await ask(emu, CHAT, "/start")
        assert "Rule 1 added" in (await ask(emu, CHAT, "/watch *")).plain_text
        await wait_primed(store, ["wire"])
        burst = [Entry(f"n{n}", title, minutes=60 + n) for n, title in enumerate(BULLETINS)]
        feed_server.set("/wire.xml", rss([OLD, *burst]))
        sent = await emu.wait_sent(CHAT, 2 + 6, timeout=30)
        alerts = [m.visible.splitlines()[0] for m in sent[2:7]]
        assert alerts == BULLETINS[:5]
        listing = sent[7].plain_text
        assert listing.startswith("35 more from \u2068Levant Wire\u2069")
        assert BULLETINS[19] in listing
        assert BULLETINS[20] not in listing  # 15 listed, 20 counted
        assert "… and 20 more." in listing
        await polls(feed_server, emu, 2, feed_server.requests["/wire.xml"])
        assert len(emu.sent(CHAT)) == 8
        stop(bot, log)
