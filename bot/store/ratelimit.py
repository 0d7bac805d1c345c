"""Telegram's rate limits, shared by every sender process through Redis (GCRA in a script)."""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.store import keys

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

    def __init__(self, client: aioredis.Redis) -> None:
        """Work through `client`."""
        self._acquire = client.register_script(_ACQUIRE)
        self._hold = client.register_script(_HOLD)

    async def acquire(self, key: str, interval: float, burst: int = 1) -> float:
        """Take a slot of bucket `key` (one per `interval` seconds); 0.0, or seconds to wait."""
        wait_ms = await self._acquire(keys=[key], args=[max(1, int(interval * 1000)), burst])
        return int(wait_ms) / 1000

    async def hold(self, key: str, seconds: float) -> None:
        """Keep bucket `key` closed for `seconds` (Telegram answered 429 with retry_after)."""
        await self._hold(keys=[key], args=[int(seconds * 1000)])


def bot_bucket() -> str:
    """The bucket every message of the bot counts against."""
    return keys.RATE_BOT


def chat_bucket(chat_id: int) -> str:
    """The bucket of one chat."""
    return keys.rate_chat(chat_id)
