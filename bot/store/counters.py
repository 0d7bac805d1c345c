"""Event counters shared by all processes, per minute, for /stats: what the last hour saw."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import cast

from bot.store import keys
from bot.store.connection import Client


class Event(StrEnum):
    """What is counted."""

    ITEMS = "items"  # new items the pollers found
    POLL_ERRORS = "poll_errors"  # polls that failed (network, HTTP, parse)
    SENT = "sent"  # alerts Telegram accepted
    EDITS = "edits"  # alerts edited to name more outlets of their story
    SEND_RETRIES = "send_retries"  # attempts that failed and will be retried
    FLOODS = "floods"  # Telegram's 429 answers
    DEAD = "dead"  # deliveries given up on (dead-lettered)


class Counters:
    """Count events in per-minute keys that expire by themselves; sum the last hour."""

    def __init__(self, client: Client) -> None:
        """Work through `client`."""
        self._r = client

    async def add(self, event: Event, amount: int = 1, *, now: float | None = None) -> None:
        """Count `amount` occurrences of `event` in the current minute."""
        if amount <= 0:
            return
        key = keys.counter(event, int((time.time() if now is None else now) // 60))
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.incrby(key, amount)
            pipe.expire(key, keys.COUNTER_TTL)
            await pipe.execute()

    async def last_hour(self, *, now: float | None = None) -> dict[Event, int]:
        """Each event's count over the last 60 minutes, this one included."""
        minute = int((time.time() if now is None else now) // 60)
        events = list(Event)
        async with self._r.pipeline(transaction=False) as pipe:
            for event in events:
                for m in range(minute - 59, minute + 1):
                    pipe.get(keys.counter(event, m))
            values = cast(list[str | None], await pipe.execute())
        return {
            event: sum(int(v) for v in values[i * 60 : (i + 1) * 60] if v)
            for i, event in enumerate(events)
        }
