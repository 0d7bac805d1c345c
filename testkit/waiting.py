"""Waiting for a condition in a test, instead of sleeping a fixed time and hoping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], Awaitable[bool]],
    within: float,
    what: str,
    *,
    step: float = 0.05,
) -> None:
    """Look at `check` every `step` seconds until it holds; fail naming `what` after `within`."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(step)
