"""Connecting to Redis: the configured server or cluster, or an embedded server of our own."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline as ServerPipeline
from redis.asyncio.cluster import ClusterPipeline, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import StoreError
from bot.store.embedded import EmbeddedRedis, running_server_url

log = logging.getLogger(__name__)

# A URL with one of these schemes names a Redis Cluster (any node's address will do): the client
# then routes each key to the node that holds its slot.
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")

# What every repository works through: one server, or a cluster.
Client: TypeAlias = aioredis.Redis | RedisCluster
# What `Client.pipeline()` gives, for helpers that queue commands on a caller's pipeline.
Pipeline: TypeAlias = ServerPipeline | ClusterPipeline

# What a Redis call raises when the server or cluster is away or refuses: redis-py's errors, and
# the cluster client's own exception for "no node answers" (which is not a RedisError).
REDIS_ERRORS: tuple[type[RedisError], type[RedisClusterException]] = (
    RedisError,
    RedisClusterException,
)


@dataclass
class RedisHandle:
    """A connected client, and the embedded server behind it when there is one."""

    client: Client
    url: str
    server: EmbeddedRedis | None = None


def redact(url: str) -> str:
    """The URL without its password, fit for logs and error messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def is_cluster(url: str) -> bool:
    """Whether the URL names a Redis Cluster."""
    return url.partition("://")[0].lower() in CLUSTER_SCHEMES


def _node_url(url: str) -> str:
    """A cluster URL as the plain redis:// or rediss:// URL of the node it names."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.lower().removesuffix('+cluster')}{sep}{rest}" if is_cluster(url) else url


def make_client(url: str, *, retries: int = 6) -> Client:
    """An asyncio client (the cluster client for a cluster URL) that retries when a link drops.

    Six retries with exponential backoff ride out about 7 s of outage before a command fails.
    """
    options: dict[str, Any] = {
        "decode_responses": True,
        "socket_connect_timeout": 5,
        "health_check_interval": 30,
        "retry": Retry(ExponentialBackoff(cap=2.0, base=0.05), retries),
    }
    if is_cluster(url):
        return RedisCluster.from_url(_node_url(url), **options)
    return aioredis.Redis.from_url(
        url, retry_on_error=[RedisConnectionError, RedisTimeoutError], **options
    )


async def check(url: str) -> None:
    """PING the server once; raise StoreError with a clear reason when it does not answer."""
    # A separate client without retries, so a wrong URL fails in seconds, not after backoff.
    # A cluster node answers PING like any server; the cluster client then finds the others.
    probe = aioredis.Redis.from_url(
        _node_url(url), socket_connect_timeout=3, socket_timeout=3, retry=Retry(NoBackoff(), 0)
    )
    try:
        await probe.ping()
    except (*REDIS_ERRORS, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError(f"cannot reach Redis at {redact(url)}: {reason}") from None
    finally:
        await probe.aclose()


@asynccontextmanager
async def open_redis(
    url: str | None, data_dir: Path | None, *, attach: bool = False
) -> AsyncIterator[RedisHandle]:
    """Connect to `url`, or start an embedded server (persistent in `data_dir`, else throwaway).

    With `attach`, an embedded server that a running bot already keeps on `data_dir` is used
    (for command-line tools run beside the bot).
    """
    server: EmbeddedRedis | None = None
    if url is None and attach and data_dir is not None:
        running = running_server_url(data_dir)
        if running is not None:
            with contextlib.suppress(StoreError):  # a file left by a bot that was killed
                await check(running)
                url = running
    if url is None:
        server = EmbeddedRedis(data_dir).start()
        url = server.url
    try:
        await check(url)
    except StoreError:
        if server is not None:
            server.stop()
        raise
    client = make_client(url)
    try:
        yield RedisHandle(client=client, url=url, server=server)
    finally:
        await client.aclose()
        if server is not None:
            server.stop()
