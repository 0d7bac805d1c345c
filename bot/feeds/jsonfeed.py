"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1), read into feedparser-shaped entries."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from bot import jsondepth
from bot.errors import FeedError, JSONTooDeep


def looks_like_json(body: bytes, content_type: str) -> bool:
    """Whether a response is JSON rather than XML."""
    return "json" in content_type.lower() or body.lstrip()[:1] == b"{"


def parse_json_feed(body: bytes) -> tuple[str, str | None, list[dict[str, Any]]]:
    """The feed's title, language and entries (with the keys entry_to_item reads)."""
    try:
        document = jsondepth.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not a feed: invalid JSON ({exc})", kind="parse") from None
    except JSONTooDeep as exc:
        raise FeedError(f"not a feed: JSON {exc}", kind="parse") from None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedError("not a feed: JSON without a JSON Feed version", kind="parse")
    raw_items = document.get("items")
    if not isinstance(raw_items, list):
        raise FeedError("not a feed: JSON Feed without items", kind="parse")
    entries = [_entry(item) for item in raw_items if isinstance(item, dict)]
    language = document.get("language")
    return (
        str(document.get("title") or ""),
        language if isinstance(language, str) else None,
        entries,
    )


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    if isinstance(item.get("content_html"), str):
        body, kind = item["content_html"], "text/html"
    elif isinstance(item.get("summary"), str):
        body, kind = item["summary"], "text/plain"
    else:
        body, kind = str(item.get("content_text") or ""), "text/plain"
    entry: dict[str, Any] = {
        "id": str(item.get("id") or ""),
        "title": str(item.get("title") or ""),
        "title_detail": {"type": "text/plain"},
        "summary": body,
        "summary_detail": {"type": kind},
        "link": item.get("url") or item.get("external_url"),
    }
    for key, target in (
        ("date_published", "published_parsed"),
        ("date_modified", "updated_parsed"),
    ):
        stamp = _utc(item.get(key))
        if stamp is not None:
            entry[target] = stamp
    return entry


def _utc(value: object) -> time.struct_time | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.utctimetuple()
