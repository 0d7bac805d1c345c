"""Alerts as Telegram HTML: everything that came from a feed is escaped."""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from bot.core.models import Item
from bot.core.summary import lead
from config.texts import text

MAX_TITLE_CHARS = 300
MAX_RULE_SHOWN = 200
MESSAGE_LIMIT = 4096  # Telegram's limit on a message's text, markup not counted


def render_alert(item: Item, source: str, rule: str) -> str:
    """The message a chat receives for an item that matched one of its rules.

    Every part is bounded (the lead is cut at a sentence), so the message always fits in one
    Telegram message: an alert is never split into several.
    """
    head = [f"<b>{_text(_clip(item.title, MAX_TITLE_CHARS))}</b>"]
    summary = lead(item.summary) if item.summary else ""
    body = ["", _text(summary)] if summary else []
    tail = ["", f"{_text(_clip(source, 64))} · {format_time(item.published)}"]
    link = safe_link(item.link)
    if link:
        tail.append(f'<a href="{escape(link, quote=True)}">{text("alert.read_more")}</a>')
    tail.append(text("alert.rule", rule=_clip(rule, MAX_RULE_SHOWN)))
    return "\n".join([*head, *body, *tail])


def render_item_line(item: Item, source: str) -> str:
    """One compact entry of a list such as /latest: headline, source, time, link."""
    title = _text(_clip(item.title, 160))
    link = safe_link(item.link)
    headline = f'<a href="{escape(link, quote=True)}">{title}</a>' if link else f"<b>{title}</b>"
    return f"{headline}\n{_text(source)} · {format_time(item.published)}"


def format_time(moment: datetime) -> str:
    """A publish time as readers expect it: 23 Oct 2023 21:31 UTC."""
    return moment.strftime("%d %b %Y %H:%M UTC")


def safe_link(link: str | None) -> str | None:
    """The link if it is an absolute http(s) URL Telegram will accept, else None."""
    if not link:
        return None
    parts = urlsplit(link)
    return link if parts.scheme in ("http", "https") and parts.netloc else None


def _text(value: str) -> str:
    """Escape text for Telegram HTML (quotes need no escaping outside attributes)."""
    return escape(value, quote=False)


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
