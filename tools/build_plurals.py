"""Build bot/core/data/broken_plurals.tsv: Arabic singulars and their broken plurals.

    pip install arramooz-pysqlite==0.4.2  # the source lexicon (GPL-3.0)
    .venv/bin/python tools/build_plurals.py  # rewrite the file
    .venv/bin/python tools/build_plurals.py --check  # exit 1 if the file is not what this builds
    .venv/bin/python tools/build_plurals.py --dropped  # list the pairs left out, and why

The pairs come from Arramooz (Taha Zerrouki's Arabic dictionary for morphological analysis, the
`arramooz-pysqlite` package, version 0.4.2, GPL-3.0): the nouns table lists each singular
with its broken plurals. Because that licence is not the project's (MIT), the built file is kept
apart as data and carries its source, version and licence in its header; nothing of Arramooz's
code is used at run time.

A pair is kept when
- both forms are single Arabic words after `analysis.normalize` (the lexicon's notes such as
  "+ات" and a leading "و" that joins two plurals are dropped);
- analysis does not already join them (the rule forms of one and the item forms of the other
  share nothing): the table only adds what stemming cannot find;
- both are news vocabulary: each has a Zipf frequency of at least `MIN_ZIPF` in wordfreq's
  Arabic list (CC BY-SA 4.0), counted on the written form with its hamzas;
- neither would join unrelated words: a form that the lexicon also lists as a verb (كتب is
  "books" and "he wrote") or as a singular noun of its own (غروب is "sunset", not the plural of
  غرب "west") makes the pair ambiguous, and it is dropped. Only a form that the lexicon gives as
  the plural of several singulars is kept as is: those singulars are then variants of one word.

The lexicon lists an active participle (قاعد) where news writes its feminine noun (قاعدة): a
plural of the pattern فواعل (قواعد) is also the plural of the feminine, so a feminable فاعل
singular with such a plural also yields the feminine singular, when that is news vocabulary.

Each line is `singular <TAB> plural`, both normalized as analysis normalizes an Arabic word.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import unicodedata
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from datafile import write_or_check
from wordfreq import zipf_frequency

from bot.core.analysis import is_arabic, normalize, raw_item_forms
from bot.core.arabic import rule_stems

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bot/core/data/broken_plurals.tsv"
PACKAGE = "arramooz-pysqlite"
PACKAGE_VERSION = "0.4.2"
MIN_ZIPF = 3.0  # about once in a million words: everyday news vocabulary
FEMININE_ENDING = "ة"
# Letters a root may lose or change in a broken plural (weak letters and hamzas, normalized).
WEAK = frozenset("اويءئؤة")
# A verb read this often in Arramooz's frequency list (كتب: 227,498) makes a form ambiguous.
COMMON_VERB = 1000
# Pairs the lexicon gives whose forms news reads as different words (checked by hand).
# A name (حلب Aleppo, حسان, مصعب), a word of its own (عند "at", معي "with me", لقطات "footage",
# احلام "dreams", اخلاء "evacuation", ضوابط "regulations" beside ضباط "officers") or a lexicon
# slip (امي, حرامية) on one side.
UNRELATED: frozenset[tuple[str, str]] = frozenset(
    tuple(pair.split("/"))  # type: ignore[misc]
    for pair in """امي/حرامية حليم/احلام خليل/اخلاء خلو/اخلاء صاعد/صعدة حولي/حوالي شمال/اشمل
    اصيل/اصلان ايهم/يهم اوجه/اواجه باحة/بوح برهة/بره ردهة/رده بشير/بشراء حجاج/حجج عنيد/عند
    خطوة/خطاء عشب/عشبة زهيد/زهيدة فظيع/فظيعة ناهد/نهاد مهر/مهرة ماهر/مهرة لقيط/لقطات
    هزيل/هزلي وطب/وطاب وكن/وكون حرج/حراج مشعر/مشاعر طبي/اطباء معي/امعاء ندي/اندية
    عظيم/عظام شيخ/مشيخة حلبة/حلب نعمة/انعم ابيض/بيض بيضاء/بيض اسوار/اساور دين/ديون
    وديع/ودائع وديع/ودعاء ماجد/امجاد عاملة/عوامل عادة/عوائد مصعب/مصاعب رزين/رزان
    حسناء/حسان سائد/سادة راجل/رجال راجل/رجالة جامعة/جوامع مراة/مرايا موقعة/مواقع
    سمك/سموك سواك/سوك جرس/جروس ضابط/ضوابط ضابطة/ضوابط""".split()
)


def _plain(word: str) -> str:
    """The word without its vowel marks (hamzas and alef forms kept): what wordfreq counts."""
    return "".join(c for c in unicodedata.normalize("NFC", word) if not unicodedata.combining(c))


def _zipf(written: str) -> float:
    """The word's frequency in wordfreq's Arabic list, as written or as normalized."""
    return max(zipf_frequency(written, "ar"), zipf_frequency(normalize(written), "ar"))


def _plurals(field: str) -> Iterator[str]:
    """The plurals of a broken_plural field, written as the lexicon writes them (no marks)."""
    for part in field.replace("+ات", " ").replace(";", " ").split():
        plain = _plain(part)
        # "وأشهاد" after a first plural is "and أشهاد": the و joins two plurals.
        if plain.startswith("وأ"):
            plain = plain[1:]
        yield plain


def _single_arabic_word(word: str) -> bool:
    return len(word) >= 3 and word.isalpha() and all(is_arabic(c) for c in word)


def _lexicon(name: str) -> sqlite3.Connection:
    """One of the installed package's databases, read-only."""
    try:
        found = version(PACKAGE)
    except PackageNotFoundError:
        sys.exit(f"{PACKAGE} is not installed: pip install {PACKAGE}=={PACKAGE_VERSION}")
    if found != PACKAGE_VERSION:
        sys.exit(f"{PACKAGE} {found} is installed; this build reads {PACKAGE_VERSION}")
    path = files("arramooz") / "data" / name
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _fawa3il(plural: str) -> bool:
    """Whether a normalized plural has the pattern فواعل (قواعد, صواريخ is فواعيل)."""
    return len(plural) == 5 and plural[1:3] == "وا"


def _root_letters(root: str) -> frozenset[str]:
    """The root's letters that every form of the word keeps (weak letters and hamzas change)."""
    return frozenset(normalize(root)) - WEAK


def candidates(db: sqlite3.Connection) -> Iterator[tuple[str, str, frozenset[str]]]:
    """Every (singular, plural, root letters) the lexicon gives, as written (hamzas kept)."""
    rows = db.execute(
        "select unvocalized, broken_plural, feminable, root from nouns where broken_plural != ''"
    )
    for singular, field, feminable, root in rows:
        letters = _root_letters(root or "")
        for plural in _plurals(field):
            yield singular, plural, letters
            shape = normalize(singular)
            if feminable and len(shape) == 4 and shape[1] == "ا" and _fawa3il(normalize(plural)):
                yield singular + FEMININE_ENDING, plural, letters


def _ambiguous_forms(
    db: sqlite3.Connection, freq_db: sqlite3.Connection
) -> tuple[set[str], set[str]]:
    """Normalized forms that are common verbs in Arramooz's frequency list, and singular nouns."""
    verbs = {
        normalize(v)
        for (v,) in freq_db.execute(
            "select unvocalized from wordfreq where word_type = 'verb' and freq >= ?",
            (COMMON_VERB,),
        )
    }
    singulars = {
        normalize(n) for (n,) in db.execute("select unvocalized from nouns where number='مفرد'")
    }
    return verbs, singulars


def _joined_by_analysis(singular: str, plural: str) -> bool:
    return bool(
        rule_stems(singular) & raw_item_forms(plural)
        or rule_stems(plural) & raw_item_forms(singular)
    )


def _why_dropped(written: tuple[str, str, frozenset[str]], verbs: set[str], nouns: set[str]) -> str:
    """Why a pair is left out of the table, or "" to keep it."""
    singular_w, plural_w, root = written
    singular, plural = normalize(singular_w), normalize(plural_w)
    if not (_single_arabic_word(singular) and _single_arabic_word(plural)):
        return "not one Arabic word"
    if singular.startswith("ال") or plural.startswith("ال"):
        return "an article or a note (الواحدة), not a plain form"
    if plural.startswith("و") and not singular.startswith("و"):
        return "a و joining two plurals (وفقر)"
    if not root or not (root <= set(singular) and root <= set(plural)):
        return "the forms do not share the root's letters (a note, not a plural)"
    if singular == plural or _joined_by_analysis(singular, plural):
        return "analysis joins them already"
    if min(_zipf(singular_w), _zipf(plural_w)) < MIN_ZIPF:
        return f"rare (zipf < {MIN_ZIPF})"
    if plural in verbs or singular in verbs:
        return "a form is also a common verb"
    if plural in nouns:
        return "the plural is also a singular noun"
    if (singular, plural) in UNRELATED:
        return "hand-checked: the forms are different words"
    return ""


def pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """The kept (singular, plural) pairs, normalized and sorted, and the dropped ones with why."""
    verbs, nouns = _ambiguous_forms(
        _lexicon("arabicdictionary.sqlite"), _lexicon("wordfreq.sqlite")
    )
    kept: set[tuple[str, str]] = set()
    dropped: dict[tuple[str, str], str] = {}
    for written in sorted(set(candidates(_lexicon("arabicdictionary.sqlite")))):
        pair = (normalize(written[0]), normalize(written[1]))
        why = _why_dropped(written, verbs, nouns)
        if why:
            dropped.setdefault(pair, why)
        else:
            kept.add(pair)
    for pair in kept:
        dropped.pop(pair, None)  # a pair kept from one lexicon entry is not dropped by another
    return sorted(kept), sorted((s, p, why) for (s, p), why in dropped.items())


def build() -> str:
    """The whole file's text."""
    kept, _ = pairs()
    header = (
        "# Arabic singular <TAB> broken plural, normalized as bot/core/analysis.py normalizes.\n"
        f"# Source: Arramooz Arabic dictionary ({PACKAGE} {PACKAGE_VERSION}, nouns table),\n"
        "# by Taha Zerrouki and contributors, licensed GPL-3.0 (see broken_plurals.LICENSE).\n"
        "# Selected by tools/build_plurals.py (news vocabulary, unambiguous pairs); do not edit.\n"
    )
    return header + "".join(f"{s}\t{p}\n" for s, p in kept)


def main() -> int:
    """Write the file, or --check it, or list the --dropped pairs."""
    if "--dropped" in sys.argv[1:]:
        argparse.ArgumentParser().parse_known_args()
        for singular, plural, why in pairs()[1]:
            print(f"{singular}\t{plural}\t{why}")
        return 0
    return write_or_check(OUT, build, "Build the Arabic broken-plural table from Arramooz.")


if __name__ == "__main__":
    sys.exit(main())
