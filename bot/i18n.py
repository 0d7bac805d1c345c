"""Translation: the texts the bot writes, filled from the catalogs in config/ (one per language).

Values interpolated into a template are HTML-escaped unless they are `Html`, so text from users
and feeds can never break the markup.

Counted words: a placeholder with a phrase name, `{count:source}`, takes a whole number and is
filled with the catalog's `count.source.<form>` phrase ("1 source", "5 sources"; in Arabic
"مصدر واحد", "مصدران", "5 مصادر", "11 مصدراً", "100 مصدر"), the form chosen by the language's
CLDR plural rule (babel): English has one and other, Arabic zero, one, two, few, many and other.
A catalog words each phrase in every form its language has, and may name its phrases as its
grammar needs (Arabic keeps a phrase per case where the dual's ending differs).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime, timedelta
from html import escape
from string import Formatter
from typing import Final

from babel import Locale
from babel.plural import PluralRule

from bot.core.sanitize import safe_text
from config.texts import EN
from config.texts_ar import AR


class Html(str):
    """A string that is already valid Telegram HTML and must not be escaped again."""

    __slots__ = ()


DEFAULT_LANG: Final = "en"
RTL_LANGS: Final = frozenset({"ar"})  # catalogs written right to left
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate and its end
LRM, RLM = "\u200e", "\u200f"  # strong marks that set a line's direction

CATALOGS: Final[dict[str, dict[str, str]]] = {"en": EN, "ar": AR}
LANGS: Final = tuple(CATALOGS)


def pick_lang(code: str | None) -> str:
    """The catalog for a Telegram user's language code ("ar-EG" -> "ar"; unknown -> English)."""
    base = (code or "").split("-")[0].lower()
    return base if base in CATALOGS else DEFAULT_LANG


# The language of the update being answered: handlers set it once per update, so every text
# they write comes from the chat's catalog without passing the language around.
CURRENT_LANG: ContextVar[str] = ContextVar("alertbot_lang", default=DEFAULT_LANG)


def text(key: str, lang: str | None = None, **values: object) -> str:
    """The template `key` in `lang` (default: the current update's), filled with escaped values.

    A `{name:phrase}` placeholder takes a count and shows it with its counted phrase.
    """
    chosen = _lang(lang)
    template = CATALOGS[chosen].get(key) or EN[key]
    return _Filler(chosen).format(template, **values)


def counted(phrase: str, count: int, lang: str | None = None) -> Html:
    """`count` with the catalog's phrase in the form the language's grammar gives that number.

    `counted("source", 2)` is "2 sources" in English and "مصدران" in Arabic.
    """
    chosen = _lang(lang)
    catalog = CATALOGS[chosen]
    form = plural_form(count, chosen)
    template = catalog.get(f"count.{phrase}.{form}")
    if template is None:  # a catalog words "other" for every phrase; the test holds it to that
        template = catalog[f"count.{phrase}.other"]
    return Html(template.format(n=count))


def plural_form(count: int, lang: str | None = None) -> str:
    """CLDR's plural category of `count` in `lang`: zero, one, two, few, many or other."""
    return str(_plural_rule(_lang(lang))(count))


def plural_forms(lang: str) -> frozenset[str]:
    """Every plural category `lang` has ("other" included): the forms its phrases need."""
    return frozenset(_plural_rule(lang).tags) | {"other"}


def span(delta: timedelta, lang: str | None = None) -> Html:
    """A duration in its largest whole unit: "3 days", "2 h", "5 min", "40 s" (or in Arabic)."""
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return counted(unit, seconds // size, lang)
    return counted("second", seconds, lang)


def ago(moment: datetime, now: datetime, lang: str | None = None) -> str:
    """How long before `now` a moment was, in its largest whole unit: "5 min ago", "منذ 5 دقائق".

    Under a minute (or a moment after `now`, from a clock ahead of ours) it is "just now".
    """
    if now - moment < timedelta(minutes=1):
        return text("time.just_now", lang)
    return text("time.ago", lang, span=span(now - moment, lang))


def until(moment: datetime, now: datetime, lang: str | None = None) -> str:
    """How long after `now` a moment is, roughly: "in 5 min", or "now" once it has come."""
    if moment <= now:
        return text("time.now", lang)
    return text("time.in", lang, span=span(moment - now, lang))


def listing(names: Iterable[str], lang: str | None = None) -> Html:
    """Names as a list for a reader of `lang`: "A, B" or "A، B".

    Each name is escaped and isolated, so a name in the other script keeps its own order and
    the separators stay in the line's direction.
    """
    return Html(text("list.separator", lang).join(isolate(name) for name in names))


def isolate(value: str) -> Html:
    """Escaped text kept in its own direction inside a line (Unicode first-strong isolate).

    Direction controls of its own are dropped first (bot/core/sanitize.py): they could close
    the isolate early or turn the rest of the line around.
    """
    return Html(f"{FSI}{escape(safe_text(value), quote=False)}{PDI}")


def line_mark(lang: str | None = None) -> str:
    """The mark that starts a line in the direction of `lang` (RLM for Arabic, LRM for English).

    A line that begins with feed text in the other script would otherwise take that text's
    direction, and the catalog's own words in it would read out of order.
    """
    return RLM if _lang(lang) in RTL_LANGS else LRM


def _lang(lang: str | None) -> str:
    chosen = lang or CURRENT_LANG.get()
    return chosen if chosen in CATALOGS else DEFAULT_LANG


@functools.cache
def _plural_rule(lang: str) -> PluralRule:
    """The language's plural rule from babel's copy of CLDR (read once per language)."""
    return Locale.parse(lang).plural_form


class _Filler(Formatter):
    """Fills a template: plain values escaped, `Html` kept, `{count:phrase}` counted."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        """One placeholder's text: the counted phrase when it names one."""
        if format_spec:
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{{:{format_spec}}} counts a whole number, not {value!r}")
            return counted(format_spec, value, self.lang)
        return value if isinstance(value, Html) else escape(str(value), quote=False)
