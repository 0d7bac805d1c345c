"""The skeleton's rule language and analysis: words ANDed, compared after normalization."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.analysis import fold, normalize, tokenize
from bot.core.matching import RuleIndex
from bot.core.models import Item, Subscriber
from bot.core.rules import MAX_RULE_CHARS, compile_rule, item_terms
from bot.errors import RuleError

ARABIC_TITLE = (
    "انفجاران قويان يهزان أكبر قاعدة أمريكية في دير الزور بسوريا.. "
    "والقيادة المركزية: دمرنا مسيَّرتين قبل أن تصلا لأهدافهما"
)
ARABIC_LEAD = "نتيجة استهداف ميليشيات إيران بطائرات مسيّرة مركزاً للذخيرة"


def item(title: str, summary: str = "", feed_id: str = "wire") -> Item:
    """An item of `feed_id` with this text."""
    return Item(
        id=f"{feed_id}:{abs(hash(title))}",
        feed_id=feed_id,
        title=title,
        summary=summary,
        published=datetime(2023, 10, 23, 21, 31, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("U.S. Central Command", "us central command"),
        ("U.S forces", "us forces"),
        ("Iran’s drones", "iran’s drones"),
        ("Café RÉSUMÉ", "cafe resume"),
        ("مسيَّرة", "مسيرة"),
        ("أمريكية إسرائيل آل", "امريكية اسرائيل ال"),
        ("مستشفى", "مستشفي"),
        ("ال\u200fقاعدة", "القاعدة"),
        ("قاعـــدة", "قاعدة"),
        ("٢٣ أكتوبر", "23 اكتوبر"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    """Normalization folds case, accents, Arabic diacritics, alef forms, tatweel and digits."""
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("word", "term"),
    [
        ("drones", "drone"),
        ("militias", "militia"),
        ("bases", "base"),
        ("batteries", "battery"),
        ("strikes", "strike"),
        ("news", "news"),
        ("us", "us"),
        ("crisis", "crisis"),
        ("القاعدة", "قاعده"),
        ("والقاعدة", "قاعده"),
        ("بالقاعدة", "قاعده"),
        ("قاعدة", "قاعده"),
    ],
)
def test_fold(word: str, term: str) -> None:
    """English plurals and the Arabic article and ta marbuta fold to one term."""
    assert fold(normalize(word)) == term


def test_tokenize_splits_punctuation() -> None:
    """Hyphens, apostrophes and punctuation separate words."""
    assert tokenize("al-Omar, Iran's (drones)!") == ["al", "omar", "iran", "s", "drones"]


@pytest.mark.parametrize(
    ("rule", "title", "summary", "fires"),
    [
        ("US base drone", "Drones target largest US base in Syria", "", True),
        ('"US base" + drone', "Drone strike on U.S. base", "", True),
        ("US base drone", "Drones target largest US base", "", True),
        ("US base drone", "US base on alert", "", False),
        ("US base drone", "Explosions at US base", "Iran-backed militias used drones.", True),
        ("*", "Anything at all", "", True),
        ("قاعدة أمريكية مسيرة", ARABIC_TITLE, ARABIC_LEAD, True),
        ("قاعدة أمريكية مسيرة", ARABIC_TITLE, "", False),
        ("القاعدة الأمريكية", ARABIC_TITLE, "", True),
    ],
)
def test_rule_matches(rule: str, title: str, summary: str, fires: bool) -> None:
    """A rule fires when every one of its words is in the headline or summary."""
    compiled = compile_rule(rule)
    assert compiled.matches(item_terms(item(title, summary))) is fires


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("?!...", "no words"),
        ("x" * (MAX_RULE_CHARS + 1), "limit is 300"),
        (" ".join(f"w{i}" for i in range(31)), "limit is 30"),
    ],
)
def test_bad_rules(rule: str, reason: str) -> None:
    """A rule that cannot be used is refused with its reason."""
    with pytest.raises(RuleError, match=reason):
        compile_rule(rule)


def test_rule_describes_its_reading() -> None:
    """The user is shown how the rule was read, after analysis."""
    assert compile_rule('"US base" Drones').describe() == "all of: base, drone, us"
    assert compile_rule("*").describe() == "every item"


def test_index_respects_sources_and_first_rule() -> None:
    """A chat is hit once, by its first matching rule, and only for sources it follows."""
    index = RuleIndex(
        [
            Subscriber(chat_id=1, rules=("drone", "US base")),
            Subscriber(chat_id=2, sources=frozenset({"other"}), rules=("drone",)),
            Subscriber(chat_id=3, rules=("tanker",)),
            Subscriber(chat_id=4, rules=("",)),  # unusable stored rule: skipped
        ]
    )
    hits = index.match(item("Drone hits US base"))
    assert [(h.chat_id, h.rule.text) for h in hits] == [(1, "drone")]
    assert len(index) == 3
