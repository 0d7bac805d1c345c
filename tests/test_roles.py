"""Every role as a process on one Redis: 2 pollers, 2 senders, the bot; 300 feeds, 1,000 chats."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store
from testkit.botapi import BotApiEmulator
from testkit.fleet import run_fleet


@pytest.mark.timeout(400)
async def test_two_pollers_two_senders_and_the_bot(
    tmp_path: Path, strict_emu: BotApiEmulator, redis_url: str, store: Store
) -> None:
    """Alerts arrive once each, no feed is fetched twice at once, killing roles loses nothing."""
    found = await run_fleet(store, strict_emu, redis_url, tmp_path)
    assert found.bot_answered, found.logs
    assert found.expected == 600
    assert (found.missing, found.duplicates, found.unexpected) == (0, 0, 0), found.logs
    assert found.double_fetches == 0, found.figures()
    assert found.breaches == []
    assert found.killed == ["poller-1", "sender-1"]
    survivors = {k: v for k, v in found.exits.items() if k not in found.killed}
    assert set(survivors.values()) == {0}, found.logs
