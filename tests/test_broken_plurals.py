"""Arabic broken plurals, table-driven: a rule word meets its lexicon plural or singular."""

from __future__ import annotations

from importlib.resources import files

import pytest

from bot.core.analysis import item_forms, raw_item_forms, rule_forms, tokenize
from bot.core.arabic import broken_plural_forms, broken_plural_table


def meets(rule_word: str, item_word: str) -> bool:
    """Whether a rule word matches an item word (their form sets intersect)."""
    (item_token,) = tokenize(item_word)
    (rule_token,) = tokenize(rule_word)
    return bool(rule_forms(rule_token.raw) & item_forms(item_token))


# (rule word, item words it must meet): news vocabulary, with the attached words items carry.
MEET = [
    ("صاروخ", ["صواريخ", "بصواريخ", "الصواريخ", "وصواريخ"]),
    ("صواريخ", ["صاروخ", "الصاروخ", "بصاروخ"]),
    ("سفينة", ["سفن", "والسفن", "للسفن"]),
    ("السفن", ["سفينة", "السفينة", "بالسفينة"]),
    ("جندي", ["جنود", "الجنود", "والجنود"]),
    ("جنود", ["جندي", "الجندي"]),
    ("قاعدة", ["قواعد", "القواعد", "بقواعد"]),
    ("قواعد", ["قاعدة", "القاعدة", "للقاعدة"]),
    ("وزير", ["وزراء", "الوزراء"]),
    ("سفير", ["سفراء", "السفراء"]),
    ("قائد", ["قادة", "القادة"]),
    ("شهيد", ["شهداء", "الشهداء"]),
    ("رهينة", ["رهائن", "الرهائن"]),
    ("قذيفة", ["قذائف", "بقذائف"]),
    ("مدينة", ["مدن", "المدن"]),
    ("ضابط", ["ضباط", "الضباط"]),
    ("سلاح", ["أسلحة", "بالأسلحة"]),
    ("أسير", ["أسرى", "الأسرى"]),
    ("جريح", ["جرحى", "الجرحى"]),
    ("قتيل", ["قتلى", "القتلى"]),
    ("ضحية", ["ضحايا", "الضحايا"]),
    ("منطقة", ["مناطق", "المناطق"]),
    ("دولة", ["دول", "الدول"]),
    ("حرب", ["حروب", "الحروب"]),
    ("رئيس", ["رؤساء", "الرؤساء"]),
    ("طفل", ["أطفال", "الأطفال"]),
    ("زعيم", ["زعماء", "الزعماء"]),
    ("ميناء", ["موانئ", "الموانئ"]),
    ("نائب", ["نواب", "النواب"]),
    ("الأطفال", ["طفل", "الطفل"]),
    ("مستشفى", ["مستشفيات", "المستشفيات"]),  # a sound plural: stemming finds it, no table
]

# (rule word, item words it must not meet): a lexicon pair whose other side is another word
# (a name, a preposition, a verb), or a root's unrelated derivation.
APART = [
    ("حلبة", ["حلب", "بحلب"]),  # ring / Aleppo
    ("عنيد", ["عند"]),  # stubborn / "at"
    ("معي", ["أمعاء"]),  # "with me" / intestines
    ("كتاب", ["كتب"]),  # book / "he wrote"
    ("لقيط", ["لقطات"]),  # foundling / footage
    ("طبي", ["أطباء"]),  # medical / doctors
    ("خليل", ["إخلاء"]),  # friend / evacuation
    ("حليم", ["أحلام"]),  # forbearing / dreams
    ("المرأة", ["مرايا"]),  # woman / mirrors
    ("صاروخ", ["صرخ", "صراخ"]),  # same root, other words
    ("سفينة", ["سفير", "سفراء"]),
    ("جندي", ["جند", "أجناد"]),  # only the soldier's plural was added
    ("ناقلة", ["نواقل"]),  # not in the table: rare
]


def _pairs(table: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    return [(rule, item) for rule, items in table for item in items]


@pytest.mark.parametrize(("rule", "item"), _pairs(MEET))
def test_rule_meets_broken_plural(rule: str, item: str) -> None:
    """A rule word meets its broken plural or singular in an item, prefixes and all."""
    assert meets(rule, item)


@pytest.mark.parametrize(("rule", "item"), _pairs(APART))
def test_unrelated_forms_stay_apart(rule: str, item: str) -> None:
    """Lexicon pairs that would join unrelated words are left out of the table."""
    assert not meets(rule, item)


def test_item_side_is_unchanged() -> None:
    """Only rule forms grow: an item word's forms hold no plural of its own from the table."""
    assert "صواريخ" not in raw_item_forms("صاروخ")
    assert "سفينة" not in raw_item_forms("السفن")
    assert raw_item_forms("بصواريخ") == frozenset({"بصواريخ", "صواريخ"})


@pytest.mark.parametrize(
    ("stems", "found"),
    [
        (["صاروخ", "سفينة"], {"صواريخ", "سفن"}),
        (["سفينة", "صاروخ", "مسيرة"], {"صواريخ", "سفن"}),  # a stem with no entry adds none
        (["قذائف"], {"قذيفة"}),
    ],
)
def test_every_stem_brings_its_counterparts(stems: list[str], found: set[str]) -> None:
    """The broken plurals or singulars of all a rule word's stems, whichever order they come in."""
    assert broken_plural_forms(stems) == found


def test_table_goes_both_ways() -> None:
    """Every listed pair reads from singular to plural and from plural to singular."""
    table = broken_plural_table()
    assert len(table) > 500
    for form, others in table.items():
        for other in others:
            assert form in table[other]


def test_table_states_its_source_and_licence() -> None:
    """The lexicon-derived file names its source, version and licence beside its data."""
    data = files("bot.core") / "data"
    header = (data / "broken_plurals.tsv").read_text(encoding="utf-8").split("\n", 4)[:4]
    assert any("arramooz-pysqlite 0.4.2" in line for line in header)
    assert any("GPL-3.0" in line for line in header)
    assert "GNU General Public" in (data / "broken_plurals.LICENSE").read_text(encoding="utf-8")
