"""Alerts and digests as Telegram HTML: everything from a feed is escaped, every part bounded.

Control and direction-override characters never reach a message (bot/core/sanitize.py): the
only direction controls in an alert are the isolates and line marks added here.

Text that came from feeds or users (headlines, leads, sources, rules) is wrapped in Unicode
isolates, and every line starts with the chat language's direction mark: an English alert in
an Arabic chat reads as English inside lines that stay right to left, so the Arabic labels
(source and time, "أيضاً:", "القاعدة:") keep their order, and the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from bot.core.analysis import normalize
from bot.core.models import Item
from bot.core.sanitize import safe_text
from bot.core.summary import lead
from bot.core.timing import zone
from bot.i18n import FSI, PDI, Html, ago, isolate, line_mark, listing, text

MAX_TITLE_CHARS = 300
MAX_RULE_SHOWN = 200
MAX_SOURCE_CHARS = 64
ALSO_SHOWN = 3  # outlets named in "Also: ..."; the rest are counted
DIGEST_SHOWN = 20  # stories listed in one digest; the rest are counted
BURST_SHOWN = 15  # headlines listed in a burst's message; the rest are counted
LINE_TITLE_CHARS = 160  # a headline in a list (digest, burst, /latest)
# A word as written: letters and digits with the marks and joiners that belong to them.
_WORD = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u200c\u200d]+")


@dataclass(frozen=True)
class Alert:
    """What an alert shows: the report, where it is from, why it was sent, who else reported it."""

    item: Item
    source: str
    rule: str
    words: Collection[str] = ()  # case-folded normalized words that satisfied the rule
    also: Sequence[str] = ()  # other outlets that reported the story, first reporter first


def render_alert(
    alert: Alert | Item,
    source: str = "",
    rule: str = "",
    *,
    lang: str | None = None,
    tz: str = "UTC",
    now: datetime | None = None,
) -> str:
    """The message a chat receives for a story: headline, lead, source and time, link, rule.

    Every part is bounded (the lead is cut at a sentence), so the message always fits in one
    Telegram message: an alert is never split into several.
    """
    if isinstance(alert, Item):
        alert = Alert(item=alert, source=source, rule=rule)
    item, words = alert.item, alert.words
    mark = line_mark(lang)
    # The headline is bold already: its matching words are underlined as well.
    title = highlight(_clip(item.title, MAX_TITLE_CHARS), words, tag="u")
    head = [f"{mark}<b>{_isolated(title)}</b>"]
    summary = lead(item.summary) if item.summary else ""
    body = ["", mark + _isolated(highlight(summary, words))] if summary else []
    source_line = f"{isolate(_clip(alert.source, MAX_SOURCE_CHARS))} · "
    tail = ["", mark + source_line + format_time(item.published, lang=lang, tz=tz, now=now)]
    link = safe_link(item.link)
    if link:
        read_more = text("alert.read_more", lang)
        tail.append(f'{mark}<a href="{escape(link, quote=True)}">{read_more}</a>')
    if alert.also:
        tail.append(mark + also_line(alert.also, lang))
    rule_shown = isolate(_clip(alert.rule, MAX_RULE_SHOWN))
    tail.append(mark + text("alert.rule", lang, rule=rule_shown))
    return "\n".join([*head, *body, *tail])


def also_line(outlets: Sequence[str], lang: str | None = None) -> str:
    """The story's other outlets, a few by name: "Also: Outlet B, Outlet C (+N)"."""
    named = listing((_clip(name, MAX_SOURCE_CHARS) for name in outlets[:ALSO_SHOWN]), lang)
    more = len(outlets) - ALSO_SHOWN
    return text("alert.also", lang, outlets=Html(f"{named} (+{more})") if more > 0 else named)


def render_digest(
    entries: Sequence[tuple[Item, str, int]],
    *,
    lang: str | None = None,
    tz: str = "UTC",
    now: datetime | None = None,
) -> str:
    """One message listing held stories: (item, source, other outlets) each, oldest first."""
    shown = entries[:DIGEST_SHOWN]
    lines = [text("digest.header", lang, count=len(entries))]
    for item, source, others in shown:
        line = render_item_line(item, source, lang=lang, tz=tz, now=now)
        if others:
            line += " · " + text("digest.also", lang, count=others)
        lines += ["", line]
    if len(entries) > len(shown):
        lines += ["", text("digest.more", lang, count=len(entries) - len(shown))]
    return "\n".join(lines)


def render_burst(
    items: Sequence[Item],
    source: str,
    *,
    lang: str | None = None,
    tz: str = "UTC",
) -> str:
    """One message for a chat's alerts past its burst limit: how many, from where, headlines.

    Each headline links to its story, with its time in the chat's zone; /latest pages on.
    """
    shown = items[:BURST_SHOWN]
    mark = line_mark(lang)
    name = isolate(_clip(source, MAX_SOURCE_CHARS))
    lines = [text("burst.header", lang, count=len(items), source=name)]
    for item in shown:
        title = _isolated(_text(_clip(item.title, LINE_TITLE_CHARS)))
        link = safe_link(item.link)
        headline = f'<a href="{escape(link, quote=True)}">{title}</a>' if link else title
        lines.append(f"{mark}• {headline} · {item.published.astimezone(zone(tz)):%H:%M}")
    if len(items) > len(shown):
        lines.append(text("burst.more", lang, count=len(items) - len(shown)))
    lines += ["", text("burst.latest", lang)]
    return "\n".join(lines)


def render_item_line(
    item: Item,
    source: str,
    *,
    lang: str | None = None,
    tz: str = "UTC",
    now: datetime | None = None,
) -> str:
    """One compact entry of a list such as /latest: headline, source, time, link."""
    title = _isolated(_text(_clip(item.title, LINE_TITLE_CHARS)))
    link = safe_link(item.link)
    headline = f'<a href="{escape(link, quote=True)}">{title}</a>' if link else f"<b>{title}</b>"
    when = format_time(item.published, lang=lang, tz=tz, now=now)
    mark = line_mark(lang)
    return f"{mark}{headline}\n{mark}{isolate(_clip(source, MAX_SOURCE_CHARS))} · {when}"


def format_time(
    moment: datetime, *, lang: str | None = None, tz: str = "UTC", now: datetime | None = None
) -> str:
    """A publish time in the chat's zone, with how long ago when `now` is given.

    "23 Oct 2023 21:31 UTC" or "24 Oct 2023 00:31 +03 (5 min ago)"; month names in `lang`.
    """
    local = moment.astimezone(zone(tz))
    month = text("time.months", lang).split()[local.month - 1]
    absolute = f"{local.day} {month} {local.year} {local:%H:%M} {local.tzname() or tz}"
    if now is None:
        return absolute
    return f"{absolute} ({ago(moment, now, lang)})"


def highlight(value: str, words: Collection[str], tag: str = "b") -> str:
    """`value` escaped for HTML, with the words that satisfied the rule in bold (or `tag`)."""
    if not words:
        return _text(value)
    wanted = set(words)
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(value):
        if normalize(match.group()).casefold() in wanted:
            out.append(_text(value[last : match.start()]))
            out.append(f"<{tag}>{_text(match.group())}</{tag}>")
            last = match.end()
    out.append(_text(value[last:]))
    return "".join(out)


def safe_link(link: str | None) -> str | None:
    """The link if it is an absolute http(s) URL Telegram will accept, else None."""
    if not link:
        return None
    parts = urlsplit(link)
    return link if parts.scheme in ("http", "https") and parts.netloc else None


def _isolated(html: str) -> str:
    """Markup kept in its own direction inside a line, like `isolate` for escaped text."""
    return f"{FSI}{html}{PDI}" if html else html


def _text(value: str) -> str:
    """Escape text for Telegram HTML (quotes need no escaping outside attributes).

    Control and direction-override characters are dropped here too, not only where feeds are
    parsed: items stored before then, and rules and names typed by people, carry them as well.
    Only the isolates `isolate` adds around a part (after this) reach the message.
    """
    return escape(safe_text(value), quote=False)


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
