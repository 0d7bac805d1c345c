"""Matching, table-driven: what each rule fires on, through the index and by brute force alike."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bot.app import load_synonyms
from bot.core.document import analyze, item_document
from bot.core.matching import MatchIndex, RuleIndex, TermStats
from bot.core.models import Feed, Item, Subscriber
from bot.core.rules import RuleCompiler

PLAIN = RuleCompiler()
DEFAULT = RuleCompiler(load_synonyms("default"))

AR_TITLE = (
    "انفجاران قويان يهزان أكبر قاعدة أمريكية في دير الزور بسوريا.. "
    "والقيادة المركزية: دمرنا مسيَّرتين قبل أن تصلا لأهدافهما"
)
AR_LEAD = (
    'دوى انفجاران في أكبر قاعدة لـ"التحالف الدولي" في سوريا، نتيجة استهداف "ميليشيات" إيران '
    "بطائرات مسيّرة مركزاً للذخيرة"
)
EN_TITLE = "Drones target largest US base in eastern Syria, monitor says"
EN_LEAD = (
    "Two loud explosions shook the largest base of the U.S.-led coalition in Syria, after "
    "Iran-backed militias targeted an ammunition depot with drones."
)

# rule, title, summary, source, fires (without synonyms)
CASES = [
    ('"US base" drone', EN_TITLE, EN_LEAD, "", True),
    ('"US base" + "drone"', EN_TITLE, "", "", True),
    ('"base US" drone', EN_TITLE, "", "", False),
    ('"US base" drone', "US-based drone maker raises funds", "", "", False),
    ("قاعدة أمريكية مسيرة", AR_TITLE, AR_LEAD, "", True),
    ('"قاعدة أمريكية" مسيرة', AR_TITLE, "", "", True),
    ('"أمريكية قاعدة"', AR_TITLE, "", "", False),
    ("مسيرة", "سيارة مفخخة تنفجر في دمشق", "", "", False),
    ("طائرة", "", "استهداف بطائرات مسيرة", "", True),
    ("قاعدتين", "", "استهدفوا قاعدتي حقل العمر والشدادي", "", True),
    ("drone OR UAV", "UAV shot down", "", "", True),
    ("drone | UAV", "Nothing here", "", "", False),
    ("(drone OR UAV) base", "UAV downed near base", "", "", True),
    ("drone OR UAV base", "A drone over the city", "", "", False),
    ("drone -exercise", "Drone exercise over the Gulf", "", "", False),
    ("drone -exercise", "Drone strike over the Gulf", "", "", True),
    ("drone NOT (exercise OR drill)", "Drone drill", "", "", False),
    ("strik*", "Airstrikes? No: strikes hit", "", "", True),
    ("strik*", "Struck by lightning", "", "", False),
    ("مسير*", "", "بمسيرات", "", True),
    ("drone NEAR/3 base", "Drone hits base", "", "", True),
    ("drone NEAR/5 base", "Base hit by a drone", "", "", True),
    ("drone NEAR/3 base", "Drone seen over the city, far from any military base", "", "", False),
    ('"drone base"~5', "Base hit by a drone", "", "", True),
    ('"drone base"~2', "Base hit by a drone", "", "", False),
    ('"drone base"~3', "Drone seen over the city, far from any military base", "", "", False),
    ('"attack drone base"~2', "Drone attack on base", "", "", True),
    ("drone NEAR/3 base", "Drone", "Base", "", False),  # headline and summary never join
    ('"drone base"', "Drone", "Base", "", False),
    ("title:drone", "Drone strike", "", "", True),
    ("title:drone", "Strike reported", "A drone was used.", "", False),
    ('title:"US base" drone', EN_TITLE, "", "", True),
    ("source:bbc drone", "Drone strike", "", "BBC News feeds.bbci.co.uk", True),
    ("source:bbc drone", "Drone strike", "", "Al Jazeera aljazeera.com", False),
    ("source:aljazeera.com", "Anything", "", "Al Jazeera aljazeera.com", True),
    ('source:"al jazeera"', "Anything", "", "Al Jazeera English aljazeera.com", True),
    ("-source:sputnik drone", "Drone strike", "", "Sputnik sputniknews.com", False),
    ("drone lang:en", "Drone strike", "", "", True),
    ("drone lang:ar", "Drone strike", "", "", False),  # the report is written in English
    ("lang:ar", AR_TITLE, "", "", True),
    ("lang:ar drone", "ضربة drone على القاعدة", "", "", True),  # most of its words are Arabic
    ("lang:ar", "", "تقرير عن هجوم", "", True),  # no headline: the summary says
    ("drone -lang:en", "Drone strike", "", "", False),
    ("*", "Anything", "", "", True),
    ("* -sport", "Sport results", "", "", False),
    ("US", "Let us know", "", "", False),
    ("US", "U.S. forces", "", "", True),
    ("us", "Let us know", "", "", True),
    ("UN", "UN envoy arrives", "", "", True),
    ("UN", "un jour", "", "", False),
    ("militia", "Militias' leaders meet", "", "", True),
    ("Iran", "Iran's drones", "", "", True),
    ("news", "New rules", "", "", False),
    ("base", "US-based group", "", "", False),
    ("مسيرة", "مسيَّرة", "", "", True),
    ("مسيرة", "مسـيـرة", "", "", True),  # tatweel
    ("مسيرة", "مسي\u200cرة", "", "", True),  # zero-width non-joiner
    ("23 أكتوبر", "", "يوم الإثنين ٢٣ أكتوبر", "", True),
]


@pytest.mark.parametrize(("rule", "title", "summary", "source", "fires"), CASES)
def test_rule_fires(rule: str, title: str, summary: str, source: str, fires: bool) -> None:
    """A rule fires exactly on the items it describes, through the index and checked one by one."""
    compiled = PLAIN.compile(rule)
    doc = analyze(title, summary, source)
    assert compiled.matches(doc) is fires
    index: MatchIndex[int] = MatchIndex()
    index.add(compiled, 1)
    assert bool(index.match(doc)) is fires


# rule, title, fires (with the default synonyms)
SYNONYM_CASES = [
    ("drone", "UAV shot down over Iraq", True),
    ("drone", "مسيرة تستهدف قاعدة", True),
    ("drone", "طائرة بدون طيار تسقط", True),
    ("drone", "طائرة تسقط", False),
    ("مسيرة", "Drones hit base", True),
    ("US base", "Explosions at American base", True),
    ('"US base"', "Explosions at American base", True),
    ("US base drone", AR_TITLE, False),  # no "base" in Arabic: base/قاعدة is not a synonym
    ("قاعدة أمريكية مسيرة", "US base hit by drones", False),
    ("أمريكية مسيرة", "US forces down drones", True),
    ("US", "Let us know", False),
    ("suicide bomber", "هجوم انتحاري في المدينة", True),  # unquoted, a phrase of the file
    ("bomber suicide", "هجوم انتحاري في المدينة", False),  # not the phrase's order
    ("Iran", "Iranian-backed militias", True),
    ('"Deir ez-Zor"', "Blasts in Deir al-Zor", True),
    ('"Deir ez-Zor"', "انفجارات في دير الزور", True),
]


@pytest.mark.parametrize(("rule", "title", "fires"), SYNONYM_CASES)
def test_default_synonyms(rule: str, title: str, fires: bool) -> None:
    """With the default synonyms, a word finds its equivalents in both languages."""
    assert DEFAULT.compile(rule).matches(analyze(title)) is fires


def test_index_equals_brute_force_on_random_rules() -> None:
    """On random rules and items (sources too), the index finds what checking every rule finds."""
    rng = random.Random(7)
    vocabulary = (
        "drone base US attack militia Iran Syria oil strike news قاعدة مسيرة أمريكية "
        "طائرة انفجار سوريا ايران"
    ).split()
    shapes = [
        "{a}", "{a} {b}", '"{a} {b}"', "{a} OR {b}", "{a} -{b}", "({a} OR {b}) {c}",
        "{a} NEAR/3 {b}", '"{a} {b}"~4', "title:{a} {b}", "{p}*", "{a} OR {b} OR {c}",
        "source:{s}", "source:{s}* {a}", "sour*", "sou*", "{a} -source:{s}",
        "{a} lang:ar", "lang:en {a} OR {b}", "{a} -lang:ar", "lan*",
    ]  # fmt: skip
    sources = ["wire", "bbc news", "source watch", "levant wire"]
    index: MatchIndex[int] = MatchIndex()
    for number in range(400):
        a, b, c = rng.sample(vocabulary, 3)
        s = rng.choice(sources).split()[0][:4]
        text = rng.choice(shapes).format(a=a, b=b, c=c, s=s, p=a[:3] if len(a) > 3 else "stri")
        index.add(DEFAULT.compile(text), number)
    for _ in range(200):
        title = " ".join(rng.choices(vocabulary, k=rng.randint(3, 8)))
        summary = " ".join(rng.choices(vocabulary, k=rng.randint(0, 15)))
        doc = analyze(title, summary, rng.choice(sources))
        assert index.match(doc) == index.match_all(doc)


def item(title: str, feed_id: str = "wire", summary: str = "", link: str | None = None) -> Item:
    """An item of a feed."""
    return Item(
        id=f"{feed_id}:{title}",
        feed_id=feed_id,
        title=title,
        summary=summary,
        link=link,
        published=datetime(2023, 10, 23, tzinfo=UTC),
    )


LEVANT = Feed(id="wire", name="Levant Wire", url="https://www.levant.example/rss")
STORY = "https://news.example.org/2023/10/23/drones"
# feed, link, the words `source:` matches (in order)
SOURCES = [
    (LEVANT, STORY, ["Levant", "Wire", "levant", "example", "news", "example", "org"]),
    (LEVANT, None, ["Levant", "Wire", "levant", "example"]),
    (LEVANT, "https://levant.example/a", ["Levant", "Wire", "levant", "example"]),
    (None, STORY, ["wire", "news", "example", "org"]),
    (None, None, ["wire"]),
    (None, "not a url", ["wire"]),
]


@pytest.mark.parametrize(("feed", "link", "words"), SOURCES)
def test_item_document_source(feed: Feed | None, link: str | None, words: list[str]) -> None:
    """source: reads the feed's name and domains, or without the feed its id, and the link's."""
    doc = item_document(item("Drone strike", summary="Near the base", link=link), feed)
    assert doc.source_words == [*words, "lang:en"]  # then the language, for lang:
    assert (doc.title_words, doc.summary_words) == (["Drone", "strike"], ["Near", "the", "base"])


def test_rule_index_for_chats() -> None:
    """Chats are hit once, by their first matching rule, only for sources they follow."""
    index = RuleIndex(
        [
            Subscriber(chat_id=1, rules=("tanker", "drone", "US base")),
            Subscriber(chat_id=2, sources=frozenset({"other"}), rules=("drone",)),
            Subscriber(chat_id=3, rules=("Drone",)),
            Subscriber(chat_id=4, rules=('"unclosed',)),  # stored before a language change
        ],
        PLAIN,
    )
    assert (index.chats, index.rules) == (3, 3)  # "drone" and "Drone" are one rule
    hits = index.match(item("Drone hits US base"))
    assert [(h.chat_id, h.text) for h in hits] == [(1, "drone"), (3, "Drone")]
    assert hits[0].evidence[0].positions == (0,)


def test_source_field_in_rule_index() -> None:
    """source: matches the feed's name and the domains of the feed and the item link."""
    index = RuleIndex([Subscriber(chat_id=1, rules=("source:reuters drone",))], PLAIN)
    wire = item("Drone strike")
    assert index.match(wire, LEVANT) == []
    assert index.match(wire) == []
    reuters = Feed(id="wire", name="Wire", url="https://feeds.reuters.com/world")
    assert [h.chat_id for h in index.match(wire, reuters)] == [1]
    linked = item("Drone strike", link="https://www.reuters.com/world/drones")
    assert [h.chat_id for h in index.match(linked, LEVANT)] == [1]
    assert [h.chat_id for h in index.match(item("Drone strike", feed_id="reuters"))] == [1]


def test_evidence_names_the_words() -> None:
    """A match explains which words of the item satisfied which part of the rule."""
    rule = DEFAULT.compile('"US base" drone -exercise')
    doc = analyze(EN_TITLE, EN_LEAD)
    found = {e.part: [doc.word(p).text for p in e.positions] for e in rule.expr.evidence(doc)}
    phrase = next(part for part in found if part.startswith('"(US|'))
    assert found[phrase] == ["US", "base"]
    assert found["drone"] == ["Drones", "drones"]
    assert not any("exercise" in part for part in found)


def test_stats_learn_common_words() -> None:
    """After enough items, observed frequencies replace the guess for anchoring."""
    stats = TermStats()
    assert stats.frequency("drone") == pytest.approx(0.05 / 3)
    for n in range(300):
        stats.observe(analyze("drone" if n % 3 == 0 else "oil"))
    assert stats.frequency("oil") > stats.frequency("drone") > stats.frequency("tanker")
