"""When alerts go out: quiet hours, hourly and daily digests, in the chat's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.models import ChatView
from bot.core.timing import hold_until, next_digest, quiet_end, zone


def at(text: str) -> datetime:
    """A UTC moment from 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def chat(**settings: object) -> ChatView:
    """A started chat with these settings."""
    return ChatView.model_validate({"chat_id": 1, "known": True, "alerts": True, **settings})


@pytest.mark.parametrize(
    ("settings", "now", "expected"),
    [
        ({}, "2026-11-24 03:00", None),
        ({"quiet": (22, 7)}, "2026-11-24 03:00", "2026-11-24 07:00"),
        ({"quiet": (22, 7)}, "2026-11-24 23:30", "2026-11-25 07:00"),
        ({"quiet": (22, 7)}, "2026-11-24 07:00", None),
        ({"quiet": (22, 7)}, "2026-11-24 21:59", None),
        ({"quiet": (0, 6)}, "2026-11-24 05:59", "2026-11-24 06:00"),
        ({"quiet": (0, 6)}, "2026-11-24 06:00", None),
        # Baghdad is UTC+3: 20:30 UTC is 23:30 there, quiet until 07:00 local = 04:00 UTC.
        ({"quiet": (23, 7), "tz": "Asia/Baghdad"}, "2026-11-24 20:30", "2026-11-25 04:00"),
        ({"quiet": (23, 7), "tz": "Asia/Baghdad"}, "2026-11-24 19:30", None),
        ({"quiet": (5, 5)}, "2026-11-24 05:00", None),
    ],
)
def test_quiet_end(settings: dict[str, object], now: str, expected: str | None) -> None:
    """Quiet hours hold alerts from their start to their end hour, across midnight, locally."""
    found = quiet_end(chat(**settings), at(now))
    assert found == (at(expected) if expected else None)


@pytest.mark.parametrize(
    ("settings", "now", "expected"),
    [
        ({"mode": "hourly"}, "2026-11-24 10:15", "2026-11-24 11:00"),
        ({"mode": "hourly"}, "2026-11-24 10:00", "2026-11-24 11:00"),
        # India is UTC+5:30: its full hours fall at half past in UTC.
        ({"mode": "hourly", "tz": "Asia/Kolkata"}, "2026-11-24 10:15", "2026-11-24 10:30"),
        ({"mode": "daily", "digest_hour": 8}, "2026-11-24 07:59", "2026-11-24 08:00"),
        ({"mode": "daily", "digest_hour": 8}, "2026-11-24 08:00", "2026-11-25 08:00"),
        ({"mode": "daily", "tz": "Asia/Riyadh"}, "2026-11-24 06:00", "2026-11-25 05:00"),
        ({"mode": "daily", "tz": "Asia/Riyadh"}, "2026-11-24 04:00", "2026-11-24 05:00"),
    ],
)
def test_next_digest(settings: dict[str, object], now: str, expected: str) -> None:
    """An hourly digest is due at the next full local hour, a daily one at its local hour."""
    assert next_digest(chat(**settings), at(now)) == at(expected)


@pytest.mark.parametrize(
    ("settings", "now", "expected"),
    [
        ({}, "2026-11-24 10:15", None),
        ({"quiet": (22, 7)}, "2026-11-24 10:15", None),
        ({"quiet": (22, 7)}, "2026-11-24 23:15", "2026-11-25 07:00"),
        ({"mode": "hourly"}, "2026-11-24 10:15", "2026-11-24 11:00"),
        # The 23:00 digest falls in quiet hours: it waits for them to end.
        ({"mode": "hourly", "quiet": (23, 7)}, "2026-11-24 22:15", "2026-11-25 07:00"),
        ({"mode": "daily", "quiet": (22, 7)}, "2026-11-24 09:00", "2026-11-25 08:00"),
    ],
)
def test_hold_until(settings: dict[str, object], now: str, expected: str | None) -> None:
    """An alert goes now, after quiet hours, or with the next digest (itself after quiet hours)."""
    found = hold_until(chat(**settings), at(now))
    assert found == (at(expected) if expected else None)


def test_unknown_zone_is_utc() -> None:
    """A time zone name that does not exist is read as UTC rather than failing a send."""
    assert zone("Mars/Olympus_Mons").key == "UTC"
    assert zone("Asia/Baghdad").key == "Asia/Baghdad"


def test_pause_until() -> None:
    """A pause ends at its time; a pause without an end lasts until resumed."""
    later = at("2026-11-24 12:00")
    paused = chat(paused=True, paused_until=later)
    assert paused.is_paused(at("2026-11-24 11:59"))
    assert not paused.is_paused(later)
    assert chat(paused=True).is_paused(at("2030-01-01 00:00"))
    assert not chat().is_paused(later)
