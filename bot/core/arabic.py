"""Arabic light stemming for matching: attached words and endings off, names kept whole.

Works on normalized words (see analysis.normalize). An item word yields every stem its attached
words and endings allow; a rule word yields only its article-less form and the singular of a
plural or dual. Stems keep their ة (قاعدة), so a ة-word and its ة-less look-alike (شرطة, شرط)
stay apart; an adjective's ية also yields its ي (أمريكية, أمريكي).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache

from bot.core.bundled import rows

MIN_STEM = 3  # letters a stem keeps (a final ة counts)
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ل", "ك")
_ARTICLES = ("ال", "لل")  # لل: ل before the article, whose alef drops (للقاعدة)
_PRONOUNS = ("هما", "كما", "هم", "هن", "كم", "كن", "نا", "ها", "ه", "ك", "ي")

# Words whose first letter looks like an attached و, ف, ب, ل or ك but belongs to the word.
# A word starting with one of these stems never loses that letter.
_ROOT_INITIAL = frozenset(
    """وزير وزار وزراء وقت وطن وضع وصل وفد ولد وجه وحد واحد وقف وكال ولاي وسط وزن وعد وفق
    وثيق وجود واقع والد وراء وادي وسيل ورد وفا وفي وصف ولي
    فلسطين فرنس فريق فتر فكر فرص فصل فقط فوق فيه فيها فيلق فندق فقر فرع فتح فرض فشل فاز فوز
    فيلم فائد فاتح فجر فصائل فصيل
    بلد بلاد بيت بين بعد بحر برلمان بنك بريطان بغداد بيروت بيان بدء بدا برنامج بحث بطل بقي باب
    بنت بند بوتين بايدن بلغ بلح برج بري بشر بكين بكر باريس باكستان بنغلادش بولند بورصة بحرين
    لبنان ليبيا لجن لقاء لعب ليل لون لندن لحظ لكن لدى لدي لاجئ لواء لوح لجوء
    كامل كمال كبير كبار كثير كلم كرة كتاب كتب كتيب كيف كان كانت كندا كوري كييف كهرب كلف كشف
    كنيس كرد كويت كرم كسر كمي""".split()
)
# Words ending in ان, ين or ون that are not a dual or a plural (names mostly).
_WHOLE_ENDINGS = frozenset(
    """لبنان ايران طهران عمان سودان يابان ميدان برلمان بيان مكان زمان انسان سلطان عثمان رمضان
    شعبان اذان طيران حيوان عنوان ديوان بستان اردوغان سليمان غليان بركان ضمان امان احسان اعلان
    فلسطين صين بحرين حسين ياسين تشرين تنين بنيامين نيتنياهو جنين
    قانون مليون زيتون ليمون كانون فرعون هارون صابون""".split()
)


# Short names an ending must not be stripped down to: قطرات is drops, not Qatar; مصرون insist.
_NAMES = frozenset("قطر مصر عدن حلب".split())


def _root_letter(word: str, at: int) -> bool:
    """Whether the letter at `at` starts one of the root-initial words (so it is no prefix)."""
    rest = word[at:]
    return any(rest.startswith(stem) for stem in _ROOT_INITIAL if stem[0] == rest[0])


def strip_article(word: str) -> str:
    """The word without a leading article (and the و, ف, ب, ل or ك before it)."""
    for conj in _CONJUNCTIONS:
        for prep in _PREPOSITIONS:
            for article in _ARTICLES:
                if article == "لل" and prep:
                    continue
                prefix = conj + prep + article
                if not word.startswith(prefix) or len(word) - len(prefix) < MIN_STEM:
                    continue
                # للبنان is ل + لبنان, not ل + ال + بنان: the article's ل may be the word's.
                attached = len(conj + prep) + (2 if article == "لل" else 0)
                if any(_root_letter(word, i) for i in range(attached)):
                    continue
                return word[len(prefix) :]
    return word


def _proclitic_splits(word: str) -> Iterable[str]:
    """The word, and the word without each combination of attached words it may start with."""
    yield word
    article_free = strip_article(word)
    if article_free != word:
        yield article_free
    for conj in _CONJUNCTIONS:
        for prep in _PREPOSITIONS:
            prefix = conj + prep
            if not prefix or not word.startswith(prefix):
                continue
            rest = word[len(prefix) :]
            # ك ("like") is rare and starts many words (كامل, كمال): it needs a longer stem.
            if len(rest) < (4 if prep == "ك" else MIN_STEM):
                continue
            if any(_root_letter(word, i) for i in range(len(prefix))):
                continue
            yield rest


@lru_cache(maxsize=100_000)
def proclitic_forms(word: str) -> frozenset[str]:
    """The word, and the word without the attached words it may start with (بدير -> دير)."""
    return frozenset(_proclitic_splits(word))


def _number_singulars(stem: str) -> set[str]:
    """Singulars of a dual or plural: قاعدتين -> قاعدة, مسيرات -> مسيرة and مسير."""
    found: set[str] = set()
    if stem in _WHOLE_ENDINGS:
        return found
    if stem.endswith(("تين", "تان")) and len(stem) >= 5:
        found.add(stem[:-3] + "ة")
    if stem.endswith("ات") and len(stem) >= 4:
        found.add(stem[:-2] + "ة")  # قوات -> قوة
        if len(stem) - 2 >= MIN_STEM:
            found.add(stem[:-2])  # انفجارات -> انفجار
    for ending in ("ان", "ين", "ون"):
        if stem.endswith(ending) and len(stem) - 2 >= MIN_STEM:
            found.add(stem[:-2])
    return found - _NAMES


def _without_pronoun(stem: str) -> set[str]:
    """The stem without an attached pronoun; a ت left before it is the stem's ة (قاعدتها)."""
    for pronoun in (*_PRONOUNS, "ا"):
        if not stem.endswith(pronoun):
            continue
        base = stem[: -len(pronoun)]
        if base.endswith("ت") and len(base) >= MIN_STEM:
            return {base, base[:-1] + "ة"}  # ة written ت before a pronoun, and the dual قاعدتا
        if base.endswith(("ئ", "ؤ")) and len(base) >= MIN_STEM:
            return {base, base[:-1] + "ء"}  # a final hamza sits on a seat before it (إخلائه)
        if pronoun != "ا" and len(base) >= MIN_STEM:
            return {base}
        return set()
    return set()


def _with_variants(forms: set[str]) -> set[str]:
    """Adds the ي of ية adjectives (أمريكية -> أمريكي) and the ة written ه (مسيره -> مسيرة)."""
    adjectives = {f[:-1] for f in forms if f.endswith("ية") and len(f) > MIN_STEM}
    misspelt = {f[:-1] + "ة" for f in forms if f.endswith("ه") and len(f) >= MIN_STEM}
    return forms | adjectives | misspelt


def item_stems(word: str) -> frozenset[str]:
    """Every stem an item word may stand for."""
    forms: set[str] = set()
    for stem in _proclitic_splits(word):
        forms.add(stem)
        bases = {stem} | _without_pronoun(stem)
        if stem.endswith("ا") and len(stem) - 1 >= MIN_STEM and stem not in _WHOLE_ENDINGS:
            bases.add(stem[:-1])  # the accusative's alif: 30 صاروخا, سوقا, شخصا
        forms |= bases
        for base in bases:
            forms |= _number_singulars(base)
    return frozenset(_with_variants(forms))


_NO_VERB_ENDINGS = ("ة", "ه", "ء", "ئ", "ؤ")


def _verbs(stem: str) -> tuple[set[str], set[str]]:
    """The past-tense verbs a rule word may stand for: those read bare, and those only suffixed.

    News reports events in the past tense (تحطمت الطائرة, اصطدمت, أعلنت) while a rule names them
    by the noun (تحطم, اصطدام, إعلان). The word itself may be the verb (تحطم, قصف). The verbal
    nouns of the derived forms have fixed shapes whose verb is unambiguous even bare: افتعال /
    انفعال -> افتعل / انفعل, استفعال -> استفعل, إفعال -> أفعل. The plain verb's common فعول
    (سقوط -> سقط, هجوم -> هجم) gives a verb that is often a noun when bare (دخول -> دخل, also
    "income"), so only its suffixed forms count. تفعيل is left out: its verb is written as the
    plain verb's (تهريب, smuggling, gives هرب, fled; تفجير gives فجر, dawn).
    """
    bare = {stem}
    suffixed: set[str] = set()
    size = len(stem)
    if stem[-2:-1] == "ا" and (
        (size in (5, 6) and stem[0] == "ا") or (size == 7 and stem.startswith("است"))
    ):
        bare.add(stem[:-2] + stem[-1])
    elif size == 4 and stem[2] == "و":
        suffixed.add(stem[:2] + stem[3])
    return {v for v in bare if _verb_shaped(v)}, {v for v in suffixed if _verb_shaped(v)}


def _verb_shaped(stem: str) -> bool:
    """Whether a stem can be a past-tense verb: no long vowel inside (صاروخ, زلزال are nouns).

    A leading ا is the derived forms' (انفجر, استهدف, أعلن); a final vowel letter marks a name or
    noun far more often than a weak verb (بيرو + ت is بيروت).
    """
    return (
        len(stem) >= MIN_STEM
        and not stem.endswith(_NO_VERB_ENDINGS)
        and not any(letter in "اوي" for letter in stem[1:])
    )


def verb_forms(stems: Iterable[str]) -> frozenset[str]:
    """Past-tense forms a rule word's stems accept: the verb, its feminine ت and plural وا."""
    found: set[str] = set()
    for stem in stems:
        bare, suffixed = _verbs(stem)
        found |= bare
        for verb in bare | suffixed:
            found |= {verb + "ت", verb + "وا"}
    return frozenset(found)


def rule_stems(word: str) -> frozenset[str]:
    """The stems a rule word accepts: itself without the article, and its singular.

    A broken plural (صواريخ of صاروخ) is not among them: analysis.rule_forms adds it from the
    lexicon table, so this stays the plain stemming the table's build compares against.
    """
    stem = strip_article(word)
    forms = {stem}
    for base in _without_pronoun(stem):
        if base.endswith(("ة", "ات")):  # قاعدتها -> قاعدة, مسيراتها -> مسيرات
            forms.add(base)
    for form in list(forms):
        singulars = _number_singulars(form)
        if form.endswith("ان"):  # a rule word ending in ان is a name far more often than a dual
            singulars.discard(form[:-2])
        forms |= singulars
    return frozenset(_with_variants(forms))


# Broken plurals from a lexicon: bot/core/data/broken_plurals.tsv (built by tools/build_plurals.py
# from Arramooz, GPL-3.0, see broken_plurals.LICENSE) and the hand-kept broken_plurals_extra.txt.
_PLURAL_FILES = ("broken_plurals.tsv", "broken_plurals_extra.txt")


@cache
def broken_plural_table() -> dict[str, frozenset[str]]:
    """Each listed singular's broken plurals and each plural's singulars; read once per process."""
    table: dict[str, set[str]] = {}
    for name in _PLURAL_FILES:
        for singular, plural in rows(name):
            table.setdefault(singular, set()).add(plural)
            table.setdefault(plural, set()).add(singular)
    return {form: frozenset(others) for form, others in table.items()}


def broken_plural_forms(forms: Iterable[str]) -> frozenset[str]:
    """The broken-plural counterparts of stems (صاروخ -> صواريخ, سفن -> سفينة), both ways."""
    table = broken_plural_table()
    found: set[str] = set()
    for form in forms:
        found |= table.get(form, frozenset())
    return frozenset(found)
