"""Telegram's rate limits, shared by every sender process through Redis (GCRA in a script)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.store import keys
from bot.store.connection import Client

# Generic cell rate algorithm on the server's clock (so senders on other machines agree).
# KEYS[1]: the bucket. ARGV: interval ms, burst. Returns 0 when a send may go now (and counts
# it), else the milliseconds to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_from = tat - interval * (burst - 1)
if now < allowed_from then return allowed_from - now end
redis.call('SET', KEYS[1], tat + interval, 'PX', interval * burst + 60000)
return 0
"""
# The bot-wide bucket reserves: it books the next free slot (microseconds on the server's
# clock) and says how long until it, so a waiting sender sleeps once, sends on time, and late
# wake-ups do not pile up into a lower rate. Every waiting sender task holds one booking, so
# the queue ahead is at most (tasks of all senders) / rate long. ARGV: interval us. Returns
# the wait in us.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - now
redis.call('SET', KEYS[1], tat + interval, 'PX', math.floor((wait + interval) / 1000) + 60000)
return wait
"""
# After Telegram said "retry after": nothing goes to that chat before then.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if tat < until_ms then redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 60000) end
return until_ms
"""


class RateLimiter:
    """Shared buckets: one for the whole bot, one per chat."""

    def __init__(self, client: Client) -> None:
        """Work through `client`."""
        self._client = client
        self._acquire = client.register_script(_ACQUIRE)
        self._reserve = client.register_script(_RESERVE)
        self._hold = client.register_script(_HOLD)

    async def acquire(self, key: str, interval: float, burst: int = 1) -> float:
        """Take a slot of bucket `key` (one per `interval` seconds); 0.0, or seconds to wait."""
        wait_ms = await self._acquire(keys=[key], args=[max(1, int(interval * 1000)), burst])
        return int(wait_ms) / 1000

    async def reserve(self, key: str, interval: float) -> float:
        """Book the next slot of bucket `key`, one `interval` after the last; seconds until it."""
        wait_us = await self._reserve(keys=[key], args=[int(interval * 1_000_000)])
        return int(wait_us) / 1_000_000

    async def hold(self, key: str, seconds: float) -> None:
        """Keep bucket `key` closed for `seconds` (Telegram answered 429 with retry_after)."""
        await self._hold(keys=[key], args=[int(seconds * 1000)])

    async def tally(self, amounts: Mapping[str, int], window: int) -> dict[str, int]:
        """Add to counters that start at the first addition and last `window` seconds.

        Returns each counter's total, this addition included.
        """
        if not amounts:
            return {}
        async with self._client.pipeline(transaction=False) as pipe:
            for key, amount in amounts.items():
                pipe.set(key, 0, ex=window, nx=True)  # a window opens with its first count
                pipe.incrby(key, amount)
            replies = await pipe.execute()
        return {key: int(total) for key, total in zip(amounts, replies[1::2], strict=True)}


def bot_bucket() -> str:
    """The bucket every message of the bot counts against."""
    return keys.RATE_BOT


def command_bucket(chat_id: int) -> str:
    """The bucket of one chat's commands."""
    return keys.rate_commands(chat_id)


def notice_bucket(chat_id: int) -> str:
    """The bucket of a chat's "slow down" notices."""
    return keys.rate_notice(chat_id)


def chat_bucket(chat_id: int) -> str:
    """The bucket of one chat."""
    return keys.rate_chat(chat_id)
