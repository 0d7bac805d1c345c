"""Every Redis key name and TTL alertbot uses, in one place.

Keys that one command, script or MULTI transaction touches together share a hash tag ({...}) so
the same code runs on Redis Cluster: a chat's keys are tagged by chat id, a feed's by feed id, a
story's by story id, a delivery shard's by shard number, the catalog's by {catalog}, and the
story lookup (index and link markers, read and written by one script per report) by {storyix},
and the word counts (periods summed by one script) by {terms}.
"""

from __future__ import annotations

PREFIX = "ab"

# Catalog of feeds: hash feed id -> Feed JSON (seeded from the catalog file at start).
CATALOG = f"{PREFIX}:{{catalog}}"
# Every chat that ever started the bot: set of chat ids.
CHATS = f"{PREFIX}:chats"
# Deliveries waiting for a sender: SHARDS streams, each read by one consumer group. A chat's
# deliveries always go to the same shard, and one sender at a time holds a shard, so a chat's
# alerts are sent in the order they were queued.
SHARDS = 16
SENDER_GROUP = "senders"
# Live senders: sorted set of consumer names, scored by their last heartbeat (epoch ms).
SENDERS = f"{PREFIX}:senders"
# Deliveries that failed for good: one stream, with the last error, for admins to see.
DEAD_LETTERS = f"{PREFIX}:deadletters"
DEAD_LETTERS_MAXLEN = 10_000
# Telegram's limits, shared by every sender: GCRA theoretical arrival times.
RATE_BOT = f"{PREFIX}:rate:bot"

# Feeds by the time they are due to be polled next: sorted set of feed ids, scored by epoch s.
DUE = f"{PREFIX}:due"
# Catalog feeds an admin removed: the catalog file does not bring them back at start.
REMOVED = f"{PREFIX}:{{catalog}}:removed"
# Names the catalog's keys had before they shared a hash tag; on one server they are renamed
# at start, so an upgrade keeps the feeds admins added and removed.
LEGACY_NAMES = {f"{PREFIX}:catalog": CATALOG, f"{PREFIX}:removed": REMOVED}
# When any poller last finished polling a feed (epoch seconds), for health checks.
LAST_POLL = f"{PREFIX}:poll:last"
# Every change to a chat's rules or sources, as a stream entry {chat}: each poller follows it
# and updates its in-memory index within a second (a new poller builds the index from Redis).
RULE_CHANGES = f"{PREFIX}:rules:changes"
RULE_CHANGES_MAXLEN = 100_000

LATEST_PER_FEED = 200  # newest items kept per feed for /latest
SENT_TTL = 3 * 86_400  # how long a sent (chat, story) pair is remembered (resends, edits)
SHORT_FINGERPRINT_TTL = 86_400  # a short headline's content marker (it may recur as new news)
COUNTER_TTL = 2 * 3600  # a per-minute counter outlives the hour /stats sums
LATEST_QUERY_TTL = 86_400  # a /latest filter behind a "more" button
# A story is remembered (its reports, outlets and the chats told of it) as long as a sent
# marker, so a late report can still edit the chats' messages.
STORY_TTL = SENT_TTL
# A story index entry or a link marker only has to find stories young enough to join (a story
# takes reports up to 72 hours after its first, bot/core/stories.py).
STORY_LOOKUP_TTL = 73 * 3600
# Word and key counts for grouping weights: one hash per period; the current and the previous
# one are read, so the weights follow the last one to two weeks of news.
TERM_PERIOD = 7 * 86_400
TERMS_TTL = 2 * TERM_PERIOD + 3600
TERMS_DOCS = ""  # the field of a period's hash that counts its reports
MAX_EDITS = 3  # a chat's message about a story is edited at most this often ("Also: ...")
# Chats whose held alerts (quiet hours, digests) are due: sorted set of chat ids by epoch s.
DIGEST_DUE = f"{PREFIX}:digest:due"
DIGEST_LEASE_MS = 60_000  # a sender building a chat's digest holds it this long at most


def chat(chat_id: int) -> str:
    """Hash of a chat's settings: alerts on/off, all sources or a chosen set, active."""
    return f"{PREFIX}:chat:{{{chat_id}}}"


def chat_sources(chat_id: int) -> str:
    """Set of feed ids a chat chose (used when it does not follow all sources)."""
    return f"{PREFIX}:chat:{{{chat_id}}}:sources"


def chat_channels(chat_id: int) -> str:
    """Set of the channels that post a chat's alerts (they follow its rules and sources)."""
    return f"{PREFIX}:chat:{{{chat_id}}}:channels"


def chat_rules(chat_id: int) -> str:
    """List of a chat's watch rules, in the order they were added."""
    return f"{PREFIX}:chat:{{{chat_id}}}:rules"


def feed_state(feed_id: str) -> str:
    """Hash of a feed's polling state: validators, primed flag, health."""
    return f"{PREFIX}:feed:{{{feed_id}}}"


def feed_latest(feed_id: str) -> str:
    """Sorted set of a feed's newest item ids, scored by publish time."""
    return f"{PREFIX}:feed:{{{feed_id}}}:latest"


def feed_kept(feed_id: str) -> str:
    """Sorted set of the item ids a feed has stored or marked seen, by when last in the feed.

    Past the feed's cap the oldest are dropped with their bodies and seen markers.
    """
    return f"{PREFIX}:feed:{{{feed_id}}}:kept"


def feed_kept_fingerprints(feed_id: str) -> str:
    """Sorted set of a feed's content fingerprints, by when last in the feed (capped as ids)."""
    return f"{PREFIX}:feed:{{{feed_id}}}:kept:fp"


def lease(feed_id: str) -> str:
    """A poller's claim on a feed while it fetches it (SET NX PX: it expires if the poller dies)."""
    return f"{PREFIX}:lease:{{{feed_id}}}"


def fingerprint(feed_id: str, digest: str) -> str:
    """Marker that an item with this content was seen in a feed (catches GUIDs that change)."""
    return f"{PREFIX}:fp:{{{feed_id}}}:{digest}"


def seen(feed_id: str, item_id: str) -> str:
    """Marker that an item of a feed was seen (SET NX, expires after the retention)."""
    return f"{PREFIX}:seen:{{{feed_id}}}:{item_id}"


def item(item_id: str) -> str:
    """An item's JSON, kept as long as its seen marker."""
    return f"{PREFIX}:item:{item_id}"


def sent(chat_id: int, story_id: str) -> str:
    """A chat's claim on sending a story, then the sent message's id: nothing is sent twice."""
    return f"{PREFIX}:sent:{{{chat_id}}}:{story_id}"


def shard_of(chat_id: int) -> int:
    """The delivery shard a chat's alerts go to."""
    return chat_id % SHARDS


def deliveries(shard: int) -> str:
    """One shard's delivery stream."""
    return f"{PREFIX}:deliveries:{{{shard}}}"


def shard_lease(shard: int) -> str:
    """The lease of the sender that reads a shard (SET NX PX, renewed while it lives)."""
    return f"{PREFIX}:deliveries:{{{shard}}}:lease"


def attempts(shard: int) -> str:
    """Hash of a shard's failing entries: entry id -> failed attempts so far."""
    return f"{PREFIX}:deliveries:{{{shard}}}:attempts"


def rate_chat(chat_id: int) -> str:
    """A chat's rate-limit state (GCRA), so no chat gets more than Telegram allows."""
    return f"{PREFIX}:rate:chat:{{{chat_id}}}"


def story(story_id: str) -> str:
    """Hash of a story: its outlets' feed ids in order (JSON) and when it started."""
    return f"{PREFIX}:story:{{{story_id}}}"


def story_reports(story_id: str) -> str:
    """List of a story's first reports' grouping features (JSON), to compare new items with."""
    return f"{PREFIX}:story:{{{story_id}}}:reports"


def story_chats(story_id: str) -> str:
    """Hash of the chats told of a story: chat id -> the item and rule of their message (JSON)."""
    return f"{PREFIX}:story:{{{story_id}}}:chats"


def story_index(key: str) -> str:
    """Sorted set of the young stories a word or key was reported in, by their latest report."""
    return f"{PREFIX}:{{storyix}}:ix:{key}"


def terms(period: int) -> str:
    """Hash of how many reports of one period held each word or key (and, at "", how many)."""
    return f"{PREFIX}:{{terms}}:{period}"


def story_link(link_digest: str) -> str:
    """The story a canonical link was first reported in."""
    return f"{PREFIX}:{{storyix}}:link:{link_digest}"


def edits(chat_id: int, story_id: str) -> str:
    """Hash of how a chat's message about a story was edited: edit count, outlets shown."""
    return f"{PREFIX}:sent:{{{chat_id}}}:{story_id}:edits"


def held(chat_id: int) -> str:
    """Sorted set of a chat's alerts waiting for its digest or the end of its quiet hours."""
    return f"{PREFIX}:held:{{{chat_id}}}"


def digest_lease(chat_id: int) -> str:
    """The sender building a chat's digest (SET NX PX)."""
    return f"{PREFIX}:held:{{{chat_id}}}:lease"


def latest_query(digest: str) -> str:
    """A /latest filter a "more" button refers to (callback data is too short to carry it)."""
    return f"{PREFIX}:latestq:{digest}"


def burst(chat_id: int, feed_id: str) -> str:
    """How many first alerts a chat was queued from one feed in the current burst window."""
    return f"{PREFIX}:burst:{{{chat_id}}}:{feed_id}"


BURST_WINDOW = 60  # seconds: a chat's alerts from one feed are counted per this window


def rate_commands(chat_id: int) -> str:
    """A chat's command rate-limit state (GCRA), so one chat cannot keep the bot busy."""
    return f"{PREFIX}:rate:commands:{{{chat_id}}}"


def rate_notice(chat_id: int) -> str:
    """When a chat over its command rate was last told to slow down."""
    return f"{PREFIX}:rate:notice:{{{chat_id}}}"


def counter(name: str, minute: int) -> str:
    """How often `name` happened (messages sent, items found ...) in one minute (epoch // 60)."""
    return f"{PREFIX}:count:{name}:{minute}"
