"""The feed catalog file: the bundled one is valid, bad ones fail with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import CatalogError
from bot.feeds.catalog import load_catalog
from config.settings import DEFAULT_CATALOG


def test_default_catalog() -> None:
    """The bundled catalog has English and Arabic sources with unique ids."""
    feeds = load_catalog(DEFAULT_CATALOG)
    assert len(feeds) >= 6
    assert {f.lang for f in feeds} == {"en", "ar"}
    assert len({f.id for f in feeds}) == len(feeds)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[[feeds]\nid = 1", "not valid TOML"),
        ("title = 'x'", "no [[feeds]] entries"),
        ('[[feeds]]\nid = "a"\nname = "A"\nurl = "file:///etc/passwd"', "http(s) URL"),
        ('[[feeds]]\nid = "Bad Id"\nname = "A"\nurl = "https://a.example/"', "feed id"),
        ('[[feeds]]\nid = "a"\nurl = "https://a.example/"', "feed #1: name: Field required"),
        (
            '[[feeds]]\nid = "a"\nname = "A"\nurl = "https://a.example/"\n'
            '[[feeds]]\nid = "a"\nname = "B"\nurl = "https://b.example/"',
            "duplicate id 'a'",
        ),
        (
            '[[feeds]]\nid = "a"\nname = "A"\nurl = "https://a.example/"\n'
            '[[feeds]]\nid = "b"\nname = "a"\nurl = "https://b.example/"',
            "duplicate name 'a'",
        ),
    ],
)
def test_bad_catalog(tmp_path: Path, content: str, reason: str) -> None:
    """A catalog that does not parse or validate is refused with the file and the reason."""
    path = tmp_path / "feeds.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert reason in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_catalog(tmp_path: Path) -> None:
    """A catalog that cannot be read is named in the error."""
    with pytest.raises(CatalogError, match="cannot read feed catalog"):
        load_catalog(tmp_path / "missing.toml")
