"""Prometheus metrics of this process (prometheus-client), served by bot/health.py on /metrics.

Counters are per process (Prometheus sums them over the fleet); the stream gauges are the same
in every process because they are read from Redis.
"""

from __future__ import annotations

from typing import get_args

from prometheus_client import Counter, Gauge, Histogram

from bot.errors import FeedErrorKind

FEEDS_POLLED = Counter(
    "alertbot_feeds_polled",
    "Feed polls, by outcome (new, quiet, not_modified, failed)",
    ["outcome"],
)
FETCH_ERRORS = Counter(
    "alertbot_fetch_errors",
    f"Failed feed polls, by kind ({', '.join(get_args(FeedErrorKind))})",
    ["kind"],
)
ITEMS_NEW = Counter("alertbot_items_new", "New items found in feeds")
MATCHES = Counter(
    "alertbot_matches",
    "A chat's rule matched a story new to it: an alert queued, or a line of a burst's message",
)
BURSTS = Counter(
    "alertbot_bursts",
    "Messages listing a chat's alerts past its burst limit for one feed",
)
FOLDED = Counter(
    "alertbot_matches_folded",
    "Matches that joined a story the chat was alerted to (its message shows the story)",
)
UPDATES = Counter(
    "alertbot_updates_queued", "Edits queued: a story a chat was told of got an outlet"
)
DELIVERIES = Counter(
    "alertbot_deliveries",
    "Deliveries handled, by outcome (sent, edited, digest, held, retried, flood, gone, dead, "
    "dropped)",
    ["outcome"],
)
SEND_LATENCY = Histogram(
    "alertbot_send_latency_seconds",
    "Time Telegram took to answer a send or an edit",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
DELIVERY_DELAY = Histogram(
    "alertbot_delivery_delay_seconds",
    "Time from queueing an alert to Telegram taking it",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)
STREAM_LAG = Gauge("alertbot_stream_lag", "Deliveries queued and not yet acknowledged (all shards)")
STREAM_OLDEST_AGE = Gauge(
    "alertbot_stream_oldest_age_seconds", "Age of the oldest delivery not yet acknowledged"
)
LAST_POLL_AGE = Gauge("alertbot_last_poll_age_seconds", "Seconds since any poller last polled")
