"""The data files bundled in bot/core/data, read as rows of tab-separated fields."""

from __future__ import annotations

from importlib.resources import files


def rows(name: str) -> list[list[str]]:
    """The rows of a bundled file: each line's fields, without blank lines and # comments."""
    text = (files("bot.core") / "data" / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
