"""Names carried across scripts: Blinken and بلينكن, Zelensky and زيلينسكي meet at one key.

A name's key is its consonant skeleton in a small alphabet that Latin and Arabic spellings
share: vowels and the letters that stand for them (ا و ي ى ء ع, and y, w) are dropped, letters
that transliterations confuse are one class (ق ك and q, k, c; ج غ and j, g, gh; ص س ث
and s; ض د ذ and d; ط ت and t; ف and f, v, ph; ح ه ة and h), خ and kh are one class apart
(Soroka is not صاروخ, "missile"), a final h or ة is dropped, and a
doubled class is written once. Hodeidah and الحديدة are both "hd"; Blinken and بلينكن "blnkn".

A key shorter than `MIN_KEY` classes is no key: short skeletons (k-f for Kyiv) meet too many
unrelated words. English names are capitalized words; in Arabic, which has no capitals, every
content word yields keys (with and without its attached article and prepositions), and the
stream's word weights (how many stories a key is seen in) keep common words from counting.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.core.analysis import is_arabic
from bot.core.frequency import word_zipf

MIN_KEY = 3
PREFIX = "~"

# Latin digraphs first, then single letters; a letter not listed (a vowel, y, w) drops.
_LATIN_DIGRAPHS = (("kh", "X"), ("gh", "j"), ("sh", "S"), ("ch", "S"), ("th", "t"), ("dh", "d"),
                   ("ph", "f"), ("ts", "s"), ("zh", "j"), ("ck", "k"), ("ou", ""))  # fmt: skip
_LATIN = str.maketrans(
    {
        "b": "b",
        "p": "b",
        "t": "t",
        "d": "d",
        "j": "j",
        "g": "j",
        "k": "k",
        "q": "k",
        "c": "k",
        "x": "k",
        "s": "s",
        "z": "z",
        "S": "S",
        "X": "X",
        "r": "r",
        "l": "l",
        "m": "m",
        "n": "n",
        "f": "f",
        "v": "f",
        "h": "h",
    }
)
_ARABIC = {
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "ج": "j", "غ": "j", "ق": "k", "ك": "k",
    "خ": "X", "س": "s", "ص": "s", "ز": "z", "ظ": "z", "ش": "S", "ر": "r", "ل": "l", "م": "m",
    "ن": "n", "ف": "f", "د": "d", "ض": "d", "ذ": "d", "ح": "h", "ه": "h", "ة": "h",
}  # fmt: skip
_ARABIC_TSH = re.compile("تش")  # Chernihiv, Tchad: "ch" written تش
_NOT_CLASS = re.compile(r"[^btdjkXszSrlmnfh]")
# Attached words an Arabic name may carry: و ف, then ب ل ك, then the article.
_ARABIC_PREFIX = re.compile("^(?:[وف]?[بلك]?ال|[وف]?لل|[وف][بلك]?|[بلك])")


def _squeeze(classes: str, minimum: int = MIN_KEY) -> str | None:
    """Collapse doubled classes, drop a final h; None when shorter than `minimum` classes."""
    out: list[str] = []
    for c in classes:
        if not out or out[-1] != c:
            out.append(c)
    if out and out[-1] == "h":
        out.pop()
    key = "".join(out)
    return PREFIX + key if len(key) >= minimum else None


@lru_cache(maxsize=50_000)
def latin_key(word: str, minimum: int = MIN_KEY) -> str | None:
    """The key of a Latin-script word (case and accents already folded by normalize)."""
    text = word.casefold()
    for digraph, cls in _LATIN_DIGRAPHS:
        text = text.replace(digraph, cls)
    return _squeeze(_NOT_CLASS.sub("", text.translate(_LATIN)), minimum)


@lru_cache(maxsize=50_000)
def arabic_keys(word: str, minimum: int = MIN_KEY) -> frozenset[str]:
    """The keys of an Arabic word, with and without the words attached before it."""
    found = (_arabic_key(form, minimum) for form in _arabic_readings(word))
    return frozenset(key for key in found if key)


def _arabic_readings(word: str) -> set[str]:
    """The word as it may be a name: whole, or without what is attached before it."""
    attached = _ARABIC_PREFIX.match(word)
    bare = word[attached.end() :] if attached else word
    if len(bare) < 3:
        return {word}
    if attached and attached.group().endswith(("ال", "لل")):
        return {bare}  # an article is never part of a name's sound
    return {word, bare}  # ب of بلينكن is the name's own letter, ب of بغداد is "in"


def _arabic_key(form: str, minimum: int) -> str | None:
    """The key of one reading of an Arabic word."""
    text = _ARABIC_TSH.sub("S", form)
    return _squeeze("".join(_ARABIC.get(c, c if c in "SX" else "") for c in text), minimum)


# ---- names in rules: a rule word meets the item words of the other script -------------------

# A word at least this common (Zipf) is vocabulary, not a name: حين ("when") and Biden share a
# skeleton, and a headline saying "when" is not about Biden.
COMMON = 5.0
# An English word this common is vocabulary (Drone, Militia) or a name famous enough for the
# synonyms file (Netanyahu | نتنياهو): English words cross by key only when rarer.
LATIN_NAME = 3.0
# Two classes are enough for a key only when the word is rarer than this in its language:
# Haniyeh and هنية are both "hn", as are حين and هنا, which are common.
RARE = 4.0
SHORT_KEY = 2
SHORT_WORD = 4
# What a two-class key cannot see: a first vowel (in either script), ع and the hamzas.
_HIDDEN_SOUNDS = re.compile("^[aeiouyوياآأإ]|[عءئؤأإآ]")
_IN_ARABIC = "~ar:"  # the key of an Arabic word, met by a Latin rule word
_IN_LATIN = "~en:"  # the key of a capitalized Latin word, met by an Arabic rule word
CROSSING_TAGS = (_IN_ARABIC, _IN_LATIN)


def _minimum(reading: str) -> int | None:
    """The fewest classes a key of this reading needs: None for a common word, else 2 or 3.

    Two classes are evidence enough only for a rare word of four letters or more that starts
    with a consonant and has no ع or hamza: the key drops those and a word's first vowel, so
    two classes of التاسعة ("ninth") or عويهان say too little to meet Haniyeh's "hn".
    """
    zipf = word_zipf(reading)
    if zipf >= COMMON:
        return None
    short = zipf < RARE and len(reading) >= SHORT_WORD and not _HIDDEN_SOUNDS.search(reading)
    return SHORT_KEY if short else MIN_KEY


@lru_cache(maxsize=200_000)
def item_keys(word: str) -> frozenset[str]:
    """The keys an item word (normalized, case kept) offers to rule words of the other script.

    Arabic words offer theirs, capitalized Latin words theirs; a common word none. A key is
    tagged with its word's script so that it meets only rule words of the other script: حريق
    and حرق ("burn") share a skeleton, and the Arabic rule word must not find the other.
    """
    folded = word.casefold()
    if word_zipf(folded) >= COMMON:
        return frozenset()
    if is_arabic(word):
        keys = set()
        for reading in _arabic_readings(folded):
            minimum = _minimum(reading)
            key = _arabic_key(reading, minimum) if minimum else None
            if key:
                keys.add(_IN_ARABIC + key)
        return frozenset(keys)
    if not word[:1].isupper() or word_zipf(folded) >= LATIN_NAME:
        return frozenset()
    key = latin_key(folded, _minimum(folded) or MIN_KEY)
    return frozenset({_IN_LATIN + key}) if key else frozenset()


def crossing_keys(raw: str) -> frozenset[str]:
    """The item keys a rule word (as typed) looks for in the other script; empty if none.

    An English word is read as a name only when typed with a capital (Blinken, not blinken);
    an Arabic word, having no capitals, whenever it is not common.
    """
    own = item_keys(raw)
    if is_arabic(raw):
        return frozenset(_IN_LATIN + k.removeprefix(_IN_ARABIC) for k in own)
    return frozenset(_IN_ARABIC + k.removeprefix(_IN_LATIN) for k in own)
