"""The domain's data: feeds, items, subscribers and deliveries."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.sanitize import one_line

FEED_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
FEED_ID_MAX = 48
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
Lang = Literal["en", "ar"]


class Feed(BaseModel):
    """One source in the catalog: a stable id (slug), a display name and the feed URL."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str = Field(min_length=1, max_length=64)
    url: str
    lang: Lang | None = None
    interval: float | None = Field(default=None, ge=1, le=86_400)  # seconds; else the setting
    origin: Literal["file", "admin"] = "file"  # the catalog file, or /addfeed and OPML imports

    @field_validator("name", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> object:
        """A name shows in lists and alerts: one line, no control or direction characters."""
        return one_line(value) if isinstance(value, str) else value

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
    fingerprint: str | None = None  # the content's hash: the same story under a new GUID
    story_id: str | None = None  # the story this report belongs to (set when it is grouped)


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
    """One message to a chat about a story: its first alert, or an edit when more outlets report it.

    `item_id` is the report the message shows (for an update: the one the chat was first sent).
    """

    model_config = ConfigDict(frozen=True)

    chat_id: int
    item_id: str
    rule: str
    story_id: str = ""  # empty: the item is its own story
    update: bool = False  # edit the chat's message for the story rather than send a new one
    words: tuple[str, ...] = ()  # the item's words that satisfied the rule (shown in bold)
    # A burst's message instead of one alert: the items past the chat's limit for their feed,
    # listed in one message (`item_id` is the first of them, `story_id` the burst's own).
    folded: tuple[str, ...] = ()

    @property
    def story(self) -> str:
        """The story this delivery is about."""
        return self.story_id or self.item_id


class FeedState(BaseModel):
    """What the poller remembers of a feed between polls, and its health."""

    etag: str | None = None
    last_modified: str | None = None
    primed: bool = False  # the first poll recorded the feed's existing items
    last_ok: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    errors: int = 0  # consecutive failures
    failing_since: datetime | None = None  # first failure of the current run of failures
    items_seen: int = 0
    new_streak: int = 0  # consecutive polls that found new items
    next_poll: datetime | None = None
    disabled: str | None = None  # why the feed is no longer polled (410 Gone)
    # Bounds on what one feed stores: the last poll that read only the newest entries of a
    # longer document, and how many it left out; the last time older items were dropped to
    # keep the feed's newest, and how many were dropped so far.
    skipped_at: datetime | None = None
    skipped: int = 0
    dropped_at: datetime | None = None
    dropped: int = 0


class FeedPreview(BaseModel):
    """What fetching a candidate feed once showed: where it is, its title, its items."""

    url: str
    title: str
    items: list[Item]
    lang: Lang | None = None

    @property
    def newest(self) -> Item | None:
        """The most recently published item."""
        return max(self.items, key=lambda item: item.published, default=None)


Mode = Literal["instant", "hourly", "daily"]


class ChatView(BaseModel):
    """A chat's settings as the commands show them."""

    chat_id: int
    known: bool = False  # the chat has sent /start at least once
    alerts: bool = False
    active: bool = True  # false once Telegram says the chat is gone
    all_sources: bool = True
    sources: frozenset[str] = frozenset()
    rules: tuple[str, ...] = ()
    moved_to: int | None = None  # the supergroup this group became
    lang: Lang | None = None  # None: not chosen, the user's Telegram language decides
    tz: str = "UTC"  # IANA time zone name, for times in alerts, quiet hours and digests
    mode: Mode = "instant"  # an alert per story, or an hourly or daily digest
    digest_hour: int = Field(default=8, ge=0, le=23)  # local hour of the daily digest
    quiet: tuple[int, int] | None = None  # local hours [start, end): alerts wait until the end
    paused: bool = False  # no alerts until resumed (or until paused_until)
    paused_until: datetime | None = None
    owner: int | None = None  # a channel: the chat that subscribed it; its rules and sources apply

    def is_paused(self, now: datetime) -> bool:
        """Whether alerts are paused at `now`."""
        return self.paused and (self.paused_until is None or now < self.paused_until)

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


def feed_slug(name: str, url: str, taken: set[str]) -> str:
    """A feed id not in `taken` (left unchanged): from the name, else the host, else suffixed."""
    # The name counts only when it has an ASCII letter: an Arabic name would leave nothing
    # or a bare number ("24"), which says less about the source than its host does.
    from_name = _slugify(name)
    candidates = [from_name] if re.search("[a-z]", from_name) else []
    from_host = _slugify(_hostname(url).removeprefix("www."))
    if from_host:
        candidates.append(from_host)
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    base = candidates[0] if candidates else "feed"
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: FEED_ID_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


def _slugify(text: str) -> str:
    """`text` reduced to ASCII letters and digits joined by "-", at most FEED_ID_MAX long."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:FEED_ID_MAX].rstrip("-")


def _hostname(url: str) -> str:
    """The lower-case host of `url`, or "" when it has none."""
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
