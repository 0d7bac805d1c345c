"""The command replies' rate limiter through python-telegram-bot's HTTP stack and the emulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.delivery.limiter import ChatRateLimiter
from testkit.botapi import ApiError, BotApiEmulator

HELD, OTHER, THIRD = 11, 12, 14


class Recorder:
    """Collects what the limiter tells /stats."""

    def __init__(self) -> None:
        """Nothing told yet."""
        self.outcomes: list[str] = []

    async def __call__(self, outcome: str) -> None:
        """Record one outcome."""
        self.outcomes.append(outcome)


@pytest.fixture
def told() -> Recorder:
    """What the limiter under test tells /stats."""
    return Recorder()


@pytest.fixture
async def bot(emu: BotApiEmulator, told: Recorder) -> AsyncIterator[ExtBot[int]]:
    """An ExtBot talking to the emulator through a ChatRateLimiter that may wait up to 5 s."""
    limiter = ChatRateLimiter(told, max_wait=5.0)
    async with ExtBot(
        emu.token, base_url=emu.api_base_url, base_file_url=emu.file_base_url, rate_limiter=limiter
    ) as bot:
        yield bot


def send_times(emu: BotApiEmulator, chat_id: int) -> list[tuple[float, int]]:
    """When each sendMessage to a chat arrived at the emulator, and how it was answered."""
    return [
        (call.time, call.http_status)
        for call in emu.calls("sendMessage")
        if int(call.params["chat_id"]) == chat_id
    ]


async def test_a_429_holds_only_the_chat_it_names(
    bot: ExtBot[int], emu: BotApiEmulator, told: Recorder
) -> None:
    """After a 429 for one chat, other chats' messages go at once; that chat's is retried later."""
    emu.fail("sendMessage", ApiError.retry_after(2), chat_id=HELD)
    held = asyncio.create_task(bot.send_message(HELD, "first"))
    await emu.wait_for(lambda: bool(send_times(emu, HELD)), timeout=5, what="the 429")
    await asyncio.gather(bot.send_message(OTHER, "second"), bot.send_message(THIRD, "third"))
    assert not held.done()  # the others did not wait for it
    await held
    (refused, status), (retried, ok) = send_times(emu, HELD)
    assert (status, ok) == (429, 200)
    assert retried - refused >= 2.0  # as long as Telegram asked
    for chat in (OTHER, THIRD):
        ((at, answer),) = send_times(emu, chat)
        assert answer == 200
        assert refused <= at < refused + 1.0  # at their normal pace
    assert [m.plain_text for m in emu.sent(HELD)] == ["first"]
    assert told.outcomes == ["flood", "retried"]


async def test_a_held_chat_waits_out_its_hold_before_its_next_message(
    bot: ExtBot[int], emu: BotApiEmulator
) -> None:
    """A chat's next message, sent while it is held, goes only when the hold ends."""
    emu.fail("sendMessage", ApiError.retry_after(2), chat_id=HELD)
    first = asyncio.create_task(bot.send_message(HELD, "first"))
    limiter = bot.rate_limiter
    assert isinstance(limiter, ChatRateLimiter)
    await emu.wait_for(lambda: limiter.held_until(HELD) > 0, timeout=5, what="the hold")
    await bot.send_message(HELD, "second")
    await first
    (refused, _), *rest = send_times(emu, HELD)
    assert len(rest) == 2
    assert all(at - refused >= 2.0 for at, _ in rest)


async def test_a_wait_longer_than_the_limit_is_not_retried(
    bot: ExtBot[int], emu: BotApiEmulator, told: Recorder
) -> None:
    """A 429 asking for more than the longest wait raises at once, counted, and holds the chat."""
    emu.fail("sendMessage", ApiError.retry_after(30), chat_id=HELD)
    with pytest.raises(RetryAfter):
        await bot.send_message(HELD, "first")
    assert told.outcomes == ["flood"]
    assert len(send_times(emu, HELD)) == 1
    await bot.send_message(OTHER, "second")  # the others are not held
    limiter = bot.rate_limiter
    assert isinstance(limiter, ChatRateLimiter)
    assert limiter.held_until(HELD) > limiter.held_until(OTHER)


async def test_retries_are_bounded(bot: ExtBot[int], emu: BotApiEmulator, told: Recorder) -> None:
    """A chat answered 429 three times in a row gets the error after two retries."""
    emu.fail("sendMessage", ApiError.retry_after(1), chat_id=HELD, times=3)
    with pytest.raises(RetryAfter):
        await bot.send_message(HELD, "first")
    assert [status for _, status in send_times(emu, HELD)] == [429, 429, 429]
    assert told.outcomes == ["flood", "retried", "flood", "retried", "flood"]


async def test_each_message_waits_for_a_bot_wide_slot(emu: BotApiEmulator, told: Recorder) -> None:
    """A message waits for its slot of the bot-wide limit; calls that send nothing take none."""
    booked: list[float] = []

    async def slot() -> float:
        booked.append(time.time())
        return 0.5  # the slot booked is half a second away

    limiter = ChatRateLimiter(told, slot=slot)
    async with ExtBot(
        emu.token, base_url=emu.api_base_url, base_file_url=emu.file_base_url, rate_limiter=limiter
    ) as bot:
        await bot.send_message(OTHER, "first")
        await bot.get_chat(OTHER)
    ((sent, _),) = send_times(emu, OTHER)
    assert len(booked) == 1
    assert sent - booked[0] >= 0.5
