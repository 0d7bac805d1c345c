"""Stories in Redis: which story a new report joins, its outlets, and the chats told of it.

A report is weighed first: each of its words and keys by how many recent reports held it
(`ab:terms:<period>`, the current and the previous week), so rare words count most. It then
finds candidate stories through its canonical link and through its rarest words and keys
(`ab:storyix:<key>`, sorted sets of young stories by their latest report), and is compared with
the best candidates' kept reports (`bot/core/stories.compare`). It joins the candidate it
matches best, if any may take it:

- a story takes reports up to `STORY_GAP` after its latest one, and up to `STORY_CAP` after its
  first, so a developing story stays one while reports keep coming;
- an outlet already in a story adds to it only its own update (its wording of the same report
  again, near enough): a series from one outlet (an air-raid alert for Kyiv, then one for
  Odesa) is a story each.

Otherwise it starts a story of its own, named by its item id.

A report costs few round trips and few commands whatever its length: its candidates are read by
one script over every index key it looks up, and its index entries and word counts are written
by one script each, in the pipeline that writes its story.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from bot.core.models import Item
from bot.core.stories import (
    STORY_CAP,
    STORY_GAP,
    Match,
    Report,
    Verdict,
    Weigher,
    compare,
    key_weight,
    word_prior,
    word_similarity,
)
from bot.store import keys
from bot.store.connection import Client, Pipeline

MAX_CANDIDATES = 4  # stories compared per report, those sharing the most weight first
MAX_REPORTS = 6  # reports kept per story to compare with: the first ones, then the newest
INDEXED_WORDS = 8  # a report's rarest words that make its story findable (and find others)
INDEXED_NAMES = 6  # likewise its rarest names
INDEXED_CONCEPTS = 3  # and its rarest concepts (drone | مسيرة): found across languages
STORIES_PER_KEY = 15  # the newest stories read per key
# Stories kept per key, the newest: a templated feed (a story per region's air-raid alert) would
# grow its words' sets without end. Lookups read the newest only, so they find the same.
STORIES_KEPT_PER_KEY = 2 * STORIES_PER_KEY
WEIGHTS_FOR = 60.0  # seconds a process reuses the word weights it read
WEIGHTS_EVERY = 100  # or for this many reports counted
DECODED = 1024  # kept reports a process keeps decoded
UPDATE_SIMILARITY = 0.5  # an outlet's report joins its own story again only this close to it

# Scripts sent alone are registered (EVALSHA); those inside the write pipeline go as EVAL, because
# redis-py's cluster pipeline cannot load a registered script.
# KEYS[1] a link marker, then index keys; ARGV: since (epoch s), stories per key, whether the
# report has a link. Returns the link's story ("" if none), then each key's newest stories.
_LOOKUP = """
local found = {ARGV[3] == '1' and redis.call('GET', KEYS[1]) or ''}
for i = 2, #KEYS do
    found[i] = redis.call('ZREVRANGEBYSCORE', KEYS[i], '+inf', ARGV[1], 'LIMIT', 0, ARGV[2])
end
return found
"""
# KEYS[1] a link marker, then index keys; ARGV: story id, its latest report (epoch s), entries
# older than this are dropped, TTL in seconds, whether the report has a link, stories kept per key.
_INDEX = """
if ARGV[5] == '1' then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4], 'NX')
end
for i = 2, #KEYS do
    redis.call('ZADD', KEYS[i], ARGV[2], ARGV[1])
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[3])
    redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -1 - tonumber(ARGV[6]))
    redis.call('EXPIRE', KEYS[i], ARGV[4])
end
"""
# Long lists of words go to a script as one argument, joined by newlines (no word or key holds
# one): redis-py packs each argument on its own, at a cost that was a tenth of a report's.
_SPLIT = """
local function split(joined)
    local out, start = {}, 1
    while true do
        local stop = string.find(joined, '\\n', start, true)
        if not stop then
            out[#out + 1] = string.sub(joined, start)
            return out
        end
        out[#out + 1] = string.sub(joined, start, stop - 1)
        start = stop + 1
    end
end
"""
# KEYS: the periods' counts; ARGV[1]: the fields, joined. Returns each field's count summed over
# the periods.
_SUM_COUNTS = (
    _SPLIT
    + """
local fields = split(ARGV[1])
local counts = {}
for n = 1, #fields, 1000 do  -- unpack takes a bounded number of values
    local last = math.min(n + 999, #fields)
    for _, key in ipairs(KEYS) do
        local found = redis.call('HMGET', key, unpack(fields, n, last))
        for i = n, last do
            counts[i] = (counts[i] or 0) + (tonumber(found[i - n + 1]) or 0)
        end
    end
end
return counts
"""
)
# KEYS[1] a period's counts; ARGV: TTL in seconds, then the report's words and keys, joined (the
# reports counter field first).
_COUNT = (
    _SPLIT
    + """
for _, field in ipairs(split(ARGV[2])) do
    redis.call('HINCRBY', KEYS[1], field, 1)
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
"""
)


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


class _Weights(dict[str, float]):
    """The word weights a process read, with what it worked out from them.

    Weights once read stay as they are until the whole dict is replaced, so the kept reports
    whose keys it holds (by identity, held so that no id is reused) and their weighed words
    need no second look.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reports: dict[int, Report] = {}
        self.weigher = Weigher(self.__getitem__)


@dataclass(frozen=True)
class _Story:
    story_id: str
    outlets: list[str]
    started: float
    last: float
    reports: list[Report]


class StoryRepo:
    """Group reports into stories and remember who was told of each."""

    def __init__(self, client: Client, clock: Callable[[], float] = time.time) -> None:
        """Work through `client`; `clock` (epoch seconds) picks the word-count period."""
        self._r = client
        self._clock = clock
        self._cache = _Weights()
        self._cache_until = 0.0
        self._counted = 0
        self._lookup = client.register_script(_LOOKUP)
        self._sum_counts = client.register_script(_SUM_COUNTS)

    async def assign(self, item: Item, report: Report) -> Joined:
        """Put a new report in the story it belongs to, or start one."""
        weights = self._fresh()
        await self._weigh(weights, report.all_keys())
        candidates = await self._candidates(report, weights)
        # The kept reports' words too, in one round trip for every candidate (the names they
        # share with this report are weighed already), unless these weights hold them.
        kept = {
            id(known): known
            for story in candidates
            for known in story.reports
            if id(known) not in weights.reports
        }
        await self._weigh(weights, {k for known in kept.values() for k in known.weighed_keys()})
        weights.reports.update(kept)
        best: tuple[float, _Story, Verdict] | None = None
        for story in candidates:
            found = self._match(story, report, weights)
            if found is not None and (best is None or found.score > best[0]):
                best = (found.score, story, found.verdict)
        # Every write of a report in one round trip: its story, the index, the word counts.
        async with self._r.pipeline(transaction=False) as pipe:
            if best is None:
                joined = self._start(pipe, item, report, weights)
            else:
                joined = self._join(pipe, best[1], item, report, best[2], weights=weights)
            self._count(pipe, report)
            await pipe.execute()
        return joined

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

    def _periods(self) -> tuple[int, int]:
        current = int(self._clock() // keys.TERM_PERIOD)
        return current, current - 1

    async def weights(self, wanted: Collection[str]) -> Mapping[str, float]:
        """The weights of (at least) the `wanted` words and keys, from this period and the last."""
        weights = self._fresh()
        await self._weigh(weights, wanted)
        return weights

    def _fresh(self) -> _Weights:
        """The weights this process holds: read anew after WEIGHTS_FOR s or WEIGHTS_EVERY reports.

        Weights move slowly, so a process need not read them anew for each report; a report is
        weighed with one such dict throughout, which later reports replace, never change.
        """
        now = self._clock()
        if now >= self._cache_until or self._counted >= WEIGHTS_EVERY:
            self._cache = _Weights()
            self._cache_until = now + WEIGHTS_FOR
            self._counted = 0
        return self._cache

    async def _weigh(self, weights: dict[str, float], wanted: Iterable[str]) -> None:
        """Add to `weights` those of the wanted keys it lacks, in one round trip."""
        missing = [key for key in wanted if key not in weights]
        if missing:
            # A key another report read meanwhile keeps its weight: what was worked out from
            # it stays true.
            for key, weight in (await self._fetch_weights(missing)).items():
                weights.setdefault(key, weight)

    async def _fetch_weights(self, wanted: Iterable[str]) -> dict[str, float]:
        fields = [keys.TERMS_DOCS, *wanted]
        counts = cast(
            list[int],
            await self._sum_counts(
                keys=[keys.terms(p) for p in self._periods()], args=["\n".join(fields)]
            ),
        )
        docs = counts[0]
        return {
            key: key_weight(df, docs, word_prior(key))
            for key, df in zip(fields[1:], counts[1:], strict=True)
        }

    def _count(self, pipe: Pipeline, report: Report) -> None:
        """Count the report's words and keys in the current period."""
        self._counted += 1
        terms = "\n".join([keys.TERMS_DOCS, *report.all_keys()])
        pipe.eval(_COUNT, 1, keys.terms(self._periods()[0]), keys.TERMS_TTL, terms)

    async def _candidates(self, report: Report, weights: Mapping[str, float]) -> list[_Story]:
        """Young stories that may hold this report: its link's story, then by shared weight."""
        lookup = _findable_by(report, weights)
        since = report.published.timestamp() - STORY_GAP.total_seconds()
        replies = cast(
            list[object],
            await self._lookup(
                keys=[_link_key(report), *map(keys.story_index, lookup)],
                args=[since, STORIES_PER_KEY, int(bool(report.link))],
            ),
        )
        linked = cast(str, replies.pop(0))
        shared: dict[str, float] = {}
        for key, members in zip(lookup, cast(list[list[str]], replies), strict=True):
            for story_id in members:
                shared[story_id] = shared.get(story_id, 0.0) + weights.get(key, 0.0)
        ranked = sorted(shared, key=lambda story: (-shared[story], story))[:MAX_CANDIDATES]
        if linked:
            ranked = [linked, *(story for story in ranked if story != linked)]
        return await self._load(ranked)

    async def _load(self, story_ids: list[str]) -> list[_Story]:
        async with self._r.pipeline(transaction=False) as pipe:
            for story_id in story_ids:
                pipe.hmget(keys.story(story_id), ["outlets", "started", "last"])
                pipe.lrange(keys.story_reports(story_id), 0, -1)
            replies = await pipe.execute()
        stories = []
        for n, story_id in enumerate(story_ids):
            outlets, started, last = cast(list[str | None], replies[2 * n])
            reports = cast(list[str], replies[2 * n + 1])
            if outlets is None or started is None or not reports:
                continue  # expired meanwhile
            stories.append(
                _Story(
                    story_id=story_id,
                    outlets=json.loads(outlets),
                    started=float(started),
                    last=float(last or started),
                    reports=[_decoded(raw) for raw in reports],
                )
            )
        return stories

    def _match(self, story: _Story, report: Report, weights: _Weights) -> Match | None:
        """How the report matches a story that may take it (None: it may not, or it does not)."""
        at = report.published.timestamp()
        if at > story.last + STORY_GAP.total_seconds() or at > story.started + (
            STORY_CAP.total_seconds()
        ):
            return None
        if at < story.started - STORY_GAP.total_seconds():
            return None  # a late-arriving report from long before the story began
        weight = weights.weigher  # every key compare weighs was read (assign)
        own = report.outlet in story.outlets
        best: Match | None = None
        for known in story.reports:
            found = compare(report, known, weight)
            if found.veto:
                return None  # evidence against any report of the story parts it from all
            if own and known.outlet != report.outlet:
                continue  # an outlet's own series: only its own earlier report can take it
            if found.verdict is Verdict.DIFFERENT:
                continue
            if (
                own
                and found.verdict is Verdict.SAME_EVENT
                and (
                    report.lang != known.lang
                    or word_similarity(report.terms, known.terms, weight) < UPDATE_SIMILARITY
                )
            ):
                continue
            if best is None or found.score > best.score:
                best = found
        return best

    def _start(
        self, pipe: Pipeline, item: Item, report: Report, weights: Mapping[str, float]
    ) -> Joined:
        story_id = item.id
        at = report.published.timestamp()
        pipe.hset(
            keys.story(story_id),
            mapping={"outlets": json.dumps([item.feed_id]), "started": at, "last": at},
        )
        pipe.expire(keys.story(story_id), keys.STORY_TTL)
        pipe.rpush(keys.story_reports(story_id), report.to_json())
        pipe.expire(keys.story_reports(story_id), keys.STORY_TTL)
        self._index(pipe, story_id, report, weights, at)
        return Joined(story_id=story_id, new=True, new_outlet=True)

    def _join(
        self,
        pipe: Pipeline,
        story: _Story,
        item: Item,
        report: Report,
        verdict: Verdict,
        *,
        weights: Mapping[str, float],
    ) -> Joined:
        story_id = story.story_id
        new_outlet = item.feed_id not in story.outlets
        last = max(story.last, report.published.timestamp())
        if new_outlet:
            pipe.hset(keys.story(story_id), "outlets", json.dumps([*story.outlets, item.feed_id]))
        pipe.hset(keys.story(story_id), "last", last)
        # A copy adds nothing to compare with; another wording widens the story. The first
        # reports are kept, and the newest one in the last place.
        if verdict is Verdict.SAME_EVENT:
            if len(story.reports) < MAX_REPORTS:
                pipe.rpush(keys.story_reports(story_id), report.to_json())
            else:
                pipe.lset(keys.story_reports(story_id), -1, report.to_json())
        self._index(pipe, story_id, report, weights, last)
        return Joined(story_id=story_id, new=False, new_outlet=new_outlet, verdict=verdict)

    def _index(
        self,
        pipe: Pipeline,
        story_id: str,
        report: Report,
        weights: Mapping[str, float],
        last: float,
    ) -> None:
        """Make the story findable by this report's link and rarest keys, for the lookup window."""
        index = [keys.story_index(key) for key in _findable_by(report, weights)]
        pipe.eval(
            _INDEX,
            1 + len(index),
            _link_key(report),
            *index,
            story_id,
            last,
            last - keys.STORY_LOOKUP_TTL,  # entries this old can join nothing any more
            keys.STORY_LOOKUP_TTL,
            int(bool(report.link)),
            STORIES_KEPT_PER_KEY,
        )


def _findable_by(report: Report, weights: Mapping[str, float]) -> list[str]:
    """The keys a report's story is found by, and that it looks candidates up by.

    Its rarest words, and what a report in the other language can share: its places,
    identifiers, and rarest names and concepts.
    """
    return [
        *_rarest(report.terms, weights, INDEXED_WORDS),
        *sorted(f"@{p}" for p in report.places),
        *sorted(f"#{i}" for i in report.ids),
        *_rarest(report.names, weights, INDEXED_NAMES),
        *_rarest(report.concepts, weights, INDEXED_CONCEPTS),
    ]


def _rarest(found: Iterable[str], weights: Mapping[str, float], count: int) -> list[str]:
    """The `count` keys of highest weight (ties by name, so every process picks the same)."""
    return sorted(found, key=lambda k: (-weights.get(k, 0.0), k))[:count]


@lru_cache(maxsize=DECODED)
def _decoded(raw: str) -> Report:
    """A kept report read back: the same stories are candidates for report after report."""
    return Report.from_json(raw)


def _link_key(report: Report) -> str:
    """The report's link marker (a script given no link leaves it alone; it shares the tag)."""
    return keys.story_link(_digest(report.link or ""))


def _digest(link: str) -> str:
    return hashlib.blake2b(link.encode(), digest_size=12).hexdigest()


def _told(raw: str) -> Told:
    item_id, rule, words = json.loads(raw)
    return Told(item_id=item_id, rule=rule, words=tuple(words))
