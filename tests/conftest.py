"""Shared fixtures: a real Redis server, a real local feed server, the Telegram Bot API emulator."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB's retry_after deprecation warning fails -W error

from bot.demo.feedserver import FeedServer
from bot.errors import StoreError
from bot.store import Store
from bot.store.connection import Client, make_client
from bot.store.embedded import EmbeddedRedis
from tests.support.botapi import BotApiEmulator
from tests.support.cluster import LocalCluster

EXTERNAL_REDIS_ENV = "ALERTBOT_TEST_REDIS_URL"
RETENTION = 3600


@pytest.fixture(scope="session", params=["server", "cluster"])
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real Redis server, then a real local 3-master Redis Cluster: Redis tests run on both."""
    # ALERTBOT_TEST_REDIS_URL replaces the embedded single server (never the cluster).
    if request.param == "cluster":
        try:
            cluster = LocalCluster().start()
        except StoreError as exc:
            pytest.skip(f"no Redis Cluster: {exc}")
        try:
            yield cluster.url
        finally:
            cluster.stop()
        return
    external = os.environ.get(EXTERNAL_REDIS_ENV)
    if external:
        yield external
        return
    with EmbeddedRedis(None) as server:
        yield server.url


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the tests marked one_server out of the cluster run."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        params = getattr(item, "callspec", None)
        on_cluster = params is not None and params.params.get("redis_url") == "cluster"
        (drop if on_cluster and item.get_closest_marker("one_server") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Client]:
    """A client on an empty database (flushed before each test)."""
    client = make_client(redis_url)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def store(redis: Client) -> Store:
    """The repositories over the test database."""
    return Store(redis, retention_seconds=RETENTION)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A local HTTP server for feed files."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def emu() -> Iterator[BotApiEmulator]:
    """A local Telegram Bot API emulator."""
    emulator = BotApiEmulator()
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def strict_emu() -> Iterator[BotApiEmulator]:
    """A Bot API emulator that enforces Telegram's limits and records every breach."""
    emulator = BotApiEmulator(enforce_limits=True)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def fixtures_dir() -> Path:
    """The folder of test feed files."""
    return Path(__file__).parent / "fixtures"
