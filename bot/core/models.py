"""The domain's data: feeds, items, subscribers and deliveries."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FEED_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
Lang = Literal["en", "ar"]


class Feed(BaseModel):
    """One source in the catalog: a stable id (slug), a display name and the feed URL."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str = Field(min_length=1, max_length=64)
    url: str
    lang: Lang | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not FEED_ID.match(value):
            raise ValueError("feed id must be lower-case letters, digits, '-' or '_' (max 48)")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("feed url must be an http(s) URL")
        return value


class Item(BaseModel):
    """One news entry, normalized from a feed entry; `id` is stable across polls."""

    model_config = ConfigDict(frozen=True)

    id: str
    feed_id: str
    title: str
    summary: str = ""
    link: str | None = None
    published: datetime
    lang: Lang | None = None


class Subscriber(BaseModel):
    """What the matcher needs of one chat: the sources it follows and its watch rules."""

    model_config = ConfigDict(frozen=True)

    chat_id: int
    sources: frozenset[str] | None = None  # None: every catalog source
    rules: tuple[str, ...] = ()

    def follows(self, feed_id: str) -> bool:
        """Whether items of this feed can alert this chat."""
        return self.sources is None or feed_id in self.sources


class Delivery(BaseModel):
    """One alert to send: which item, to which chat, because of which rule."""

    model_config = ConfigDict(frozen=True)

    chat_id: int
    item_id: str
    rule: str


class FeedState(BaseModel):
    """What the poller remembers of a feed between polls, and its health."""

    etag: str | None = None
    last_modified: str | None = None
    primed: bool = False  # the first poll recorded the feed's existing items
    last_ok: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    errors: int = 0  # consecutive failures
    items_seen: int = 0


class ChatView(BaseModel):
    """A chat's settings as the commands show them."""

    chat_id: int
    known: bool = False  # the chat has sent /start at least once
    alerts: bool = False
    active: bool = True  # false once Telegram says the chat is gone
    all_sources: bool = True
    sources: frozenset[str] = frozenset()
    rules: tuple[str, ...] = ()

    def subscriber(self) -> Subscriber | None:
        """The matcher's view of this chat, or None when it cannot receive alerts."""
        if not (self.known and self.alerts and self.active and self.rules):
            return None
        sources = None if self.all_sources else self.sources
        return Subscriber(chat_id=self.chat_id, sources=sources, rules=self.rules)


def find_feed(feeds: list[Feed], name: str) -> Feed | None:
    """The catalog feed a user meant by `name`: its id or its display name, any case."""
    wanted = name.strip().casefold()
    for feed in feeds:
        if wanted in (feed.id.casefold(), feed.name.casefold()):
            return feed
    return None
