"""Building feed documents for tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

# Recent, so the entries are young enough to alert (older items never do).
BASE_TIME = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)


@dataclass(frozen=True)
class Entry:
    """One RSS item: a guid, a headline, a summary, minutes after BASE_TIME."""

    guid: str
    title: str
    summary: str = ""
    minutes: int = 0
    link: str | None = None


def rss(entries: list[Entry], title: str = "Test feed") -> str:
    """An RSS 2.0 document with these entries, newest first as feeds list them."""
    items = []
    for e in sorted(entries, key=lambda e: -e.minutes):
        when = format_datetime(BASE_TIME + timedelta(minutes=e.minutes), usegmt=True)
        link = escape(e.link or f"https://news.example/{e.guid}")
        items.append(
            f"<item><title>{escape(e.title)}</title><link>{link}</link>"
            f'<guid isPermaLink="false">{escape(e.guid)}</guid><pubDate>{when}</pubDate>'
            f"<description>{escape(e.summary)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"{''.join(items)}</channel></rss>"
    )
