"""The `alertbot` command: the demo, and one clear line with a non-zero exit for bad input."""

from __future__ import annotations

import io
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bot.demo.run import DEMO_CHAT, run_demo
from bot.feeds.parse import detect_lang
from bot.store import Store
from bot.store.embedded import EmbeddedRedis
from config.settings import Settings
from testkit import process
from testkit.botapi import BotApiEmulator

pytestmark = pytest.mark.slow  # each test runs `alertbot` as a process


async def test_demo_alerts_in_both_languages() -> None:
    """The demo primes the sample feeds, then prints one alert per story, in both languages."""
    out = io.StringIO()
    result = await run_demo(Settings(), out)
    assert result.recorded > 0
    assert result.alerts, out.getvalue()
    assert {chat for chat, _ in result.alerts} == {DEMO_CHAT}
    printed = out.getvalue()
    for _, html in result.alerts:
        assert html in printed
    assert "a new feed's backlog never alerts" in printed
    assert "Done: 2 alerts, 2 edits:" in printed  # counted nouns, not "alert(s)"
    assert "1 new item, 1 message for the demo chat" in printed
    # One attack told by an Arabic and an English outlet, then two more Arabic ones: one alert
    # naming the English outlet, edited twice to name the others; the attack on another base
    # (a template from an outlet already in the story) is an alert of its own.
    titles = [html.splitlines()[0] for _, html in result.alerts]
    assert len(titles) == 2, titles
    assert sum("عين الأسد" in title for title in titles) == 1
    # Arabic Post and Levant Wire publish in the same poll round: either may start the story,
    # and the alert names the other as "Also:".
    story = next(n for n, title in enumerate(titles, start=1) if "عين الأسد" not in title)
    assert {detect_lang(title) for title in titles} <= {"ar", "en"}
    assert "Levant Wire" in result.alerts[story - 1][1]
    assert "عربي بوست" in result.alerts[story - 1][1]
    assert [message_id for _, message_id, _ in result.edits] == [story, story]
    assert "المرصد السوري" in result.edits[0][2]
    assert "الميادين" not in result.edits[0][2]
    assert "المرصد السوري" in result.edits[1][2]
    assert "الميادين" in result.edits[1][2]
    assert all("Levant Wire" in html for _, _, html in result.edits)


def test_demo_command(tmp_path: Path) -> None:
    """`alertbot` without a token runs the demo and exits 0."""
    done = process.run([], process.clean_env(), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sendMessage chat_id=1001 parse_mode=HTML" in done.stdout
    assert "قاعدة أمريكية" in done.stdout
    assert "US base" in done.stdout
    assert done.stderr == ""


def _one_line_failure(done: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert done.returncode == code
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("alertbot: ")
    assert text in last


@pytest.mark.parametrize(
    ("settings", "code", "text"),
    [
        ({"poll_interval": "often"}, 2, "invalid setting ALERTBOT_POLL_INTERVAL"),
        ({"redis_url": "localhost"}, 2, "invalid setting ALERTBOT_REDIS_URL"),
        ({"telegram_token": "abc"}, 2, "invalid setting ALERTBOT_TELEGRAM_TOKEN"),
        ({}, 2, "ALERTBOT_TELEGRAM_TOKEN is not set"),
    ],
)
def test_bad_settings(tmp_path: Path, settings: dict[str, str], code: int, text: str) -> None:
    """Invalid settings stop `alertbot run` with one line naming the variable."""
    done = process.run(["run"], process.clean_env(**settings), tmp_path)
    _one_line_failure(done, code, text)


def test_bad_catalog(tmp_path: Path, emu: BotApiEmulator, redis_url: str) -> None:
    """A catalog that does not parse stops the bot with one line naming the file."""
    catalog = tmp_path / "feeds.toml"
    catalog.write_text("[[feeds]\n", encoding="utf-8")
    done = process.run(["run"], process.bot_env(emu, redis_url, catalog), tmp_path)
    _one_line_failure(done, 2, f"feed catalog {catalog} is not valid TOML")


def test_unreachable_redis(tmp_path: Path, emu: BotApiEmulator) -> None:
    """A Redis URL nobody answers on stops the bot with one line naming the URL (no password)."""
    catalog = Path(__file__).parents[1] / "config" / "feeds.toml"
    env = process.bot_env(emu, "redis://:hunter2@127.0.0.1:1/0", catalog)
    done = process.run(["run"], env, tmp_path)
    _one_line_failure(done, 1, "cannot reach Redis at redis://:***@127.0.0.1:1/0")
    assert "hunter2" not in done.stderr


def test_wrong_token(tmp_path: Path, emu: BotApiEmulator, redis_url: str) -> None:
    """A token Telegram rejects stops the bot with one line, and the token is never printed."""
    catalog = Path(__file__).parents[1] / "config" / "feeds.toml"
    env = process.bot_env(emu, redis_url, catalog, telegram_token="999:wrong-token-value")
    done = process.run(["run"], env, tmp_path)
    _one_line_failure(done, 1, "Telegram rejected the bot token")
    assert "wrong-token-value" not in done.stderr


def test_unreachable_telegram_is_waited_for(tmp_path: Path, redis_url: str) -> None:
    """A Bot API server that cannot be reached is retried with backoff; SIGTERM ends the wait."""
    catalog = Path(__file__).parents[1] / "config" / "feeds.toml"
    env = process.clean_env(
        telegram_token="123:abc",
        telegram_api_url="http://127.0.0.1:1",
        redis_url=redis_url,
        feeds=str(catalog),
    )
    log = tmp_path / "bot.log"
    proc = process.start(["run"], env, tmp_path, log)
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("cannot reach Telegram") < 6:  # the roles' retries
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in log.read_text()


def test_feeds_export_and_import(tmp_path: Path, redis_url: str, store: Store) -> None:
    """`alertbot feeds export` writes the catalog as OPML 2.0; `import` adds only new feeds."""
    env = process.clean_env(redis_url=redis_url)
    done = process.run(["feeds", "export", "-o", "catalog.opml"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    exported = (tmp_path / "catalog.opml").read_text(encoding="utf-8")
    assert '<opml version="2.0">' in exported
    assert 'xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"' in exported
    extra = exported.replace("https://feeds.bbci.co.uk/news/world/rss.xml", "https://x.example/rss")
    (tmp_path / "more.opml").write_text(extra, encoding="utf-8")
    done = process.run(["feeds", "import", "more.opml"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "imported 1 feed(s) from more.opml"
    assert "+ bbc-news-world: BBC News World <https://x.example/rss>" in done.stdout
    bad = process.run(["feeds", "import", "missing.opml"], env, tmp_path)
    _one_line_failure(bad, 2, "cannot read missing.opml")


def test_feeds_export_beside_a_running_bot(tmp_path: Path) -> None:
    """With no Redis URL, the feeds commands use the embedded server a running bot keeps."""
    with EmbeddedRedis(tmp_path / "data"):
        env = process.clean_env(data_dir=str(tmp_path / "data"))
        done = process.run(["feeds", "export"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "<outline" in done.stdout
