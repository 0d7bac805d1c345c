"""Text analysis shared by rules and items: normalization, tokens and the word forms they meet at.

Both sides are normalized the same way: NFKC, case folding, Latin accents and Arabic diacritics
removed, tatweel and invisible controls removed, alef forms to ا, ى to ي, Arabic-Indic digits to
ASCII, dotted acronyms (U.S., U.S, U.N.) to plain ones. Words then meet through sets of forms:

- an item word yields every form its clitics and endings allow (`item_forms`): والمسيرة gives
  مسيرة and مسير, بطائرات gives طائرات and طائر, drones gives drone;
- a rule word yields few forms (`rule_forms`): only the article and one number ending are
  stripped on that side, so a name such as لبنان or فلسطين never loses letters it needs;
- a rule word matches an item word when the two sets share a form.

A stem never keeps a final ة (the feminine ending), so قاعدة, القاعدة, قاعدتي and قاعدتين all
share قاعد, and أمريكية meets أمريكي. A rule word of 2 to 4 capitals (US, UN, NATO) also yields
only its upper-case form, which an item word yields only when it had a capital letter: the rule
`US` does not match the pronoun "us".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

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
# A word: letters and digits; a decimal number keeps its point. Apostrophes and hyphens split.
_TOKEN = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")
_POSSESSIVE = re.compile(r"'s?$")

# English words whose final "s" is not a plural ending.
_NOT_PLURAL = frozenset(
    """news series species means basis bus gas lens chaos physics politics economics
    analysis crisis thesis isis hamas texas paris damascus tunis aids this his was has is its
    us yes kansas arkansas illinois athens wales brussels mars venus""".split()
)
_RULE_CAPS = re.compile(r"^[A-Z]{2,4}$")

# Arabic clitics before a word: conjunction, then preposition, then the article.
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ك", "ل")
_ARTICLE = "ال"
# Endings stripped from item words, longest first. Number and gender endings:
_NUMBER_ENDINGS = ("تين", "تان", "يين", "يون", "ات", "ان", "ين", "ون", "تا", "تي", "ة")
# Attached pronouns (after which a ت stands for the ة of the stem: قاعدتها -> قاعدة).
_PRONOUNS = ("هما", "كما", "هم", "هن", "كم", "كن", "نا", "ها", "ه", "ك", "ي")
# Endings stripped from rule words: plural and dual only, never ان (لبنان, إيران, طهران).
_RULE_ENDINGS = ("تين", "تان", "ات", "ين", "ون")
_MIN_STEM = 2


def normalize(text: str) -> str:
    """Canonical form of a text, case kept: NFKC, no accents, diacritics or invisibles."""
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(1).replace(".", ""), text)
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _ARABIC_MARKS.sub("", text)
    text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))
    return _THOUSANDS.sub("", text.translate(_ORTHOGRAPHY))


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: as written (normalized), case-folded, and where it stands."""

    raw: str  # normalized, case kept
    text: str  # case-folded
    start: int  # character offsets in the normalized text
    end: int


def tokenize(text: str) -> list[Token]:
    """The words of a text, normalized; a possessive 's is dropped, hyphens split words."""
    normalized = normalize(text)
    tokens: list[Token] = []
    for match in _TOKEN.finditer(normalized):
        word = match.group()
        if word in ("s", "S") and match.start() > 0 and normalized[match.start() - 1] == "'":
            continue  # the "s" of a possessive: Iran's -> Iran
        tokens.append(Token(word, word.casefold(), match.start(), match.end()))
    return tokens


def words(text: str) -> list[str]:
    """Just the folded words of a text, in order."""
    return [token.text for token in tokenize(text)]


def is_arabic(word: str) -> bool:
    """Whether a word is written in Arabic letters."""
    return "\u0621" <= word[:1] <= "\u064a"


def item_forms(token: Token) -> frozenset[str]:
    """Every form an item word can be matched by (its candidate stems)."""
    word = token.text
    if is_arabic(word):
        forms = set(_arabic_item_forms(word))
    else:
        forms = set(_english_forms(word))
        if 2 <= len(word) <= 4 and word.isascii() and word.isalpha() and not token.raw.islower():
            forms.add(word.upper())  # may meet a rule such as US or NATO
    return frozenset(forms)


def rule_forms(word: str) -> frozenset[str]:
    """The forms a rule word (as typed, case kept, normalized) accepts in an item."""
    if _RULE_CAPS.match(word):
        return frozenset({word})
    folded = word.casefold()
    if is_arabic(folded):
        return frozenset(_arabic_rule_forms(folded))
    return frozenset(_english_forms(folded))


def display_form(word: str) -> str:
    """How a rule word is shown after analysis: folded, singular, without the article."""
    if _RULE_CAPS.match(word):
        return word
    folded = word.casefold()
    if is_arabic(folded):
        return _strip_article(folded)
    forms = list(_english_forms(folded))
    return forms[1] if len(forms) > 1 else folded  # the first stripped form is the singular


def _english_forms(word: str) -> Iterator[str]:
    yield word
    if len(word) <= 3 or word in _NOT_PLURAL or not word.endswith("s"):
        return
    if word.endswith(("ss", "us", "is")):
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


def _strip_article(word: str) -> str:
    for prefix in ("وال", "فال", "بال", "كال", "ال", "لل"):
        if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
            return word[len(prefix) :]
    return word


def _arabic_rule_forms(word: str) -> Iterator[str]:
    stem = _strip_article(word)
    yield stem
    # A pronoun after a plural (مسيراتها), or after a ت that is the stem's ة (قاعدتها, and the
    # construct dual قاعدتي, قاعدتا): strip it so the rule meets the plain word.
    for pronoun in (*_PRONOUNS, "ا"):
        base = stem[: -len(pronoun)]
        if not stem.endswith(pronoun):
            continue
        if base.endswith("ات") and len(base) > 4:
            stem = base
        elif base.endswith("ت") and len(base) > 3:
            stem = base[:-1] + "ة"
        else:
            continue
        yield stem
        break
    if stem.endswith("ة") and len(stem) > _MIN_STEM + 1:
        yield stem[:-1]
    for ending in _RULE_ENDINGS:
        if stem.endswith(ending) and len(stem) - len(ending) >= 3:
            yield stem[: -len(ending)]
            break


def _arabic_prefix_splits(word: str) -> Iterator[str]:
    """The word without each clitic combination it may start with (and unchanged)."""
    yield word
    for conj in _CONJUNCTIONS:
        for prep in _PREPOSITIONS:
            for article in ("", _ARTICLE):
                prefix = conj + prep + article
                if prefix and word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
                    yield word[len(prefix) :]
    # ل before the article drops its alef: للقاعدة = ل + القاعدة.
    for conj in _CONJUNCTIONS:
        prefix = conj + "لل"
        if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
            yield word[len(prefix) :]


def _arabic_suffix_splits(stem: str) -> Iterator[str]:
    """The stem without each ending it may carry (and unchanged)."""
    yield stem
    bases = [stem]
    for pronoun in _PRONOUNS:
        if stem.endswith(pronoun) and len(stem) - len(pronoun) >= _MIN_STEM:
            base = stem[: -len(pronoun)]
            yield base
            bases.append(base)
            if base.endswith("ت") and len(base) > _MIN_STEM + 1:
                yield base[:-1]  # the ة of the stem, written ت before a pronoun
            break
    for base in bases:
        for ending in _NUMBER_ENDINGS:
            if base.endswith(ending) and len(base) - len(ending) >= _MIN_STEM:
                yield base[: -len(ending)]


def _arabic_item_forms(word: str) -> Iterator[str]:
    for stem in _arabic_prefix_splits(word):
        yield from _arabic_suffix_splits(stem)
