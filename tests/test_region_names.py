"""How the gazetteer's build joins CLDR's English and Arabic region names to ISO's regions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from build_places import cldr_regions  # tools/ is no package: its folder is on the path

IRAN_AND_CHINA = [
    ("IR-03", "Āz̄ārbāyjān-e Shārqī"),
    ("IR-04", "Āz̄ārbāyjān-e Ghārbī"),
    ("IR-10", "Eşfahān"),
    ("IR-26", "Qazvīn"),
    ("IR-28", "Khorāsān-e Shomālī"),
    ("CN-XZ", "Xizang Zizhiqu"),
]


@pytest.mark.parametrize(
    ("code", "english"),
    [
        ("IR-04", "West Azarbaijan"),  # CLDR's ir02: joined by name and compass word (Gharbi)
        ("IR-03", "East Azerbaijan"),  # CLDR's ir01 (Sharqi)
        ("IR-10", "Isfahan"),  # CLDR's ir04 sounds like Esfahan, not like IR-04's name
        ("IR-26", "Qazvin"),  # CLDR's ir28, not ISO's IR-28 (North Khorasan)
        ("IR-28", "North Khorasan"),  # CLDR's ir31 (Shomali)
        ("CN-XZ", "Tibet"),  # sounds like no region of China: joined by its own code
    ],
)
def test_cldr_names_join_the_region_they_sound_like(code: str, english: str) -> None:
    """A CLDR name joins the ISO region whose local name sounds like it, else its own code's."""
    assert cldr_regions(IRAN_AND_CHINA)[code][0] == english


def test_a_tie_joins_no_region() -> None:
    """Without the compass words, East and West Azerbaijan would tie, and neither is joined."""
    joined = cldr_regions([("IR-03", "Āz̄ārbāyjān"), ("IR-04", "Āz̄ārbāyjān")])
    azerbaijan = {"East Azerbaijan", "West Azarbaijan"}
    assert joined.get("IR-03", ("", ""))[0] not in azerbaijan
    assert joined.get("IR-04", ("", ""))[0] not in azerbaijan


def test_a_name_joined_by_sound_is_not_displaced_by_a_code() -> None:
    """CLDR's ir03 (Ardabil) sounds like none of these regions, yet IR-03 keeps East Azerbaijan."""
    assert cldr_regions(IRAN_AND_CHINA)["IR-03"][0] == "East Azerbaijan"
