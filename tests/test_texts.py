"""Message catalogs: every text exists in English and Arabic and is valid Telegram HTML."""

from __future__ import annotations

import re

import pytest

from config.texts import CATALOGS, EN, Html, pick_lang, text
from handlers.settings import ZONES
from tests.support.botapi import parse_html

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_every_key_in_every_language() -> None:
    """Each catalog has exactly the English keys, so no reply falls back to English."""
    assert set(CATALOGS) == {"en", "ar"}
    for lang, catalog in CATALOGS.items():
        assert set(catalog) == set(EN), lang


@pytest.mark.parametrize("key", sorted(EN))
def test_placeholders_agree(key: str) -> None:
    """A translation uses only the values the English text is given (Arabic may drop a count)."""
    english = set(PLACEHOLDER.findall(EN[key]))
    arabic = set(PLACEHOLDER.findall(CATALOGS["ar"][key]))
    assert arabic <= english
    assert arabic == english or key.startswith("time.")


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("key", sorted(EN))
def test_renders_valid_html(key: str, lang: str) -> None:
    """Every text, filled with hostile values, is HTML Telegram accepts, in both languages."""
    values = {name: "<b>&x</b>" for name in PLACEHOLDER.findall(EN[key])}
    rendered = text(key, lang, **values)
    plain, _ = parse_html(rendered)
    for name in PLACEHOLDER.findall(CATALOGS[lang][key]):
        assert values[name] in plain  # escaped, so shown as typed


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
