"""Names carried across scripts: Blinken and بلينكن, Zelensky and زيلينسكي meet at one key.

Both scripts are read into one small alphabet of sounds: letters that transliterations confuse
are one class (ك and k, c; ص س ث and s; ض د ذ and d; ط ت and t; ف and f, v, ph; ح ه ة and
h), خ and kh are one class apart (Soroka is not صاروخ, "missile"), and "V" stands for each
run of vowel letters (a e i o u y w; ا و ي ى ع and the hamzas). A doubled class is written
once and a final h or ة dropped. Two views of the sounds serve two uses:

- Rules (crossing_keys against item_keys) keep the vowels and the letters Arabic tells apart (g
  may be ج or غ, k ك or ق): a rule word brings the spellings its name may have in the other
  script, an item word offers its own sounds.
- Story grouping compares two reports' keys (latin_key, arabic_keys): the skeleton, the sounds
  without vowels and with ج غ (j, g, gh) one class, ق ك (q, k) one. Hodeidah and الحديدة are
  both "hd"; Blinken and بلينكن "blnkn". A key shorter than `MIN_KEY` classes is no key: short
  skeletons (k-f for Kyiv) meet too many unrelated words. English names are capitalized words;
  in Arabic, which has no capitals, every content word yields keys (with and without its
  attached article and prepositions), and the stream's word weights (how many stories a key is
  seen in) keep common words from counting.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.core.analysis import is_arabic
from bot.core.frequency import word_zipf

MIN_KEY = 3
PREFIX = "~"
VOWEL = "V"

# Latin letters as sounds: g may be ج (Gamal) or غ (Gaza), k ك or ق (Kassem), so each is
# read both ways; gh is غ, q ق, kh خ only.
_SOUND_DIGRAPHS = (("kh", "X"), ("gh", "G"), ("sh", "S"), ("ch", "S"), ("th", "t"), ("dh", "d"),
                   ("ph", "f"), ("ts", "s"), ("zh", "j"), ("ck", "k"), ("ou", VOWEL))  # fmt: skip
_LATIN_SOUNDS = str.maketrans(
    {**dict.fromkeys("aeiouyw", VOWEL), "p": "b", "c": "k", "x": "k", "v": "f"}
)
_SOFT_C = re.compile("c(?=[eiy])")  # Valencia, Nice: an s
_SOUND_CLASSES = frozenset("btdjGgkqXszSrlmnfh" + VOWEL)
_ARABIC_VOWELS = frozenset("اويىعءئؤأإآ")
_ARABIC_SOUNDS = {
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "ج": "j", "غ": "G", "ق": "q", "ك": "k",
    "خ": "X", "س": "s", "ص": "s", "ز": "z", "ظ": "z", "ش": "S", "ر": "r", "ل": "l", "م": "m",
    "ن": "n", "ف": "f", "د": "d", "ض": "d", "ذ": "d", "ح": "h", "ه": "h", "ة": "h",
    **dict.fromkeys(_ARABIC_VOWELS, VOWEL),
}  # fmt: skip
_ARABIC_TSH = re.compile("تش")  # Chernihiv, Tchad: "ch" written تش
# The skeleton: no vowels, and the classes a story's two scripts need not tell apart.
_SKELETON = str.maketrans({VOWEL: None, "G": "j", "g": "j", "q": "k"})
_VOWEL_RUN = re.compile(VOWEL + "+")
# The Arabic article as English writes it apart (al-Khatib, Al Kut), the sun letters'
# assimilated forms too (ash-Sham, Ar Raqqah): Arabic writes it attached to the name.
LATIN_ARTICLES = frozenset("al el ad an ar as ash at az adh ath".split())
# Attached words an Arabic name may carry: و ف, then ب ل ك, then the article. ك ("like")
# before a bare name is too rare to read: كومار is Kumar, not ك + ومار (Amir).
_ARABIC_PREFIX = re.compile("^(?:[وف]?[بلك]?ال|[وف]?لل|[وف][بل]?|[بل])")


def _sounds(classes: str) -> str:
    """One V per run of vowels, a doubled sound once, no final h."""
    out: list[str] = []
    for c in _VOWEL_RUN.sub(VOWEL, classes):
        if not out or out[-1] != c:
            out.append(c)
    if out and out[-1] == "h":
        out.pop()
    return "".join(out)


@lru_cache(maxsize=50_000)
def latin_sounds(word: str) -> str:
    """The sounds of a Latin-script word (folded): its letters' classes and vowel runs."""
    text = _SOFT_C.sub("s", word.casefold())
    for digraph, cls in _SOUND_DIGRAPHS:
        text = text.replace(digraph, cls)
    return _sounds("".join(c for c in text.translate(_LATIN_SOUNDS) if c in _SOUND_CLASSES))


def arabic_sounds(reading: str) -> str:
    """The sounds of one reading of an Arabic word (see _arabic_readings)."""
    text = _ARABIC_TSH.sub("S", reading)
    return _sounds("".join(_ARABIC_SOUNDS.get(c, c if c in "SX" else "") for c in text))


def _skeleton(sounds: str) -> str | None:
    """The story key of some sounds; None when too short to be a key."""
    key = _sounds(sounds.translate(_SKELETON))
    return PREFIX + key if len(key) >= MIN_KEY else None


@lru_cache(maxsize=50_000)
def latin_key(word: str) -> str | None:
    """The story key of a Latin-script word (case and accents already folded by normalize)."""
    return _skeleton(latin_sounds(word))


@lru_cache(maxsize=50_000)
def arabic_keys(word: str) -> frozenset[str]:
    """The story keys of an Arabic word, with and without the words attached before it."""
    found = (_skeleton(arabic_sounds(form)) for form in _arabic_readings(word))
    return frozenset(key for key in found if key)


def _arabic_readings(word: str, *, whole: bool = False) -> set[str]:
    """The word as it may be a name: whole, or without what is attached before it."""
    attached = _ARABIC_PREFIX.match(word)
    bare = word[attached.end() :] if attached else word
    if len(bare) < 3:
        return {word}
    prefix = attached.group() if attached else ""
    if prefix in ("ال", "لل") or (prefix.endswith(("ال", "لل")) and not whole):
        return {bare}  # an article is never part of a name's sound
    # Otherwise the letters may be the name's own: ب of بلينكن (ب of بغداد is "in"); and, for
    # rules (`whole`), فال of فالنسيا (Valencia; فال of فالحديدة is "so, the").
    return {word, bare}


# ---- names in rules: a rule word meets the item words of the other script -------------------
#
# Rules need more than a skeleton: a three-consonant name (Badr, Jaber) shares its skeleton with
# dozens of Arabic words (بدورها "its role", جبر). So rules compare sounds, which keep where
# the vowels are. Arabic writes only long vowels, English every vowel, so an Arabic spelling
# is the English one with some vowels left out: Blinken "blVnkVn" gives بلينكن "blVnkn"; Badr
# "bVdr" never gives بدورها "bdVrhV" nor الاحمدي "VhmdV". An item word offers only its own
# sounds; a rule word brings the spellings the other script may give them (arabic_spellings,
# latin_spellings).

# An Arabic word at least this common (Zipf) is vocabulary, not a name (هذا, "this", is no
# Hodeidah), or a name famous enough for the synonyms file (ترامب | Trump).
COMMON = 4.0
# An English word this common is vocabulary (Drone, Militia) or a name famous enough for the
# synonyms file (Netanyahu | نتنياهو): English words cross by their sounds only when rarer.
LATIN_NAME = 4.0
LOWERCASE_NAME = 3.0  # typed in lower case, a rule word must be rarer still: haniyeh, blinken
# Two consonants are evidence enough only for a word of four letters or more rarer than this.
RARE = 4.0
SHORT_WORD = 4
_IN_ARABIC = "~ar:"  # the sounds of an Arabic word, met by a Latin rule word
_IN_LATIN = "~en:"  # the sounds of a capitalized Latin word, met by an Arabic rule word
_LOOSE_ARABIC = "~ar="  # the sounds of any Arabic word, met by a place's name or a phrase
_LOOSE_LATIN = "~en="
_SCRIPT_OF_TAG = {_IN_ARABIC: "ar", _LOOSE_ARABIC: "ar", _IN_LATIN: "en", _LOOSE_LATIN: "en"}
_TAG_LENGTH = 4
# English words this common (the, after) offer no sounds at all: they are never names.
FUNCTION_WORD = 5.5
# Latin sounds in Arabic: a vowel run written or not, g as ج or غ, k as ك or ق.
_EITHER = {VOWEL: (VOWEL, ""), "g": ("j", "G"), "k": ("k", "q")}
# The other way; ش may be an s in English too, its mark lost (TUŞAS is "TUSAS" once normalized).
_LATIN_FOR = {"j": ("j", "g"), "G": ("G", "g"), "q": ("q", "k"), "S": ("S", "s")}
MAX_SPELLINGS = 512  # beyond this, a (very long) word looks only for its own sounds


def arabic_spellings(sounds: str) -> frozenset[str]:
    """The sounds of the Arabic spellings of Latin sounds (vowels left out or not, g, k read twice).

    Each vowel run is kept or left out, but a first one, which Arabic writes; each g read as ج or
    غ, each k as ك or ق.
    """
    found = {""}
    for i, c in enumerate(sounds):
        # Arabic writes a word's first vowel (ا, ع): Ahmed is أحمد, never حماد.
        options = (VOWEL,) if i == 0 and c == VOWEL else _EITHER.get(c, (c,))
        found = {so_far + option for so_far in found for option in options}
        if len(found) > MAX_SPELLINGS:
            return frozenset({sounds})
    return frozenset(_sounds(spelling) for spelling in found)


def latin_spellings(sounds: str) -> frozenset[str]:
    """The sounds of the English spellings of Arabic sounds, as latin_sounds writes them.

    English writes the short vowels Arabic leaves out, so a vowel may stand between two
    consonants and after a last consonant (not first: Arabic writes a first vowel); ج is
    written j or g, غ gh or g, ق q or k.
    """
    found = {""}
    for i, c in enumerate(sounds):
        # Not before the first letter: an Arabic word starting with a consonant is a Latin one
        # starting with one (برهم is no Ibrahim, whose Arabic starts with its vowel).
        gaps = ("", VOWEL) if c != VOWEL and i > 0 and sounds[i - 1] != VOWEL else ("",)
        options = _LATIN_FOR.get(c, (c,))
        found = {so_far + gap + option for so_far in found for gap in gaps for option in options}
        if len(found) > MAX_SPELLINGS:
            return frozenset({sounds})
    if sounds and sounds[-1] != VOWEL:
        found |= {spelling + VOWEL for spelling in found}
    return frozenset(_sounds(spelling) for spelling in found)


def _enough(sounds: str, word: str) -> bool:
    """Whether sounds can stand for a name: 3 consonants, or 2 of a rare long word (هنية)."""
    consonants = _consonants(sounds)
    if consonants >= MIN_KEY:
        return True
    return consonants == MIN_KEY - 1 and len(word) >= SHORT_WORD and word_zipf(word) < RARE


def _arabic_names(word: str, *, place: bool = False) -> frozenset[str]:
    """The sounds of an Arabic word's readings that can stand for a name (a common word: none)."""
    if word_zipf(word) >= COMMON and not place:
        return frozenset()
    found = set()
    for reading in _arabic_readings(word, whole=True):
        sounds = arabic_sounds(reading)
        if (place or word_zipf(reading) < COMMON) and _enough(sounds, reading):
            found.add(sounds)
    return frozenset(found)


def _latin_name(word: str, *, place: bool = False) -> str | None:
    """The sounds of a capitalized English word that can stand for a name, or None.

    An English word is a name when written with a capital and rarer than Zipf 4 in English,
    in lower case when rarer than Zipf 3 (haniyeh, but not militia), or when it names a place.
    """
    folded = word.casefold()
    limit = LATIN_NAME if word[:1].isupper() else LOWERCASE_NAME
    if word_zipf(folded) >= limit and not place:
        return None
    sounds = latin_sounds(folded)
    return sounds if _enough(sounds, folded) else None


@lru_cache(maxsize=200_000)
def item_keys(word: str) -> frozenset[str]:
    """The keys an item word (normalized, case kept) offers to rule words of the other script.

    Every Arabic word and capitalized English word offers its sounds with a loose tag, which
    only a rule's place names and phrases look for (the words of "Ben Gurion" are common alone);
    a name (see _arabic_names, _latin_name) offers them with a name tag too, which a single rule
    word looks for. Tags carry the word's script, so that keys meet only rule words of the other
    one: حريق and حرق ("burn") sound alike, and the Arabic rule word must not find the other.
    """
    if is_arabic(word):
        names = frozenset(_IN_ARABIC + s for s in _arabic_names(word))
        return names | {_LOOSE_ARABIC + s for s in _arabic_loose(word)}
    if not word[:1].isupper() or word_zipf(word.casefold()) >= FUNCTION_WORD:
        return frozenset()
    # One key of its own sounds: the Arabic rule word brings the English spellings it may
    # have (latin_spellings), so an item's word costs one form, not one per spelling.
    sounds = latin_sounds(word.casefold())
    if not _consonants(sounds):
        return frozenset()
    loose = _LOOSE_LATIN + sounds
    return frozenset({loose, _IN_LATIN + sounds} if _latin_name(word) else {loose})


def crossing_keys(raw: str, *, place: bool = False, loose: bool = False) -> frozenset[str]:
    """The item keys a rule word (as typed) looks for in the other script; empty if none.

    An English word is read as a name when rare in English (rarer still in lower case: Blinken,
    blinken, but not Militia), an Arabic word when rare in Arabic; a `place` the gazetteer knows is
    a name however common (Valencia). Either way it meets only names of the other script. With
    `loose` (a word of a phrase) any Arabic word or capitalized English word crosses by its
    sounds and meets any word of the other script.
    """
    if loose:
        if not is_arabic(raw) and not raw[:1].isupper():
            return frozenset()
        if is_arabic(raw):
            found = (latin_spellings(sounds) for sounds in _arabic_loose(raw))
            return frozenset(_LOOSE_LATIN + s for spellings in found for s in spellings)
        spellings = arabic_spellings(latin_sounds(raw.casefold()))
        return frozenset(_LOOSE_ARABIC + s for s in spellings if _consonants(s))
    if is_arabic(raw):
        found = (latin_spellings(sounds) for sounds in _arabic_names(raw, place=place))
        return frozenset(_IN_LATIN + s for spellings in found for s in spellings)
    sounds = _latin_name(raw, place=place)
    return frozenset(_IN_ARABIC + s for s in arabic_spellings(sounds)) if sounds else frozenset()


def sounds_alike(arabic: str, latin: str) -> bool:
    """Whether a Latin-script word may be an English spelling of an Arabic word (خوي, Khoy).

    The test a single rule word's crossing keys make, without the checks that a word says
    enough to be a name: the caller knows both are names of one place.
    """
    sounds = latin_sounds(latin.casefold())
    return any(
        sounds in latin_spellings(arabic_sounds(reading))
        for reading in _arabic_readings(arabic, whole=True)
    )


def _arabic_loose(word: str) -> frozenset[str]:
    """The sounds of each reading of an Arabic word that has a consonant."""
    readings = _arabic_readings(word, whole=True)
    return frozenset(s for r in readings if _consonants(s := arabic_sounds(r)))


def _consonants(sounds: str) -> int:
    """How many consonants the sounds hold."""
    return len(sounds) - sounds.count(VOWEL)


def key_language(form: str) -> str | None:
    """The language ("ar", "en") of the item words a crossing key stands for; None if no key."""
    return _SCRIPT_OF_TAG.get(form[:_TAG_LENGTH])
