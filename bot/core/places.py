"""The places a text names, from a gazetteer of GeoNames cities, ISO regions and CLDR countries.

`bot/core/data/places.tsv` is built by tools/build_places.py from GeoNames' cities of 15,000
people or more with their Latin and Arabic names, the first-level regions of ISO 3166-2, country
names in English and Arabic from CLDR, and a short hand-kept list of what those lack (bases, oil
fields, crossings). Every place has an id (SY, SY-DY, g170794, x-omar-field) and a parent, so
the al-Omar field lies in Deir ez-Zor province lies in Syria, whichever script named it.

Reading a text:
- an English name counts only where its capitalized words are capitalized in the text ("Gaza
  City" is a place, "the Gaza city of Rafah" names Gaza); an Arabic name matches with its
  attached prepositions and conjunctions (بدير الزور, والحديدة);
- the longest name wins where names overlap ("Gaza City" over "Gaza");
- a name shared by several places means the one in a country the text also names, else the
  most populous (Tripoli, Lebanon only when Lebanon is named);
- a name inside an organization's name is not a place: followed by another capitalized word
  ("United States Geological Survey", "China Earthquake Networks Center"), or right after an
  institution's head word ("Kandilli Observatory in Istanbul", "مرصد ... في").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from bot.core.analysis import Token, is_arabic, item_forms, tokenize
from bot.core.arabic import proclitic_forms
from bot.core.frequency import word_zipf, zipf
from bot.core.names import arabic_sounds, latin_sounds, sounds_alike

# Head words of institutions: a place right after one ("Observatory in Istanbul", "University
# of Baghdad") is where the institution sits, not where the news happened.
_INSTITUTIONS = frozenset(
    """observatory institute university center centre agency survey ministry department council
    authority service bureau office academy museum embassy consulate company corporation bank
    school hospital network networks
    مرصد المرصد معهد جامعة مركز المركز وكالة هيئة وزارة سفارة قنصلية شركة بنك مستشفى""".split()
)
# A rule may name a place in lower case when the name is no English word in use: idlib,
# hodeidah; nice, split and aleppo (Zipf 3.6) keep their capital.
LOWERCASE_PLACE = 3.0
EARTH_KM = 6371.0
NEAR_KM = 100.0
_LINKS = frozenset({"in", "of", "at", "for", "في", "ب"})
_REGION_ID = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")  # ISO 3166-2: IR-04, SY-DY
# Capitalized words that go on a place's name without making it an organization's.
_GEOGRAPHIC = frozenset(
    """region province governorate oblast city strip district county state airport port base
    valley mountains coast border area camp town village""".split()
)


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry: its id, the ids it lies within (nearest first), its population."""

    id: str
    within: tuple[str, ...]
    population: int

    @property
    def country(self) -> str:
        """The country the place lies in (itself for a country; "" for a sea)."""
        chain = (self.id, *self.within)
        return chain[-1] if len(chain[-1]) == 2 else ""


@dataclass(frozen=True, slots=True)
class _Name:
    places: tuple[str, ...]
    words: tuple[str, ...]  # folded
    capitals: tuple[bool, ...]  # which words are capitalized in the English name
    order: int = 0  # among the names with its first word: the longest first


@dataclass(frozen=True, slots=True)
class Spelling:
    """A place's name as words (folded), and which of them are capitalized in English."""

    words: tuple[str, ...]
    capitals: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class Mention:
    """A place named in a text: which, and where (token positions)."""

    place: str
    start: int
    end: int


class Gazetteer:
    """Places by id and names by their first word, read from the gazetteer file."""

    def __init__(self, text: str) -> None:
        """Read the gazetteer from the text of places.tsv."""
        parents: dict[str, str] = {}
        population: dict[str, int] = {}
        self._where: dict[str, tuple[float, float]] = {}
        self._main: dict[str, tuple[Spelling, ...]] = {}
        self._latin: dict[str, list[Spelling]] | None = None  # by place, built on first use
        self._one_word: dict[str, list[Spelling]] | None = None  # likewise: every one-word name
        by_words: dict[tuple[str, ...], tuple[list[str], tuple[bool, ...]]] = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            place, parent, people, where, names = line.split("\t")
            if where:
                lat, lon = where.split(",")
                self._where[place] = (math.radians(float(lat)), math.radians(float(lon)))
            if parent:
                parents[place] = parent
            population[place] = int(people)
            main: dict[bool, tuple[tuple[str, ...], tuple[bool, ...]]] = {}
            for name in names.split("|"):
                # The file holds normalized names, words split by spaces.
                words = tuple(name.casefold().split(" "))
                entry = by_words.get(words)
                if entry is None:
                    capitals = tuple([w[:1].isupper() for w in name.split(" ")])
                    entry = by_words[words] = ([], capitals)
                entry[0].append(place)
                # A place's main names: its first in Latin script (GeoNames' own), its first
                # in Arabic; the alternates after them are many, old and often ambiguous.
                main.setdefault(is_arabic(words[0]), (words, entry[1]))
            self._main[place] = tuple(Spelling(*pair) for pair in main.values())
        self.places: dict[str, Place] = {}
        for place, size in population.items():
            chain: list[str] = []
            current = parents.get(place)
            while current is not None and current not in chain and current != place:
                chain.append(current)
                current = parents.get(current)
            self.places[place] = Place(place, tuple(chain), size)
        # Places something lies in: a region nothing is known to lie in has no known extent.
        self._holding = frozenset(parents.values())
        by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], tuple[bool, ...]]]] = {}
        rank = {place: self._rank(place) for place in self.places}
        for words, (places, capitals) in by_words.items():
            if len(places) == 1:  # most names name one place
                ranked: tuple[str, ...] = (places[0],)
            else:
                ranked = tuple(sorted(set(places), key=lambda p: (-rank.get(p, 0), p)))
            by_first.setdefault(words[0], []).append((ranked, words, capitals))
        # Names of one word by that word, longer ones by their first two (a common first word,
        # "al" or "new", starts hundreds of names); the longest name first.
        self._single: dict[str, list[_Name]] = {}
        self._double: dict[tuple[str, str], list[_Name]] = {}
        for first, group in by_first.items():
            group.sort(key=lambda entry: -len(entry[1]))
            for order, (chosen, words, capitals) in enumerate(group):
                known = _Name(chosen, words, capitals, order)
                if len(words) == 1:
                    self._single.setdefault(first, []).append(known)
                else:
                    self._double.setdefault((first, words[1]), []).append(known)

    def _rank(self, place: str) -> int:
        """Countries first, then places by population (a region counts as its namesake city)."""
        found = self.places.get(place)
        if found is None:
            return 0
        return found.population + (10**12 if not found.within else 0)

    def mentions(self, text: str | list[Token]) -> list[Mention]:
        """The places a text (or its tokens) names, in order, one per name."""
        tokens = tokenize(text) if isinstance(text, str) else text
        # Arabic words lose only the words attached before them (بدير, والحديدة): endings
        # stripped as for matching would make سلطات of السلطات ("the authorities") a town.
        forms = [
            proclitic_forms(token.text)
            if is_arabic(token.text)
            else item_forms(token) | {token.text}
            for token in tokens
        ]
        found: list[tuple[_Name, int, int]] = []
        start = 0
        while start < len(tokens):
            match = self._longest(tokens, forms, start)
            if match is None:
                start += 1
                continue
            end = start + len(match.words)
            if not _inside_organization(tokens, start, end):
                found.append((match, start, end))
            start = end
        # Countries the text names outright, and those of places only one country has.
        named = {p for name, _, _ in found for p in name.places[:1] if not self.within(p)}
        countries = named | {
            self.places[p].country for name, _, _ in found if len(name.places) == 1
            for p in name.places
        }  # fmt: skip
        mentions = []
        for name, begin, end in found:
            place = next(
                (p for p in name.places if self.places[p].country in countries), name.places[0]
            )
            # A lone town of a country the text does not name, in a text that names others, is
            # a misreading more often than news ("Noto" in Japan is a town in Sicily too).
            known = self.places[place]
            if known.within and named and known.country not in named:
                continue
            mentions.append(Mention(place, begin, end))
        return mentions

    def _longest(
        self, tokens: list[Token], forms: list[frozenset[str]], start: int
    ) -> _Name | None:
        following: frozenset[str] = forms[start + 1] if start + 1 < len(forms) else frozenset()
        for first in forms[start]:
            names = [name for second in following for name in self._double.get((first, second), [])]
            if len(names) > 1:
                names.sort(key=lambda n: n.order)
            names += self._single.get(first, [])
            for name in names:
                end = start + len(name.words)
                if end > len(tokens):
                    continue
                if all(
                    (word in forms[start + n])
                    and (
                        not name.capitals[n]
                        or is_arabic(word)
                        or tokens[start + n].raw[:1].isupper()
                    )
                    for n, word in enumerate(name.words)
                ):
                    return name
        return None

    def spellings(self, tokens: list[Token]) -> list[Spelling]:
        """Other names, in both scripts, of the place that `tokens` name word for word.

        The tokens (a rule's word or phrase) name a place when they are one of its names, an
        English name written with its capitals as in text (Nice, not nice); an Arabic word may
        carry an attached preposition (بحلب). The places so named in the country of the first
        give their main names (GeoNames' own, and the first in Arabic) and the Latin alternates
        that are English words in use (Medina beside Madinah), or when none of the other script
        is, a one-word name's one-word alternates in the other script that sound like it (خوي
        gives Khoy beside GeoNames' Khuy): حلب gives Aleppo and Halab, the city and its
        province. Other alternates are left out: some are historical or foreign (Emesa for
        Homs), some common words (مدينه, "city", is a name of Medina). None when the tokens
        name no place.
        """
        name = self._named(tokens)
        if name is None:
            return []
        if self._latin is None:
            self._latin = {}
            for names in [*self._single.values(), *self._double.values()]:
                for known in names:
                    # Latin alternates as news writes them (Medina beside GeoNames' Madinah),
                    # not the historical and foreign ones (Emesa, Houmousse for Homs).
                    if len(known.words) == 1 and zipf(known.words[0]) is not None:
                        spelling = Spelling(known.words, known.capitals)
                        for owner in known.places:  # طرابلس is both Tripolis' name
                            self._latin.setdefault(owner, []).append(spelling)
        country = self.country(name.places[0])
        places = [p for p in name.places if self.country(p) == country]
        typed_arabic = is_arabic(name.words[0])
        other_in_use = any(
            len(s.words) == 1 and is_arabic(s.words[0]) != typed_arabic and zipf(s.words[0])
            for p in places
            for s in [*self._main.get(p, ()), *self._latin.get(p, [])]
        )
        found: dict[tuple[str, ...], Spelling] = {}
        for place in places:
            sounding = [] if other_in_use else self._sounding(place, name.words)
            for spelling in [*self._main.get(place, ()), *self._latin.get(place, []), *sounding]:
                if spelling.words != name.words:
                    found.setdefault(spelling.words, spelling)
        return list(found.values())

    def _sounding(self, place: str, words: tuple[str, ...]) -> list[Spelling]:
        """A place's one-word names in the other script that sound like a one-word name of it.

        Asked when none of the place's names in the other script is a word in use: GeoNames'
        main name may then be a transliteration news does not use (Khuy for خوي), and of its
        many alternates those that sound like the name typed are the ones news writes (Khoy).
        """
        if len(words) != 1:
            return []
        if self._one_word is None:
            self._one_word = {}
            for names in self._single.values():
                for known in names:
                    for owner in known.places:
                        spelling = Spelling(known.words, known.capitals)
                        self._one_word.setdefault(owner, []).append(spelling)
        typed = words[0]
        arabic = is_arabic(typed)
        # Spellings of the main name's sounds (Khoy, Khoi for Khuy), not other languages' names
        # that happen to sound like the typed one (Houmousse, Humus for حمص).
        main = {_sounds_of(m.words[-1]) for m in self._main.get(place, ()) if m.words}
        return [
            s
            for s in self._one_word.get(place, [])
            if is_arabic(s.words[0]) != arabic
            and _sounds_of(s.words[0]) in main
            and (sounds_alike(typed, s.words[0]) if arabic else sounds_alike(s.words[0], typed))
        ]

    def _named(self, tokens: list[Token]) -> _Name | None:
        """The name that `tokens` are, whole (see `spellings`), or None."""
        if not tokens:
            return None
        words = tuple(t.text for t in tokens)
        firsts = [words[0]]
        if len(tokens) == 1 and is_arabic(words[0]):
            firsts += sorted(proclitic_forms(words[0]) - {words[0]})
        for first in firsts:
            wanted = (first, *words[1:])
            candidates = (
                self._single.get(first, [])
                if len(wanted) == 1
                else self._double.get((first, wanted[1]), [])
            )
            for name in candidates:
                if name.words == wanted and all(
                    not capital
                    or is_arabic(word)
                    or token.raw[:1].isupper()
                    or word_zipf(word) < LOWERCASE_PLACE  # idlib, but not nice
                    for word, capital, token in zip(name.words, name.capitals, tokens, strict=True)
                ):
                    return name
        return None

    def within(self, place: str) -> tuple[str, ...]:
        """The places `place` lies within, nearest first (empty for a country or an unknown id)."""
        found = self.places.get(place)
        return found.within if found else ()

    def related(self, a: str, b: str) -> bool:
        """Whether two places are the same or one lies within the other."""
        return a == b or a in self.within(b) or b in self.within(a)

    def near(self, a: str, b: str) -> bool:
        """Whether two places lie within NEAR_KM of each other (Kunar's Asadabad and Jalalabad).

        Reports of one quake or one offensive name the towns around it; a template about an
        attack elsewhere names a town farther away (Kyiv and Odesa lie 440 km apart).
        """
        if a not in self._where or b not in self._where:
            return False
        (lat_a, lon_a), (lat_b, lon_b) = self._where[a], self._where[b]
        # The haversine distance on a sphere of the Earth's mean radius.
        h = (
            math.sin((lat_b - lat_a) / 2) ** 2
            + math.cos(lat_a) * math.cos(lat_b) * math.sin((lon_b - lon_a) / 2) ** 2
        )
        return 2 * EARTH_KM * math.asin(math.sqrt(h)) <= NEAR_KM

    def country(self, place: str) -> str:
        """The country a place lies in (itself for a country, "" for a sea or an unknown id)."""
        found = self.places.get(place)
        return found.country if found else ""

    def is_local(self, place: str) -> bool:
        """Whether a place is finer than a country (a region, a city, a site)."""
        return bool(self.within(place))

    def bounded(self, place: str) -> bool:
        """Whether the gazetteer knows where a local place ends: a city, a site, a held region.

        A region nothing is known to lie in (West Azerbaijan, whose towns GeoNames files under
        codes of its own) may hold any town of its country, so it contradicts none.
        """
        found = self.places.get(place)
        if found is None or not found.within:
            return False
        return place in self._holding or not _REGION_ID.match(place)


def _sounds_of(word: str) -> str:
    """A name's sounds in the alphabet of bot/core/names.py, whichever its script."""
    return arabic_sounds(word) if is_arabic(word) else latin_sounds(word)


def _inside_organization(tokens: list[Token], start: int, end: int) -> bool:
    """Whether the name at tokens[start:end] belongs to an organization's name."""
    if end < len(tokens) and not is_arabic(tokens[end].text):
        follower = tokens[end].raw
        # "United States Geological Survey": a capitalized word goes on the name (a sentence
        # in title case is read as names anyway, where every word is capitalized).
        if (
            follower[:1].isupper()
            and not follower.isupper()
            and tokens[end].text not in _GEOGRAPHIC
            and not _title_case(tokens)
        ):
            return True
    before = [t.text for t in tokens[max(0, start - 2) : start]]
    if before and before[-1] in _LINKS:
        before = before[:-1]
    return bool(before) and before[-1] in _INSTITUTIONS


def _title_case(tokens: list[Token]) -> bool:
    """Whether most words of a text are capitalized (a headline in title case)."""
    latin = [t for t in tokens if t.raw[:1].isalpha() and not is_arabic(t.text)]
    return len(latin) >= 4 and sum(t.raw[:1].isupper() for t in latin) >= 0.7 * len(latin)


@cache
def gazetteer() -> Gazetteer:
    """The bundled gazetteer, read once per process."""
    data = files("bot.core") / "data" / "places.tsv"
    return Gazetteer(data.read_text(encoding="utf-8"))


def places_in(text: str) -> frozenset[str]:
    """Ids of the places a text names (not the places they lie within)."""
    return frozenset(m.place for m in gazetteer().mentions(text))
