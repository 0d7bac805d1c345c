"""An item analyzed once for matching: where every form of every word stands, per field."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.core.analysis import Token, item_forms, tokenize

# The summary's words are numbered from here, so no phrase or NEAR spans headline and summary.
SUMMARY_OFFSET = 100_000


@dataclass(frozen=True, slots=True)
class Word:
    """A word of the item as written, for explaining a match."""

    text: str
    field: str  # "title", "summary" or "source"


@dataclass(eq=False)
class Document:
    """Positions of each form in the text (headline + summary) and in the source's name."""

    text: dict[str, list[int]]
    source: dict[str, list[int]]
    title_end: int
    words: dict[int, Word]
    source_words: dict[int, Word]
    # The same forms as sets, for fast "is any of these forms present" checks.
    keys: frozenset[str] = frozenset()
    title_keys: frozenset[str] = frozenset()
    source_keys: frozenset[str] = frozenset()
    _sorted_text: list[str] | None = field(default=None, repr=False)
    _sorted_source: list[str] | None = field(default=None, repr=False)

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
    """Analyze an item's headline, summary and source (name and domain) once."""
    text: dict[str, list[int]] = {}
    words: dict[int, Word] = {}
    title_tokens = tokenize(title)
    _add(text, words, title_tokens, 0, "title")
    title_keys = frozenset(text)
    _add(text, words, tokenize(summary), SUMMARY_OFFSET, "summary")
    source_index: dict[str, list[int]] = {}
    source_words: dict[int, Word] = {}
    _add(source_index, source_words, tokenize(source), 0, "source")
    return Document(
        text=text,
        source=source_index,
        title_end=len(title_tokens),
        words=words,
        source_words=source_words,
        keys=frozenset(text),
        title_keys=title_keys,
        source_keys=frozenset(source_index),
    )


def source_text(name: str, *urls: str | None) -> str:
    """What `source:` matches for an item: the feed's name and the domains of its URLs."""
    hosts = []
    for url in urls:
        host = urlsplit(url).hostname if url else None
        if host and host not in hosts:
            hosts.append(host.removeprefix("www."))
    return " ".join([name, *hosts])


def _add(
    index: dict[str, list[int]],
    words: dict[int, Word],
    tokens: list[Token],
    offset: int,
    field_name: str,
) -> None:
    for number, token in enumerate(tokens):
        position = offset + number
        words[position] = Word(token.raw, field_name)
        for form in item_forms(token):
            index.setdefault(form, []).append(position)
