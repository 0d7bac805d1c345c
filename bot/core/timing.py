"""When a chat's alerts go out: now, after its quiet hours, or in its hourly or daily digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.models import ChatView

UTC_ZONE = ZoneInfo("UTC")


def utcnow() -> datetime:
    """The current time in UTC: the clock the poller and the sender take unless given another."""
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """The time zone called `name`, or UTC when it is unknown (a stale or mistyped setting)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def quiet_end(chat: ChatView, now: datetime) -> datetime | None:
    """When the chat's quiet hours end, if `now` falls within them (else None)."""
    if chat.quiet is None:
        return None
    start, end = chat.quiet
    if start == end:
        return None
    local = now.astimezone(zone(chat.tz))
    hour = local.hour
    inside = start <= hour < end if start < end else hour >= start or hour < end
    if not inside:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    return _local(day, end, chat.tz)


def next_digest(chat: ChatView, now: datetime) -> datetime:
    """When the chat's next digest is due: the next full local hour, or its daily hour."""
    local = now.astimezone(zone(chat.tz))
    if chat.mode == "hourly":
        top = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return top.astimezone(UTC_ZONE)
    due = _local(local.date(), chat.digest_hour, chat.tz)
    if due <= now:
        due = _local(local.date() + timedelta(days=1), chat.digest_hour, chat.tz)
    return due


def hold_until(chat: ChatView, now: datetime) -> datetime | None:
    """Until when an alert for this chat waits (None: send it now).

    Digests are due at their hour; a digest or an alert that falls in quiet hours waits for them
    to end. Both kinds of waiting alerts are sent as one digest message, so one mechanism serves.
    """
    due = next_digest(chat, now) if chat.mode != "instant" else now
    after_quiet = quiet_end(chat, due)
    if after_quiet is not None:
        due = after_quiet
    return None if due <= now else due


def _local(day: date, hour: int, tz: str) -> datetime:
    """`hour`:00 local time on `day`, in UTC (a skipped DST hour resolves forward)."""
    return datetime.combine(day, time(hour), tzinfo=zone(tz)).astimezone(UTC_ZONE)
