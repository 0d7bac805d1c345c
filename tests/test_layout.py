"""Structure rules: module boundaries, one home for Redis keys, clean lint and types."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # ruff and mypy run over the whole tree

ROOT = Path(__file__).resolve().parents[1]
STDLIB = sys.stdlib_module_names

# What each part may not import (a prefix matches the module and its submodules).
FORBIDDEN = {
    "bot/core": ("telegram", "redis", "httpx", "feedparser", "bot.feeds", "bot.store",
                 "bot.delivery", "bot.poller", "bot.app", "handlers", "config"),
    "bot/feeds": ("telegram", "redis", "bot.store", "bot.delivery", "handlers"),
    "bot/store": ("telegram", "httpx", "feedparser", "bot.feeds", "bot.delivery", "handlers"),
    "bot/delivery": ("redis", "httpx", "feedparser", "bot.feeds", "handlers"),
    "handlers": ("redis", "httpx", "feedparser", "bot.feeds", "testkit"),
    # The product never imports test tooling; benches share it with the tests through testkit.
    "bot": ("tests", "testkit"),
    "config": ("tests", "testkit"),
    "bench": ("tests",),
    "testkit": ("tests",),
}  # fmt: skip


def imports(path: Path) -> set[str]:
    """Every module a Python file imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_module_boundaries(part: str) -> None:
    """Each part imports only what the architecture allows it."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / part).rglob("*.py"))
        for module in sorted(imports(path))
        if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN[part])
    ]
    assert offenders == []


def test_core_uses_only_stdlib_and_pydantic() -> None:
    """The domain core depends on nothing outside the standard library and pydantic."""
    outside = {
        module
        for path in (ROOT / "bot/core").rglob("*.py")
        for module in imports(path)
        if module.split(".")[0] not in STDLIB | {"pydantic", "bot"}
        or (module.startswith("bot.") and not module.startswith(("bot.core", "bot.errors")))
    }
    assert outside == set()


def test_redis_key_names_live_in_keys_module() -> None:
    """Only bot/store/keys.py spells out Redis key names."""
    pattern = re.compile(r"""["']ab:""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if path.name != "keys.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_ruff_clean() -> None:
    """Ruff finds nothing and the code is formatted."""
    for args in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(300)
def test_mypy_strict_clean() -> None:
    """Mypy in strict mode finds nothing in the code, the tests and the benches."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
