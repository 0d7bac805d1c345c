"""Message catalogs: every text exists in English and Arabic and is valid Telegram HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.i18n import (
    CATALOGS,
    FSI,
    PDI,
    Html,
    ago,
    counted,
    listing,
    pick_lang,
    plural_form,
    plural_forms,
    span,
    text,
    until,
)
from config.texts import EN
from handlers.settings import ZONES
from testkit.botapi import parse_html

# "{name}" or "{name:phrase}": a value, or a count shown with a counted phrase
PLACEHOLDER = re.compile(r"{(\w+)(?::(\w+))?}")
PHRASE_KEY = re.compile(r"^count\.(\w+)\.(\w+)$")
MESSAGES = sorted(key for key in EN if not PHRASE_KEY.match(key))


def placeholders(template: str) -> dict[str, str]:
    """The template's placeholders: name -> the phrase it counts with ("" for a plain value)."""
    return dict(PLACEHOLDER.findall(template))


def phrases(lang: str) -> dict[str, set[str]]:
    """The counted phrases a catalog words: phrase -> the plural forms it has."""
    found: dict[str, set[str]] = {}
    for key in CATALOGS[lang]:
        if match := PHRASE_KEY.match(key):
            found.setdefault(match[1], set()).add(match[2])
    return found


def test_every_message_in_every_language() -> None:
    """Each catalog has exactly the English messages, so no reply falls back to English."""
    assert set(CATALOGS) == {"en", "ar"}
    for lang, catalog in CATALOGS.items():
        assert {key for key in catalog if not PHRASE_KEY.match(key)} == set(MESSAGES), lang


@pytest.mark.parametrize("key", MESSAGES)
def test_placeholders_agree(key: str) -> None:
    """A translation is given the same values as the English text, counts counted in both."""
    english = placeholders(EN[key])
    arabic = placeholders(CATALOGS["ar"][key])
    assert set(arabic) == set(english)
    # A value counted in one language is a count in the other too (a bare number or a phrase).
    for name, phrase in english.items():
        if phrase:
            assert name in arabic, name


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_counted_phrases_have_every_plural_form(lang: str) -> None:
    """Each phrase a catalog counts with is worded in every CLDR plural form of its language.

    English has one and other; Arabic zero, one, two, few, many and other. No phrase is
    left unused, and no form the language does not have is written.
    """
    worded = phrases(lang)
    used = {
        phrase
        for template in CATALOGS[lang].values()
        for phrase in placeholders(template).values()
        if phrase
    }
    used |= {"second", "minute", "hour", "day"}  # durations, counted by the code (`span`)
    assert set(worded) == used
    for phrase, forms in worded.items():
        assert forms == plural_forms(lang), phrase


@pytest.mark.parametrize(
    ("lang", "key"), [(lang, key) for lang, catalog in CATALOGS.items() for key in sorted(catalog)]
)
def test_renders_valid_html(lang: str, key: str) -> None:
    """Every text, filled with hostile values, is HTML Telegram accepts, in both languages."""
    values: dict[str, object] = {
        name: 12 if phrase or name == "n" else "<b>&x</b>"
        for name, phrase in placeholders(CATALOGS[lang][key]).items()
    }
    rendered = text(key, lang, **values)
    plain, _ = parse_html(rendered)
    for value in values.values():
        if isinstance(value, str):
            assert value in plain  # escaped, so shown as typed


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_text_hedges_a_plural(lang: str) -> None:
    """No text writes "(s)": a count and its noun come from a counted phrase."""
    assert [key for key, template in CATALOGS[lang].items() if "(s)" in template] == []


# Every count shown with a noun, as (message, placeholder): counted in both languages.
COUNTED = [
    ("start.welcome", "sources"), ("start.has_rules", "count"), ("subscribe.all", "count"),
    ("unsubscribe.removed", "count"), ("rule.too_deep", "limit"), ("watch.limit", "count"),
    ("watch.preview", "total"), ("watch.preview_none", "total"), ("feeds.ok", "items"),
    ("feeds.failing", "count"), ("stats.chats", "rules"), ("stats.hour", "items"),
    ("stats.hour", "poll_errors"), ("stats.hour", "sent"), ("stats.hour", "retries"),
    ("stats.hour", "floods"), ("stats.delivery", "senders"), ("failed.line", "attempts"),
    ("addfeed.added", "count"), ("digest.header", "count"), ("digest.also", "count"),
    ("digest.more", "count"),
    ("gate.slow_down", "seconds"), ("latest.range", "most"), ("stats.capped", "count"),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize(("key", "name"), COUNTED)
def test_counts_with_nouns_are_counted(lang: str, key: str, name: str) -> None:
    """A count with its noun is a counted placeholder, so "1 sources" cannot be written."""
    assert placeholders(CATALOGS[lang][key]).get(name), f"{key}: {{{name}}}"


# (count, English, Arabic) for each phrase: CLDR's Arabic forms are zero (0), one (1), two (2),
# few (3-10, and 103-110, ...), many (11-99, 111-199, ...) and other (100-102, 200, 1000, ...).
PLURALS = {
    "source": [
        (0, "0 sources", "0 مصدر"),
        (1, "1 source", "مصدر واحد"),
        (2, "2 sources", "مصدران"),
        (3, "3 sources", "3 مصادر"),
        (10, "10 sources", "10 مصادر"),
        (11, "11 sources", "11 مصدراً"),
        (99, "99 sources", "99 مصدراً"),
        (100, "100 sources", "100 مصدر"),
        (101, "101 sources", "101 مصدر"),
        (102, "102 sources", "102 مصدر"),
        (103, "103 sources", "103 مصادر"),
        (111, "111 sources", "111 مصدراً"),
        (200, "200 sources", "200 مصدر"),
        (1000, "1000 sources", "1000 مصدر"),
        (1011, "1011 sources", "1011 مصدراً"),
    ],
    "retry": [
        (0, "0 retries", "0 إعادة محاولة"),
        (1, "1 retry", "إعادة محاولة واحدة"),
        (2, "2 retries", "إعادتا محاولة"),
        (5, "5 retries", "5 إعادات محاولة"),
        (12, "12 retries", "12 إعادة محاولة"),
        (100, "100 retries", "100 إعادة محاولة"),
    ],
    "new_item": [
        (1, "1 new item", "خبر جديد واحد"),
        (2, "2 new items", "خبران جديدان"),
        (7, "7 new items", "7 أخبار جديدة"),
        (40, "40 new items", "40 خبراً جديداً"),
        (102, "102 new items", "102 خبر جديد"),
    ],
    "more_outlet": [
        (1, "+1 outlet", "ومصدر آخر"),
        (2, "+2 outlets", "ومصدران آخران"),
        (4, "+4 outlets", "و4 مصادر أخرى"),
        (25, "+25 outlets", "و25 مصدراً آخر"),
    ],
    "minute": [
        (1, "1 min", "دقيقة"),
        (2, "2 min", "دقيقتين"),
        (3, "3 min", "3 دقائق"),
        (45, "45 min", "45 دقيقة"),
    ],
    "day": [
        (1, "1 day", "يوم"),
        (2, "2 days", "يومين"),
        (9, "9 days", "9 أيام"),
        (30, "30 days", "30 يوماً"),
        (300, "300 days", "300 يوم"),
    ],
}


@pytest.mark.parametrize(
    ("phrase", "count", "english", "arabic"),
    [(phrase, *row) for phrase, rows in PLURALS.items() for row in rows],
)
def test_plural_forms(phrase: str, count: int, english: str, arabic: str) -> None:
    """A count takes the noun form its language's grammar gives it, in English and in Arabic."""
    assert counted(phrase, count, "en") == english
    assert counted(phrase, count, "ar") == arabic


@pytest.mark.parametrize(
    ("count", "form"),
    [(0, "zero"), (1, "one"), (2, "two"), (3, "few"), (10, "few"), (11, "many"), (99, "many"),
     (100, "other"), (101, "other"), (102, "other"), (110, "few"), (199, "many"), (1000, "other")],
)  # fmt: skip
def test_arabic_plural_categories_are_cldrs(count: int, form: str) -> None:
    """The Arabic forms are chosen by CLDR's rule (babel), 100s included."""
    assert plural_form(count, "ar") == form


@pytest.mark.parametrize(
    ("key", "values", "english", "arabic"),
    [
        ("unsubscribe.removed", {"names": "X", "count": 1}, "follow 1 source.",
         "تتابع مصدراً واحداً."),
        ("unsubscribe.removed", {"names": "X", "count": 2}, "follow 2 sources.", "تتابع مصدرين."),
        ("start.has_rules", {"count": 2}, "You have 2 rules:", "لديك قاعدتان:"),
        ("start.welcome", {"sources": 1, "rules_note": ""}, "watch 1 news source and",
         "أتابع مصدراً إخبارياً واحداً وأرسل"),
        ("digest.also", {"count": 1}, "+1 outlet", "ومصدر آخر"),
    ],
)  # fmt: skip
def test_templates_count_with_their_phrases(
    key: str, values: dict[str, object], english: str, arabic: str
) -> None:
    """A message's counted placeholder is filled in the case and form its sentence needs."""
    assert english in text(key, "en", **values)
    assert arabic in text(key, "ar", **values)


def test_a_counted_placeholder_takes_a_number() -> None:
    """Giving a counted placeholder anything but a whole number is a programming error."""
    with pytest.raises(TypeError):
        text("subscribe.all", "en", count="5")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", f"{FSI}Levant Wire{PDI}, {FSI}عربي بوست{PDI}, {FSI}A &amp; B{PDI}"),
        ("ar", f"{FSI}Levant Wire{PDI}، {FSI}عربي بوست{PDI}، {FSI}A &amp; B{PDI}"),
    ],
)
def test_lists_are_joined_as_the_language_writes_them(lang: str, expected: str) -> None:
    """Names in a list are escaped, isolated and joined by ", " in English and "، " in Arabic."""
    assert listing(["Levant Wire", "عربي بوست", "A & B"], lang) == expected


@pytest.mark.parametrize(
    ("code", "lang"), [("ar", "ar"), ("ar-EG", "ar"), ("en-GB", "en"), ("fr", "en"), (None, "en")]
)
def test_pick_lang(code: str | None, lang: str) -> None:
    """A Telegram language code picks its catalog, or English when there is none."""
    assert pick_lang(code) == lang


def test_html_values_are_not_escaped() -> None:
    """Values marked as HTML are kept as markup."""
    assert "<b>x</b>" in text("alert.also", "en", outlets=Html("<b>x</b>"))


def test_preset_zones_are_named() -> None:
    """Each time zone the settings panel offers has a button label in every language."""
    for name in ZONES:
        assert all(f"zone.{name}" in catalog for catalog in CATALOGS.values()), name


NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "lang", "before", "after", "length"),
    [
        (timedelta(seconds=40), "en", "just now", "in 40 s", "40 s"),
        (timedelta(minutes=5, seconds=59), "en", "5 min ago", "in 5 min", "5 min"),
        (timedelta(days=2, hours=23), "en", "2 days ago", "in 2 days", "2 days"),
        (timedelta(seconds=40), "ar", "الآن", "بعد 40 ثانية", "40 ثانية"),
        (timedelta(minutes=2), "ar", "منذ دقيقتين", "بعد دقيقتين", "دقيقتين"),
        (timedelta(hours=10), "ar", "منذ 10 ساعات", "بعد 10 ساعات", "10 ساعات"),
        (-timedelta(minutes=3), "en", "just now", "now", "0 s"),  # the other side of now
    ],
)
def test_times_are_told_in_the_chats_language(
    delta: timedelta, lang: str, before: str, after: str, length: str
) -> None:
    """Alerts and admin views say how long ago or until, in the largest whole unit, one way."""
    assert ago(NOW - delta, NOW, lang) == before
    assert until(NOW + delta, NOW, lang) == after
    assert span(delta, lang) == length
