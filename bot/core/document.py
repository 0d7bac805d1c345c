"""An item analyzed once for matching: where every form of every word stands, per field."""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.core.analysis import is_arabic, raw_item_forms, raw_words
from bot.core.models import Feed, Item
from bot.core.names import item_keys

# The summary's words are numbered from here, so no phrase or NEAR spans headline and summary.
SUMMARY_OFFSET = 100_000
LANGUAGES = ("en", "ar")  # what lang: accepts, and what written_in says
CAPITAL = "^"  # marks the form of a word written with a capital (no rule word can hold it)


@dataclass(frozen=True, slots=True)
class Word:
    """A word of the item as written (normalized), for explaining a match."""

    text: str
    field: str  # "title", "summary" or "source"


@dataclass(eq=False)
class Document:
    """Positions of each form in the text (headline + summary) and in the source's name."""

    text: dict[str, list[int]]
    source: dict[str, list[int]]
    title_words: list[str]
    summary_words: list[str]
    source_words: list[str]
    # The same forms as sets, for fast "is any of these forms present" checks.
    keys: frozenset[str] = frozenset()
    title_keys: frozenset[str] = frozenset()
    source_keys: frozenset[str] = frozenset()
    language: str = "en"  # the language it is written in (see written_in)
    _sorted_text: list[str] | None = field(default=None, repr=False)
    _sorted_source: list[str] | None = field(default=None, repr=False)

    @property
    def title_end(self) -> int:
        """Positions below this are the headline's."""
        return len(self.title_words)

    def word(self, position: int, in_source: bool = False) -> Word:
        """The word at a position (of the text, or of the source)."""
        if in_source:
            return Word(self.source_words[position], "source")
        if position >= SUMMARY_OFFSET:
            return Word(self.summary_words[position - SUMMARY_OFFSET], "summary")
        return Word(self.title_words[position], "title")

    def forms_with_prefix(self, prefix: str, in_source: bool = False) -> list[str]:
        """The forms in the text (or the source) that start with `prefix`."""
        if in_source:
            if self._sorted_source is None:
                self._sorted_source = sorted(self.source)
            ordered = self._sorted_source
        else:
            if self._sorted_text is None:
                self._sorted_text = sorted(self.text)
            ordered = self._sorted_text
        start = bisect.bisect_left(ordered, prefix)
        end = bisect.bisect_left(ordered, prefix + "\U0010ffff")
        return ordered[start:end]


def analyze(title: str, summary: str = "", source: str = "") -> Document:
    """Analyze an item's headline, summary and source (name and domain) once.

    The source's words end with the item's language (`lang:ar`), which `lang:` rules meet.
    """
    text: dict[str, list[int]] = {}
    title_words = raw_words(title)
    _add(text, title_words, 0)
    title_keys = frozenset(text)
    summary_words = raw_words(summary)
    _add(text, summary_words, SUMMARY_OFFSET)
    source_index: dict[str, list[int]] = {}
    source_words = raw_words(source)
    _add(source_index, source_words, 0)
    language = written_in(title_words or summary_words)
    source_index[language_form(language)] = [len(source_words)]
    source_words.append(language_form(language))
    return Document(
        text=text,
        source=source_index,
        title_words=title_words,
        summary_words=summary_words,
        source_words=source_words,
        keys=frozenset(text),
        title_keys=title_keys,
        source_keys=frozenset(source_index),
        language=language,
    )


def item_document(item: Item, feed: Feed | None) -> Document:
    """An item analyzed for matching: its headline, its summary, and what `source:` matches.

    `source:` matches the feed's name and the domains (less "www.") of the feed's URL and the
    item's link. Without the feed (one gone from the catalog, or an offline tool's item), the
    item's feed id stands for the name and the link's domain is the only one.
    """
    name, feed_url = (feed.name, feed.url) if feed is not None else (item.feed_id, None)
    hosts: list[str] = []
    for url in (feed_url, item.link):
        host = urlsplit(url).hostname if url else None
        if host and host.removeprefix("www.") not in hosts:
            hosts.append(host.removeprefix("www."))
    return analyze(item.title, item.summary, " ".join([name, *hosts]))


def written_in(words: list[str]) -> str:
    """The language of a text by its words' script: Arabic when most are Arabic, else English."""
    arabic = sum(1 for word in words if is_arabic(word))
    return "ar" if arabic * 2 > len(words) else "en"


def language_form(code: str) -> str:
    """The source form that says an item is in this language (a colon: no word can hold it)."""
    return f"lang:{code}"


def capitalized(word: str) -> str:
    """The form of a Latin-script word written with a capital (Nice, not nice).

    Rules never produce it from what a user types; a place's other spellings do, so that
    the rule حلب finds "Aleppo" and نيس finds the city of Nice but not "a nice day".
    """
    return CAPITAL + word.casefold()


@functools.lru_cache(maxsize=200_000)
def _forms(word: str) -> frozenset[str]:
    """An item word's forms, its capitalized form if it has one (Arabic has none), its name keys."""
    forms = raw_item_forms(word) | item_keys(word)
    return forms | {capitalized(word)} if word[:1].isupper() else forms


def _add(index: dict[str, list[int]], words: list[str], offset: int) -> None:
    for number, word in enumerate(words, start=offset):
        for form in _forms(word):
            positions = index.get(form)
            if positions is None:
                index[form] = [number]
            else:
                positions.append(number)
