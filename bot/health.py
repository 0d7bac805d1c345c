"""The operator's HTTP endpoint: /metrics for Prometheus and /healthz for container health checks.

A few lines of asyncio rather than a web framework: two GET routes, answered and closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics
from bot.store import Store
from bot.store.connection import REDIS_ERRORS

log = logging.getLogger(__name__)

READ_TIMEOUT = 5.0
CHECK_TIMEOUT = 3.0  # a health check that cannot reach Redis in this long fails


@dataclass(frozen=True)
class Health:
    """What /healthz reports; `ok` decides between 200 and 503."""

    ok: bool
    role: str
    redis: bool
    last_poll_age_s: float | None  # since any poller finished polling a feed
    sender_lag_s: float | None  # age of the oldest alert not yet sent
    backlog: int | None
    problems: list[str]


@dataclass(frozen=True)
class HealthThresholds:
    """When a role counts as unhealthy."""

    max_poll_age: float  # seconds without any finished poll (pollers)
    max_sender_lag: float  # seconds the oldest waiting alert may wait (senders)


class TelegramLink:
    """Whether this process has reached Telegram yet: while it has not, /healthz says why."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        """Nothing tried yet."""
        self._clock = clock
        self._reason: str | None = None
        self._since = 0.0

    def failed(self, reason: str) -> None:
        """A call to Telegram could not reach it."""
        if self._reason is None:
            self._since = self._clock()
        self._reason = reason

    def reached(self) -> None:
        """A call to Telegram was answered."""
        self._reason = None

    def problem(self) -> str | None:
        """The outage in words, or None while Telegram is reached (or not tried yet)."""
        if self._reason is None:
            return None
        return f"Telegram unreachable for {self._clock() - self._since:.0f} s: {self._reason}"


async def check(
    store: Store, role: str, thresholds: HealthThresholds, telegram: TelegramLink | None = None
) -> Health:
    """Ask Redis how this fleet is doing; refresh the stream and poll gauges on the way.

    `telegram` tells whether this process reached Telegram (the bot and sender roles need it).
    """
    outage = telegram.problem() if telegram is not None else None
    problems: list[str] = [outage] if outage else []
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await store.redis.ping()
            now = time.time()
            polled = await store.schedule.last_polled()
            oldest = await store.deliveries.oldest_waiting()
            backlog = await store.deliveries.backlog()
    except (*REDIS_ERRORS, TimeoutError, OSError) as exc:
        problems.append(f"Redis unreachable: {exc}")
        return Health(False, role, False, None, None, None, problems)
    poll_age = None if polled is None else max(0.0, now - polled)
    lag = 0.0 if oldest is None else max(0.0, now - oldest.timestamp())
    metrics.STREAM_LAG.set(backlog)
    metrics.STREAM_OLDEST_AGE.set(lag)
    if poll_age is not None:
        metrics.LAST_POLL_AGE.set(poll_age)
    if role in ("all", "poller") and poll_age is not None and poll_age > thresholds.max_poll_age:
        problems.append(f"no feed polled for {poll_age:.0f} s")
    if role in ("all", "sender") and lag > thresholds.max_sender_lag:
        problems.append(f"the oldest waiting alert is {lag:.0f} s old")
    return Health(not problems, role, True, poll_age, lag, backlog, problems)


async def serve(
    host: str, port: int, health: Callable[[], Awaitable[Health]], stop: asyncio.Event
) -> None:
    """Answer GET /metrics and GET /healthz on host:port until `stop` is set."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                request = await reader.readline()
                while (await reader.readline()).strip():  # headers: not needed
                    pass
            parts = request.decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 else ""
            if len(parts) < 2 or parts[0] not in ("GET", "HEAD"):
                status, kind, body = 405, "text/plain", b"only GET\n"
            elif path == "/metrics":
                await health()  # refreshes the gauges read from Redis
                status, kind, body = 200, CONTENT_TYPE_LATEST, generate_latest()
            elif path == "/healthz":
                found = await health()
                status = 200 if found.ok else 503
                kind, body = "application/json", json.dumps(asdict(found)).encode() + b"\n"
            else:
                status, kind, body = 404, "text/plain", b"try /metrics or /healthz\n"
            reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}.get(
                status, "Service Unavailable"
            )
            head = (
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + (b"" if parts[:1] == ["HEAD"] else body))
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, host, port)
    log.info("metrics and health on http://%s:%d/metrics and /healthz", host, port)
    async with server:
        await stop.wait()
