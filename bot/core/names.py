"""Names carried across scripts: Blinken and بلينكن, Zelensky and زيلينسكي meet at one key.

A name's key is its consonant skeleton in a small alphabet that Latin and Arabic spellings
share: vowels and the letters that stand for them (ا و ي ى ء ع, and y, w) are dropped, letters
that transliterations confuse are one class (ق ك خ and q, k, c, kh; ج غ and j, g, gh; ص س ث
and s; ض د ذ and d; ط ت and t; ف and f, v, ph; ح ه ة and h), a final h or ة is dropped, and a
doubled class is written once. Hodeidah and الحديدة are both "hd"; Blinken and بلينكن "blnkn".

A key shorter than `MIN_KEY` classes is no key: short skeletons (k-f for Kyiv) meet too many
unrelated words. English names are capitalized words; in Arabic, which has no capitals, every
content word yields keys (with and without its attached article and prepositions), and the
stream's word weights (how many stories a key is seen in) keep common words from counting.
"""

from __future__ import annotations

import re
from functools import lru_cache

MIN_KEY = 3
PREFIX = "~"

# Latin digraphs first, then single letters; a letter not listed (a vowel, y, w) drops.
_LATIN_DIGRAPHS = (("kh", "k"), ("gh", "j"), ("sh", "S"), ("ch", "S"), ("th", "t"), ("dh", "d"),
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
    "خ": "k", "س": "s", "ص": "s", "ز": "z", "ظ": "z", "ش": "S", "ر": "r", "ل": "l", "م": "m",
    "ن": "n", "ف": "f", "د": "d", "ض": "d", "ذ": "d", "ح": "h", "ه": "h", "ة": "h",
}  # fmt: skip
_ARABIC_TSH = re.compile("تش")  # Chernihiv, Tchad: "ch" written تش
_NOT_CLASS = re.compile(r"[^btdjkszSrlmnfh]")
# Attached words an Arabic name may carry: و ف, then ب ل ك, then the article.
_ARABIC_PREFIX = re.compile("^(?:[وف]?[بلك]?ال|[وف]?لل|[وف][بلك]?|[بلك])")


def _squeeze(classes: str) -> str | None:
    """Collapse doubled classes, drop a final h; None when too short to be a key."""
    out: list[str] = []
    for c in classes:
        if not out or out[-1] != c:
            out.append(c)
    if out and out[-1] == "h":
        out.pop()
    key = "".join(out)
    return PREFIX + key if len(key) >= MIN_KEY else None


@lru_cache(maxsize=50_000)
def latin_key(word: str) -> str | None:
    """The key of a Latin-script word (case and accents already folded by normalize)."""
    text = word.casefold()
    for digraph, cls in _LATIN_DIGRAPHS:
        text = text.replace(digraph, cls)
    return _squeeze(_NOT_CLASS.sub("", text.translate(_LATIN)))


@lru_cache(maxsize=50_000)
def arabic_keys(word: str) -> frozenset[str]:
    """The keys of an Arabic word, with and without the words attached before it."""
    found: set[str] = set()
    attached = _ARABIC_PREFIX.match(word)
    bare = word[attached.end() :] if attached else word
    if len(bare) < 3:
        forms = {word}
    elif attached and attached.group().endswith(("ال", "لل")):
        forms = {bare}  # an article is never part of a name's sound
    else:
        forms = {word, bare}  # ب of بلينكن is the name's own letter, ب of بغداد is "in"
    for form in forms:
        text = _ARABIC_TSH.sub("S", form)
        key = _squeeze("".join(_ARABIC.get(c, c if c == "S" else "") for c in text))
        if key:
            found.add(key)
    return frozenset(found)
