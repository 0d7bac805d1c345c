"""Names in rules cross scripts by their keys: Blinken finds بلينكن, and common words stay apart."""

from __future__ import annotations

import pytest

from bot.core.analysis import normalize
from bot.core.document import analyze
from bot.core.names import (
    MAX_SPELLINGS,
    arabic_sounds,
    crossing_keys,
    item_keys,
    key_language,
    latin_sounds,
)
from bot.core.places import gazetteer
from bot.core.rules import RuleCompiler

PLAIN = RuleCompiler()
WITH_PLACES = RuleCompiler(places=gazetteer())
NAME_TAGS = ("~ar:", "~en:")  # what a single rule word looks for (names._IN_ARABIC, _IN_LATIN)


@pytest.mark.parametrize(
    ("rule", "text", "found"),
    [
        ("Blinken", "وصل بلينكن إلى الرياض", True),
        ("بلينكن", "Blinken arrives in Riyadh", True),
        ("Zelensky", "زيلينسكي يلتقي قادة أوروبا", True),
        ("Haniyeh", "اغتيال إسماعيل هنية في طهران", True),  # two classes, a rare word
        ("هنية", "Hamas leader Ismail Haniyeh killed", True),
        ("Hodeidah", "غارات على ميناء الحديدة", True),  # the article is not the name's
        ("Hodeidah", "غارات على الحديدة والصليف", True),
        ("Blinken", "قال إن لبلينكن دورا", True),  # attached preposition
        ("Soroka hospital", "صاروخ يصيب مستشفى سوروكا", False),  # no synonyms here: hospital
        ('"Soroka hospital"', "Soroka hospital hit", True),
        ("blinken", "وصل بلينكن", True),  # in lower case, a word no English text uses
        ("militia", "مليشيا", False),  # in lower case, an English word in use is no name
        ("Haniyeh", "حين وصل الوفد", False),  # a common word is no name
        ("Haniyeh", "قال الكاهن", False),  # كاهن read as ك + اهن says too little
        ("Haniyeh", "تمدد العويهان", False),  # ع is a vowel the English spelling lacks
        ("Badr", "بدورها أعلنت", False),  # not the same vowels: بدورها is "its role"
        ("Ghaffar", "قال جعفر", False),  # gh is غ, not ج
        ("Ahmed", "قال حماد", False),  # Arabic writes a first vowel: Ahmed is أحمد
        ("Ibrahim", "قال برهم صالح", False),  # and a first consonant is a Latin first consonant
        ("برهم", "Ibrahim Raisi said", False),  # the other way too
        ("حماد", "Ahmad said", False),
        ("لاغارد", "Christine Lagarde said", True),  # English may end on a vowel Arabic leaves out
        ("جيروم", "Jerome Powell said", True),  # after a vowel and a consonant too
        ("Obeida", "قال أبو عبيدة", True),  # ع is that first vowel
        ("Amir", "قال كومار", False),  # كومار is Kumar: a bare name takes no ك ("like")
        ("Kuneitra", "قصف في القنيطرة", True),  # k may be ق
        ("Golani", "لواء غولاني", True),  # g may be غ
        ("Kassem", "قاسم سليماني", False),  # a common Arabic word: famous names are synonyms
        ("Hodeidah", "قال هذا المسؤول", False),
        ("Hodeidah", "في الساعة التاسعة", False),
        ("Soroka", "سقوط صاروخ", False),  # خ is not k
        ("Militia", "مليشيا", False),  # a common English word is vocabulary, not a name
        ("حريق", "حرق المنزل", False),  # keys meet only the other script
        ("Blinken", "Blanken said", False),
        ("بلينكن", "blinken", False),  # a lower-case English word offers no key
    ],
)
def test_names_cross_scripts(rule: str, text: str, found: bool) -> None:
    """A name in a rule finds its spelling in the other script, and only there."""
    assert PLAIN.compile(rule).matches(analyze(text)) is found


@pytest.mark.parametrize(
    ("word", "offers"),
    [
        ("Blinken", True),
        ("بلينكن", True),
        ("blinken", False),  # no capital
        ("Trump", False),  # common in English: famous names cross by the synonyms file
        ("هذا", False),  # common in Arabic
        ("حين", False),
    ],
)
def test_which_item_words_offer_keys(word: str, offers: bool) -> None:
    """Rare Arabic and capitalized English words offer name keys; common words none."""
    assert any(key.startswith(NAME_TAGS) for key in item_keys(word)) is offers


@pytest.mark.parametrize(
    ("word", "keys"),
    [
        ("بلينكن", "~ar:blVnkn ~ar:lVnkn ~ar=blVnkn ~ar=lVnkn"),  # ب may be "in"
        ("الحديدة", "~ar:hdVd ~ar=hdVd"),  # the article is never a name's
        ("للحوثيين", "~ar:hVtVn ~ar=hVtVn"),  # nor ل with it
        ("فالنسيا", "~ar:fVlnsV ~ar:nsV ~ar=fVlnsV ~ar=nsV"),  # فال may be Valencia's own
        ("لغارات", "~ar:lGVrVt ~ar=GVrVt ~ar=lGVrVt"),  # غارات (raids), Zipf 4.0, is vocabulary
        ("الصاروخ", "~ar=sVrVX"),  # rare with its article, vocabulary without
        ("الإبادة", "~ar=VbVd"),  # Zipf 4.0 with its article: vocabulary, however rare bare
        ("ب2023", "~ar=b"),  # digits are no sounds
        ("Blinken", "~en:blVnkVn ~en=blVnkVn"),
    ],
)
def test_item_keys(word: str, keys: str) -> None:
    """An item word offers the sounds of its readings: every one loosely, a name's as a name."""
    assert item_keys(normalize(word)) == frozenset(keys.split())


@pytest.mark.parametrize(
    ("word", "crosses"),
    [
        ("Blinken", True),
        ("Mosul", True),  # Zipf 3.3: capitalized, rare enough for a name
        ("mosul", False),  # in lower case a name must be rarer than Zipf 3
        ("Abraham", False),  # Zipf 4.0 exactly: vocabulary
        ("London", False),  # common: a name only where the gazetteer says it is a place
        ("Ufa", False),  # one consonant says too little
        ("هنية", True),  # two consonants are enough in a rare word of four letters
        ("القدس", False),  # common in Arabic
    ],
)
def test_which_rule_words_cross(word: str, crosses: bool) -> None:
    """A rule word is read as a name, and looks for the other script, only when rare."""
    assert bool(crossing_keys(normalize(word))) is crosses


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("London", "~ar:lndn"),  # لندن
        ("القدس", "~en:qVds"),  # Quds
        ("Nice", None),  # two consonants of a common word say too little, even for a place
        ("كييف", None),  # Kyiv: Zipf 4.0, common enough for that
    ],
)
def test_places_cross_however_common(word: str, key: str | None) -> None:
    """A place's name looks for the other script however common, given three consonants."""
    found = crossing_keys(normalize(word), place=True)
    assert (key in found) if key else not found


def test_spellings_stop_at_max_spellings() -> None:
    """Up to MAX_SPELLINGS a name looks for each spelling; beyond, for its own sounds only."""
    kakamigahara = crossing_keys("Kakamigahara")  # a Japanese city: exactly 2 ** 9 spellings
    assert len(kakamigahara) == MAX_SPELLINGS
    assert "~ar:" + arabic_sounds("كاكاميغاهارا") in kakamigahara
    schwarzenberg = crossing_keys("شفارتسنبرغ")  # 2 ** 9 spellings before a final vowel
    assert "~en:SfVrtsVnbVrg" in schwarzenberg
    assert crossing_keys("Kiskunfelegyhaza") == {"~ar:" + latin_sounds("kiskunfelegyhaza")}


@pytest.mark.parametrize(
    ("form", "language"),
    [
        ("~ar:blVnkn", "ar"),
        ("~ar=blVnkn", "ar"),
        ("~en:blVnkVn", "en"),
        ("~en=blVnkVn", "en"),
        ("~blnkn", None),  # a story key is no crossing key
        ("blinken", None),
    ],
)
def test_key_language(form: str, language: str | None) -> None:
    """A crossing key says which language's item words it stands for."""
    assert key_language(form) == language


@pytest.mark.parametrize(
    ("rule", "text", "found"),
    [
        ('"Ben Gurion"', "صاروخ قرب مطار بن غوريون", True),  # بن is common alone
        ('"بن غوريون"', "A missile hit near Ben Gurion airport", True),
        ('"Jeju Air"', "طائرة تابعة لشركة جيجو إير", True),
        ('"Port Vila"', "زلزال قرب بورت فيلا", True),
        ('"Ibn al-Khatib"', "حريق في مستشفى ابن الخطيب", True),  # al is attached in Arabic
        ('"Port Vila"', "وصلت السفينة إلى الميناء في فيلا", False),  # not side by side
        ('"Breaking News"', "بريكنغ نيوز", False),  # only sounds, none a name: no crossing
        ("Valencia", "فيضانات في فالنسيا", True),  # a place: its sounds, however common
        ("توساش", "Attack at TUSAS in Ankara", True),  # ش may be an s whose mark was lost
        ("Aktau", "في الوقت نفسه", False),  # a place meets only names, not وقت ("time")
        # A place's other-script names that sound like the one typed, however rare in English:
        ("خوي", "A quake near Khoy injured 200", True),  # GeoNames' main name is Khuy
        ("خوي", "A quake near Khvoy injured 200", False),  # an alternate that sounds otherwise
    ],
)
def test_phrases_and_places_cross_by_sounds(rule: str, text: str, found: bool) -> None:
    """A phrase's words cross by their sounds however common, a place's name like a name's."""
    assert WITH_PLACES.compile(rule).matches(analyze(text)) is found


def test_a_rule_name_says_how_it_was_read() -> None:
    """A word read as a name is shown with its mark beside the word as typed."""
    assert PLAIN.compile("Blinken").describe() == "(blinken | ≈blinken)"
    assert "~ar:blVnkn" in crossing_keys("Blinken")  # بلينكن's sounds: short vowels left out
    english = crossing_keys("بلينكن")  # the English spellings it may have, ب as "in" too
    assert {"~en:blVnkVn", "~en:lVnkVn"} <= english
    assert item_keys("Blinken") == {"~en:blVnkVn", "~en=blVnkVn"}  # its own sounds only
