"""Text analysis shared by rules and items: normalization, tokens and the word forms they meet at.

Both sides are normalized the same way: NFKC, case folding, Latin accents and Arabic diacritics
removed, tatweel and invisible controls removed, alef forms to ا, ى to ي, Arabic-Indic digits to
ASCII, dotted acronyms (U.S., U.S, U.N.) to plain ones. Words then meet through sets of forms:

- an item word yields every form its clitics and endings allow (`item_forms`): والمسيرة gives
  مسيرة and مسير, بطائرات gives طائرات and طائر, drones gives drone;
- a rule word yields few forms (`rule_forms`): only the article and one number ending are
  stripped on that side, so a name such as لبنان or فلسطين never loses letters it needs;
- a rule word matches an item word when the two sets share a form;
- an Arabic rule word also yields the broken plurals of its stems, and a broken plural its
  singulars, from a lexicon table (arabic.broken_plural_table): صاروخ gives صواريخ, سفن gives
  سفينة; and the past tense a report tells an event in (arabic.verb_forms): تحطم gives تحطمت.
  Stemming cannot derive these; the item side is left as it is.

A stem never keeps a final ة (the feminine ending), so قاعدة, القاعدة, قاعدتي and قاعدتين all
share قاعد, and أمريكية meets أمريكي. A rule word of 2 to 4 capitals (US, UN, NATO) also yields
only its upper-case form, which an item word yields only when it had a capital letter: the rule
`US` does not match the pronoun "us".
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from bot.core.arabic import (
    broken_plural_forms,
    item_stems,
    rule_stems,
    strip_article,
    verb_forms,
)

# Arabic diacritics (harakat, tanwin, shadda, sukun, superscript alef, Quranic marks) and tatweel.
_ARABIC_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]"
)
# Zero-width, bidirectional and other invisible controls that feeds leave inside words.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_LATIN_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff]")
_ORTHOGRAPHY = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",  # Persian yeh, common in some feeds
        "ک": "ك",  # Persian kaf
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
    }
)
# "U.S." and "U.S" read as "US" (likewise U.K., U.N.) before punctuation splits them.
_DOTTED_ACRONYM = re.compile(r"(?<![\w.])((?:[A-Za-z]\.){1,3}[A-Za-z])\.?(?![\w])")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
# An apostrophe inside a word that is no English contraction or possessive is part of a
# transliterated name (Sana'a, Ba'ath, Shi'ite): the word stays whole, as Sanaa is written too.
# After a single letter it is an elision or a prefix (d'Ivoire, l'Aquila, O'Brien): it splits.
_INNER_APOSTROPHE = re.compile(
    r"(?<=[^\W\d_]{2})'(?!(?:s|t|m|d|ll|re|ve)\b)(?=[^\W\d_])", re.IGNORECASE
)
# A word: letters and digits; a decimal number keeps its point. Apostrophes left by normalize
# and hyphens split.
_TOKEN = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")
_POSSESSIVE = re.compile(r"'s?$")

# English words whose final "s" is not a plural ending.
_NOT_PLURAL = frozenset(
    """news series species means basis bus gas lens chaos physics politics economics
    analysis crisis thesis isis hamas texas paris damascus tunis aids this his was has is its
    us yes kansas arkansas illinois athens wales brussels mars venus""".split()
)
_RULE_CAPS = re.compile(r"^[A-Z]{2,4}$")

# Short English words that are common in lower case: written with a capital they are still
# those words (a headline's "Who", "Us"), not acronyms such as WHO or US.
_COMMON_SHORT = frozenset(
    """us un it is am an as at be by do go he if in me my no of on or so to up we who why how
    all any are but can did for get got had has her him his its let may new not now one our out
    say see she the too two was way yes you also been from have here just more most much must
    only over said some such than that them then they this very were what when will with your
    aid arm art bar bat bid big bus car cut day die end eye far fat few fit fly gas god gun hit
    hot job key kid law lay leg lie lot low man men mob oil old pay put raw red run sea set sit
    six sky son sun tax ten top toy war win won""".split()
)


def normalize(text: str) -> str:
    """Canonical form of a text, case kept: NFKC, no accents, diacritics or invisibles."""
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(1).replace(".", ""), text)
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _ARABIC_MARKS.sub("", text)
    text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))
    text = _THOUSANDS.sub("", text.translate(_ORTHOGRAPHY))
    # Most texts hold no apostrophe: skip the pattern's scan of every position for them.
    return _INNER_APOSTROPHE.sub("", text) if "'" in text else text


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: as written (normalized), case-folded, and where it stands."""

    raw: str  # normalized, case kept
    text: str  # case-folded
    start: int  # character offsets in the normalized text
    end: int


def _word_matches(text: str) -> Iterator[re.Match[str]]:
    """The words of a normalized text; the "s" of a possessive (Iran's) is not a word."""
    for match in _TOKEN.finditer(text):
        start = match.start()
        if match.group() in ("s", "S") and start > 0 and text[start - 1] == "'":
            continue
        yield match


def tokenize(text: str) -> list[Token]:
    """The words of a text, normalized; a possessive 's is dropped, hyphens split words."""
    return [
        Token(m.group(), m.group().casefold(), m.start(), m.end())
        for m in _word_matches(normalize(text))
    ]


def raw_words(text: str) -> list[str]:
    """The words of a text, normalized but not case-folded (the analyzer's fast path)."""
    return [m.group() for m in _word_matches(normalize(text))]


def split_normalized(text: str) -> list[str]:
    """The words of a text that is already normalized (data files written so), case kept."""
    return [m.group() for m in _word_matches(text)]


def words(text: str) -> list[str]:
    """Just the folded words of a text, in order."""
    return [token.text for token in tokenize(text)]


def is_arabic(word: str) -> bool:
    """Whether a word is written in Arabic letters."""
    return "\u0621" <= word[:1] <= "\u064a"


def item_forms(token: Token) -> frozenset[str]:
    """Every form an item word can be matched by (its candidate stems)."""
    return raw_item_forms(token.raw)


@functools.lru_cache(maxsize=200_000)
def raw_item_forms(raw: str) -> frozenset[str]:
    """Item forms of a word as written (normalized); cached: news repeats its words."""
    word = raw.casefold()
    if is_arabic(word):
        return item_stems(word)
    forms = set(_english_forms(word))
    short = 2 <= len(word) <= 4 and word.isascii() and word.isalpha() and not raw.islower()
    if short and (raw.isupper() or word not in _COMMON_SHORT):
        forms.add(word.upper())  # may meet a rule such as US or NATO (or Nato)
    return frozenset(forms)


def rule_forms(word: str) -> frozenset[str]:
    """The forms a rule word (as typed, case kept, normalized) accepts in an item."""
    if _RULE_CAPS.match(word):
        return frozenset({word})
    folded = word.casefold()
    if is_arabic(folded):
        return _arabic_rule_forms(folded)
    return frozenset(_english_forms(folded))


@functools.lru_cache(maxsize=100_000)
def _arabic_rule_forms(word: str) -> frozenset[str]:
    """An Arabic rule word's stems and their broken plurals or singulars from the lexicon."""
    stems = rule_stems(word)
    # Only the rule side grows: an item word keeps its few forms, so matching costs the same.
    return stems | broken_plural_forms(stems) | verb_forms(stems)


def display_form(word: str) -> str:
    """How a rule word is shown after analysis: folded, singular, without the article."""
    if _RULE_CAPS.match(word):
        return word
    folded = word.casefold()
    if is_arabic(folded):
        return strip_article(folded)
    forms = list(_english_forms(folded))
    return forms[1] if len(forms) > 1 else folded  # the first stripped form is the singular


def _english_forms(word: str) -> Iterator[str]:
    yield word
    if len(word) <= 3 or word in _NOT_PLURAL or not word.endswith("s"):
        return
    if word.endswith(("ss", "us", "is")):
        return
    if word.endswith("es") and word[:-2] in _NOT_PLURAL:
        yield word[:-2]  # buses, gases, lenses: the plural of a word ending in s
        return
    if word.endswith("ies") and len(word) > 4:
        yield word[:-3] + "y"
        return
    # The likely singular first (it is what the rule is shown as), then the other reading.
    if word.endswith(("ches", "shes", "sses", "xes", "zzes")):
        yield word[:-2]
        yield word[:-1]
        return
    yield word[:-1]
    if word.endswith("oes") and len(word) > 5:
        yield word[:-2]  # heroes, tomatoes


SHORT_TEXT_WORDS = 5  # shorter texts ("Live updates") recur with different news
SHORT_MARK = "s:"  # a short text's fingerprint: remembered for a day, not the whole retention


def fingerprint(title: str, summary: str) -> str | None:
    """A hash of an item's words, equal for the same text however it is marked up or spaced.

    A short text ("Explosion at port") may be tomorrow's different story, so its fingerprint
    is marked short and forgotten sooner; within a day it still stops a feed that changes its
    GUIDs and links on every fetch from alerting the same headline again.
    """
    found = words(f"{title} {summary}")
    if not found:
        return None
    digest = hashlib.blake2b(" ".join(found).encode(), digest_size=10).hexdigest()
    return SHORT_MARK + digest if len(found) < SHORT_TEXT_WORDS else digest
