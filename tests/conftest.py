"""Shared fixtures: a real Redis server, a real local feed server, the Telegram Bot API emulator."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB's retry_after deprecation warning fails -W error

from bot.core import analysis, arabic, document, names, stories
from bot.demo.feedserver import FeedServer
from bot.errors import StoreError
from bot.store import Store
from bot.store.connection import Client, make_client
from bot.store.embedded import EmbeddedRedis
from testkit.botapi import BotApiEmulator
from testkit.cluster import LocalCluster

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
        # Each pytest-xdist worker flushes its database before every test: one database each.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        yield urlsplit(external)._replace(path=f"/{worker.removeprefix('gw')}").geturl()
        return
    with EmbeddedRedis(None) as server:
        yield server.url


# The modules whose code talks to Redis itself (repositories, Lua scripts, streams, leases): their
# tests run on a single server and again on a 3-master cluster, where hash tags and cross-slot
# commands show. Handlers, CLIs and end-to-end tests reach Redis only through these same
# repositories, so they run on the single server.
CLUSTER_MODULES = frozenset(
    {
        "test_store",
        "test_stories",
        "test_sender",
        "test_delivery_reliability",
        "test_poller",
        "test_schedule",
    }
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--fast`: the quick tier (no cluster, nothing marked slow)."""
    parser.addoption(
        "--fast",
        action="store_true",
        help="run the fast tier: pure tests and handler tests on one Redis server, in seconds",
    )


# Tests that hold real time against Telegram's limits (the strict emulator, whole processes):
# under pytest-xdist (`python3 dev.py test`) they run one after another on one worker, so no two
# of them compete for the CPU and blur each other's timing; the rest share the other workers.
REAL_TIME_MODULES = frozenset({"test_roles", "test_delivery_reliability", "test_e2e", "test_cli"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the cluster pass only where Redis code is tested; `--fast` leaves the slow tier out."""
    fast = bool(config.getoption("--fast"))
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        if item.path.stem in REAL_TIME_MODULES or "strict_emu" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("real-time"))
        (keep if _selected(item, fast=fast) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# The fast tier is the pure tests (no server of any kind) and the handler tests, on one Redis
# server; a test that waits on real time or starts processes is marked slow and left out.
SERVER_FIXTURES = frozenset({"redis_url", "emu", "strict_emu", "feed_server"})
FAST_MODULES = frozenset({"test_handlers"})


def _selected(item: pytest.Item, *, fast: bool) -> bool:
    params = getattr(item, "callspec", None)
    if params is not None and params.params.get("redis_url") == "cluster":
        return (
            not fast
            and item.path.stem in CLUSTER_MODULES
            and not item.get_closest_marker("one_server")
        )
    if not fast:
        return True
    if item.get_closest_marker("slow"):
        return False
    uses_servers = SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    return not uses_servers or item.path.stem in FAST_MODULES


@pytest.fixture(autouse=True)
def _fresh_word_caches() -> None:
    """Under mutmut, each test computes its words' stems, forms and name keys anew.

    mutmut (which sets MUTANT_UNDER_TEST) learns which tests reach a function by watching the
    calls, and runs only those tests on the function's mutants. A cached word's forms come back
    without a call, so a test whose words an earlier test (or the collection) had met would not
    count as reaching the stemming or the name code, and its mutants would survive unexamined.
    """
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    names.latin_sounds.cache_clear()
    names.latin_key.cache_clear()
    names.arabic_keys.cache_clear()
    names.item_keys.cache_clear()
    arabic.proclitic_forms.cache_clear()
    analysis.raw_item_forms.cache_clear()
    analysis._arabic_rule_forms.cache_clear()
    document._forms.cache_clear()
    stories._shortest_raw.cache_clear()


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
