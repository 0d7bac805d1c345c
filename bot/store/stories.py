"""Stories in Redis: which story a new report joins, its outlets, and the chats told of it.

A report finds candidate stories through its canonical link and its LSH buckets (sets with a
TTL), then joins the first candidate whose kept reports `compare` calls the same report or the
same event; otherwise it starts a story of its own, named by its item id.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from bot.core.models import Item
from bot.core.stories import Report, Verdict, band_keys, compare
from bot.store import keys
from bot.store.connection import Client

MAX_CANDIDATES = 8  # stories compared per report, those sharing the most buckets first
MAX_REPORTS = 6  # reports kept per story to compare with (the first ones tell it best)


@dataclass(frozen=True)
class Joined:
    """Where a report went: its story, whether it started it, and whether it added an outlet."""

    story_id: str
    new: bool
    new_outlet: bool
    verdict: Verdict | None = None  # how it matched the story it joined


@dataclass(frozen=True)
class Told:
    """What a chat was sent about a story: the item its message shows and the rule that fired."""

    item_id: str
    rule: str
    words: tuple[str, ...] = ()


class StoryRepo:
    """Group reports into stories and remember who was told of each."""

    def __init__(self, client: Client) -> None:
        """Work through `client`."""
        self._r = client

    async def assign(self, item: Item, report: Report) -> Joined:
        """Put a new report in the story it belongs to, or start one."""
        for story_id in await self._candidates(report):
            verdict = await self._verdict(story_id, report)
            if verdict is not None:
                return await self._join(story_id, item, report, verdict)
        return await self._start(item, report)

    async def outlets(self, story_id: str) -> list[str]:
        """The feed ids that reported a story, first reporter first."""
        raw = cast(str | None, await self._r.hget(keys.story(story_id), "outlets"))
        return cast(list[str], json.loads(raw)) if raw else []

    async def told(self, story_id: str) -> dict[int, Told]:
        """The chats told of a story, with what their message shows."""
        raw = cast(dict[str, str], await self._r.hgetall(keys.story_chats(story_id)))
        return {int(chat): _told(value) for chat, value in raw.items()}

    async def tell(self, story_id: str, chats: Mapping[int, Told]) -> None:
        """Remember that these chats are told of a story (the first message a chat gets stays)."""
        if not chats:
            return
        key = keys.story_chats(story_id)
        async with self._r.pipeline(transaction=False) as pipe:
            for chat_id, told in chats.items():
                value = json.dumps([told.item_id, told.rule, list(told.words)], ensure_ascii=False)
                pipe.hsetnx(key, str(chat_id), value)
            pipe.expire(key, keys.STORY_TTL)
            await pipe.execute()

    async def _candidates(self, report: Report) -> list[str]:
        """Stories that may hold this report: its link's story first, then by shared buckets."""
        bands = band_keys(report.signature)
        async with self._r.pipeline(transaction=False) as pipe:
            if report.link:
                pipe.get(keys.story_link(_digest(report.link)))
            for band in bands:
                pipe.smembers(keys.story_bucket(band))
            replies = await pipe.execute()
        linked = cast(str | None, replies.pop(0)) if report.link else None
        shared: Counter[str] = Counter()
        for members in cast(list[set[str]], replies):
            shared.update(members)
        ranked = [story for story, _ in shared.most_common(MAX_CANDIDATES)]
        if linked:
            ranked = [linked, *(story for story in ranked if story != linked)]
        return ranked

    async def _verdict(self, story_id: str, report: Report) -> Verdict | None:
        """How the report relates to a story's kept reports (None: a different story)."""
        raw = cast(list[str], await self._r.lrange(keys.story_reports(story_id), 0, -1))
        found: Verdict | None = None
        for known in raw:
            verdict = compare(report, Report.from_json(known))
            if verdict is Verdict.SAME_REPORT:
                return verdict
            if verdict is Verdict.SAME_EVENT:
                found = verdict
        return found

    async def _start(self, item: Item, report: Report) -> Joined:
        story_id = item.id
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(
                keys.story(story_id),
                mapping={
                    "outlets": json.dumps([item.feed_id]),
                    "started": item.published.isoformat(),
                },
            )
            pipe.expire(keys.story(story_id), keys.STORY_TTL)
            pipe.rpush(keys.story_reports(story_id), report.to_json())
            pipe.expire(keys.story_reports(story_id), keys.STORY_TTL)
            await pipe.execute()
        await self._index(story_id, report)
        return Joined(story_id=story_id, new=True, new_outlet=True)

    async def _join(self, story_id: str, item: Item, report: Report, verdict: Verdict) -> Joined:
        outlets = await self.outlets(story_id)
        new_outlet = item.feed_id not in outlets
        async with self._r.pipeline(transaction=False) as pipe:
            if new_outlet:
                outlets.append(item.feed_id)
                pipe.hset(keys.story(story_id), "outlets", json.dumps(outlets))
            # A copy adds nothing to compare with; another outlet's wording widens the story.
            if verdict is Verdict.SAME_EVENT:
                pipe.rpush(keys.story_reports(story_id), report.to_json())
                pipe.ltrim(keys.story_reports(story_id), 0, MAX_REPORTS - 1)
            await pipe.execute()
        if verdict is Verdict.SAME_EVENT:
            await self._index(story_id, report)
        return Joined(story_id=story_id, new=False, new_outlet=new_outlet, verdict=verdict)

    async def _index(self, story_id: str, report: Report) -> None:
        """Make the story findable by this report's link and buckets, for the lookup window."""
        async with self._r.pipeline(transaction=False) as pipe:
            if report.link:
                pipe.set(
                    keys.story_link(_digest(report.link)),
                    story_id,
                    ex=keys.STORY_LOOKUP_TTL,
                    nx=True,
                )
            for band in band_keys(report.signature):
                pipe.sadd(keys.story_bucket(band), story_id)
                pipe.expire(keys.story_bucket(band), keys.STORY_LOOKUP_TTL)
            await pipe.execute()


def _digest(link: str) -> str:
    return hashlib.blake2b(link.encode(), digest_size=12).hexdigest()


def _told(raw: str) -> Told:
    item_id, rule, words = json.loads(raw)
    return Told(item_id=item_id, rule=rule, words=tuple(words))
