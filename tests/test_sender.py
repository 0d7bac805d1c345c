"""The sender on real parts: the delivery stream in Redis, Telegram's answers from a script.

What becomes of each of Telegram's answers (gone, moved, flood, network, refused; for alerts,
edits and digests) is tested on a scripted Transport (testkit/transport.py); that
python-telegram-bot's errors map to those answers, that the HTML is what Telegram takes, and
that Telegram's rate limits hold are tested against the Bot API emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram import Bot

from bot.core.models import Delivery, Feed, Item
from bot.core.stories import Featurizer
from bot.delivery.render import render_alert
from bot.delivery.sender import Sender
from bot.delivery.transport import TelegramTransport
from bot.errors import ChatGone, ChatMoved, DeliveryError, Rejected, RetryLater
from bot.i18n import FSI, LRM, PDI
from bot.store import Store, keys
from bot.store.connection import make_client
from bot.store.counters import Event
from bot.store.embedded import EmbeddedRedis
from bot.store.ratelimit import RateLimiter
from bot.store.senders import SenderRegistry
from testkit.botapi import ApiError, BotApiEmulator
from testkit.cluster import LocalCluster
from testkit.transport import ScriptedTransport
from testkit.waiting import eventually

CHAT = 501
ITEM = Item(
    id="wire:1",
    feed_id="wire",
    title="Drones <hit> US base & more",
    summary='Two "drones" hit the base. Officials said more. A third sentence.',
    link="https://wire.example/a?x=1&y=<2>",
    published=datetime(2023, 10, 23, 21, 58, tzinfo=UTC),
)


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    """A python-telegram-bot Bot talking to the emulator."""
    async with Bot(emu.token, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as bot:
        yield bot


@pytest.fixture
def transport() -> ScriptedTransport:
    """Telegram as a script: it takes every message unless told otherwise."""
    return ScriptedTransport()


@pytest.fixture
async def sender(store: Store, transport: ScriptedTransport) -> Sender:
    """A sender with one stored item and one started chat, sending through the script."""
    await store.catalog.replace([Feed(id="wire", name="Levant Wire", url="https://wire.example/")])
    await store.items.save([ITEM])
    await store.chats.start(CHAT)
    return Sender(store, transport, consumer="test")


async def queue(store: Store, *chat_ids: int) -> None:
    """Queue a delivery of ITEM to each chat."""
    await store.deliveries.enqueue(
        [Delivery(chat_id=c, item_id=ITEM.id, rule="US base drone") for c in chat_ids]
    )


async def test_alert_is_sent_as_valid_html_and_acked(
    store: Store, bot: Bot, emu: BotApiEmulator
) -> None:
    """An alert carries headline, lead, source, time, link and rule, escaped; then it is acked."""
    await store.catalog.replace([Feed(id="wire", name="Levant Wire", url="https://wire.example/")])
    await store.items.save([ITEM])
    await store.chats.start(CHAT)
    await queue(store, CHAT)
    assert await Sender(store, TelegramTransport(bot), consumer="html").drain() == 1
    (message,) = emu.sent(CHAT)
    assert message.parse_mode == "HTML"
    assert message.link_preview_disabled
    lines = message.visible.splitlines()
    assert lines[0] == "Drones <hit> US base & more"
    assert 'Two "drones" hit the base. Officials said more.' in message.plain_text
    assert "A third sentence" not in message.plain_text
    assert "\u2068Levant Wire\u2069 · 23 Oct 2023 21:58 UTC (" in message.plain_text
    assert "Rule: \u2068US base drone\u2069" in message.plain_text
    assert 'href="https://wire.example/a?x=1&amp;y=&lt;2&gt;"' in message.text
    assert await store.deliveries.backlog() == 0


# What python-telegram-bot raises for each of Telegram's answers, as the Transport reports it.
ANSWERS: list[tuple[str, ApiError, type[DeliveryError], dict[str, object]]] = [
    ("blocked", ApiError.blocked(), ChatGone, {}),
    ("kicked", ApiError.kicked(), ChatGone, {}),
    ("deactivated", ApiError.deactivated(), ChatGone, {}),
    ("chat not found", ApiError.chat_not_found(), ChatGone, {}),
    ("migrated", ApiError.migrated(-1000000000100), ChatMoved, {"new_chat_id": -1000000000100}),
    ("flood", ApiError.retry_after(7), RetryLater, {"delay": 7.0, "flood": True}),
    ("bad gateway", ApiError.bad_gateway(), RetryLater, {"delay": 0.1, "flood": False}),
    ("server error", ApiError.server_error(), RetryLater, {"delay": 0.1, "flood": False}),
    ("bad markup", ApiError.telegram(400, "Bad Request: can't parse entities"), Rejected, {}),
]


@pytest.mark.parametrize(("error", "outcome", "attributes"), [a[1:] for a in ANSWERS],
                         ids=[a[0] for a in ANSWERS])  # fmt: skip
async def test_telegram_answers_become_the_senders_outcomes(
    bot: Bot,
    emu: BotApiEmulator,
    error: ApiError,
    outcome: type[DeliveryError],
    attributes: dict[str, object],
) -> None:
    """Each refusal of Telegram's, through python-telegram-bot, is the outcome the sender takes."""
    transport = TelegramTransport(bot, network_delay=0.1)
    emu.fail("sendMessage", error, chat_id=CHAT)
    with pytest.raises(outcome) as raised:
        await transport.send(CHAT, "<b>alert</b>")
    assert {name: getattr(raised.value, name) for name in attributes} == attributes
    assert await transport.send(CHAT, "<b>alert</b>") > 0  # the next one is taken
    assert len(emu.sent(CHAT)) == 1


async def test_edit_answers_become_the_senders_outcomes(bot: Bot, emu: BotApiEmulator) -> None:
    """An edit that changes nothing is done; an edit of a deleted message is refused for good."""
    transport = TelegramTransport(bot)
    message_id = await transport.send(CHAT, "first")
    emu.fail("editMessageText", ApiError.telegram(400, "Bad Request: message is not modified"))
    await transport.edit(CHAT, message_id, "first")
    emu.fail("editMessageText", ApiError.telegram(400, "Bad Request: message to edit not found"))
    with pytest.raises(Rejected):
        await transport.edit(CHAT, message_id, "second")
    await transport.edit(CHAT, message_id, "third")
    assert [e.plain_text for e in emu.edits(CHAT)] == ["third"]


async def test_duplicate_entries_send_once(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """The same (chat, item) queued twice, as after a poller crash, reaches the chat once."""
    await queue(store, CHAT, CHAT)
    await sender.drain()
    assert len(transport.sent(CHAT)) == 1
    assert await store.deliveries.backlog() == 0


async def test_gone_chat_is_deactivated(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """When Telegram says the chat is gone, the chat stops getting alerts and the entry is acked."""
    transport.fail("send", ChatGone("Forbidden: bot was blocked by the user"), chat_id=CHAT)
    await queue(store, CHAT)
    await sender.drain()
    assert transport.sent(CHAT) == []
    assert not (await store.chats.get(CHAT)).active
    assert await store.deliveries.backlog() == 0
    await queue(store, CHAT)  # a later alert is dropped without calling Telegram
    calls = len(transport.calls)
    await sender.drain()
    assert len(transport.calls) == calls


async def test_flood_limit_waits_and_retries(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """A 429 with retry_after is waited out and counted, then the alert is sent exactly once."""
    transport.fail("send", RetryLater("Telegram flood limit", 1.0, flood=True), chat_id=CHAT)
    await queue(store, CHAT)
    await sender.drain()
    (refused,) = transport.refused(CHAT)
    (sent,) = transport.sent(CHAT)
    assert sent.at - refused.at >= 1.0
    assert await store.deliveries.backlog() == 0
    hour = await store.counters.last_hour()
    assert (hour[Event.FLOODS], hour[Event.SEND_RETRIES], hour[Event.SENT]) == (1, 1, 1)  # /stats


async def test_telegram_down_retries_with_backoff(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """Network failures leave the entry pending; it is retried, each wait twice the last."""
    transport.fail("send", RetryLater("network: Bad Gateway", 0.2), chat_id=CHAT, times=2)
    await queue(store, CHAT)
    await sender.drain()
    calls = [c.at for c in transport.calls]
    assert len(calls) == 3
    assert len(transport.sent(CHAT)) == 1
    assert calls[1] - calls[0] >= 0.2
    assert calls[2] - calls[1] >= 0.4
    hour = await store.counters.last_hour()
    assert (hour[Event.FLOODS], hour[Event.SEND_RETRIES], hour[Event.SENT]) == (0, 2, 1)


async def test_one_bad_chat_does_not_block_others(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """A blocked chat is skipped and the other chats still get their alerts."""
    for chat in (502, 503):
        await store.chats.start(chat)
    transport.fail("send", ChatGone("Forbidden: bot was blocked by the user"), chat_id=502)
    await queue(store, CHAT, 502, 503)
    await sender.drain()
    assert [len(transport.sent(c)) for c in (CHAT, 502, 503)] == [1, 0, 1]


async def test_expired_item_is_dropped(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """A delivery whose item expired is acknowledged without sending."""
    await store.deliveries.enqueue([Delivery(chat_id=CHAT, item_id="wire:gone", rule="x")])
    await sender.drain()
    assert transport.calls == []
    assert await store.deliveries.backlog() == 0


async def test_drain_never_waits_for_new_entries(
    sender: Sender, store: Store, transport: ScriptedTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drain reads without blocking: it sends what is queued and returns, idle or not."""
    blocks: list[int | None] = []
    read = store.deliveries.read

    async def watched(shards: list[int], consumer: str, count: int, block_ms: int | None) -> object:
        blocks.append(block_ms)
        return await read(shards, consumer, count, block_ms)

    monkeypatch.setattr(store.deliveries, "read", watched)
    assert await sender.drain() == 0
    await queue(store, CHAT)
    assert await sender.drain() == 1
    assert len(transport.sent(CHAT)) == 1
    assert blocks
    assert set(blocks) == {None}


@contextlib.asynccontextmanager
async def first_alert_sent(
    store: Store, transport: ScriptedTransport
) -> AsyncIterator[asyncio.Task[None]]:
    """A sender running on `store` that has just sent CHAT its first alert; stopped on leaving."""
    await store.catalog.replace([Feed(id="wire", name="Levant Wire", url="https://wire.example/")])
    await store.items.save([ITEM, ITEM.model_copy(update={"id": "wire:2"})])
    await store.chats.start(CHAT)
    stop = asyncio.Event()
    sender = Sender(store, transport, consumer="resilient")
    task = asyncio.create_task(sender.run(stop))
    try:
        await queue(store, CHAT)
        await transport.wait_sent(CHAT, 1)
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


@pytest.mark.slow  # a Redis server of its own, killed and started again
async def test_sender_survives_a_redis_restart(
    tmp_path: Path, transport: ScriptedTransport, caplog: pytest.LogCaptureFixture
) -> None:
    """While Redis is down the sender keeps retrying; once it is back, queued alerts go out."""

    async def backing_off() -> bool:
        return "sender cannot reach Redis; retrying" in caplog.text

    server = EmbeddedRedis(tmp_path / "redis").start()
    client = make_client(server.url)
    store = Store(client, retention_seconds=3600)
    try:
        async with first_alert_sent(store, transport) as task:
            server.kill()
            with caplog.at_level("WARNING", logger="bot.delivery.sender"):
                await eventually(backing_off, 15, "the sender to meet the dead socket")
            assert not task.done()
            server.start()
            await store.deliveries.enqueue([Delivery(chat_id=CHAT, item_id=ITEM.id, rule="after")])
            # Saved again: the kill may have cost the last second of the AOF.
            await store.items.save([ITEM.model_copy(update={"id": "wire:2"})])
            await store.deliveries.enqueue([Delivery(chat_id=CHAT, item_id="wire:2", rule="after")])
            await transport.wait_sent(CHAT, 2, timeout=15)
        assert len(transport.sent(CHAT)) == 2
    finally:
        await client.aclose()
        server.stop()


async def test_sender_recreates_lost_consumer_groups(
    store: Store, transport: ScriptedTransport
) -> None:
    """Delivery streams lost with their groups (Redis back without data): sending goes on."""
    async with first_alert_sent(store, transport) as task:
        await store.redis.delete(*(keys.deliveries(shard) for shard in range(keys.SHARDS)))
        await store.deliveries.enqueue([Delivery(chat_id=CHAT, item_id="wire:2", rule="r")])
        await transport.wait_sent(CHAT, 2, timeout=15)
        assert not task.done()


@pytest.mark.slow  # a Redis Cluster of its own, restarted
@pytest.mark.parametrize("whole", [False, True], ids=["one-node", "every-node"])
async def test_sender_survives_cluster_restarts(transport: ScriptedTransport, whole: bool) -> None:
    """Redis Cluster nodes restarted under the sender: queued alerts go out once they are back."""
    with LocalCluster() as cluster:
        client = make_client(cluster.url)
        store = Store(client, retention_seconds=3600)
        try:
            async with first_alert_sent(store, transport) as task:
                if whole:  # every node away for 2 s: the client finds no node to ask at all
                    await asyncio.to_thread(cluster.restart, 0, 1, 2, down_for=2.0)
                else:
                    shard_node = cluster.node_of(keys.deliveries(keys.shard_of(CHAT)))
                    await asyncio.to_thread(cluster.restart, shard_node)
                assert not task.done()
                await store.deliveries.enqueue([Delivery(chat_id=CHAT, item_id="wire:2", rule="r")])
                await transport.wait_sent(CHAT, 2, timeout=15)
            assert len(transport.sent(CHAT)) == 2
        finally:
            await client.aclose()


async def test_group_migration_moves_the_chat(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """A group upgraded to a supergroup: its rules follow and the alert goes to the new id."""
    group, supergroup = -100, -1000000000100
    await store.chats.start(group)
    await store.chats.add_rule(group, "drone", 50)
    transport.fail("send", ChatMoved(supergroup), chat_id=group)
    await queue(store, group)
    await sender.drain()
    assert transport.sent(group) == []
    assert len(transport.sent(supergroup)) == 1
    moved = await store.chats.get(supergroup)
    assert (moved.active, moved.rules) == (True, ("drone",))
    old = await store.chats.get(group)
    assert (old.active, old.moved_to) == (False, supergroup)
    await store.items.save([ITEM.model_copy(update={"id": "wire:2"})])
    await store.deliveries.enqueue([Delivery(chat_id=group, item_id="wire:2", rule="drone")])
    await sender.drain()
    assert len(transport.sent(supergroup)) == 2  # later alerts for the old id follow the group


async def test_refused_message_is_dead_lettered(store: Store, transport: ScriptedTransport) -> None:
    """A message Telegram keeps refusing is retried, then dead-lettered with the error."""
    await store.catalog.replace([Feed(id="wire", name="Levant Wire", url="https://wire.example/")])
    await store.items.save([ITEM])
    await store.chats.start(CHAT)
    sender = Sender(store, transport, consumer="strict", max_attempts=2)
    bad = Rejected("Bad Request: can't parse entities: unsupported tag")
    transport.fail("send", bad, chat_id=CHAT, times=2)
    await queue(store, CHAT)
    await sender.drain(within=20)
    assert transport.sent(CHAT) == []
    assert len(transport.refused(CHAT)) == 2
    (letter,) = await store.deliveries.dead_letters(5)
    assert letter.attempts == 2
    assert "can't parse entities" in letter.error.lower()
    assert await store.deliveries.backlog() == 0
    hour = await store.counters.last_hour()
    assert (hour[Event.SEND_RETRIES], hour[Event.DEAD], hour[Event.SENT]) == (1, 1, 0)


async def test_order_per_chat_and_limits(store: Store, strict_emu: BotApiEmulator) -> None:
    """Alerts reach each chat in the order queued, at most 1/s per chat and 30/s in all."""
    await store.catalog.replace([Feed(id="wire", name="Levant Wire", url="https://wire.example/")])
    items = [ITEM.model_copy(update={"id": f"wire:{n}", "title": f"Story {n}"}) for n in range(3)]
    await store.items.save(items)
    chats = [600 + n for n in range(40)]
    for chat in chats:
        await store.chats.start(chat)
    await store.deliveries.enqueue(
        [Delivery(chat_id=chat, item_id=item.id, rule="r") for item in items for chat in chats]
    )
    emu = strict_emu
    async with Bot(emu.token, base_url=emu.api_base_url) as bot:
        sender = Sender(store, TelegramTransport(bot), consumer="fast", concurrency=16)
        started = time.monotonic()
        assert await sender.drain(within=30) == 120
    assert time.monotonic() - started >= 2.0  # three rounds, a second apart per chat
    for chat in chats:
        titles = [m.visible.splitlines()[0] for m in emu.sent(chat)]
        assert titles == ["Story 0", "Story 1", "Story 2"]
        assert emu.max_rate(chat, 1.0) == 1
    assert emu.max_rate(None, 1.0) <= 30
    assert emu.breaches == []


async def test_slot_booked_by_a_slow_reply_counts_as_missed(
    sender: Sender, store: Store, transport: ScriptedTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bot-wide slot whose booking reply came back late is missed: the message waits again.

    The slot is Redis's clock plus the wait it answered; a reply held up on the way (a busy
    event loop, a loaded machine) must not move the slot later, or the message goes out late
    while taken to be on time, and bunches with the ones that follow it.
    """
    reserve = RateLimiter.reserve
    replies: list[float] = []

    async def slow_reply(limiter: RateLimiter, key: str, interval: float) -> float:
        wait = await reserve(limiter, key, interval)
        if not replies:
            await asyncio.sleep(0.3)  # the reply of the first booking arrives 0.3 s late
        replies.append(wait)
        return wait

    monkeypatch.setattr(RateLimiter, "reserve", slow_reply)
    await queue(store, CHAT)
    assert await sender.drain() == 1
    assert len(transport.sent(CHAT)) == 1
    assert len(replies) == 2  # the late slot was given up, the message went on a new one
    assert sender.late == 1


async def test_two_senders_share_the_shards(store: Store, strict_emu: BotApiEmulator) -> None:
    """Two senders split the shards between them and every alert is sent exactly once."""
    await store.catalog.replace([Feed(id="wire", name="Levant Wire", url="https://wire.example/")])
    await store.items.save([ITEM])
    chats = [700 + n for n in range(48)]
    for chat in chats:
        await store.chats.start(chat)
    emu = strict_emu
    bots = [Bot(emu.token, base_url=emu.api_base_url) for _ in "ab"]
    for bot in bots:
        await bot.initialize()
    senders = [
        Sender(store, TelegramTransport(bot), consumer=name, lease_seconds=3)
        for bot, name in zip(bots, "ab", strict=True)
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(s.run(stop)) for s in senders]
    registry = SenderRegistry(store.redis)

    async def halves() -> bool:
        holders = Counter((await registry.holders()).values())
        return holders == {"a": keys.SHARDS // 2, "b": keys.SHARDS // 2}

    async def all_handled() -> bool:
        return await store.deliveries.backlog() == 0

    try:
        await eventually(halves, 15, "both senders on half the shards each")
        await queue(store, *chats)
        await queue(store, *chats)  # duplicates, as after a poller crash
        await emu.wait_for(lambda: len(emu.sent()) >= len(chats), timeout=20, what="all alerts")
        await eventually(all_handled, 10, "the duplicates acknowledged too")
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for bot in bots:
            await bot.shutdown()
    assert sorted(m.chat_id for m in emu.sent()) == chats
    assert emu.breaches == []
    assert sum(s.sent for s in senders) == len(chats)
    assert min(s.sent for s in senders) > 0


def test_huge_item_fits_one_message() -> None:
    """An enormous item renders as one message under Telegram's limit, cut at a sentence."""
    sentence = "Officials described a long sequence of events in great detail. "
    huge = ITEM.model_copy(update={"title": "T" * 10_000, "summary": sentence * 500})
    html = render_alert(huge, "S" * 500, "rule " * 1000)
    visible = re.sub(r"<[^>]+>", "", html)
    assert len(visible) <= 4096
    lines = visible.splitlines()
    assert lines[2].endswith(f"in great detail.{PDI}")  # the lead, isolated


async def test_backlog_warning(
    store: Store, transport: ScriptedTransport, caplog: pytest.LogCaptureFixture
) -> None:
    """When the delivery streams fill up (senders down), the sender says so in the logs."""
    small = Store(store.redis, retention_seconds=3600, stream_maxlen=16_000)
    await small.deliveries.ensure_groups()
    await small.deliveries.enqueue(
        [Delivery(chat_id=n, item_id="wire:1", rule="r") for n in range(13_000)]
    )
    assert await small.deliveries.backlog() == 13_000
    sender = Sender(small, transport, consumer="watcher")
    with caplog.at_level("WARNING"):
        await sender._check_backlog()
    assert "delivery backlog 13000 of 16000" in caplog.text


async def tell_story(store: Store, *items: Item) -> str:
    """Group items into one story as the poller does; return the story id."""
    joined = [await store.stories.assign(item, Featurizer().report(item)) for item in items]
    assert len({j.story_id for j in joined}) == 1
    return joined[0].story_id


async def test_more_outlets_edit_the_alert_boundedly(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """A story's alert is edited to name each new outlet, never re-sent, at most MAX_EDITS times."""
    await store.catalog.replace(
        [
            Feed(id=f, name=f.upper(), url=f"https://{f}.example/")
            for f in ("wire", "b", "c", "d", "e")
        ]
    )
    copies = [ITEM.model_copy(update={"id": f"{feed}:1", "feed_id": feed}) for feed in "bcde"]
    await store.items.save(copies)
    story = await tell_story(store, ITEM)
    first = Delivery(chat_id=CHAT, item_id=ITEM.id, rule="drone", story_id=story)
    update = first.model_copy(update={"update": True})
    await store.deliveries.enqueue([first])
    await sender.drain()
    (message,) = transport.sent(CHAT)
    assert "Also" not in message.plain_text
    for copy in copies:  # each copy comes from another outlet (the same link)
        assert (await store.stories.assign(copy, Featurizer().report(copy))).story_id == story
        await store.deliveries.enqueue([update, update])  # a duplicate update changes nothing
        await sender.drain()
    edits = transport.edits(CHAT)
    assert len(edits) == keys.MAX_EDITS
    assert [e.message_id for e in edits] == [message.message_id] * keys.MAX_EDITS
    assert "Also: \u2068B\u2069, \u2068C\u2069, \u2068D\u2069" in edits[-1].plain_text
    assert len(transport.sent(CHAT)) == 1
    assert await store.deliveries.backlog() == 0
    assert (await store.counters.last_hour())[Event.EDITS] == keys.MAX_EDITS


async def sent_with_an_update(sender: Sender, store: Store) -> Delivery:
    """Send CHAT the alert of a story that a second outlet has since reported; the update."""
    await store.catalog.replace(
        [Feed(id=f, name=f.upper(), url=f"https://{f}.example/") for f in ("wire", "b")]
    )
    copy = ITEM.model_copy(update={"id": "b:1", "feed_id": "b"})
    await store.items.save([copy])
    story = await tell_story(store, ITEM)
    first = Delivery(chat_id=CHAT, item_id=ITEM.id, rule="drone", story_id=story)
    await store.deliveries.enqueue([first])
    await sender.drain()
    assert (await store.stories.assign(copy, Featurizer().report(copy))).story_id == story
    return first.model_copy(update={"update": True})


@pytest.mark.parametrize(
    ("error", "active"),
    [(Rejected("Bad Request: message to edit not found"), True),
     (ChatGone("Forbidden: bot was kicked from the group chat"), False)],
    ids=["message-deleted", "chat-gone"],
)  # fmt: skip
async def test_an_edit_telegram_refuses_is_not_retried(
    sender: Sender,
    store: Store,
    transport: ScriptedTransport,
    error: DeliveryError,
    active: bool,
) -> None:
    """An edit of a deleted message, or to a gone chat, is given up (and a gone chat stops)."""
    update = await sent_with_an_update(sender, store)
    transport.fail("edit", error, chat_id=CHAT)
    await store.deliveries.enqueue([update])
    await sender.drain()
    assert len(transport.refused(CHAT)) == 1
    assert transport.edits(CHAT) == []
    assert (await store.chats.get(CHAT)).active is active
    assert await store.deliveries.backlog() == 0


async def test_an_edit_asked_to_wait_is_sent_after_the_wait(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """A 429 on an edit holds the chat as long as asked; then the edit goes, once."""
    update = await sent_with_an_update(sender, store)
    transport.fail("edit", RetryLater("Telegram flood limit", 1.0, flood=True), chat_id=CHAT)
    await store.deliveries.enqueue([update])
    await sender.drain()
    (refused,) = transport.refused(CHAT)
    (edit,) = transport.edits(CHAT)
    assert edit.at - refused.at >= 1.0
    assert "Also: \u2068B\u2069" in edit.plain_text


async def test_update_for_a_story_never_sent_is_dropped(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """An edit of a message the chat never got (held, or gone) does nothing and is acked."""
    story = await tell_story(store, ITEM)
    await store.deliveries.enqueue(
        [Delivery(chat_id=CHAT, item_id=ITEM.id, rule="r", story_id=story, update=True)]
    )
    await sender.drain()
    assert transport.sent(CHAT) == []
    assert transport.edits(CHAT) == []
    assert await store.deliveries.backlog() == 0


async def test_paused_chat_gets_nothing(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """While a chat is paused its alerts are dropped, not kept for later."""
    await store.chats.pause(CHAT, None)
    await queue(store, CHAT)
    await sender.drain()
    assert transport.sent(CHAT) == []
    assert await store.held.count() == 0
    assert await store.deliveries.backlog() == 0


async def test_digest_collects_alerts_into_one_message(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """In hourly-digest mode alerts wait; when due they go as one message, once, and are told."""
    await store.chats.set_mode(CHAT, "hourly")
    others = [
        ITEM.model_copy(update={"id": f"wire:{n}", "title": f"Story {n}", "link": None})
        for n in range(2, 5)
    ]
    await store.items.save(others)
    await store.deliveries.enqueue(
        [Delivery(chat_id=CHAT, item_id=i.id, rule="r", story_id=i.id) for i in [ITEM, *others]]
    )
    await sender.drain()
    assert transport.sent(CHAT) == []
    held = await store.held.held(CHAT)
    assert len(held) == 4
    await store.held.reschedule(CHAT, datetime.now(UTC))  # the hour has come
    await sender.drain(within=5)
    (digest,) = transport.sent(CHAT)
    assert "4 new stories" in digest.plain_text
    assert all(f"Story {n}" in digest.plain_text for n in range(2, 5))
    assert await store.held.held(CHAT) == []
    assert await store.held.count() == 0
    # The stories count as told: a late duplicate alert is not sent.
    await store.chats.set_mode(CHAT, "instant")
    await queue(store, CHAT)
    await sender.drain()
    assert len(transport.sent(CHAT)) == 1


async def due_digest(store: Store) -> None:
    """Hold ITEM for CHAT in hourly-digest mode, and make the digest due now."""
    await store.chats.set_mode(CHAT, "hourly")
    await store.held.hold(
        Delivery(chat_id=CHAT, item_id=ITEM.id, rule="r", story_id=ITEM.id),
        datetime.now(UTC),
        datetime.now(UTC),
    )


# A digest Telegram did not take, and how long it is put off (None: it is dropped).
DIGEST_ANSWERS: list[tuple[str, DeliveryError, float | None]] = [
    ("flood", RetryLater("Telegram flood limit", 30.0, flood=True), 30.0),
    ("network", RetryLater("network: Bad Gateway", 5.0), 5.0),
    ("refused", Rejected("Bad Request: can't parse entities"), None),
    ("gone", ChatGone("Forbidden: bot was blocked by the user"), None),
]


@pytest.mark.parametrize(("error", "put_off"), [a[1:] for a in DIGEST_ANSWERS],
                         ids=[a[0] for a in DIGEST_ANSWERS])  # fmt: skip
async def test_a_digest_telegram_does_not_take(
    sender: Sender,
    store: Store,
    transport: ScriptedTransport,
    error: DeliveryError,
    put_off: float | None,
) -> None:
    """A refused digest is dropped, one to wait for is put off as asked, a gone chat stops."""
    await due_digest(store)
    transport.fail("send", error, chat_id=CHAT)
    await sender.drain(within=5)
    assert transport.sent(CHAT) == []
    assert (await store.chats.get(CHAT)).active is not isinstance(error, ChatGone)
    held = await store.held.held(CHAT)
    if put_off is None:
        assert held == []
        return
    assert len(held) == 1
    now = datetime.now(UTC)
    assert await store.held.due(now + timedelta(seconds=put_off - 1), 10) == []
    due = await store.held.due(now + timedelta(seconds=put_off + 1), 10)
    assert [chat for chat, _ in due] == [CHAT]


async def test_a_digest_for_a_group_that_moved_goes_to_the_new_group(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """A digest answered "migrated" follows the group to its supergroup in the next round."""
    supergroup = -1000000000501
    await due_digest(store)
    transport.fail("send", ChatMoved(supergroup), chat_id=CHAT)
    await sender.drain(within=5)
    assert (await store.chats.get(CHAT)).moved_to == supergroup
    await sender.drain(within=5)
    (digest,) = transport.sent(supergroup)
    assert "Drones <hit> US base" in digest.visible
    assert await store.held.held(CHAT) == []


async def test_quiet_hours_hold_alerts_until_they_end(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """An alert in quiet hours waits, due when they end; then it is sent (as a digest)."""
    hour = datetime.now(UTC).hour
    await store.chats.set_quiet(CHAT, hour, (hour + 2) % 24)
    await queue(store, CHAT)
    await sender.drain()
    assert transport.sent(CHAT) == []
    ((chat_id, due),) = await store.held.due(datetime.now(UTC) + timedelta(hours=2), 10)
    assert chat_id == CHAT
    assert 0 < due - datetime.now(UTC).timestamp() <= 2 * 3600
    await store.chats.clear_quiet(CHAT)
    await store.held.reschedule(CHAT, datetime.now(UTC))
    await sender.drain(within=5)
    (message,) = transport.sent(CHAT)
    assert "Drones <hit> US base" in message.plain_text


async def test_alert_in_the_chats_language_and_zone(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """An Arabic-speaking chat in Baghdad reads its alert in Arabic, with Baghdad's time."""
    await store.chats.set_lang(CHAT, "ar")
    await store.chats.set_tz(CHAT, "Asia/Baghdad")
    await queue(store, CHAT)
    await sender.drain()
    (message,) = transport.sent(CHAT)
    assert "24 أكتوبر 2023 00:58 +03 (منذ " in message.plain_text
    assert "القاعدة: \u2068US base drone\u2069" in message.plain_text
    assert "اقرأ الخبر كاملاً" in message.plain_text


def burst_items(count: int) -> list[Item]:
    """Items of one burst from the wire, a story each."""
    return [
        ITEM.model_copy(
            update={
                "id": f"wire:b{n}",
                "title": f"Headline {n} <of> the burst",
                "link": f"https://wire.example/b{n}",
                "story_id": f"wire:b{n}",
            }
        )
        for n in range(count)
    ]


def burst_of(items: list[Item]) -> Delivery:
    """The burst message the poller queues for these items."""
    return Delivery(
        chat_id=CHAT,
        item_id=items[0].id,
        rule="*",
        story_id=f"burst:{items[0].id}",
        folded=tuple(i.id for i in items),
    )


async def test_a_burst_is_one_message_of_headlines(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """A burst goes as one message: how many from which source, the headlines linked, /latest."""
    items = burst_items(18)
    await store.items.save(items)
    await store.deliveries.enqueue([burst_of(items)])
    await sender.drain()
    (message,) = transport.sent(CHAT)
    lines = message.visible.splitlines()
    assert lines[0] == "18 more from Levant Wire, listed together:"
    assert lines[1].startswith("• Headline 0 <of> the burst · ")
    assert message.plain_text.splitlines()[1].startswith(f"{LRM}• {FSI}Headline 0")
    assert 'href="https://wire.example/b14"' in message.html
    assert "b15" not in message.html  # 15 are listed, the rest counted
    assert "… and 3 more." in lines
    assert lines[-1] == "/latest lists them all."
    assert await store.deliveries.backlog() == 0
    await store.deliveries.enqueue([burst_of(items)])  # queued twice: sent once
    await sender.drain()
    assert len(transport.sent(CHAT)) == 1


async def test_a_burst_for_a_digest_chat_is_held_story_by_story(
    sender: Sender, store: Store, transport: ScriptedTransport
) -> None:
    """A chat reading digests gets a burst's stories in its digest, each as its own story."""
    await store.chats.set_mode(CHAT, "hourly")
    items = burst_items(3)
    await store.items.save(items)
    await store.deliveries.enqueue([burst_of(items)])
    await sender.drain()
    assert transport.sent(CHAT) == []
    held = await store.held.held(CHAT)
    assert sorted(h.delivery.story for h in held) == [i.id for i in items]


@pytest.mark.parametrize(
    ("hour", "held"), [(22, False), (23, True), (5, True), (6, False)], ids=str
)
async def test_the_time_of_day_is_the_senders_clock(
    store: Store, transport: ScriptedTransport, hour: int, held: bool
) -> None:
    """Quiet hours 23-6 hold an alert by the sender's clock (not the machine's): 23:00 to 5:59."""
    await store.catalog.replace([Feed(id="wire", name="Levant Wire", url="https://wire.example/")])
    await store.items.save([ITEM])
    await store.chats.start(CHAT)
    await store.chats.set_quiet(CHAT, 23, 6)
    moment = datetime(2026, 3, 10, hour, 30, tzinfo=UTC)
    sender = Sender(store, transport, consumer="clocked", clock=lambda: moment)
    await queue(store, CHAT)
    await sender.drain()
    assert len(transport.sent(CHAT)) == (0 if held else 1)
    assert await store.held.count() == (1 if held else 0)
