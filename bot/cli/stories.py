"""`alertbot stories`: group items from a JSON-lines file into stories, as the poller would.

Each line is an object with id, title, summary, link, published (ISO 8601 with a time zone),
lang ("en", "ar" or null) and source (the outlet: a report from an outlet already in a story is
that outlet's update or another story). The items go through the real grouping, oldest first,
on an embedded Redis of its own that is thrown away afterwards; one line per item comes out,
in input order: {"id": ..., "story": ...}, the story named after its first report's id.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from bot.cli.match import json_lines
from bot.core.models import Item
from bot.core.stories import Featurizer
from bot.core.synonyms import Synonyms
from bot.errors import InputError
from bot.store.connection import Client, open_redis
from bot.store.stories import StoryRepo

REQUIRED = ("id", "title", "published")


@dataclass(frozen=True)
class InputItem:
    """One input line: its id as given (string or number) and the item it stands for."""

    key: str | int
    item: Item


def read_items(path: Path) -> list[InputItem]:
    """Every item of the file, checked: a bad line raises InputError naming it."""
    inputs: list[InputItem] = []
    seen: set[str] = set()
    for where, data in json_lines(path):
        input_item = _input_item(data, where)
        if str(input_item.key) in seen:
            raise InputError(f"{where}: the id {input_item.key!r} was used before")
        seen.add(str(input_item.key))
        inputs.append(input_item)
    return inputs


def _input_item(data: Any, where: str) -> InputItem:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object")
    missing = [key for key in REQUIRED if data.get(key) in (None, "")]
    if missing:
        raise InputError(f"{where}: missing {', '.join(missing)}")
    key = data["id"]
    if not isinstance(key, str | int) or isinstance(key, bool):
        raise InputError(f"{where}: id must be a string or a number")
    try:
        published = datetime.fromisoformat(str(data["published"]))
    except ValueError:
        raise InputError(f"{where}: published is not an ISO 8601 time") from None
    if published.tzinfo is None:
        raise InputError(f"{where}: published needs a time zone (Z or +hh:mm)")
    source = data.get("source") or "unknown"
    try:
        item = Item(
            id=str(key),
            feed_id=str(source),
            title=_text(data, "title", where),
            summary=_text(data, "summary", where),
            link=data.get("link") or None,
            published=published,
            lang=data.get("lang") or None,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InputError(f"{where}: {field}: {first['msg']}") from None
    return InputItem(key=key, item=item)


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str):
        raise InputError(f"{where}: {key} must be a string")
    return value


async def group(inputs: list[InputItem], client: Client, featurizer: Featurizer) -> dict[str, str]:
    """Each item's story id, the items fed oldest first (input order among equal times)."""
    stories = StoryRepo(client)
    found: dict[str, str] = {}
    for input_item in sorted(inputs, key=lambda e: e.item.published):
        joined = await stories.assign(input_item.item, featurizer.report(input_item.item))
        found[input_item.item.id] = joined.story_id
    return found


async def run_stories(path: Path, synonyms: Synonyms, out: TextIO = sys.stdout) -> None:
    """Read the items (all of them, before any output), group them, print one line each."""
    inputs = read_items(path)
    featurizer = Featurizer(synonyms)
    async with open_redis(None, None) as handle:  # a throwaway server of its own
        found = await group(inputs, handle.client, featurizer)
    for input_item in inputs:
        line = {"id": input_item.key, "story": found[input_item.item.id]}
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
