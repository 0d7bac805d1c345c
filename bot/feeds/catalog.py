"""The feed catalog file (TOML): which sources the bot polls."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from bot.core.models import Feed
from bot.errors import CatalogError


def load_catalog(path: Path) -> list[Feed]:
    """Read and validate a catalog file; raise CatalogError naming the file and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"cannot read feed catalog {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CatalogError(f"feed catalog {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"feed catalog {path} is not valid TOML: {exc}") from None
    return parse_catalog(data, str(path))


def parse_catalog(data: dict[str, object], origin: str) -> list[Feed]:
    """Validate the `[[feeds]]` tables of a parsed catalog."""
    entries = data.get("feeds")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"feed catalog {origin} has no [[feeds]] entries")
    feeds: list[Feed] = []
    ids: set[str] = set()
    names: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        try:
            feed = Feed.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "entry"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise CatalogError(
                f"feed catalog {origin}, feed #{number}: {where}: {message}"
            ) from None
        if feed.id in ids:
            raise CatalogError(f"feed catalog {origin}, feed #{number}: duplicate id {feed.id!r}")
        if feed.name.casefold() in names:
            raise CatalogError(
                f"feed catalog {origin}, feed #{number}: duplicate name {feed.name!r}"
            )
        ids.add(feed.id)
        names.add(feed.name.casefold())
        feeds.append(feed)
    return feeds
