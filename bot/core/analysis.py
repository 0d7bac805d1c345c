"""Text analysis shared by rules and items: normalization, tokenization and term folding.

Both sides of a match go through the same functions, so a rule word meets an item word when
their folded terms are equal. This is the skeleton's analyzer: Unicode and Arabic orthography
are normalized fully; word forms are folded only for English plurals and the Arabic article.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic diacritics (harakat, tanwin, shadda, sukun, superscript alef, Quranic marks) and tatweel.
_ARABIC_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]"
)
# Zero-width and bidirectional controls that feeds leave inside words.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_ORTHOGRAPHY = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
    }
)
# "U.S." and "U.S" read as "US" (and likewise U.K., U.N.) before punctuation splits them.
_DOTTED_ACRONYM = re.compile(r"\b((?:[A-Za-z]\.){1,3}[A-Za-z])\.?(?=\W|$)")
_LATIN_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff]")
_WORD = re.compile(r"\w+")
# English words whose final "s" is not a plural.
_NOT_PLURAL = frozenset(
    {
        "news",
        "series",
        "species",
        "basis",
        "bus",
        "gas",
        "lens",
        "chaos",
        "physics",
        "politics",
        "isis",
        "hamas",
        "texas",
        "paris",
        "damascus",
        "us",
        "this",
        "was",
        "has",
        "is",
        "its",
    }
)
_ARABIC_PREFIX = re.compile(r"^(?:[وف]?(?:[بكل]?ال|لل))(?=..)")


def normalize(text: str) -> str:
    """Canonical form of a text: NFKC, case-folded, without accents, diacritics or invisibles."""
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(1).replace(".", ""), text)
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _ARABIC_MARKS.sub("", text)
    # Strip Latin accents only: NFD would also split the hamza off ئ and ؤ, which are letters.
    text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))
    return text.translate(_ORTHOGRAPHY).casefold()


def tokenize(text: str) -> list[str]:
    """Normalized words of a text, in order ('_' and punctuation split words)."""
    return [w for w in _WORD.findall(normalize(text).replace("_", " "))]


def fold(word: str) -> str:
    """The term a normalized word is matched by: plural and article variants meet."""
    if word.isascii():
        return _fold_english(word)
    return _fold_arabic(word)


def terms(text: str) -> list[str]:
    """Folded terms of a text, in order."""
    return [fold(w) for w in tokenize(text)]


def _fold_english(word: str) -> str:
    if len(word) <= 3 or word in _NOT_PLURAL or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def _fold_arabic(word: str) -> str:
    word = _ARABIC_PREFIX.sub("", word)
    # Ta marbuta and ha at the end are spelled interchangeably in news text.
    return word[:-1] + "ه" if word.endswith("ة") else word
