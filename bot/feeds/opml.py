"""OPML 1.0/2.0 import and export of the feed catalog (pure functions over bytes)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import SplitResult, urlsplit

from pydantic import ValidationError

from bot.core.models import Feed, Lang, feed_slug
from bot.errors import OpmlError

NAME_MAX = 64  # Feed.name's limit
FEED_TYPES = frozenset({"", "rss", "atom"})  # "": many exporters leave type out
DOCS_URL = "http://opml.org/spec2.opml"
DEFAULT_TITLE = "alertbot feeds"
# OPML has no standard attribute for a poll interval; readers ignore ones they do not know.
INTERVAL_ATTR = "interval"  # seconds, Feed.interval

_DTD_MARKERS = ("<!DOCTYPE", "<!ENTITY")
# A UTF-16/32 document spells "<!DOCTYPE" with NUL bytes in between, so a plain byte search
# misses it while expat would still read the DTD.
_WIDE_CODECS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
_SPACE = re.compile(r"\s")
# XML 1.0 cannot carry these characters at all, escaped or not; writing them would make the
# export unreadable by every OPML reader, this module included.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def parse_opml(data: bytes, existing_ids: Iterable[str] = ()) -> list[Feed]:
    """The feeds an OPML document lists, with ids unique against `existing_ids`."""
    feeds, _skipped = parse_opml_report(data, existing_ids)
    return feeds


def parse_opml_report(
    data: bytes, existing_ids: Iterable[str] = ()
) -> tuple[list[Feed], list[str]]:
    """The feeds an OPML document lists, and one reason per feed outline it skipped."""
    root = _parse_xml(data)
    if root.tag != "opml":
        raise OpmlError(f"not an OPML document: root element is <{root.tag}>")
    body = root.find("body")
    if body is None:
        raise OpmlError("not an OPML document: <opml> has no <body>")

    taken = set(existing_ids)
    imported: dict[str, str] = {}  # duplicate-detection key of a URL -> the id it got
    feeds: list[Feed] = []
    skipped: list[str] = []
    # iter() walks every depth, so folder outlines are traversed without being imported;
    # the version attribute is not checked because 1.0, 1.1 and 2.0 share these attributes.
    for number, outline in enumerate(body.iter("outline"), start=1):
        # Exporters disagree on the case of xmlUrl (xmlURL, xmlurl), so names are compared
        # case-insensitively.
        attrs = {key.lower(): value for key, value in outline.attrib.items()}
        label = _clip(attrs.get("title", "")) or _clip(attrs.get("text", ""))
        result = _outline_feed(attrs, label, taken, imported)
        if isinstance(result, Feed):
            feeds.append(result)
        elif result is not None:
            skipped.append(f"outline #{number}" + (f" {label!r}" if label else "") + f": {result}")
    return feeds, skipped


def to_opml(
    feeds: Sequence[Feed], title: str = DEFAULT_TITLE, now: datetime | None = None
) -> bytes:
    """An OPML 2.0 document (UTF-8, pretty-printed) listing `feeds` in order."""
    created = now if now is not None else datetime.now(UTC)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)  # a naive time is taken to be UTC

    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml_safe(title)
    ET.SubElement(head, "dateCreated").text = format_datetime(created.astimezone(UTC), usegmt=True)
    ET.SubElement(head, "docs").text = DOCS_URL
    body = ET.SubElement(root, "body")
    for feed in feeds:
        name = _xml_safe(feed.name)
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": _xml_safe(feed.url)}
        if feed.lang is not None:
            attrs["language"] = feed.lang
        if feed.interval is not None:
            seconds = feed.interval
            attrs[INTERVAL_ATTR] = str(int(seconds)) if seconds.is_integer() else repr(seconds)
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    # Serialized to str and encoded here: the declaration is then ours, in double quotes.
    text = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode()


def _outline_feed(
    attrs: dict[str, str], label: str, taken: set[str], imported: dict[str, str]
) -> Feed | str | None:
    """The feed of one outline (recorded in `taken` and `imported`), why it is skipped, or None."""
    kind = attrs.get("type", "").strip().lower()
    raw_url = attrs.get("xmlurl")
    if raw_url is None:
        # Without a feed type this is a folder (or a link): nothing was lost by passing it.
        return f"type {kind!r} but no xmlUrl" if kind in FEED_TYPES - {""} else None
    if kind not in FEED_TYPES:
        return f"type {kind!r} is not a feed (rss or atom)"
    url, parts = _http_url(raw_url)
    if parts is None:
        return f"xmlUrl {raw_url.strip() or '(empty)'!r} is not an http(s) URL"
    key = _url_key(parts)
    if key in imported:
        return f"duplicate of xmlUrl {url!r}, imported as {imported[key]!r}"
    raw_interval = attrs.get(INTERVAL_ATTR, "").strip()
    interval = _seconds(raw_interval) if raw_interval else None
    if raw_interval and interval is None:
        return f"interval {raw_interval!r} is not a number of seconds"

    name = label or _clip(parts.hostname or "")
    try:
        feed = Feed(
            id=feed_slug(name, url, taken),
            name=name,
            url=url,
            lang=_lang(attrs.get("language")),
            interval=interval,
            origin="admin",
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        return f"{field}: " + str(first["msg"]).removeprefix("Value error, ")
    taken.add(feed.id)
    imported[key] = feed.id
    return feed


def _parse_xml(data: bytes) -> ET.Element:
    """The root element of `data`, refusing DTDs before expat sees them."""
    views = [data]
    if b"\x00" in data:
        views += [data.decode(codec, "ignore").encode("utf-8") for codec in _WIDE_CODECS]
    for view in views:
        for marker in _DTD_MARKERS:
            if marker.encode("ascii") in view:
                raise OpmlError(
                    f"OPML document refused: it contains {marker} "
                    "(DTDs and entities are not accepted)"
                )
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not an XML document: {exc}") from None


def _http_url(raw: str) -> tuple[str, SplitResult | None]:
    """`raw` stripped with its scheme lower-cased, and its parts when it is an http(s) URL."""
    url = raw.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return url, None
    if parts.scheme not in ("http", "https") or not parts.hostname or _SPACE.search(url):
        return url, None
    # urlsplit lower-cases the scheme; Feed's validator only accepts it that way.
    return parts.scheme + url[len(parts.scheme) :], parts


def _url_key(parts: SplitResult) -> str:
    """What two spellings of one feed URL share: scheme and host are case-insensitive."""
    return parts._replace(netloc=parts.netloc.lower(), fragment="").geturl()


def _clip(text: str) -> str:
    """`text` stripped and cut to a feed name's length."""
    return text.strip()[:NAME_MAX].rstrip()


def _lang(value: str | None) -> Lang | None:
    """The feed language from an outline's `language` ("ar", "ar-SA", "en_US"), else None."""
    primary = re.split("[-_]", (value or "").strip().lower(), maxsplit=1)[0]
    if primary == "en":
        return "en"
    if primary == "ar":
        return "ar"
    return None


def _seconds(value: str) -> float | None:
    """`value` as a finite number of seconds, else None; Feed checks the range."""
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) else None


def _xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot represent."""
    return _NOT_XML_CHAR.sub("", text)
