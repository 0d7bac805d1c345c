"""Parsing feed bytes into Items with feedparser (synchronous: run it off the event loop)."""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import feedparser

from bot.core.analysis import fingerprint
from bot.core.links import kept_params
from bot.core.models import Feed, Item, Lang
from bot.core.sanitize import clip_words, escape_unsafe, one_line
from bot.errors import FeedError
from bot.feeds.jsonfeed import looks_like_json, parse_json_feed

# Headers feedparser uses to pick the encoding, the base URL and the language.
_PASSED_HEADERS = ("content-type", "content-location", "content-language")
_FUTURE_SLACK = timedelta(hours=1)
# What one entry keeps, in characters of text (markup gone), cut between words. Real headlines
# run under 200 characters and alerts show 300 at most; leads run under 600, and a feed that puts
# whole articles in its items keeps their first 700 words or so, plenty to match and group on.
# Beyond these a feed is broken or hostile: a 4 MB headline took 1.3 s to match and 13 s of CPU
# to group. Constants, not settings: every reader of feeds (poller, /addfeed preview) must agree.
TITLE_MAX_CHARS = 1_000
SUMMARY_MAX_CHARS = 5_000
# Markup can outweigh its text many times over; HTML longer than this many times the kept text
# is cut before its text is extracted (the extraction is pure Python: 13 s for 8 MB).
_MARKUP_ALLOWANCE = 20
_BLOCK_TAGS = frozenset(
    {
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "hr",
        "pre",
    }
)
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_LATIN_LETTER = re.compile("[A-Za-z]")


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's title and its entries as items, in feed order."""

    title: str
    items: list[Item]


def parse_feed(body: bytes, headers: Mapping[str, str], feed: Feed, now: datetime) -> ParsedFeed:
    """Parse a fetched body (RSS, Atom, RDF or JSON Feed); raise FeedError if it is no feed."""
    if not body.strip():
        raise FeedError("empty response", kind="parse")
    passed = {k.lower(): v for k, v in headers.items() if k.lower() in _PASSED_HEADERS}
    passed.setdefault("content-location", feed.url)
    base = passed["content-location"]
    if looks_like_json(body, passed.get("content-type", "")):
        raw_title, language, entries = parse_json_feed(body)
        title = _text(raw_title, {"type": "text/plain"}, TITLE_MAX_CHARS)
    else:
        charset = sniff_charset(body)
        if charset is not None:  # the bytes say otherwise than the declared charset
            kind = passed.get("content-type", "application/xml").split(";")[0].strip()
            passed["content-type"] = f"{kind}; charset={charset}"
        # A BytesIO, because feedparser treats a bare string as a possible URL or file path.
        # No sanitizing: only the text of the HTML is kept (html_to_text drops scripts too),
        # and sanitizing costs a third of the parse.
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=passed,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            reason = parsed.get("bozo_exception") or "no feed entries"
            raise FeedError(f"not a feed: {_short(str(reason))}", kind="parse")
        title = _text(parsed.feed.get("title"), parsed.feed.get("title_detail"), TITLE_MAX_CHARS)
        language, entries = parsed.feed.get("language"), parsed.entries
    declared = _declared_lang(language)
    items = [
        item
        for entry in entries
        if (item := entry_to_item(entry, feed, base, now, declared)) is not None
    ]
    return ParsedFeed(title=title, items=items)


def entry_to_item(
    entry: Mapping[str, Any], feed: Feed, base_url: str, now: datetime, lang: Lang | None = None
) -> Item | None:
    """One feedparser entry as an Item, or None when it has neither headline nor text."""
    title = _text(entry.get("title"), entry.get("title_detail"), TITLE_MAX_CHARS)
    summary = _summary(entry)
    if not title and not summary:
        return None
    link = _absolute_link(entry.get("link"), base_url)
    guid = (entry.get("id") or "").strip() or None
    identity = guid or link or f"{title}\n{summary}"
    headline = title or summary[:120]
    text = summary if summary != title else ""
    return Item(
        id=item_id(feed.id, identity),
        feed_id=feed.id,
        title=headline,
        summary=text,
        link=link,
        published=_published(entry, now),
        lang=feed.lang or lang or detect_lang(f"{title} {summary}"),
        fingerprint=fingerprint(headline, text),
    )


def item_id(feed_id: str, identity: str) -> str:
    """A short stable id for an entry: feed id and the entry's identity, hashed."""
    digest = hashlib.blake2b(f"{feed_id}\n{identity}".encode(), digest_size=10).hexdigest()
    return f"{feed_id}:{digest}"


def sniff_charset(body: bytes) -> str | None:
    """The charset the bytes are really in, when their look settles it.

    Servers often declare the wrong one: valid UTF-8 with multibyte letters is UTF-8 whatever
    the declaration says, and bytes that are not UTF-8 but read as mostly Arabic letters in
    windows-1256 are the legacy Arabic encoding. None: leave it to the declaration.
    """
    if body.isascii():
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    text = body.decode("cp1256", errors="replace")
    arabic = len(_ARABIC_SCRIPT.findall(text))  # letters, vowel marks, Arabic punctuation
    other = sum(1 for ch in text if ord(ch) > 127) - arabic
    return "windows-1256" if arabic > 3 * max(other, 1) else None


def _declared_lang(value: object) -> Lang | None:
    """A feed's declared language, when it is one alertbot knows ("ar-SA" -> "ar")."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower()[:2]
    return "ar" if code == "ar" else "en" if code == "en" else None


def detect_lang(text: str) -> Lang | None:
    """'ar' or 'en' by the script most letters are written in; None when there are no letters."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic == latin == 0:
        return None
    return "ar" if arabic >= latin else "en"


def _summary(entry: Mapping[str, Any]) -> str:
    if entry.get("summary"):
        return _text(entry["summary"], entry.get("summary_detail"), SUMMARY_MAX_CHARS)
    for content in entry.get("content") or []:
        return _text(content.get("value"), content, SUMMARY_MAX_CHARS)
    return ""


def _text(value: object, detail: Mapping[str, Any] | None, limit: int) -> str:
    """Plain text of a feed field on one line, safe to show, at most `limit` characters.

    feedparser tells whether the field holds HTML or plain text. Either is cut long before the
    limit matters to the work on it: plain text at a generous multiple of the limit (runs of
    whitespace collapse), HTML at `_MARKUP_ALLOWANCE` times it, before a tag it would split.
    Control and direction-override characters go (bot/core/sanitize.py), then the text is cut
    between words.
    """
    if not isinstance(value, str):
        return ""
    raw = value[: limit * _MARKUP_ALLOWANCE]
    if detail is None or detail.get("type") != "text/plain":
        if len(raw) < len(value):
            raw = raw[: raw.rfind("<")] if raw.rfind("<") > raw.rfind(">") else raw
        raw = html_to_text(raw)
    return clip_words(one_line(raw), limit)


def _absolute_link(link: object, base_url: str) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    return canonical_link(urljoin(base_url, link.strip()))


def canonical_link(url: str) -> str | None:
    """An absolute http(s) URL without tracking parameters; None for other schemes.

    Control and direction-override characters are percent-encoded, as a browser sends them:
    the link leads where it did, and shows nothing hidden.
    """
    parts = urlsplit(escape_unsafe(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    query = kept_params(parts.query)
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path or "/", urlencode(query), parts.fragment)
    )


def _published(entry: Mapping[str, Any], now: datetime) -> datetime:
    stamp = _own(entry, "published_parsed") or _own(entry, "updated_parsed")
    if not isinstance(stamp, time.struct_time | tuple):
        return now
    try:
        published = datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError):  # year 0, year 10000 and such
        return now
    # A date in the future is a feed's mistake; the time we first saw it is closer to the truth.
    return now if published > now + _FUTURE_SLACK else published


def _own(entry: Mapping[str, Any], key: str) -> object:
    """A key's own value (feedparser's .get maps "updated" to "published", with a warning)."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment: tags, scripts and styles gone, entities decoded."""
    if "<" not in fragment and "&" not in fragment:
        return " ".join(fragment.split())
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    return " ".join("".join(extractor.parts).split())
