"""Story grouping: whether a new report is a copy of a known one, the same event, or another story.

Each report gets features once: a MinHash signature over its analyzed content words (title and
summary, stop words dropped, each word as its shortest candidate stem so "بطائرات" meets
"طائرات"), the places it names (bot/core/places.py, with the places they lie within), names
and numbers. Similar reports are found through LSH bands (64 bands of 2 rows: a pair at an
estimated Jaccard of 0.15 shares a band about 3 times in 4, at 0.25 about 49 in 50), then
`compare` decides:

- same canonical link, or near-identical words with agreeing places: the same report;
- another outlet's own wording: enough overlap within the time window, in the same language,
  with a precise place in common (or, without one, more overlap), and counts that agree when
  the overlap is low, unless the later report says a toll rose and gives a higher count;
- places that disagree (a wire template about an attack elsewhere) always part two reports,
  however similar their words: the findings measured such templates above real rewrites.

Names (capitalized English sequences) are kept for display and future use; rewrites name the
same actors differently (CENTCOM, U.S. Central Command), so they do not decide. Arabic has no
capitals and names are not extracted from it: places and counts carry the check there.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from urllib.parse import urlencode, urlsplit, urlunsplit

from bot.core.analysis import Token, normalize, raw_item_forms, tokenize
from bot.core.links import kept_params
from bot.core.models import Item
from bot.core.places import finest, places_in, within

STORY_WINDOW = timedelta(hours=12)
# 128, not 64: rewrites score 0.15 to 0.35, where 64 permutations misjudge by about 0.05 (one
# standard deviation) and a seed rewrite at a true 0.17 was estimated 0.09.
PERMUTATIONS = 128
ROWS_PER_BAND = 2
# Thresholds on the estimated Jaccard similarity, chosen on tests/fixtures/stories/pairs.json
# (bench/grouping.py) with the earlier word sets, and kept: copies score 0.8 and up; rewrites by
# another outlet 0.05 to 0.49; templates about another event 0.05 to 0.8.
COPY_SIMILARITY = 0.7
EVENT_SIMILARITY = 0.12  # another outlet's rewrite naming a precise place in common
EVENT_SIMILARITY_NO_PLACE = 0.25  # without a precise place in common, more words must agree
NUMBERS_MATTER = 0.3  # below this, counts that disagree part two reports
_PRIME = (1 << 61) - 1
_MASK = (1 << 64) - 1

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
# Referrer and campaign parameters that do not change which article a link opens: dropped when
# links are compared (with the tracking ones, bot/core/links.py), kept on links shown to readers.
_COMPARE_ONLY = re.compile(r"^(ocid|cmpid|ref|src|at_\w+)$", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'-]+(?:\s+(?:al-|el-|bin\s|de\s)?[A-Z][\w'-]+)*)")


def _hash_params() -> tuple[tuple[int, int], ...]:
    """Fixed (a, b) pairs of the permutations, the same in every process and run."""
    params = []
    for n in range(PERMUTATIONS):
        seed = hashlib.blake2b(f"alertbot-minhash-{n}".encode(), digest_size=16).digest()
        params.append(
            (int.from_bytes(seed[:8], "big") % _PRIME | 1, int.from_bytes(seed[8:], "big") % _PRIME)
        )
    return tuple(params)


_PARAMS = _hash_params()


class Verdict(Enum):
    """How a new report relates to a known one."""

    SAME_REPORT = "same_report"  # the same text (a copy, a republished item) or the same link
    SAME_EVENT = "same_event"  # another outlet's report of the same event
    DIFFERENT = "different"


@dataclass(frozen=True)
class Report:
    """The features of one news item for grouping, kept in Redis as JSON."""

    signature: tuple[int, ...]
    places: frozenset[str]
    names: frozenset[str]
    numbers: frozenset[str]
    published: datetime
    lang: str | None
    link: str | None
    # The report says a toll rose ("toll rises to three", "ارتفاع حصيلة"): its counts may
    # exceed an earlier report's without making it another event.
    count_update: bool = False

    def to_json(self) -> str:
        """The report as compact JSON."""
        return json.dumps(
            {
                "sig": list(self.signature),
                "places": sorted(self.places),
                "names": sorted(self.names),
                "numbers": sorted(self.numbers),
                "published": self.published.isoformat(),
                "lang": self.lang,
                "link": self.link,
                "update": self.count_update,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> Report:
        """A report stored by `to_json`."""
        data = json.loads(raw)
        return cls(
            signature=tuple(data["sig"]),
            places=frozenset(data["places"]),
            names=frozenset(data["names"]),
            numbers=frozenset(data["numbers"]),
            published=datetime.fromisoformat(data["published"]),
            lang=data["lang"],
            link=data["link"],
            count_update=bool(data.get("update", False)),  # absent from older stored reports
        )


def report(item: Item) -> Report:
    """The grouping features of an item (its headline and summary, link, time, language)."""
    text = f"{item.title}\n{item.summary}"
    tokens = tokenize(text)
    words = content_forms(text)
    return Report(
        signature=signature(words),
        places=places_in(text),
        names=_names(f"{item.title}. {item.summary}"),
        numbers=_numbers([t.text for t in tokens]),
        published=item.published,
        lang=item.lang,
        link=canonical_link(item.link),
        count_update=bool(words & _RISE) and bool(words & _TOLL),
    )


def content_forms(text: str) -> frozenset[str]:
    """One case-folded form per content word, its shortest stem (stop and one-letter words out)."""
    forms: set[str] = set()
    for token in tokenize(text):
        if token.text in _STOP or len(token.text) < 2:
            continue
        forms.add(_shortest(token))
    return frozenset(forms - _STOP)


@lru_cache(maxsize=100_000)
def _shortest_raw(raw: str, folded: str) -> str:
    """The shortest item form of a word (ties by spelling), or the word itself."""
    stems = [f.casefold() for f in raw_item_forms(raw) if len(f) >= 2]
    return min(stems, key=lambda f: (len(f), f)) if stems else folded


def _shortest(token: Token) -> str:
    # Every candidate form of every word made two rewrites share fewer of their forms than
    # they share words: "القاعدة" brought "القاعدة" and "قاعدة", "قاعدة" only the latter.
    return _shortest_raw(token.raw, token.text)


# Words of a toll update, as `content_forms` keeps them: a report needs one of each.
_RISE = frozenset(
    _shortest(token)
    for token in tokenize(
        "rises rose risen climbs climbed jumps jumped ارتفاع ارتفعت ترتفع يرتفع ارتفع"
    )
)
_TOLL = frozenset(
    _shortest(token)
    for token in tokenize(
        "toll tally casualties dead killed wounded injured "
        "حصيلة عدد ضحايا قتلى شهداء جرحى مصابين اصابات"
    )
)


def signature(forms: frozenset[str]) -> tuple[int, ...]:
    """The MinHash signature of a set of word forms (an empty set signs as the one word "")."""
    hashes = [
        int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "big")
        for f in (forms or {""})
    ]
    return tuple(min((a * h + b) % _PRIME for h in hashes) & _MASK for a, b in _PARAMS)


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """The estimated Jaccard similarity of two signatures' word sets."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def band_keys(signature: tuple[int, ...]) -> list[str]:
    """The LSH bucket keys of a signature: reports sharing one are candidates for one story."""
    keys = []
    for band in range(len(signature) // ROWS_PER_BAND):
        rows = signature[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        digest = hashlib.blake2b(repr(rows).encode(), digest_size=8).hexdigest()
        keys.append(f"{band}:{digest}")
    return keys


def compare(new: Report, known: Report, window: timedelta = STORY_WINDOW) -> Verdict:
    """Whether `new` is the same report as `known`, the same event told anew, or another story."""
    if new.link is not None and new.link == known.link:
        return Verdict.SAME_REPORT
    if abs(new.published - known.published) > window:
        return Verdict.DIFFERENT
    agree, shared = _places_agree(new.places, known.places)
    if not agree:
        return Verdict.DIFFERENT
    score = similarity(new.signature, known.signature)
    counts_agree = not (new.numbers and known.numbers) or bool(new.numbers & known.numbers)
    # A copy repeats the counts: a near-identical text with other numbers is a template
    # (a quake of another magnitude) or an update, and an update still has to pass as an event.
    if score >= COPY_SIMILARITY and counts_agree:
        return Verdict.SAME_REPORT
    if new.lang and known.lang and new.lang != known.lang:
        return Verdict.DIFFERENT  # words cannot be compared across languages
    # Low overlap is common to rewrites and to other stories from the same place; counts that
    # disagree there ("12 killed" / "toll passes 9,000") tell them apart. Above NUMBERS_MATTER
    # the words say enough (a later report may update a count). Without a precise place in
    # common, counts must always agree: a template about another quake in the same country
    # differs in little else.
    # A later report that says the toll rose, with a higher count, updates the earlier one.
    counts_updated = _counts_updated(new, known)
    if (
        shared
        and score >= EVENT_SIMILARITY
        and (counts_agree or counts_updated or score >= NUMBERS_MATTER)
    ):
        return Verdict.SAME_EVENT
    if not shared and score >= EVENT_SIMILARITY_NO_PLACE and counts_agree:
        return Verdict.SAME_EVENT
    return Verdict.DIFFERENT


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


def _places_agree(a: frozenset[str], b: frozenset[str]) -> tuple[bool, bool]:
    """Whether two reports' places can be the same event, and whether they share a precise one.

    Precise places (a city, a base, a province) decide when both name some: they agree when one
    of A's lies in, contains or is one of B's. Otherwise countries decide, if both name some.
    """
    local_a = {p for p in finest(a) if within(p)}
    local_b = {p for p in finest(b) if within(p)}
    if local_a and local_b:
        shared = any(x == y or x in within(y) or y in within(x) for x in local_a for y in local_b)
        return shared, shared
    if local_a or local_b:  # one is precise, the other names at most countries
        precise, other = (a, b) if local_a else (b, a)
        countries_other = {p for p in other if not within(p)}
        countries_precise = {p for p in precise if not within(p)}
        if countries_other and not countries_other & countries_precise:
            return False, False
        return True, False
    countries_a, countries_b = set(a), set(b)
    if countries_a and countries_b and not countries_a & countries_b:
        return False, False
    return True, False


def _counts_updated(a: Report, b: Report) -> bool:
    """Whether the later of two reports says a toll rose and states a higher count."""
    earlier, later = (a, b) if a.published <= b.published else (b, a)
    if not later.count_update or not later.numbers or not earlier.numbers:
        return False
    return max(map(float, later.numbers)) > max(map(float, earlier.numbers))


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
        found.add(value)
    return frozenset(found)


def _names(text: str) -> frozenset[str]:
    """Capitalized English word sequences that do not start a sentence (people, organisations)."""
    return frozenset(m.group(1).casefold() for m in _NAME.finditer(normalize(text)))
