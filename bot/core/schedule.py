"""When to poll a feed next: its interval, backoff after errors, faster for busy feeds."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

JITTER = 0.1  # +-10%: feeds added together do not stay in lockstep
_RANDOM = random.Random()
FASTEST_STEP = 3  # a busy feed is polled at most 2**3 times as often as its interval


class Outcome(Enum):
    """How a poll went, as far as the schedule cares."""

    NEW = "new"  # new items
    QUIET = "quiet"  # the feed answered, nothing new (or 304)
    FAILED = "failed"


@dataclass(frozen=True)
class Cadence:
    """The bounds of the schedule (from the settings)."""

    interval: float  # the default interval; a feed may have its own
    minimum: float  # busy feeds are never polled more often
    maximum: float  # failing feeds are still retried this often


def next_delay(
    cadence: Cadence,
    outcome: Outcome,
    *,
    interval: float | None = None,
    errors: int = 0,
    new_streak: int = 0,
    retry_after: float | None = None,
    jitter: float = JITTER,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the next poll.

    `errors` counts consecutive failures including this one; `new_streak` counts consecutive
    polls with new items including this one; `retry_after` is what the server asked for.
    """
    base = interval or cadence.interval
    if outcome is Outcome.FAILED:
        delay = min(cadence.maximum, base * 2.0 ** max(0, min(errors, 30) - 1))
    elif outcome is Outcome.NEW and new_streak >= 2:
        # A feed that had news on consecutive polls is likely to have more soon.
        delay = max(cadence.minimum, base / 2.0 ** min(new_streak - 1, FASTEST_STEP))
    else:
        delay = base
    spread = (rng or _RANDOM).uniform(1 - jitter, 1 + jitter)
    delay = max(1.0, delay * spread)
    if retry_after is not None:  # never earlier than the server asked (within reason)
        delay = max(delay, min(retry_after, cadence.maximum))
    return delay
