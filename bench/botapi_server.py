"""The Bot API emulator with Telegram's limits enforced, in a child process, for bench/fanout.py.

The emulator's HTTP server is a threaded Python server: in its own process it does not compete
with the bench for the interpreter, and its answers are timed as Telegram would see them. The
parent starts it, reads its URL and token, and asks over a pipe for progress (messages taken,
429 answers) and, at the end, for everything it recorded: every message's chat and time, the
status of every sendMessage call, the breaches of the limits, and the CPU the server used.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _serve(conn: Connection) -> None:
    """The child process: serve the emulator and answer the parent's commands until "stop"."""
    from testkit.botapi import BotApiEmulator

    emulator = BotApiEmulator(enforce_limits=True)
    emulator.start()
    conn.send({"base_url": emulator.base_url, "token": emulator.token})
    cpu0 = _cpu()
    try:
        while True:
            try:
                command = conn.recv()
            except EOFError:  # the parent is gone
                return
            reply: Any = None
            if command == "progress":
                chats = {m.chat_id for m in emulator.sent()}
                refused = sum(1 for c in emulator.calls("sendMessage") if c.http_status == 429)
                reply = {"chats": len(chats), "refused": refused}
            elif command == "report":
                calls = emulator.calls("sendMessage")
                reply = {
                    "sent": [(m.chat_id, m.date) for m in emulator.sent()],
                    "statuses": dict(Counter(c.http_status for c in calls)),
                    "refused_at": [c.time for c in calls if c.http_status == 429],
                    "breaches": emulator.breaches,
                    "max_in_1s": emulator.max_rate(None, 1.0),
                    "get_me": len(emulator.calls("getMe")),
                    "cpu_s": _cpu() - cpu0,
                }
            elif command == "stop":
                conn.send(None)
                return
            conn.send(reply)
    finally:
        emulator.stop()


class EmulatorProcess:
    """The parent's handle on the emulator process."""

    def __init__(self) -> None:
        """Describe the process; `start()` runs it."""
        self._conn: Connection | None = None
        self._process: Any = None
        self.base_url = ""
        self.token = ""

    def start(self) -> EmulatorProcess:
        """Start the child (spawned: it inherits nothing) and wait until it serves."""
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        child.close()
        self._conn = parent
        ready = parent.recv()
        self.base_url = ready["base_url"]
        self.token = ready["token"]
        return self

    def _call(self, command: str) -> Any:
        assert self._conn is not None, "the emulator is not running"
        self._conn.send(command)
        return self._conn.recv()

    def progress(self) -> dict[str, int]:
        """How many chats got a message so far, and how many sends were answered 429."""
        return dict(self._call("progress"))

    def report(self) -> dict[str, Any]:
        """Everything recorded: (chat, time) of each message, statuses, breaches, CPU seconds."""
        return dict(self._call("report"))

    def stop(self) -> None:
        """Stop serving and end the child process."""
        if self._conn is not None:
            with contextlib.suppress(EOFError, OSError):  # the child is already gone
                self._call("stop")
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=5)
            self._process = None

    def __enter__(self) -> EmulatorProcess:
        """Start the process."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the process."""
        self.stop()
