"""`alertbot match`: run rules from a file against items from a JSON-lines file, offline."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot import jsondepth
from bot.core.document import Document, item_document
from bot.core.matching import MatchIndex
from bot.core.models import Item
from bot.core.places import gazetteer
from bot.core.rules import RuleCompiler
from bot.core.synonyms import Synonyms
from bot.errors import InputError, JSONTooDeep, RuleError, RuleSyntaxError

# Matching reads no time; an item needs one.
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)


def read_rules(path: Path, compiler: RuleCompiler) -> MatchIndex[int]:
    """Compile one rule per line (blank lines skipped) into an index owned by line numbers."""
    index: MatchIndex[int] = MatchIndex()
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            index.add(compiler.compile(line), number)
        except RuleSyntaxError as exc:
            raise InputError(f"{path}: {exc.on_line(number)}") from None
        except RuleError as exc:
            raise InputError(f"{path}: line {number}: {exc}") from None
    return index


def read_items(path: Path) -> list[dict[str, object]]:
    """Items as JSON objects with id, title, summary and an optional source and link."""
    items: list[dict[str, object]] = []
    for where, item in json_lines(path):
        if not isinstance(item, dict) or "id" not in item:
            raise InputError(f"{where}: expected an object with an id")
        items.append(item)
    return items


def run_match(rules: Path, items: Path, synonyms: Synonyms, out: TextIO = sys.stdout) -> None:
    """Print one JSON line per item: its id and the line numbers of the rules it matches."""
    index = read_rules(rules, RuleCompiler(synonyms, places=gazetteer()))
    for item in read_items(items):
        lines = sorted({owner for entry in index.match(_document(item)) for owner in entry.owners})
        out.write(json.dumps({"id": item["id"], "rules": lines}, ensure_ascii=False) + "\n")


def _document(data: dict[str, object]) -> Document:
    """An input item analyzed as the poller would; its source, a name alone, is its feed's id."""
    item = Item(
        id=str(data["id"]),
        feed_id=_text(data, "source"),
        title=_text(data, "title"),
        summary=_text(data, "summary"),
        link=_text(data, "link") or None,
        published=UNDATED,
    )
    return item_document(item, None)


def _text(item: dict[str, object], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def json_lines(path: Path) -> Iterator[tuple[str, object]]:
    """Each non-blank line of a JSON-lines file, parsed, with where it stands ("file: line n").

    A line that is not JSON, or nests too deep, raises InputError naming it.
    """
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        where = f"{path}: line {number}"
        try:
            yield where, jsondepth.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg})") from None
        except JSONTooDeep as exc:
            raise InputError(f"{where}: JSON {exc}") from None


def read_lines(path: Path) -> list[str]:
    """A UTF-8 text file's lines (InputError when it cannot be read)."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
