"""The real-names set for transliteration is whole: fields, size, no repeats, both parts."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from bot.core.analysis import is_arabic

NAMES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "names" / "names.jsonl"
FIELDS = {"latin", "arabic", "kind", "url", "source", "part"}


def rows() -> list[dict[str, str]]:
    """The rows of names.jsonl."""
    return [json.loads(line) for line in NAMES.read_text(encoding="utf-8").splitlines() if line]


def test_every_row_has_its_fields_and_a_real_source() -> None:
    """Each row has every field, a known kind and part, http(s) pages and an Arabic spelling."""
    for row in rows():
        assert row.keys() >= FIELDS, row
        assert row["kind"] in {"person", "org", "place"}, row
        assert row["part"] in {"tune", "measure"}, row
        assert row["url"].startswith(("http://", "https://")), row
        assert ("url_ar" in row) != (row.get("arabic_from") == "knowledge"), row
        if "url_ar" in row:
            assert row["url_ar"].startswith(("http://", "https://")), row
        assert any(is_arabic(word) for word in row["arabic"].split()), row
        assert not any(is_arabic(word) for word in row["latin"].split()), row


def test_at_least_a_thousand_distinct_names() -> None:
    """There are at least 1,000 rows and no Latin spelling is listed twice."""
    latin = [unicodedata.normalize("NFKC", row["latin"]).casefold() for row in rows()]
    assert len(latin) >= 1000
    assert len(set(latin)) == len(latin)


def test_parts_are_split_by_whole_sites() -> None:
    """Both parts hold names, and no site gives names to both."""
    part_of: dict[str, set[str]] = {}
    for row in rows():
        part_of.setdefault(row["source"], set()).add(row["part"])
    assert all(len(parts) == 1 for parts in part_of.values())
    assert {p for parts in part_of.values() for p in parts} == {"tune", "measure"}
