"""The operator endpoint: /metrics in Prometheus format, /healthz as JSON with 200 or 503."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis

from bot import metrics
from bot.core.models import Delivery
from bot.health import HealthThresholds, check, serve
from bot.logs import JsonLines, RedactSecrets
from bot.store import Store


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def endpoint(store: Store) -> AsyncIterator[tuple[str, HealthThresholds]]:
    """The endpoint of an "all" role process on a local port, with limits a test can tighten."""
    port = free_port()
    stop = asyncio.Event()
    limits = HealthThresholds(max_poll_age=60, max_sender_lag=60)
    current = {"limits": limits}
    task = asyncio.create_task(
        serve("127.0.0.1", port, lambda: check(store, "all", current["limits"]), stop)
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            try:
                await client.get(base + "/healthz", timeout=1)
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.02)
    yield base, limits
    stop.set()
    await task


async def test_metrics_are_prometheus_text(
    endpoint: tuple[str, HealthThresholds], store: Store
) -> None:
    """GET /metrics lists the alertbot counters and the stream gauge read from Redis."""
    base, _ = endpoint
    metrics.FEEDS_POLLED.labels("new").inc()
    await store.deliveries.ensure_groups()
    await store.deliveries.enqueue([Delivery(chat_id=5, item_id="x", rule="r")])
    async with httpx.AsyncClient() as client:
        answer = await client.get(base + "/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'alertbot_feeds_polled_total{outcome="new"}' in answer.text
    assert "alertbot_stream_lag 1.0" in answer.text
    assert "alertbot_send_latency_seconds_bucket" in answer.text


async def test_healthz_ok_then_unhealthy(
    endpoint: tuple[str, HealthThresholds], store: Store
) -> None:
    """A fresh poll and an empty stream answer 200; a stale poll answers 503 naming the problem."""
    base, _ = endpoint
    await store.deliveries.ensure_groups()
    await store.schedule.polled(time.time() - 5)
    async with httpx.AsyncClient() as client:
        ok = await client.get(base + "/healthz")
        assert ok.status_code == 200
        body = ok.json()
        assert body["ok"]
        assert body["redis"]
        assert body["problems"] == []
        assert 4 <= body["last_poll_age_s"] < 30
        await store.schedule.polled(time.time() - 3600)
        stale = await client.get(base + "/healthz")
        assert stale.status_code == 503
        assert "no feed polled for" in stale.json()["problems"][0]
        assert (await client.get(base + "/nope")).status_code == 404


@pytest.mark.slow  # waits out the client's connection retries
async def test_health_without_redis() -> None:
    """When Redis cannot be reached the check fails fast and says so."""
    client = aioredis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    try:
        found = await check(Store(client, retention_seconds=60), "sender", HealthThresholds(60, 60))
    finally:
        await client.aclose()
    assert not found.ok
    assert not found.redis
    assert "Redis unreachable" in found.problems[0]


def test_json_logs_carry_ids_and_never_the_token() -> None:
    """JSON log lines hold the message, level and the feed or chat id; the token is redacted."""
    record = logging.LogRecord(
        "bot.x", logging.WARNING, __file__, 1, "feed %s down: %s", None, None
    )
    record.args = ("wire", "https://api/bot123:SECRET/x")
    record.feed_id = "wire"
    RedactSecrets(["123:SECRET"]).filter(record)
    line = json.loads(JsonLines().format(record))
    assert line["message"] == "feed wire down: https://api/bot[redacted]/x"
    assert (line["level"], line["logger"], line["feed_id"]) == ("WARNING", "bot.x", "wire")
    assert "chat_id" not in line
