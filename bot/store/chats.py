"""Chats in Redis: subscription choices and watch rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from redis.typing import EncodableT, FieldT

from bot.core.models import ChatView, Lang, Mode, Subscriber
from bot.store import keys
from bot.store.connection import Client

# Adds a rule unless the chat is at its limit or already has the same rule.
# Returns {status, n}: status 1 added (n = its number), 0 duplicate (n = existing number),
# -1 over the limit (n = current count).
_ADD_RULE = """
local rules = redis.call('LRANGE', KEYS[1], 0, -1)
for i, rule in ipairs(rules) do
  if rule == ARGV[1] then return {0, i} end
end
if #rules >= tonumber(ARGV[2]) then return {-1, #rules} end
return {1, redis.call('RPUSH', KEYS[1], ARGV[1])}
"""

# Removes the rule at 1-based position ARGV[1] (only if its text is ARGV[2], when given);
# returns its text, or false when there is no such rule.
_REMOVE_RULE = """
local index = tonumber(ARGV[1]) - 1
local rule = redis.call('LINDEX', KEYS[1], index)
if not rule then return false end
if ARGV[2] and ARGV[2] ~= '' and rule ~= ARGV[2] then return false end
local marker = '\\0removed\\0'
redis.call('LSET', KEYS[1], index, marker)
redis.call('LREM', KEYS[1], 1, marker)
return rule
"""


class AddOutcome(Enum):
    """What happened to a rule the user asked to add."""

    ADDED = 1
    DUPLICATE = 0
    LIMIT = -1


@dataclass(frozen=True)
class AddResult:
    """The outcome of adding a rule and the rule number (or the count, at the limit)."""

    outcome: AddOutcome
    number: int


@dataclass(frozen=True)
class ChatCounts:
    """Chats by state, and their rules, for /stats."""

    started: int  # ever sent /start
    active: int  # still reachable (not blocked, not gone)
    alerted: int  # would get an alert now: reachable, alerts on, at least one rule
    rules: int


class ChatRepo:
    """Every chat's settings: alerts on/off, followed sources, rules, still reachable or not."""

    def __init__(self, client: Client) -> None:
        """Work through `client`."""
        self._r = client
        self._add_rule = client.register_script(_ADD_RULE)
        self._remove_rule = client.register_script(_REMOVE_RULE)

    async def start(self, chat_id: int) -> bool:
        """Register (or reactivate) a chat with alerts on; return True when it is new."""
        key = keys.chat(chat_id)
        added = await self._r.sadd(keys.CHATS, chat_id)  # not in the MULTI: another slot
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, "all_sources", "1")
            pipe.hset(key, mapping={"alerts": "1", "active": "1"})
            await pipe.execute()
        await self._changed(chat_id)
        return bool(added)

    async def get(self, chat_id: int) -> ChatView:
        """A chat's current settings."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.chat(chat_id))
            pipe.smembers(keys.chat_sources(chat_id))
            pipe.lrange(keys.chat_rules(chat_id), 0, -1)
            settings, sources, rules = await pipe.execute()
        return _view(chat_id, settings, sources, rules)

    async def subscribe_all(self, chat_id: int) -> None:
        """Alerts on, from every catalog source (including ones added later)."""
        await self._r.sadd(keys.CHATS, chat_id)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(
                keys.chat(chat_id), mapping={"alerts": "1", "active": "1", "all_sources": "1"}
            )
            pipe.delete(keys.chat_sources(chat_id))
            await pipe.execute()
        await self._changed(chat_id)

    async def subscribe(self, chat_id: int, feed_ids: Iterable[str]) -> None:
        """Alerts on, adding these sources to the chat's choice (no-op for a chat on all)."""
        await self._r.sadd(keys.CHATS, chat_id)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(keys.chat(chat_id), mapping={"alerts": "1", "active": "1"})
            pipe.hsetnx(keys.chat(chat_id), "all_sources", "0")
            await pipe.execute()
        view = await self.get(chat_id)
        if not view.all_sources:
            await self._r.sadd(keys.chat_sources(chat_id), *feed_ids)
        await self._changed(chat_id)

    async def unsubscribe_all(self, chat_id: int) -> None:
        """Alerts off; the chat keeps its sources and rules for when it subscribes again."""
        await self._r.hset(keys.chat(chat_id), "alerts", "0")
        await self._changed(chat_id)

    async def unsubscribe(
        self, chat_id: int, feed_ids: Iterable[str], catalog: Iterable[str]
    ) -> None:
        """Stop these sources; a chat on all sources switches to all the others."""
        drop = set(feed_ids)
        view = await self.get(chat_id)
        async with self._r.pipeline(transaction=True) as pipe:
            if view.all_sources:
                keep = [feed_id for feed_id in catalog if feed_id not in drop]
                pipe.hset(keys.chat(chat_id), "all_sources", "0")
                pipe.delete(keys.chat_sources(chat_id))
                if keep:
                    pipe.sadd(keys.chat_sources(chat_id), *keep)
            elif drop:
                pipe.srem(keys.chat_sources(chat_id), *drop)
            await pipe.execute()
        await self._changed(chat_id)

    async def add_rule(self, chat_id: int, text: str, limit: int) -> AddResult:
        """Append a rule unless it is a duplicate or the chat is at `limit` rules."""
        status, number = await self._add_rule(keys=[keys.chat_rules(chat_id)], args=[text, limit])
        result = AddResult(AddOutcome(int(status)), int(number))
        if result.outcome is AddOutcome.ADDED:
            await self._changed(chat_id)
        return result

    async def remove_rule(
        self, chat_id: int, number: int, expected: str | None = None
    ) -> str | None:
        """Remove rule `number` (1-based); return its text, or None when there is no such rule.

        With `expected`, the rule is removed only if it still has that text (checked atomically:
        a button drawn before the list changed never removes another rule).
        """
        removed: str | None = await self._remove_rule(
            keys=[keys.chat_rules(chat_id)], args=[number, expected or ""]
        )
        if removed:
            await self._changed(chat_id)
        return removed or None

    async def deactivate(self, chat_id: int) -> None:
        """Telegram says the chat is gone (blocked, kicked, deleted): stop its deliveries."""
        await self._r.hset(keys.chat(chat_id), "active", "0")
        await self._changed(chat_id)

    async def migrate(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its settings, sources and rules move to the new id."""
        view = await self.get(old_id)
        settings = cast(dict[str, str], await self._r.hgetall(keys.chat(old_id)))
        # Separate pipelines: the two chats' keys live in different cluster slots.
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(keys.chat(new_id), keys.chat_sources(new_id), keys.chat_rules(new_id))
            if settings:
                moved: dict[FieldT, EncodableT] = {k: v for k, v in settings.items()}
                moved["active"] = "1"
                pipe.hset(keys.chat(new_id), mapping=moved)
            if view.sources:
                pipe.sadd(keys.chat_sources(new_id), *view.sources)
            if view.rules:
                pipe.rpush(keys.chat_rules(new_id), *view.rules)
            await pipe.execute()
        channels = [int(c) for c in await self._r.smembers(keys.chat_channels(old_id))]
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.sadd(keys.CHATS, new_id)
            pipe.hset(keys.chat(old_id), mapping={"active": "0", "moved_to": str(new_id)})
            # The group's channels go on posting its alerts, now the supergroup's.
            for channel_id in channels:
                pipe.hset(keys.chat(channel_id), "owner", str(new_id))
            if channels:
                pipe.sadd(keys.chat_channels(new_id), *channels)
            pipe.delete(keys.chat_channels(old_id))
            await pipe.execute()
        await self._changed(old_id, new_id, *channels)

    async def lang(self, chat_id: int) -> str | None:
        """The language chosen for this chat, if any (one field: read for every update)."""
        chosen = cast(str | None, await self._r.hget(keys.chat(chat_id), "lang"))
        return chosen if chosen in get_args(Lang) else None

    async def set_lang(self, chat_id: int, lang: str) -> None:
        """The language the bot writes in for this chat ("en" or "ar")."""
        if lang not in get_args(Lang):
            raise ValueError(f"no such language: {lang!r}")
        await self._r.hset(keys.chat(chat_id), "lang", lang)

    async def set_tz(self, chat_id: int, tz: str) -> bool:
        """The chat's time zone (an IANA name); False, and nothing changed, if it is unknown."""
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia", a directory
            return False
        await self._r.hset(keys.chat(chat_id), "tz", tz)
        return True

    async def set_mode(self, chat_id: int, mode: str, digest_hour: int | None = None) -> None:
        """An alert per story, or an hourly or daily digest (at `digest_hour`, local time)."""
        if mode not in get_args(Mode):
            raise ValueError(f"no such delivery mode: {mode!r}")
        mapping: dict[FieldT, EncodableT] = {"mode": mode}
        if digest_hour is not None:
            if not 0 <= digest_hour <= 23:
                raise ValueError("the digest hour is 0 to 23")
            mapping["digest_hour"] = str(digest_hour)
        await self._r.hset(keys.chat(chat_id), mapping=mapping)

    async def set_quiet(self, chat_id: int, start: int, end: int) -> None:
        """Quiet hours from `start` to `end` (local hours; alerts in them wait for the end)."""
        if not (0 <= start <= 23 and 0 <= end <= 23):
            raise ValueError("quiet hours are 0 to 23")
        await self._r.hset(keys.chat(chat_id), "quiet", f"{start}-{end}")

    async def clear_quiet(self, chat_id: int) -> None:
        """No quiet hours."""
        await self._r.hdel(keys.chat(chat_id), "quiet")

    async def pause(self, chat_id: int, until: datetime | None) -> None:
        """No alerts until `until` (None: until resumed); alerts meanwhile are not kept."""
        mapping: dict[FieldT, EncodableT] = {"paused": "1"}
        async with self._r.pipeline(transaction=True) as pipe:
            if until is None:
                pipe.hdel(keys.chat(chat_id), "paused_until")
            else:
                mapping["paused_until"] = until.isoformat()
            pipe.hset(keys.chat(chat_id), mapping=mapping)
            await pipe.execute()

    async def resume(self, chat_id: int) -> None:
        """Alerts again after a pause."""
        await self._r.hdel(keys.chat(chat_id), "paused", "paused_until")

    async def _changed(self, *chat_ids: int) -> None:
        """Tell every poller these chats' rules or sources changed (and their channels')."""
        async with self._r.pipeline(transaction=False) as pipe:
            for chat_id in chat_ids:
                pipe.smembers(keys.chat_channels(chat_id))
            channels: list[set[str]] = await pipe.execute()
        affected = [*chat_ids, *(int(c) for members in channels for c in members)]
        async with self._r.pipeline(transaction=False) as pipe:
            for chat_id in dict.fromkeys(affected):
                pipe.xadd(
                    keys.RULE_CHANGES,
                    {"chat": str(chat_id)},
                    maxlen=keys.RULE_CHANGES_MAXLEN,
                    approximate=True,
                )
            await pipe.execute()

    async def last_change(self) -> str:
        """The id of the newest rule change (a poller building its index reads on from it)."""
        newest = cast(
            list[tuple[str, dict[str, str]]], await self._r.xrevrange(keys.RULE_CHANGES, count=1)
        )
        return newest[0][0] if newest else "0-0"

    async def changes(self, after: str, block_ms: int | None = None) -> tuple[str, set[int]]:
        """Chats whose rules or sources changed after change `after`, and the newest change id."""
        reply = await self._r.xread({keys.RULE_CHANGES: after}, count=10_000, block=block_ms)
        chats: set[int] = set()
        last = after
        for _stream, entries in cast(
            list[tuple[str, list[tuple[str, dict[str, str]]]]], reply or []
        ):
            for entry_id, fields in entries:
                chats.add(int(fields["chat"]))
                last = entry_id
        return last, chats

    async def subscriber(self, chat_id: int) -> Subscriber | None:
        """What the matcher needs of one chat now (a channel gets its owner's rules and sources)."""
        view = await self.get(chat_id)
        owner = await self.get(view.owner) if view.owner is not None else None
        return _effective(view, owner).subscriber()

    async def subscribers(self) -> list[Subscriber]:
        """Every chat that can receive alerts now, with its sources and rules.

        A channel has no rules of its own: it gets what the chat that subscribed it gets.
        """
        views = await self.views()
        by_id = {view.chat_id: view for view in views}
        found: list[Subscriber] = []
        for view in views:
            owner = by_id.get(view.owner) if view.owner is not None else None
            subscriber = _effective(view, owner).subscriber()
            if subscriber is not None:
                found.append(subscriber)
        return found

    async def link_channel(self, channel_id: int, owner_id: int, lang: str | None) -> None:
        """A channel posts the alerts of the chat that subscribed it (its rules and sources)."""
        mapping: dict[FieldT, EncodableT] = {"owner": str(owner_id), "alerts": "1", "active": "1"}
        if lang:
            mapping["lang"] = lang
        previous = (await self.get(channel_id)).owner
        async with self._r.pipeline(transaction=False) as pipe:  # keys in several slots
            if previous is not None and previous != owner_id:  # one owner at a time
                pipe.srem(keys.chat_channels(previous), channel_id)
            pipe.sadd(keys.CHATS, channel_id)
            pipe.hset(keys.chat(channel_id), mapping=mapping)
            pipe.sadd(keys.chat_channels(owner_id), channel_id)
            await pipe.execute()
        await self._changed(channel_id)

    async def unlink_channel(self, channel_id: int, owner_id: int) -> bool:
        """Stop a channel's alerts, if `owner_id` subscribed it; False if it did not."""
        if (await self.get(channel_id)).owner != owner_id:
            return False
        await self._r.hset(keys.chat(channel_id), "alerts", "0")
        await self._r.hdel(keys.chat(channel_id), "owner")
        await self._r.srem(keys.chat_channels(owner_id), channel_id)
        await self._changed(channel_id)
        return True

    async def views(self) -> list[ChatView]:
        """Every chat that ever started the bot, by id."""
        chat_ids = sorted(int(c) for c in await self._r.smembers(keys.CHATS))
        async with self._r.pipeline(transaction=False) as pipe:
            for chat_id in chat_ids:
                pipe.hgetall(keys.chat(chat_id))
                pipe.smembers(keys.chat_sources(chat_id))
                pipe.lrange(keys.chat_rules(chat_id), 0, -1)
            replies = await pipe.execute()
        return [_view(chat_id, *replies[3 * i : 3 * i + 3]) for i, chat_id in enumerate(chat_ids)]

    async def counts(self) -> ChatCounts:
        """How many chats started, are still reachable, get alerts; how many rules they have."""
        # A group that became a supergroup is one chat under its new id.
        views = [view for view in await self.views() if view.moved_to is None]
        return ChatCounts(
            started=len(views),
            active=sum(1 for view in views if view.active),
            alerted=sum(1 for view in views if view.subscriber() is not None),
            rules=sum(len(view.rules) for view in views),
        )


def _effective(view: ChatView, owner: ChatView | None) -> ChatView:
    """A channel's view with its owner's rules and sources (any other chat as it is)."""
    if owner is None:
        return view
    return view.model_copy(
        update={
            "rules": owner.rules,
            "all_sources": owner.all_sources,
            "sources": owner.sources,
            "alerts": view.alerts and owner.alerts and owner.active,
        }
    )


def _view(chat_id: int, settings: dict[str, str], sources: set[str], rules: list[str]) -> ChatView:
    quiet = settings.get("quiet", "")
    start, _, end = quiet.partition("-")
    until = settings.get("paused_until")
    return ChatView(
        chat_id=chat_id,
        known=bool(settings),
        alerts=settings.get("alerts") == "1",
        active=settings.get("active", "1") == "1",
        all_sources=settings.get("all_sources", "1") == "1",
        sources=frozenset(sources),
        rules=tuple(rules),
        moved_to=int(settings["moved_to"]) if settings.get("moved_to") else None,
        lang=settings["lang"] if settings.get("lang") in ("en", "ar") else None,
        tz=settings.get("tz") or "UTC",
        mode=settings["mode"] if settings.get("mode") in ("hourly", "daily") else "instant",
        digest_hour=int(settings.get("digest_hour") or 8),
        quiet=(int(start), int(end)) if start.isdigit() and end.isdigit() else None,
        paused=settings.get("paused") == "1",
        paused_until=datetime.fromisoformat(until) if until else None,
        owner=int(settings["owner"]) if settings.get("owner") else None,
    )
