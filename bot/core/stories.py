"""Story grouping: whether a new report is a copy of a known one, the same event, or another story.

Each report gets features once (`Featurizer.report`):
- its words: one form per content word (stop words out, each word as its shortest stem so
  "بطائرات" meets "طائرات"), headline words counted twice: compared within one language;
- what both languages share: the places it names (gazetteer ids, bot/core/places.py), names
  carried across scripts (bot/core/names.py: Blinken and بلينكن meet), the bilingual synonym
  groups it touches (drone | مسيرة), identifiers (Flight 763, رحلة 763) and counts.

Every word and key is weighed by how rare it is in the stream (its inverse document frequency,
learnt in Redis by bot/store/stories.py, before the stream has spoken by a prior from word
frequencies), so a shared "Hualien" or "Tower 22" counts for far more than "killed" or "attack".
`compare` then decides:

- the same link, or near-identical words naming the same places and counts: the same report;
- evidence of another event vetoes, whatever the words: headline places that contradict (a
  wire template about another attack, an air-raid alert for another region), identifiers that
  differ (Flight 2041, Flight 763), "another quake" hours later, other weekdays a day apart;
- within one language: enough weighted word and anchor overlap, less when a precise place or a
  country is shared, more when a headline's precise place is missing from the other report;
- across languages: enough anchor overlap, and a place, a country or a rare name in common;
- counts are weak evidence: outlets restate and revise numbers, so counts that disagree part
  reports only where one says it tells another event (or in telling a copy from a rewrite).

Which reports may be compared at all (the time window from a story's latest report, the same
outlet's series) is the store's part.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import cached_property, lru_cache
from urllib.parse import urlencode, urlsplit, urlunsplit

from bot.core.analysis import Token, is_arabic, item_forms, normalize, raw_item_forms, tokenize
from bot.core.arabic import strip_article
from bot.core.frequency import zipf
from bot.core.links import kept_params
from bot.core.models import Item
from bot.core.names import arabic_keys, latin_key
from bot.core.places import Gazetteer, gazetteer
from bot.core.synonyms import Synonyms

# A story takes reports while they keep coming: up to STORY_GAP after its latest report, and
# never more than STORY_CAP after its first (a story told for days is news again).
STORY_GAP = timedelta(hours=48)
STORY_CAP = timedelta(hours=72)
# Thresholds, chosen on the tuning part of tests/fixtures/stories (bench/grouping.py).
COPY_SIMILARITY = 0.8  # weighted word cosine of a copy or a republished item
EVENT_SIMILARITY = 0.18  # another outlet's report naming a precise place in common
EVENT_SIMILARITY_COUNTRY = 0.12  # with only a country in common, more words must agree
EVENT_SIMILARITY_NO_PLACE = 0.4  # with no place in common, more still
PLACE_MISSING = 0.45  # a headline's precise place not near any the other report names
DAYS_APART = timedelta(hours=20)  # reports naming other weekdays this far apart: other days
NOVEL_GAP = timedelta(hours=6)  # "another quake" this long after a story's report is another
RARE_NAME = 4.0  # a name this rare in the stream (weight) links two languages by itself

_STOP = frozenset(
    normalize(word).casefold()
    for word in """
    a an the of in on at to for and or but is are was were be been being by with from that this
    these those it its as has have had said says say after before near into over than then their
    they them he she his her we our you not no which who whom when where while also more most
    about up out will would could can may might there here one all any some such other new
    monday tuesday wednesday thursday friday saturday sunday
    في من على الى عن ان انه انها مع بعد قبل هذا هذه ذلك تلك التي الذي الذين كان كانت يكون قد لم
    لن لا ما و او ثم حتى عند منذ خلال بين كما قال قالت وقال وقالت يوم امس اليوم وفق وفقا حسب بحسب
    له لها لهم فيه فيها عليه عليها هو هي هم تم لقد ايضا اذ اذا الا غير كل بعض نحو ضد لدى الاثنين
    الثلاثاء الاربعاء الخميس الجمعة السبت الاحد
    """.split()
)
_MONTHS = frozenset(
    normalize(word).casefold()
    for word in """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر
    كانون شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين
    """.split()
)
_DISTANCES = frozenset(
    normalize(word).casefold()
    for word in """km kilometres kilometers kilometre kilometer miles mile
    كيلومتر كيلومترات كيلومترا كلم كم ميل اميال""".split()
)
_DECIMAL = re.compile(r"\d+(?:[.,]\d+)?")
# Counts written as words, as outlets write small ones (normalized: ة kept, alef folded).
_NUMBER_WORDS = {
    normalize(word).casefold(): str(value)
    for value, words in enumerate(
        [
            "",
            "one",
            "two اثنان اثنين اثنتين اثنتان",
            "three ثلاثة ثلاث",
            "four اربعة اربع",
            "five خمسة خمس",
            "six ستة ست",
            "seven سبعة سبع",
            "eight ثمانية ثماني",
            "nine تسعة تسع",
            "ten عشرة عشر",
            "eleven",
            "twelve",
        ]
    )
    for word in words.split()
}
# A number that names a thing rather than counts it: Flight 763, رحلة 763, Route 5, MH17.
_IDENTIFIER = re.compile(
    r"(?:\b(?:flight|route|highway|platform|رحلة|الرحلة|رقم)\s+(?:no\s+|number\s+|رقم\s+)?(\d+)\b)"
    r"|\b([A-Z]{2}\d{2,4})\b",
    re.IGNORECASE,
)
# Referrer and campaign parameters that do not change which article a link opens: dropped when
# links are compared (with the tracking ones, bot/core/links.py), kept on links shown to readers.
_COMPARE_ONLY = re.compile(r"^(ocid|cmpid|ref|src|at_\w+)$", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'-]+(?:\s+(?:al-|el-|bin\s|de\s)?[A-Z][\w'-]+)*)")

Weights = Callable[[str], float]


class Weigher:
    """Word weights that keep each report's weighted words (and their norm) once worked out.

    A new report is compared with story after story's kept reports, and a kept report with
    report after report: its words need weighing once while the weights stay the same. A
    Weigher is for weights that do not change while it lives (a key's weight, once read, stays).
    """

    def __init__(self, weight: Weights) -> None:
        """Weigh with `weight`."""
        self.weight = weight
        # By the words' identity: the dict is held too, so its id is not reused meanwhile.
        self._vectors: dict[int, tuple[dict[str, int], dict[str, float], float]] = {}

    def vector(self, terms: dict[str, int]) -> tuple[dict[str, float], float]:
        """A report's words weighed by their count and rarity, and the vector's length."""
        found = self._vectors.get(id(terms))
        if found is None:
            weighed = {t: c * self.weight(t) for t, c in terms.items()}
            norm = math.sqrt(sum(v * v for v in weighed.values()))
            found = self._vectors[id(terms)] = (terms, weighed, norm)
        return found[1], found[2]


def _weigher(weight: Weights | Weigher) -> Weigher:
    return weight if isinstance(weight, Weigher) else Weigher(weight)


class Verdict(Enum):
    """How a new report relates to a known one."""

    SAME_REPORT = "same_report"  # the same text (a copy, a republished item) or the same link
    SAME_EVENT = "same_event"  # another outlet's report of the same event
    DIFFERENT = "different"


@dataclass(frozen=True)
class Report:
    """The features of one news item for grouping, kept in Redis as JSON."""

    outlet: str
    published: datetime
    lang: str | None
    link: str | None
    terms: dict[str, int]  # word form -> count (headline words twice)
    head_places: frozenset[str]  # places the headline names
    places: frozenset[str]  # places the whole report names
    regions: frozenset[str]  # the regions (not countries) those places lie within
    names: frozenset[str]  # keys of names, comparable across scripts (~blnkn)
    concepts: frozenset[str]  # bilingual synonym groups (=drone)
    counts: frozenset[str]
    ids: frozenset[str]  # identifiers: Flight 763 -> 763
    # The report says a toll rose ("toll rises to three", "ارتفاع حصيلة"): its counts may
    # exceed an earlier report's without making it another event.
    count_update: bool = False
    # The headline says this is another event of a kind ("another quake", "زلزال جديد"): it
    # does not join a story begun well before it.
    novel: bool = False
    days: frozenset[str] = frozenset()  # weekdays named ("on Tuesday", "الثلاثاء"), as 0 to 6

    def anchors(self) -> frozenset[str]:
        """The keys both languages write alike: places, concepts, identifiers and counts."""
        return self._anchors

    def weighed_keys(self) -> frozenset[str]:
        """The keys `compare` weighs on a report's own (of its names, only those shared)."""
        return self._weighed

    def all_keys(self) -> frozenset[str]:
        """Every word and key of the report: what the stream's weights count."""
        return self._weighed | self.names

    # Worked out once per report: a kept report is compared with report after report.
    @cached_property
    def _anchors(self) -> frozenset[str]:
        return frozenset(
            {f"@{p}" for p in self.places}
            | {f"@{p}" for p in self.regions}
            | self.concepts
            | {f"#{i}" for i in self.ids}
            | {f"+{n}" for n in self.counts}
        )

    @cached_property
    def _weighed(self) -> frozenset[str]:
        return frozenset(self.terms) | self._anchors

    def to_json(self) -> str:
        """The report as compact JSON."""
        return json.dumps(
            {
                "outlet": self.outlet,
                "published": self.published.isoformat(),
                "lang": self.lang,
                "link": self.link,
                "terms": self.terms,
                "head": sorted(self.head_places),
                "places": sorted(self.places),
                "regions": sorted(self.regions),
                "names": sorted(self.names),
                "concepts": sorted(self.concepts),
                "counts": sorted(self.counts),
                "ids": sorted(self.ids),
                "update": self.count_update,
                "novel": self.novel,
                "days": sorted(self.days),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> Report:
        """A report stored by `to_json`."""
        data = json.loads(raw)
        return cls(
            outlet=data["outlet"],
            published=datetime.fromisoformat(data["published"]),
            lang=data["lang"],
            link=data["link"],
            terms=dict(data["terms"]),
            head_places=frozenset(data["head"]),
            places=frozenset(data["places"]),
            regions=frozenset(data["regions"]),
            names=frozenset(data["names"]),
            concepts=frozenset(data["concepts"]),
            counts=frozenset(data["counts"]),
            ids=frozenset(data["ids"]),
            count_update=bool(data["update"]),
            novel=bool(data.get("novel", False)),
            days=frozenset(data.get("days", ())),
        )


@dataclass(frozen=True)
class Match:
    """How a new report compares with a known one, and how strongly."""

    verdict: Verdict
    score: float
    # The evidence says the reports are of different events (not merely too unlike): a story
    # holding the known report cannot take the new one, however well it matches another.
    veto: bool = False


VETO = Match(Verdict.DIFFERENT, 0.0, veto=True)


class Featurizer:
    """Turns items into reports, with the synonym groups both languages share."""

    def __init__(self, synonyms: Synonyms | None = None) -> None:
        """Read concepts from `synonyms`, places from the bundled gazetteer (on first use)."""
        self._synonyms = synonyms or Synonyms.empty()

    @cached_property
    def _place_groups(self) -> frozenset[int]:
        """Synonym groups of places (Syria | سوريا): the gazetteer names those already."""
        return frozenset(
            n
            for n, group in enumerate(self._synonyms.groups)
            if gazetteer().mentions(" ".join(group[0].words))
        )

    def report(self, item: Item) -> Report:
        """The grouping features of an item (its headline and lead, link, time, language)."""
        title_tokens = tokenize(item.title)
        lead_tokens = tokenize(item.summary)
        tokens = title_tokens + lead_tokens
        terms: dict[str, int] = {}
        for weight, group in ((2, title_tokens), (1, lead_tokens)):
            for form in _content(group):
                terms[form] = terms.get(form, 0) + weight
        places = gazetteer()
        head = frozenset(m.place for m in places.mentions(title_tokens))
        body = frozenset(m.place for m in places.mentions(lead_tokens))
        forms = [item_forms(t) | {t.text} for t in tokens]
        concepts = frozenset(
            self._synonyms.key(n)
            for n in self._synonyms.groups_in(forms)
            if n not in self._place_groups and self._synonyms.for_stories(n)
        )
        words = set(terms)
        text = normalize(f"{item.title}\n{item.summary}")
        return Report(
            outlet=item.feed_id,
            published=item.published,
            lang=item.lang,
            link=canonical_link(item.link),
            terms=terms,
            head_places=head,
            places=head | body,
            regions=frozenset(
                r for p in head | body for r in places.within(p) if places.is_local(r)
            ),
            names=_name_keys(f"{item.title}. {item.summary}", tokens),
            concepts=concepts,
            counts=_numbers([t.text for t in tokens]),
            ids=frozenset(a or b.upper() for a, b in _IDENTIFIER.findall(text)),
            count_update=bool(words & _RISE) and bool(words & _TOLL),
            novel=_novel(title_tokens, lead_tokens),
            days=frozenset(_WEEKDAYS[t.text] for t in tokens if t.text in _WEEKDAYS),
        )


def _content(tokens: Iterable[Token]) -> list[str]:
    """One case-folded form per content word, its shortest stem (stop and one-letter words out)."""
    forms = []
    for token in tokens:
        if token.text in _STOP or len(token.text) < 2 or token.text[0].isdigit():
            continue
        form = _shortest(token)
        if form not in _STOP:
            forms.append(form)
    return forms


def content_forms(text: str) -> frozenset[str]:
    """The content forms of a text (see `_content`)."""
    return frozenset(_content(tokenize(text)))


@lru_cache(maxsize=100_000)
def _shortest_raw(raw: str, folded: str) -> str:
    """The shortest item form of a word (ties by spelling), or the word itself."""
    stems = [f.casefold() for f in raw_item_forms(raw) if len(f) >= 2]
    return min(stems, key=lambda f: (len(f), f)) if stems else folded


def _shortest(token: Token) -> str:
    # Every candidate form of every word made two rewrites share fewer of their forms than
    # they share words: "القاعدة" brought "القاعدة" and "قاعدة", "قاعدة" only the latter.
    return _shortest_raw(token.raw, token.text)


# Words of a toll update, as `_content` keeps them: a report needs one of each.
_RISE = frozenset(
    _content(
        tokenize(
            "rises rose risen climbs climbed jumps jumped soars soared reaches "
            "ارتفاع ارتفعت ترتفع يرتفع ارتفع"
        )
    )
)
_NOVEL = frozenset(
    normalize(word).casefold()
    for word in """another new fresh second third renewed again
    جديد جديدة اخر اخرى ثان ثانية ثاني مجددا مجدد تجدد تجددت تجددا متجددة""".split()
)
_WEEKDAYS = {
    normalize(word).casefold(): str(n % 7)
    for n, word in enumerate(
        "monday tuesday wednesday thursday friday saturday sunday "
        "الاثنين الثلاثاء الاربعاء الخميس الجمعة السبت الاحد".split()
    )
}
_AFTER = frozenset(t.text for t in tokenize("after days بعد ايام يومين"))
# Events a report may say it comes after ("two days after the collision", "بعد يومين على اصطدام").
_EVENT_KINDS = frozenset(
    _content(
        tokenize(
            "quake earthquake tremor crash collision explosion explosions blast attack strike "
            "detonation detonations "
            "زلزال الزلزال هزة تحطم اصطدام انفجار انفجارات تفجير هجوم غارة"
        )
    )
)
_AREA_EVENTS = frozenset({"=earthquake", "=aftershock", "=flood", "=storm", "=tsunami"})
_NEW_NAMES = frozenset("york delhi zealand jersey orleans mexico caledonia guinea south".split())
_TOLL = frozenset(
    _content(
        tokenize(
            "toll tally casualties dead deaths killed wounded injured "
            "حصيلة عدد ضحايا قتلى شهداء جرحى مصابين اصابات وفيات"
        )
    )
)


def _other_day(a: Report, b: Report) -> bool:
    """Whether two reports published a day apart name other weekdays, and no toll rose.

    Strikes on one city on successive days read alike but for the day they name; a developing
    story's update names its first day too, or says the toll rose.
    """
    return (
        bool(a.days and b.days)
        and not a.days & b.days
        and abs(a.published - b.published) >= DAYS_APART
        and not (a.count_update or b.count_update)
    )


def _novel(title: list[Token], lead: list[Token]) -> bool:
    """Whether a report says it tells another event of a kind, not an update of one.

    The headline says so ("another quake", "زلزال جديد"), or the lead's first words put an
    event of the same kind before it ("days after the deadly quake", "بعد ايام من الزلزال").
    """
    words = [t.text for t in title]
    forms = [_shortest(t) for t in title]
    for n, word in enumerate(words):
        following = words[n + 1] if n + 1 < len(words) else ""
        if strip_article(word) not in _NOVEL or (word == "new" and following in _NEW_NAMES):
            continue  # without its article: "لليلة الثانية", for the second night
        if not set(forms[max(0, n - 2) : n + 3]) & _TOLL:  # "new toll", "حصيلة جديدة": updates
            return True
    opening = (title + lead)[:30]
    for n, token in enumerate(opening):
        if token.text in _AFTER and {_shortest(t) for t in opening[n + 1 : n + 6]} & _EVENT_KINDS:
            return True
    return False


def compare(new: Report, known: Report, weight: Weights | Weigher) -> Match:
    """Whether `new` is the same report as `known`, the same event told anew, or another story."""
    weigher = _weigher(weight)
    weight = weigher.weight
    if new.link is not None and new.link == known.link:
        return Match(Verdict.SAME_REPORT, 1.0)
    earlier, later = (known, new) if known.published <= new.published else (new, known)
    counts_agree = not (new.counts and known.counts) or bool(new.counts & known.counts)
    if (
        later.novel
        and not later.count_update  # "the toll of the second wave rose": that wave's story
        and later.published - earlier.published > NOVEL_GAP
    ) or (new.novel != known.novel and not counts_agree):
        return VETO  # another quake, a day later or of another size
    places = gazetteer()
    if _places_conflict(new, known, places) or (new.ids and known.ids and not new.ids & known.ids):
        return VETO
    if _other_day(new, known):
        return VETO  # strikes on one city on successive days
    shared_place = _share_local_place(new.places, known.places, places)
    shared_country = _share_country(new.places, known.places, places)
    same_language = not (new.lang and known.lang and new.lang != known.lang)
    anchors = cross_similarity(new, known, weight)
    if same_language:
        words = word_similarity(new.terms, known.terms, weigher)
        if words >= COPY_SIMILARITY and counts_agree and new.places == known.places:
            return Match(Verdict.SAME_REPORT, words)
        # Words and anchors alike: rewrites share few words but name the same things. In one
        # language a concept is mostly the same word again, so concepts alone in common are no
        # such naming ("Apple prices ..." and "Banana prices ..." share =price, nothing more).
        if not _share_beyond_concepts(new, known):
            anchors = 0.0
        score = (words + anchors) / 2
    else:
        score = anchors
        rare_name = any(weight(k) >= RARE_NAME for k in new.names & known.names)
        if not (shared_place or rare_name or shared_country):
            return Match(Verdict.DIFFERENT, score)
    if shared_place:
        needed = EVENT_SIMILARITY
    elif shared_country:
        needed = EVENT_SIMILARITY_COUNTRY
    else:
        needed = EVENT_SIMILARITY_NO_PLACE
    if _headline_place_missing(new, known, places) or _headline_place_missing(known, new, places):
        needed += PLACE_MISSING
    return Match(Verdict.SAME_EVENT if score >= needed else Verdict.DIFFERENT, score)


# Before the stream has counted many reports, a word's weight leans on how common it is in the
# language (bot/core/data/wordfreq.tsv, from wordfreq): that many reports, imagined, in which a
# word of Zipf frequency z appears with probability about REPORT_WORDS * 10**(z - 9).
PRIOR_REPORTS = 500
REPORT_WORDS = 300  # news says "killed" far more often than the language at large


def key_weight(reports_with_key: int, reports: int, prior: float = 0.0) -> float:
    """How much a word or key says: the log of how rare it is among the reports counted.

    `prior` is the share of reports a word is expected in before any was counted (0 for names,
    places and other keys, which are rare until the stream says otherwise).
    """
    expected = reports_with_key + PRIOR_REPORTS * prior
    return math.log((reports + PRIOR_REPORTS + 2) / (expected + 1))


def word_prior(key: str) -> float:
    """The share of reports a word (or a concept, by its first member) is expected in."""
    form = key[1:].split(" ", maxsplit=1)[0] if key.startswith("=") else key
    found = zipf(form)
    return 0.0 if found is None else min(0.9, REPORT_WORDS * 10 ** (found - 9))


def word_similarity(a: dict[str, int], b: dict[str, int], weight: Weights | Weigher) -> float:
    """Cosine of two reports' words, each weighed by its count and its rarity in the stream."""
    if not a or not b:
        return 0.0
    weigher = _weigher(weight)
    (va, norm_a), (vb, norm_b) = weigher.vector(a), weigher.vector(b)
    dot = sum(v * vb[t] for t, v in va.items() if t in vb)
    norm = norm_a * norm_b
    return dot / norm if norm else 0.0


def cross_similarity(a: Report, b: Report, weight: Weights) -> float:
    """How much two reports in different languages name alike, weighed by rarity.

    Places, concepts, identifiers and counts count on both sides; a name counts only where the
    other report names it too (every Arabic word yields name keys, most of them no name).
    """
    names = a.names & b.names
    return key_similarity(a.anchors() | names, b.anchors() | names, weight)


def _share_beyond_concepts(a: Report, b: Report) -> bool:
    """Whether two reports have an anchor or a name in common that is not a concept."""
    return bool((a.anchors() & b.anchors()) - a.concepts or a.names & b.names)


def key_similarity(a: frozenset[str], b: frozenset[str], weight: Weights) -> float:
    """Weighted cosine of two sets of keys (places, names, concepts, identifiers)."""
    if not a or not b:
        return 0.0
    dot = sum(weight(k) ** 2 for k in a & b)
    norm = math.sqrt(sum(weight(k) ** 2 for k in a)) * math.sqrt(sum(weight(k) ** 2 for k in b))
    return dot / norm if norm else 0.0


def _share_local_place(a: frozenset[str], b: frozenset[str], places: Gazetteer) -> bool:
    """Whether two sets of places share a precise one (finer than a country)."""
    return any(
        places.related(x, y) and (places.is_local(x) and places.is_local(y)) for x in a for y in b
    )


def _share_country(a: frozenset[str], b: frozenset[str], places: Gazetteer) -> bool:
    """Whether two sets of places name a country in common (themselves or around their places)."""
    return bool(({places.country(p) for p in a} & {places.country(p) for p in b}) - {""})


def _beside(a: Report, b: Report, places: Gazetteer) -> Callable[[str, str], bool]:
    """How close two places must be to count as one place of two reports' event.

    The same place or one within the other; for a quake, a flood or a storm (felt across a
    region) also two places within NEAR_KM of each other.
    """
    area = bool(a.concepts & b.concepts & _AREA_EVENTS)

    def beside(x: str, y: str) -> bool:
        return places.related(x, y) or (area and places.near(x, y))

    return beside


def _headline_place_missing(a: Report, b: Report, places: Gazetteer) -> bool:
    """Whether a's headline names precise places that b, naming others, never comes near."""
    head = {p for p in a.head_places if places.bounded(p)}
    other = {p for p in b.places if places.bounded(p)}
    beside = _beside(a, b, places)
    return bool(head and other) and not any(beside(x, y) for x in head for y in other)


def _places_conflict(a: Report, b: Report, places: Gazetteer) -> bool:
    """Whether two reports' places say they are about different events.

    Reports of one event name places at different levels and around it (Erbil and the Kurdistan
    Region, Kunar and Jalalabad for one quake), so only a plain contradiction counts: each
    headline names a precise place, the two lie in one country, neither in nor (for a quake, a
    flood or a storm) beside the other, and neither report names the other's place (Kyiv then
    Odesa, Rafah then Khan Younis).
    """
    head_a = {p for p in a.head_places if places.bounded(p)}
    head_b = {p for p in b.head_places if places.bounded(p)}
    if not head_a or not head_b:
        return False
    if not _headline_place_missing(a, b, places) or not _headline_place_missing(b, a, places):
        return False
    countries_a = {places.country(p) for p in head_a}
    return bool(countries_a & {places.country(p) for p in head_b})


def _numbers(words: list[str]) -> frozenset[str]:
    """Counts a text states, in digits or words: not years, and not days beside a month name."""
    found: set[str] = set()
    for n, word in enumerate(words):
        bare = word.removeprefix("و")  # "و31": Arabic writes "and" attached, digits too
        value = _NUMBER_WORDS.get(word) or _NUMBER_WORDS.get(bare)
        if value is None:
            if not _DECIMAL.fullmatch(bare):
                continue
            value = bare.replace(",", ".").lstrip("0") or "0"
        if value.isdigit() and 1900 <= int(value) <= 2100:
            continue
        beside = {words[m] for m in (n - 1, n + 1) if 0 <= m < len(words)}
        if value.isdigit() and int(value) <= 31 and beside & _MONTHS:
            continue
        if n + 1 < len(words) and words[n + 1] in _DISTANCES:
            continue  # "at a depth of 10 km": a measure most quakes share, not a count
        found.add(value)
    return frozenset(found)


def _name_keys(text: str, tokens: list[Token]) -> frozenset[str]:
    """Keys of the names a text holds: capitalized English words, and every Arabic content word."""
    keys: set[str] = set()
    for match in _NAME.finditer(normalize(text)):
        for word in match.group(1).split():
            if word.casefold() in _STOP:
                continue
            key = latin_key(word)
            if key:
                keys.add(key)
    for token in tokens:
        if is_arabic(token.text) and token.text not in _STOP:
            keys |= arabic_keys(token.text)
    return frozenset(keys)


def canonical_link(url: str | None) -> str | None:
    """A link as every copy of it would be written: http(s) alike, no www, tracking or fragment."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode(sorted(kept_params(parts.query, also_drop=_COMPARE_ONLY)))
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("https", host, path, query, ""))
