"""A compact gazetteer for story grouping: places in the news, in English and Arabic, with parents.

Two reports of one event name places that agree (the same base, or the base and its province);
a template-like report of another attack names another place. Each line below is
`id | parent id | names...`; a name may be several words, and Arabic names match with their
attached prepositions and article (بدير الزور, والرقة). Words that are also common nouns in
one of the languages are left out (صور "pictures" for Tyre, العمر "age" without حقل).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot.core.analysis import item_forms, normalize, rule_forms, tokenize

_TABLE = """
syria | | Syria | Syrian | سوريا | سورية
iraq | | Iraq | Iraqi | العراق
lebanon | | Lebanon | Lebanese | لبنان
israel | | Israel | Israeli | اسرائيل
palestine | | Palestine | Palestinian | فلسطين
iran | | Iran | Iranian | ايران
yemen | | Yemen | Yemeni | اليمن
jordan | | Jordan | الاردن
saudi | | Saudi Arabia | Saudi | السعودية
qatar | | Qatar | قطر
uae | | United Arab Emirates | UAE | الامارات
kuwait | | Kuwait | الكويت
bahrain | | Bahrain | البحرين
oman | | Oman | سلطنة عمان
egypt | | Egypt | Egyptian | مصر
libya | | Libya | ليبيا
sudan | | Sudan | السودان
tunisia | | Tunisia | تونس
algeria | | Algeria | الجزائر
morocco | | Morocco | المغرب
turkey | | Turkey | Turkiye | Turkish | تركيا
russia | | Russia | Russian | روسيا
ukraine | | Ukraine | Ukrainian | اوكرانيا
usa | | United States | America | الولايات المتحدة | امريكا | اميركا
uk | | Britain | United Kingdom | بريطانيا
france | | France | فرنسا
germany | | Germany | المانيا
china | | China | الصين
afghanistan | | Afghanistan | افغانستان
pakistan | | Pakistan | باكستان
deir-ez-zor | syria | Deir ez-Zor | Deir al-Zor | Deir el-Zour | Deir Ezzor | دير الزور
omar-field | deir-ez-zor | al-Omar | Omar oil field | حقل العمر
conoco | deir-ez-zor | Conoco | كونيكو
albukamal | deir-ez-zor | Albukamal | Abu Kamal | Boukamal | البوكمال
mayadin | deir-ez-zor | Mayadin
hasakah | syria | Hasakah | Hasaka | الحسكة
shaddadi | hasakah | Shaddadi | الشدادي
qamishli | hasakah | Qamishli | القامشلي
raqqa | syria | Raqqa | الرقة
tanf | syria | al-Tanf | Tanf | التنف
damascus | syria | Damascus | دمشق
aleppo | syria | Aleppo | حلب
homs | syria | Homs | حمص
hama | syria | Hama | حماة
idlib | syria | Idlib | ادلب
latakia | syria | Latakia | اللاذقية
daraa | syria | Daraa | درعا
quneitra | syria | Quneitra | القنيطرة
golan | syria | Golan | الجولان
baghdad | iraq | Baghdad | بغداد
anbar | iraq | Anbar | الانبار
ain-al-asad | anbar | Ain al-Asad | Ain al Asad | Ain Al-Assad | عين الاسد
erbil | iraq | Erbil | Irbil | اربيل
harir | erbil | Harir base
basra | iraq | Basra | البصرة
mosul | iraq | Mosul | الموصل
kirkuk | iraq | Kirkuk | كركوك
najaf | iraq | Najaf | النجف
karbala | iraq | Karbala | كربلاء
beirut | lebanon | Beirut | بيروت
dahiyeh | beirut | Dahiyeh | Dahieh | الضاحية الجنوبية
sidon | lebanon | Sidon | صيدا
tripoli-lb | lebanon | طرابلس لبنان
south-lebanon | lebanon | South Lebanon | southern Lebanon | جنوب لبنان
bekaa | lebanon | Bekaa | البقاع
gaza | palestine | Gaza | غزة
gaza-city | gaza | Gaza City | مدينة غزة
rafah | gaza | Rafah | رفح
khan-younis | gaza | Khan Younis | Khan Yunis | خان يونس
jabalia | gaza | Jabalia | جباليا
west-bank | palestine | West Bank | الضفة الغربية
jenin | west-bank | Jenin | جنين
nablus | west-bank | Nablus | نابلس
ramallah | west-bank | Ramallah | رام الله
hebron | west-bank | Hebron | الخليل
jerusalem | palestine | Jerusalem | القدس
tel-aviv | israel | Tel Aviv | تل ابيب
haifa | israel | Haifa | حيفا
eilat | israel | Eilat | ايلات
tehran | iran | Tehran | طهران
isfahan | iran | Isfahan | اصفهان
sanaa | yemen | Sanaa | صنعاء
hodeidah | yemen | Hodeidah | Hudaydah | الحديدة
aden | yemen | Aden | عدن
marib | yemen | Marib | مارب
red-sea | | Red Sea | البحر الاحمر
bab-el-mandeb | yemen | Bab el-Mandeb | باب المندب
amman | jordan | Amman
tower-22 | jordan | Tower 22 | البرج 22
riyadh | saudi | Riyadh | الرياض
jeddah | saudi | Jeddah | جدة
doha | qatar | Doha | الدوحة
dubai | uae | Dubai | دبي
abu-dhabi | uae | Abu Dhabi | ابوظبي | ابو ظبي
cairo | egypt | Cairo | القاهرة
sinai | egypt | Sinai | سيناء
tripoli-ly | libya | Tripoli
benghazi | libya | Benghazi | بنغازي
khartoum | sudan | Khartoum | الخرطوم
darfur | sudan | Darfur | دارفور
ankara | turkey | Ankara | انقرة
istanbul | turkey | Istanbul | اسطنبول
moscow | russia | Moscow | موسكو
kyiv | ukraine | Kyiv | Kiev | كييف
kharkiv | ukraine | Kharkiv | خاركيف
washington | usa | Washington | واشنطن
new-york | usa | New York | نيويورك
london | uk | London | لندن
paris | france | Paris | باريس
berlin | germany | Berlin | برلين
beijing | china | Beijing | بكين
kabul | afghanistan | Kabul | كابل
herat | afghanistan | Herat | هرات
kandahar | afghanistan | Kandahar | قندهار
"""


@dataclass(frozen=True)
class Place:
    """One gazetteer entry: its id, and the ids it lies within (nearest first)."""

    id: str
    within: tuple[str, ...]


@dataclass(frozen=True)
class _Name:
    place: str
    words: tuple[frozenset[str], ...]  # each word's forms, as a rule word would match
    # Which words are capitalized in an English name: "Gaza City" is a place, "the Gaza city
    # of Rafah" is not.
    capitals: tuple[bool, ...]


@cache
def _gazetteer() -> tuple[dict[str, Place], dict[str, list[_Name]]]:
    """Places by id, and names by the forms of their first word."""
    parents: dict[str, str] = {}
    names: dict[str, list[_Name]] = {}
    for line in _TABLE.strip().splitlines():
        place, parent, *spellings = (part.strip() for part in line.split("|"))
        if parent:
            parents[place] = parent
        for spelling in spellings:
            tokens = tokenize(spelling)
            words = tuple(rule_forms(token.text) for token in tokens)
            if not words or not all(words):
                continue
            capitals = tuple(token.raw[:1].isupper() for token in tokens)
            for form in words[0]:
                names.setdefault(form, []).append(_Name(place, words, capitals))
    places: dict[str, Place] = {}
    for place in {*parents, *(n.place for group in names.values() for n in group)}:
        chain: list[str] = []
        current = parents.get(place)
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        places[place] = Place(place, tuple(chain))
    return places, names


def places_in(text: str) -> frozenset[str]:
    """Ids of the places a text names, with the places they lie within."""
    known, names = _gazetteer()
    tokens = tokenize(normalize(text))
    forms = [item_forms(token) | {token.text} for token in tokens]
    capital = [token.raw[:1].isupper() for token in tokens]
    found: set[str] = set()
    for start, candidates in enumerate(forms):
        for form in candidates:
            for name in names.get(form, ()):
                end = start + len(name.words)
                if end <= len(forms) and all(
                    word & forms[start + n] and (capital[start + n] or not name.capitals[n])
                    for n, word in enumerate(name.words)
                ):
                    found.add(name.place)
    for place in list(found):
        found.update(known[place].within)
    return frozenset(found)


def finest(places: frozenset[str]) -> frozenset[str]:
    """The places of a set that no other place of the set lies within (the most precise)."""
    known, _ = _gazetteer()
    wider = {parent for place in places for parent in known[place].within}
    return frozenset(places - wider)


def within(place: str) -> tuple[str, ...]:
    """The places `place` lies within, nearest first (empty for a country or an unknown id)."""
    known, _ = _gazetteer()
    found = known.get(place)
    return found.within if found else ()
