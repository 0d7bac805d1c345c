"""Running the `alertbot` command as a real child process, as an operator would."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

from bot.store import Store, keys
from bot.store.deliveries import PENDING
from testkit.botapi import BotApiEmulator


def clean_env(**settings: str) -> dict[str, str]:
    """The environment without ALERTBOT_ variables, plus `settings` (names without the prefix)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env["PTB_TIMEDELTA"] = "1"
    env.update({f"ALERTBOT_{name.upper()}": value for name, value in settings.items()})
    return env


def bot_env(emu: BotApiEmulator, redis_url: str, catalog: Path, **settings: str) -> dict[str, str]:
    """Settings for a bot that talks to the emulator, the test Redis and a local catalog."""
    defaults = {
        "telegram_token": emu.token,
        "telegram_api_url": emu.base_url,
        "redis_url": redis_url,
        "feeds": str(catalog),
        "poll_interval": "1",
        "min_poll_interval": "1",
        "allow_private_feeds": "true",
    }
    return clean_env(**(defaults | settings))


def start(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start `python -m bot ARGS` with its output going to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, stdout=out, stderr=out
        )


def run(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` to the end and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def kill_between_sends(store: Store, proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a sender at a moment when none of its claimed sends is under way.

    A message whose request reached Telegram just before a SIGKILL cannot be known as sent by
    anyone (Telegram has no idempotency key): it is sent again once the dead sender's claim
    expires. Exactly once holds outside that window of a few milliseconds, so the sender is
    frozen (SIGSTOP) when it holds no claim, looked at again while it cannot change (a claim
    taken in between shows now), and killed only if it still holds none. Freezing it mid-send
    would make that message late and bunch it with the other sender's, hence the look first.
    """
    while True:
        if await _claims_held(store, proc.pid):
            await asyncio.sleep(random.uniform(0.005, 0.02))
            continue
        proc.send_signal(signal.SIGSTOP)
        await asyncio.sleep(0.03)
        if not await _claims_held(store, proc.pid):
            proc.kill()
            proc.wait()
            return
        proc.send_signal(signal.SIGCONT)


async def _claims_held(store: Store, pid: int) -> bool:
    """Whether the sender with this process id holds a claim on a send (it may be sending)."""
    names = [
        name
        async for name in store.redis.scan_iter(match=f"{keys.PREFIX}:sent:*", count=1000)
        if not name.endswith(":edits")
    ]
    async with store.redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.get(name)
        values: list[str | None] = await pipe.execute()
    mine = f"{PENDING}{socket.gethostname()}-{pid}-"
    return any(value and value.startswith(mine) for value in values)
