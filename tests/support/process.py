"""Running the `alertbot` command as a real child process, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.botapi import BotApiEmulator


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
