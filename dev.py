#!/usr/bin/env python3
"""Developer entry point: `python3 dev.py run` or `python3 dev.py test` on a fresh machine.

Creates `.venv` with the pinned dependencies when it is missing or out of date, then runs the
bot (`alertbot`: the real bot with ALERTBOT_TELEGRAM_TOKEN set, the local demo without) or the
whole test suite (`test --fast`: only the fast tier, the pure and handler tests, in seconds).
Needs only Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".alertbot-deps"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
USAGE = "usage: python3 dev.py run [alertbot args] | python3 dev.py test [--fast] [pytest args]"


def _deps_hash() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_venv() -> None:
    """Create or update .venv so it holds exactly the pinned dependencies."""
    wanted = _deps_hash()
    if STAMP.is_file() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        print("dev.py: creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing dependencies (pinned in constraints.txt) ...", file=sys.stderr)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "install", "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[dev]"],
        check=True,
    )
    STAMP.write_text(wanted)


def _workers(args: list[str]) -> list[str]:
    """pytest-xdist options: a worker per core, and what each worker is given.

    The full suite keeps the real-time tests on one worker (`loadgroup`); the fast tier gives
    each worker whole files (`loadfile`), so the handler tests start one Redis and one emulator
    on one worker while the other runs the pure tests. Runs that choose their own `-n` keep it.
    """
    if any(arg.startswith(("-n", "--numprocesses")) for arg in args):
        return []
    return ["-n", "auto", "--dist", "loadfile" if "--fast" in args else "loadgroup"]


def main(argv: list[str]) -> int:
    """Dispatch `run` or `test`."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run on old Pythons to say so
        print("dev.py: alertbot needs Python 3.11 or newer", file=sys.stderr)
        return 2
    if not argv or argv[0] not in ("run", "test"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        ensure_venv()
    except subprocess.CalledProcessError as exc:
        print(f"dev.py: installing dependencies failed ({exc})", file=sys.stderr)
        return 1
    os.chdir(ROOT)
    if argv[0] == "run":
        command = [str(BIN / "alertbot"), *argv[1:]]
    else:
        command = [str(BIN / "python"), "-m", "pytest", *_workers(argv[1:]), *argv[1:]]
    os.execv(command[0], command)
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
