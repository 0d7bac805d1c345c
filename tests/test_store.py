"""The repositories on a real Redis: chats and rules, items, the delivery stream."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from bot.core.models import Delivery, Feed, Item, Subscriber
from bot.store import Store, keys
from bot.store.chats import AddOutcome
from bot.store.connection import is_cluster, make_client
from bot.store.counters import Event
from bot.store.deliveries import Claim
from bot.store.ratelimit import RateLimiter


def make_item(n: int, feed_id: str = "wire", minutes: int = 0) -> Item:
    """Item number `n` of a feed, published `minutes` after a fixed time."""
    return Item(
        id=f"{feed_id}:{n}",
        feed_id=feed_id,
        title=f"Item {n}",
        published=datetime(2023, 10, 23, 20, 0, tzinfo=UTC) + timedelta(minutes=minutes),
    )


async def test_start_and_subscriber_view(store: Store) -> None:
    """A started chat follows all sources with alerts on; it is a subscriber once it has a rule."""
    assert await store.chats.start(1) is True
    assert await store.chats.start(1) is False
    view = await store.chats.get(1)
    assert (view.known, view.alerts, view.active, view.all_sources) == (True, True, True, True)
    assert await store.chats.subscribers() == []
    await store.chats.add_rule(1, "drone", 50)
    assert await store.chats.subscribers() == [Subscriber(chat_id=1, rules=("drone",))]


async def test_unknown_chat(store: Store) -> None:
    """A chat that never started is not known and not a subscriber."""
    view = await store.chats.get(99)
    assert not view.known
    assert view.subscriber() is None


async def test_rules_add_duplicate_limit_remove(store: Store) -> None:
    """Rules are numbered in order; duplicates and going over the limit change nothing."""
    await store.chats.start(1)
    added = [await store.chats.add_rule(1, r, 3) for r in ("a", "b", "c")]
    assert [(r.outcome, r.number) for r in added] == [(AddOutcome.ADDED, n) for n in (1, 2, 3)]
    duplicate = await store.chats.add_rule(1, "b", 3)
    assert (duplicate.outcome, duplicate.number) == (AddOutcome.DUPLICATE, 2)
    over = await store.chats.add_rule(1, "d", 3)
    assert (over.outcome, over.number) == (AddOutcome.LIMIT, 3)
    assert (await store.chats.get(1)).rules == ("a", "b", "c")
    assert await store.chats.remove_rule(1, 2) == "b"
    assert await store.chats.remove_rule(1, 5) is None
    assert await store.chats.remove_rule(1, 3) is None
    assert (await store.chats.get(1)).rules == ("a", "c")


async def test_remove_rule_keeps_identical_neighbours_apart(store: Store) -> None:
    """Removing by number removes exactly that position, even with look-alike rules around it."""
    await store.chats.start(1)
    for rule in ("x y", "x  y", "y x"):
        await store.chats.add_rule(1, rule, 10)
    assert await store.chats.remove_rule(1, 2) == "x  y"
    assert (await store.chats.get(1)).rules == ("x y", "y x")


async def test_sources_choice(store: Store) -> None:
    """Dropping a source from 'all' keeps the rest; adding one back; alerts off keeps the choice."""
    catalog = ["a", "b", "c"]
    await store.chats.start(1)
    await store.chats.unsubscribe(1, ["b"], catalog)
    view = await store.chats.get(1)
    assert (view.all_sources, view.sources) == (False, frozenset({"a", "c"}))
    await store.chats.subscribe(1, ["b"])
    assert (await store.chats.get(1)).sources == frozenset({"a", "b", "c"})
    await store.chats.unsubscribe(1, ["a", "c"], catalog)
    await store.chats.unsubscribe_all(1)
    view = await store.chats.get(1)
    assert (view.alerts, view.sources) == (False, frozenset({"b"}))
    await store.chats.subscribe_all(1)
    view = await store.chats.get(1)
    assert (view.alerts, view.all_sources, view.sources) == (True, True, frozenset())


async def test_subscribe_new_chat_to_one_source(store: Store) -> None:
    """A chat whose first command is /subscribe X follows only X."""
    await store.chats.subscribe(5, ["a"])
    view = await store.chats.get(5)
    assert (view.known, view.alerts, view.all_sources, view.sources) == (
        True, True, False, frozenset({"a"}),
    )  # fmt: skip


async def test_deactivated_chat_is_not_a_subscriber(store: Store) -> None:
    """A chat Telegram reported gone gets no alerts until it starts again."""
    await store.chats.start(1)
    await store.chats.add_rule(1, "x", 5)
    await store.chats.deactivate(1)
    assert await store.chats.subscribers() == []
    await store.chats.start(1)
    assert len(await store.chats.subscribers()) == 1


async def test_items_seen_and_latest(store: Store, redis: aioredis.Redis) -> None:
    """Unseen filters by seen markers (which expire); latest merges feeds newest first."""
    items = [make_item(1, minutes=1), make_item(2, minutes=5), make_item(1, "other", minutes=3)]
    assert await store.items.unseen([*items, items[0]]) == (items, [])
    await store.items.save(items)
    await store.items.mark_seen(items[:2])
    assert await store.items.unseen(items) == ([items[2]], [])
    assert 0 < await redis.ttl(keys.seen("wire", "wire:1")) <= 3600
    latest = await store.items.latest(["wire", "other"], 2)
    assert [i.id for i in latest] == ["wire:2", "other:1"]
    assert await store.items.latest([], 5) == []
    assert await store.items.get("wire:2") == items[1]


async def test_latest_is_bounded(store: Store, redis: aioredis.Redis) -> None:
    """Each feed keeps only its newest items for /latest."""
    await store.items.save([make_item(n, minutes=n) for n in range(keys.LATEST_PER_FEED + 20)])
    assert await redis.zcard(keys.feed_latest("wire")) == keys.LATEST_PER_FEED
    newest = await store.items.latest(["wire"], 1)
    assert newest[0].id == f"wire:{keys.LATEST_PER_FEED + 19}"


async def poll_once(store: Store, entries: list[Item], now: float) -> list[Item]:
    """What a poll does with a document's entries: store the new ones, mark them, keep them."""
    new, reworded = await store.items.unseen(entries)
    await store.items.save(new)
    await store.items.mark_seen([*new, *reworded])
    await store.items.keep("wire", entries, now)
    return new


async def test_a_feed_keeps_only_its_newest_items(redis: aioredis.Redis) -> None:
    """Past the cap, a feed's oldest items lose their bodies, seen markers and /latest place."""
    store = Store(redis, retention_seconds=3600, keep_per_feed=3)
    items = [make_item(n, minutes=n) for n in range(5)]
    for n, item in enumerate(items):  # one new entry a poll, the feed listing only it
        await poll_once(store, [item], 1_000.0 + n)
    assert [i.id for i in await store.items.latest(["wire"], 10)] == ["wire:4", "wire:3", "wire:2"]
    assert await store.items.get("wire:1") is None
    assert await store.items.unseen(items) == (items[:2], [])  # forgotten: the feed dropped them
    assert await redis.zcard(keys.feed_kept("wire")) == 3


async def test_entries_still_in_the_feed_are_never_dropped(redis: aioredis.Redis) -> None:
    """An entry the feed keeps listing stays seen and stored however many others come and go."""
    store = Store(redis, retention_seconds=3600, keep_per_feed=3)
    pinned = make_item(0).model_copy(update={"fingerprint": "pinned"})
    for n in range(1, 10):
        churn = make_item(n, minutes=n).model_copy(update={"fingerprint": f"churn{n}"})
        await poll_once(store, [pinned, churn], 1_000.0 + n)
    assert await store.items.get("wire:0") == pinned
    assert await store.items.unseen([pinned]) == ([], [])


async def test_content_still_in_the_feed_stays_seen_under_new_guids(redis: aioredis.Redis) -> None:
    """A feed that renames its entries every poll never has their content counted as new."""
    store = Store(redis, retention_seconds=3600, keep_per_feed=3)
    for n in range(10):
        renamed = make_item(n).model_copy(update={"fingerprint": "same words"})
        new = await poll_once(store, [renamed], 1_000.0 + n)
        assert new == ([renamed] if n == 0 else [])
    assert await redis.zcard(keys.feed_kept("wire")) == 3


async def test_kept_entries_last_read_a_retention_ago_leave_the_index(
    redis: aioredis.Redis,
) -> None:
    """The index forgets entries no poll read for a retention (their markers expired then)."""
    store = Store(redis, retention_seconds=3600, keep_per_feed=10)
    await poll_once(store, [make_item(1)], 1_000.0)
    await poll_once(store, [make_item(2)], 1_000.0 + 3600 + 1)
    assert await redis.zrange(keys.feed_kept("wire"), 0, -1) == ["wire:2"]
    assert 0 < await redis.ttl(keys.feed_kept("wire")) <= 3600


async def test_delivery_shards(store: Store) -> None:
    """Deliveries go to their chat's shard, stay pending until acked, and can be taken over."""
    queue = store.deliveries
    await queue.ensure_groups()
    await queue.ensure_groups()  # idempotent
    shard = keys.shard_of(1)
    same_shard = [
        Delivery(chat_id=1 + n * keys.SHARDS, item_id="wire:1", rule="r") for n in range(3)
    ]
    await queue.enqueue(same_shard)
    first = await queue.read([shard], "a", 2, None)
    assert [e.delivery for e in first] == same_shard[:2]
    assert {e.shard for e in first} == {shard}
    await queue.ack(first[0])
    assert [e.delivery for e in await queue.pending(shard, "a", 10)] == [same_shard[1]]
    assert [e.delivery for e in await queue.read([shard], "b", 10, None)] == [same_shard[2]]
    assert await queue.backlog() == 2
    taken = await queue.take_over(shard, "c", 1)  # in pages, oldest first
    assert [e.delivery for e in taken] == same_shard[1:]
    assert await queue.pending(shard, "a", 10) == []


async def test_read_waits_on_several_shards(store: Store) -> None:
    """One read returns what several shards hold; a waiting read gets what is queued meanwhile."""
    queue = store.deliveries
    await queue.ensure_groups()
    spread = [Delivery(chat_id=n, item_id="wire:1", rule="r") for n in range(keys.SHARDS)]
    await queue.enqueue(spread)
    every = list(range(keys.SHARDS))
    found = await queue.read(every, "a", 100, None)
    assert sorted(e.delivery.chat_id for e in found) == list(range(keys.SHARDS))
    assert await queue.read(every, "a", 100, None) == []
    late = Delivery(chat_id=3, item_id="wire:2", rule="r")

    async def queue_later() -> None:
        await asyncio.sleep(0.3)
        await queue.enqueue([late])

    waiting = asyncio.create_task(queue_later())
    (entry,) = await queue.read(every, "a", 100, 5000)
    await waiting
    assert entry.delivery == late


async def test_send_claims(store: Store) -> None:
    """A send is claimed by one sender at a time; once sent, nobody sends it again."""
    queue = store.deliveries
    delivery = Delivery(chat_id=1, item_id="wire:1", rule="r")
    assert await queue.claim_send(delivery, "a") is Claim.OURS
    assert await queue.claim_send(delivery, "a") is Claim.OURS  # a retry by the same sender
    assert await queue.claim_send(delivery, "b") is Claim.BUSY
    await queue.release_send(delivery, "b")  # not b's to release
    assert await queue.claim_send(delivery, "b") is Claim.BUSY
    await queue.release_send(delivery, "a")
    assert await queue.claim_send(delivery, "b") is Claim.OURS
    await queue.mark_sent(delivery, 77)
    await queue.release_send(delivery, "b")  # a sent message's id is never released
    assert await queue.claim_send(delivery, "a") is Claim.SENT
    assert await queue.sent_message(1, "wire:1") == 77


async def test_dead_letters(store: Store) -> None:
    """Failed attempts are counted per entry; a dead letter keeps the error and leaves the queue."""
    queue = store.deliveries
    await queue.ensure_groups()
    await queue.enqueue([Delivery(chat_id=5, item_id="wire:9", rule="drone")])
    (entry,) = await queue.read([keys.shard_of(5)], "a", 10, None)
    assert [await queue.failed(entry) for _ in range(3)] == [1, 2, 3]
    await queue.dead_letter(entry, "Telegram refused it: can't parse entities", 3)
    (letter,) = await queue.dead_letters(10)
    assert (letter.delivery.chat_id, letter.error, letter.attempts) == (
        5, "Telegram refused it: can't parse entities", 3,
    )  # fmt: skip
    assert await queue.backlog() == 0


async def test_catalog_replace(store: Store) -> None:
    """The catalog in Redis becomes exactly the file's feeds."""
    a = Feed(id="a", name="Zeta", url="https://a.example/")
    b = Feed(id="b", name="alpha", url="https://b.example/")
    await store.catalog.replace([a, b])
    assert await store.catalog.all() == [b, a]
    await store.catalog.replace([a])
    assert await store.catalog.all() == [a]
    assert await store.catalog.get("b") is None


async def test_content_seen_under_a_new_guid(store: Store) -> None:
    """An item whose content was seen under another id is reported apart, not as new."""
    first = make_item(1).model_copy(update={"fingerprint": "abc"})
    renamed = make_item(2).model_copy(update={"fingerprint": "abc"})
    twin = make_item(3).model_copy(update={"fingerprint": "def"})
    twin_again = make_item(4).model_copy(update={"fingerprint": "def"})
    await store.items.mark_seen([first])
    new, reworded = await store.items.unseen([renamed, twin, twin_again])
    assert (new, reworded) == ([twin], [renamed, twin_again])


async def test_reserve_books_slots_one_interval_apart(store: Store) -> None:
    """Reservations on a bucket are spaced one interval apart, each caller told its own wait."""
    limiter = RateLimiter(store.redis)
    waits = [await limiter.reserve("test:bucket", 0.5) for _ in range(4)]
    assert waits[0] == 0.0
    gaps = [later - earlier for earlier, later in pairwise(waits)]
    assert all(0.45 < gap <= 0.5 for gap in gaps), gaps
    assert 0 < await store.redis.pttl("test:bucket") <= 62_000


async def test_acquire_allows_burst_then_spaces(store: Store) -> None:
    """A bucket lets `burst` calls through at once and asks the next one to wait an interval."""
    limiter = RateLimiter(store.redis)
    assert [await limiter.acquire("test:chat", 1.0, burst=2) for _ in range(2)] == [0.0, 0.0]
    assert 0.5 < await limiter.acquire("test:chat", 1.0, burst=2) <= 1.0


async def test_hold_closes_a_bucket(store: Store) -> None:
    """After a hold (Telegram's retry-after) the bucket makes callers wait out the hold."""
    limiter = RateLimiter(store.redis)
    await limiter.hold("test:held", 3.0)
    assert 2.5 < await limiter.acquire("test:held", 0.1) <= 3.0


async def test_counters_sum_the_last_hour(store: Store) -> None:
    """Counts land in their minute; the last hour sums 60 minutes and leaves older ones out."""
    now = 1_800_000_000.0  # a minute boundary
    await store.counters.add(Event.SENT, 3, now=now)
    await store.counters.add(Event.SENT, now=now - 59 * 60)
    await store.counters.add(Event.SENT, 100, now=now - 60 * 60)  # an hour ago: out
    await store.counters.add(Event.FLOODS, 0, now=now)  # nothing to count: no key
    hour = await store.counters.last_hour(now=now + 30)
    assert (hour[Event.SENT], hour[Event.FLOODS], hour[Event.ITEMS]) == (4, 0, 0)
    ttl = await store.redis.ttl(keys.counter(Event.SENT, int(now // 60)))
    assert 0 < ttl <= keys.COUNTER_TTL


async def test_oldest_waiting_covers_unread_and_in_flight(store: Store) -> None:
    """The oldest waiting delivery is found whether it is unread or read and not acknowledged."""
    queue = store.deliveries
    await queue.ensure_groups()
    assert await queue.oldest_waiting() is None
    before = datetime.now(UTC) - timedelta(seconds=1)
    await queue.enqueue([Delivery(chat_id=5, item_id="wire:1", rule="a")])
    await queue.enqueue([Delivery(chat_id=6, item_id="wire:1", rule="a")])
    unread = await queue.oldest_waiting()
    assert unread is not None
    assert before <= unread <= datetime.now(UTC)
    (first,) = await queue.read([keys.shard_of(5)], "a", 10, None)
    assert await queue.oldest_waiting() == unread  # now in flight, still the oldest
    await queue.ack(first)
    remaining = await queue.oldest_waiting()
    assert remaining is not None
    assert remaining >= unread
    (second,) = await queue.read([keys.shard_of(6)], "a", 10, None)
    await queue.ack(second)
    assert await queue.oldest_waiting() is None


async def test_backlog_near_full_at_eighty_percent() -> None:
    """The backlog is reported near full from 80% of the streams' capacity."""
    client = aioredis.Redis()  # never connects: capacity is arithmetic
    store = Store(client, retention_seconds=60, stream_maxlen=32_000)
    assert store.deliveries.capacity == 32_000
    assert not store.deliveries.near_full(25_599)
    assert store.deliveries.near_full(25_600)
    await client.aclose()


async def test_chat_counts(store: Store) -> None:
    """Chats are counted as started, reachable and alerted; a migrated group counts once."""
    for chat_id in (1, 2, 3, 4, -5):
        await store.chats.start(chat_id)
    await store.chats.add_rule(1, "drone", 50)
    await store.chats.add_rule(1, "base", 50)
    await store.chats.add_rule(2, "drone", 50)
    await store.chats.unsubscribe_all(2)  # alerts off: reachable, not alerted
    await store.chats.add_rule(3, "drone", 50)
    await store.chats.deactivate(3)  # blocked the bot
    await store.chats.add_rule(-5, "قاعدة", 50)
    await store.chats.migrate(-5, -1005)  # the group became a supergroup
    counts = await store.chats.counts()
    assert (counts.started, counts.active, counts.alerted, counts.rules) == (5, 4, 2, 5)


async def test_chat_settings_round_trip(store: Store) -> None:
    """Language, time zone, delivery mode, quiet hours and pauses are kept per chat."""
    chat = 4242
    await store.chats.start(chat)
    view = await store.chats.get(chat)
    assert (view.lang, view.tz, view.mode, view.quiet, view.paused) == (
        None, "UTC", "instant", None, False
    )  # fmt: skip
    await store.chats.set_lang(chat, "ar")
    assert await store.chats.set_tz(chat, "Asia/Baghdad")
    assert not await store.chats.set_tz(chat, "Mars/Olympus")
    await store.chats.set_mode(chat, "daily", digest_hour=7)
    await store.chats.set_quiet(chat, 23, 7)
    until = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    await store.chats.pause(chat, until)
    view = await store.chats.get(chat)
    assert (view.lang, view.tz, view.mode, view.digest_hour, view.quiet) == (
        "ar", "Asia/Baghdad", "daily", 7, (23, 7)
    )  # fmt: skip
    assert view.paused
    assert view.paused_until == until
    await store.chats.pause(chat, None)
    assert (await store.chats.get(chat)).paused_until is None
    await store.chats.resume(chat)
    await store.chats.clear_quiet(chat)
    view = await store.chats.get(chat)
    assert not view.paused
    assert view.quiet is None
    with pytest.raises(ValueError, match="0 to 23"):
        await store.chats.set_quiet(chat, 25, 7)
    with pytest.raises(ValueError, match="no such language"):
        await store.chats.set_lang(chat, "fr")
    with pytest.raises(ValueError, match="no such delivery mode"):
        await store.chats.set_mode(chat, "weekly")
    assert (await store.chats.get(chat)).lang == "ar"


async def test_settings_checks_and_the_language_alone(store: Store) -> None:
    """A zone directory or a path is not a time zone; the language is readable on its own."""
    chat = 4243
    await store.chats.start(chat)
    for name in ("Asia", "../etc/passwd", "", "Asia/Baghdad\x00", "x" * 300):
        assert not await store.chats.set_tz(chat, name), name
    assert (await store.chats.get(chat)).tz == "UTC"
    assert await store.chats.lang(chat) is None
    await store.chats.set_lang(chat, "ar")
    assert await store.chats.lang(chat) == "ar"
    with pytest.raises(ValueError, match="digest hour"):
        await store.chats.set_mode(chat, "daily", digest_hour=24)


async def test_remove_rule_only_if_it_is_still_the_expected_one(store: Store) -> None:
    """A removal naming the rule's text removes nothing once another rule took that number."""
    await store.chats.start(1)
    for rule in ("drone", "oil", "gaza"):
        await store.chats.add_rule(1, rule, 10)
    assert await store.chats.remove_rule(1, 2, expected="oil") == "oil"
    assert await store.chats.remove_rule(1, 2, expected="oil") is None  # "gaza" is 2 now
    assert (await store.chats.get(1)).rules == ("drone", "gaza")
    assert await store.chats.remove_rule(1, 2, expected="gaza") == "gaza"


async def test_channel_gets_its_owner_rules_and_sources(
    store: Store, redis: aioredis.Redis
) -> None:
    """A linked channel alerts on its owner's rules and sources while both can be alerted."""
    owner, channel = 7, -1001
    await store.chats.start(owner)
    await store.chats.link_channel(channel, owner, "ar")
    assert channel not in {s.chat_id for s in await store.chats.subscribers()}  # no rules yet
    await store.chats.add_rule(owner, "drone", 10)
    await store.chats.unsubscribe(owner, ["b"], ["a", "b"])
    expected = Subscriber(chat_id=channel, sources=frozenset({"a"}), rules=("drone",))
    assert expected in await store.chats.subscribers()
    assert await store.chats.subscriber(channel) == expected
    view = await store.chats.get(channel)  # the channel's own view: its settings, no rules
    assert (view.owner, view.lang, view.rules) == (owner, "ar", ())
    await store.chats.unsubscribe_all(owner)  # the owner's alerts off: the channel's too
    assert channel not in {s.chat_id for s in await store.chats.subscribers()}
    await store.chats.subscribe_all(owner)
    await store.chats.deactivate(channel)  # the bot was removed from the channel
    assert channel not in {s.chat_id for s in await store.chats.subscribers()}
    await store.chats.link_channel(channel, 8, None)  # another chat takes the channel over
    assert await redis.smembers(keys.chat_channels(owner)) == set()
    assert not await store.chats.unlink_channel(channel, owner)
    assert await store.chats.unlink_channel(channel, 8)
    view = await store.chats.get(channel)
    assert (view.owner, view.alerts) == (None, False)


async def test_migrated_group_keeps_its_channels(store: Store, redis: aioredis.Redis) -> None:
    """A group that becomes a supergroup goes on feeding its channels."""
    group, supergroup, channel = -5, -1005, -1002
    await store.chats.start(group)
    await store.chats.add_rule(group, "drone", 10)
    await store.chats.link_channel(channel, group, None)
    await store.chats.migrate(group, supergroup)
    assert (await store.chats.get(channel)).owner == supergroup
    assert await redis.smembers(keys.chat_channels(supergroup)) == {str(channel)}
    assert await store.chats.subscriber(channel) == Subscriber(chat_id=channel, rules=("drone",))
    assert await store.chats.unlink_channel(channel, supergroup)


@pytest.mark.parametrize(
    "together",
    [
        [keys.chat(7), keys.chat_sources(7), keys.chat_rules(7), keys.chat_channels(7)],
        [keys.sent(7, "wire:1"), keys.edits(7, "wire:1"), keys.held(7), keys.digest_lease(7)],
        [keys.chat(-100), keys.rate_chat(-100), keys.rate_commands(-100), keys.rate_notice(-100)],
        [keys.feed_state("bbc"), keys.feed_latest("bbc"), keys.lease("bbc")],
        [keys.feed_state("bbc"), keys.seen("bbc", "x"), keys.fingerprint("bbc", "ab12")],
        [keys.feed_latest("bbc"), keys.feed_kept("bbc"), keys.feed_kept_fingerprints("bbc")],
        [keys.story("wire:1"), keys.story_reports("wire:1"), keys.story_chats("wire:1")],
        [keys.deliveries(5), keys.shard_lease(5), keys.attempts(5)],
        [keys.CATALOG, keys.REMOVED],
    ],
)
def test_keys_used_together_share_a_cluster_slot(together: list[str]) -> None:
    """Keys that one script or transaction touches map to one Redis Cluster slot."""
    assert len({key_slot(key.encode()) for key in together}) == 1, together


def test_delivery_shards_spread_over_a_cluster() -> None:
    """The delivery streams fall on every node of a 3-master cluster, not all on one."""
    nodes = {key_slot(keys.deliveries(shard).encode()) * 3 // 16384 for shard in range(keys.SHARDS)}
    assert nodes == {0, 1, 2}


@pytest.mark.parametrize(
    ("url", "cluster"),
    [
        ("redis+cluster://127.0.0.1:7000", True),
        ("REDISS+CLUSTER://:secret@node1:7000", True),
        ("redis://127.0.0.1:6379/0", False),
        ("unix:///tmp/redis.sock", False),
    ],
)
async def test_the_url_chooses_the_client(url: str, cluster: bool) -> None:
    """A redis+cluster:// URL gets redis-py's cluster client; any other URL the plain one."""
    client = make_client(url)  # neither client connects before its first command
    try:
        assert is_cluster(url) is cluster
        assert isinstance(client, RedisCluster) is cluster
    finally:
        await client.aclose()


@pytest.mark.one_server
async def test_catalog_under_its_old_key_names_is_kept(store: Store) -> None:
    """A catalog kept under the names from before hash tags keeps admin feeds and removals."""
    old = {new: name for name, new in keys.LEGACY_NAMES.items()}
    added = Feed(id="extra", name="Extra", url="https://extra.example/", origin="admin")
    await store.redis.hset(old[keys.CATALOG], added.id, added.model_dump_json())
    await store.redis.sadd(old[keys.REMOVED], "gone")
    from_file = [
        Feed(id="wire", name="Wire", url="https://wire.example/"),
        Feed(id="gone", name="Gone", url="https://gone.example/"),
    ]
    feeds = await store.seed_catalog(from_file, now=0.0)
    assert [feed.id for feed in feeds] == ["extra", "wire"]
    assert await store.redis.exists(*old.values()) == 0


async def test_held_alerts_oldest_first_from_stored_entries(store: Store) -> None:
    """Held alerts come back oldest first, each with its raw member, from entries as stored."""
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    late, early = (Delivery(chat_id=7, item_id=f"wire:{n}", rule="drone") for n in (1, 2))
    await store.held.hold(late, now + timedelta(hours=1), now)
    # An entry as an earlier version wrote it: the delivery's JSON, scored by when it was held.
    await store.redis.zadd(
        keys.held(7), {early.model_dump_json(): (now - timedelta(1)).timestamp()}
    )
    held = await store.held.held(7)
    assert [h.delivery for h in held] == [early, late]
    assert await store.held.done(7, [held[0].member]) == 1
