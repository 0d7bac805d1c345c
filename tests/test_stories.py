"""Story grouping: places, names across scripts, report features, the verdicts of compare."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import load_synonyms
from bot.core.analysis import normalize
from bot.core.document import analyze
from bot.core.models import Item
from bot.core.names import arabic_keys, latin_key
from bot.core.places import gazetteer, places_in
from bot.core.rules import RuleCompiler
from bot.core.stories import (
    Featurizer,
    Report,
    Verdict,
    Weigher,
    canonical_link,
    compare,
    key_weight,
    word_prior,
    word_similarity,
)
from bot.store import Store, keys
from bot.store.stories import STORIES_KEPT_PER_KEY, Joined, StoryRepo, Told

AT = datetime(2023, 10, 23, 21, 31, tzinfo=UTC)
SEED = Path(__file__).parent / "fixtures" / "stories" / "seed_story.json"
FEATURES = Featurizer(load_synonyms("default"))


def news(
    title: str,
    summary: str = "",
    *,
    feed: str = "wire",
    minutes: int = 0,
    lang: str | None = "en",
    **extra: Any,
) -> Item:
    """An item of `feed`, published `minutes` after the seed story broke."""
    return Item(
        id=f"{feed}:{abs(hash((title, minutes)))}",
        feed_id=feed,
        title=title,
        summary=summary,
        published=AT + timedelta(minutes=minutes),
        lang=lang,
        **extra,
    )


def weight(key: str) -> float:
    """Weights as a stream of 200 reports that never held the key would give them."""
    return key_weight(0, 200, word_prior(key))


def verdict(new: Item, known: Item) -> Verdict:
    """How `new` compares with `known`."""
    return compare(FEATURES.report(new), FEATURES.report(known), weight).verdict


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.Example.com/a/b/", "https://example.com/a/b"),
        ("http://example.com/a?utm_source=rss&id=7&fbclid=x", "https://example.com/a?id=7"),
        ("https://example.com/a?b=2&a=1#comments", "https://example.com/a?a=1&b=2"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("ftp://example.com/a", None),
        ("not a url", None),
        (None, None),
    ],
)
def test_canonical_link(url: str | None, expected: str | None) -> None:
    """Links compare without scheme, www, tracking parameters, fragment or a final slash."""
    assert canonical_link(url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Drones hit base near Deir ez-Zor", {"g170794"}),
        ("انفجار في قاعدة أمريكية بريف دير الزور", {"SY-DY"}),  # the province, by its Arabic name
        ("Blasts at the al-Omar oil field", {"x-omar-field"}),
        ("قصف على رفح وخان يونس", {"PS-RFH", "PS-KYS"}),
        ("Man killed in Gaza City strike", {"g281133"}),  # the longest name wins
        ("هجوم صاروخي على أوديسا", {"g698740"}),
        ("Air raid alert declared in Kyiv region", {"UA-30"}),
        ("The quake was measured by the United States Geological Survey on Friday", set()),
        ("Syrian Observatory for Human Rights said", set()),
        ("Kandilli Observatory in Istanbul said the quake hit Hatay", {"TR-31"}),
        ("Tripoli clashes in Lebanon", {"LB", "g266826"}),  # the Tripoli of the named country
        ("Clashes in Tripoli", {"g2210247"}),  # else the largest Tripoli
        ("Quake near Noto in Japan", {"JP"}),  # a lone Sicilian town in a text about Japan
        ("أعلنت السلطات ان الوضع مستقر", set()),  # السلطات is "the authorities", not Settat
        ("قال في بيان ليل الخميس", set()),  # common words that are towns abroad
        ("زلزال يضرب مراكش", {"g2542997"}),
        ("Flooding in New Delhi", {"g1273294"}),  # "new" starts many names: found by two words
        ("قصف في بيت لاهيا", {"g281145"}),  # as بيت ("house") does in Arabic
        # Regions by their English and Arabic names (Unicode CLDR), not only ISO's local ones
        ("Earthquake in Tibet", {"CN-XZ"}),  # ISO writes Xizang Zizhiqu
        ("زلزال في التبت", {"CN-XZ"}),
        ("زلزال في أذربيجان الغربية", {"IR-04"}),  # CLDR's ir04 is Isfahan: joined by name
        ("Floods in Khuzestan", {"IR-06"}),
        ("Sam Altman said on Friday", set()),  # Turkish Şam (Damascus) is no English name
        ("Storm hits Boston", {"g4930956"}),  # frequent in English because famous (بوستون)
        ("Fire in San Francisco", {"g5391959"}),  # a frequent phrase because it is the city
        ("White House says", set()),  # nor is a nickname of Casablanca's
        ("قصف في محافظة الأنبار", {"IQ-AN"}),  # with the word for "governorate"
    ],
)
def test_places_in(text: str, expected: set[str]) -> None:
    """Texts name gazetteer places in either script, and organizations and common words none."""
    assert places_in(text) == expected


def test_places_lie_within_regions_and_countries() -> None:
    """The al-Omar field lies in Deir ez-Zor province in Syria; Antakya in Hatay in Turkey."""
    places = gazetteer()
    assert places.within("x-omar-field") == ("SY-DY", "SY")
    assert places.within("g323779") == ("TR-31", "TR")
    assert places.related("g170794", "SY")
    assert not places.related("g170794", "SY-HL")
    assert places.country("x-omar-field") == "SY"
    assert places.near("g126972", "g117656")  # Khoy and Salmas, 40 km apart
    assert not places.near("g703448", "g698740")  # Kyiv and Odesa, 440 km apart


@pytest.mark.parametrize(
    ("place", "bounded"),
    [
        ("g126972", True),  # a city (Khoy)
        ("x-omar-field", True),  # a site
        ("SY-DY", True),  # a region cities lie in (its namesake city's GeoNames area)
        ("IR-04", False),  # a region named only: none of its towns is known to lie in it
        ("SY", False),  # a country is not local at all
    ],
)
def test_which_places_have_a_known_extent(place: str, bounded: bool) -> None:
    """Cities, sites and regions holding places are bounded; a region named only is not."""
    assert gazetteer().bounded(place) is bounded


@pytest.mark.parametrize(
    ("latin", "arabic", "same"),
    [
        ("Blinken", "بلينكن", True),
        ("Zelensky", "زيلينسكي", True),
        ("Biden", "وبايدن", True),  # with an attached "and"
        ("Erbil", "أربيل", True),
        ("Eternity", "إترنيتي", True),
        ("Kharkiv", "خاركيف", True),
        ("Chernihiv", "تشيرنيهيف", True),  # ch written تش
        ("Blinken", "بايدن", False),
        ("Hamas", "حماس", True),
        ("Putin", "نتنياهو", False),
    ],
)
def test_names_meet_across_scripts(latin: str, arabic: str, same: bool) -> None:
    """A name's Latin and Arabic spellings share a key; different names do not."""
    assert (latin_key(latin) in arabic_keys(normalize(arabic))) is same


@pytest.mark.parametrize("word", ["Kyiv", "Ishikawa", "Younis", "الحديدة", "والبيت"])
def test_short_skeletons_are_no_keys(word: str) -> None:
    """Skeletons under three classes (and article-only words) give no key: too many meet them."""
    found = arabic_keys(normalize(word)) if word[0] > "z" else {latin_key(word)} - {None}
    assert found in (set(), frozenset())


@pytest.mark.parametrize(
    ("word", "keys"),
    [
        ("بلينكن", {"~blnkn", "~lnkn"}),  # ب may be the name's or "in"
        ("بالموصل", {"~msl"}),  # "in the": never the name's
        ("وللموصل", {"~msl"}),  # "and for the"
    ],
)
def test_names_keys_leave_attached_articles_out(word: str, keys: set[str]) -> None:
    """An Arabic word's story keys are its readings' skeletons, an article never a name's."""
    assert arabic_keys(word) == keys


def test_report_features_and_json_round_trip() -> None:
    """A report keeps headline places, concepts, counts, identifiers; JSON gives it back."""
    item = news(
        "Flight 763 diverted to Cairo after drone alert",
        "Twelve passengers were hurt, the airline said.",
        link="https://a.example/x?utm_source=rss",
    )
    found = FEATURES.report(item)
    assert found.head_places == {"g360630"}
    assert {"=drone", "=plane"} <= found.concepts or "=drone" in found.concepts
    assert found.ids == {"763"}
    assert "12" in found.counts
    assert found.link == "https://a.example/x"
    assert Report.from_json(found.to_json()) == found
    update = FEATURES.report(news("Death toll in Rafah strike rises to 5"))
    assert update.count_update
    assert not update.novel
    assert FEATURES.report(news("Another strong earthquake hits Kunar")).novel
    assert FEATURES.report(news("زلزال جديد يضرب أفغانستان", lang="ar")).novel
    assert not FEATURES.report(news("New York fire kills two")).novel


KYIV = news("Air raid alert declared in Kyiv region", "Residents are urged to take shelter.")
ODESA = news(
    "Air raid alert declared in Odesa region", "Residents are urged to take shelter.", minutes=3
)
FLIGHT_A = news("Flight 2041 diverted to Cairo", "The plane landed safely, the airline said.")
FLIGHT_B = news(
    "Flight 763 diverted to Cairo", "The plane landed safely, the airline said.", minutes=9
)


@pytest.mark.parametrize(
    ("new", "known", "expected"),
    [
        (ODESA, KYIV, Verdict.DIFFERENT),  # a template about another region
        (FLIGHT_B, FLIGHT_A, Verdict.DIFFERENT),  # another identifier
        (
            news("Drones hit US base at Deir ez-Zor, monitor says", "Two blasts at the al-Omar "
                 "field base after militias launched drones.", feed="b", minutes=20),
            news("Blasts at al-Omar oil field base in Deir ez-Zor", "A drone attack hit the "
                 "largest US base in Syria, a war monitor said."),
            Verdict.SAME_EVENT,
        ),
        (
            news("Strike on Rafah kills 20", "Medics said 20 people were killed in Rafah.",
                 feed="b", minutes=60),
            news("Death toll from Rafah strike rises to 27", "Medics in Rafah said the toll "
                 "from the strike rose to 27.", minutes=120),
            Verdict.SAME_EVENT,  # the later report says the toll rose
        ),
        (
            news("زلزال بقوة 6 درجات يضرب شرق أفغانستان ويقتل 800 في كونار", lang="ar",
                 feed="b", minutes=30),
            news("Magnitude 6 earthquake kills 800 in Afghanistan's Kunar province"),
            Verdict.SAME_EVENT,  # across languages: place, concepts and counts agree
        ),
        (
            news("زلزال جديد بقوة 5.5 درجات يضرب شرق أفغانستان", lang="ar", minutes=36 * 60),
            news("زلزال بقوة 6 درجات يضرب شرق أفغانستان ويقتل 800", lang="ar"),
            Verdict.DIFFERENT,  # "a new quake" a day and a half later
        ),
        (
            news("Oil prices climb as markets open", "Brent rose 2 percent.", minutes=10),
            news("Drones hit US base in Syria", "Two blasts were heard."),
            Verdict.DIFFERENT,
        ),
        (
            news("Earthquake in West Azerbaijan province kills 7", "The quake struck Iran's West "
                 "Azerbaijan province, state media said.", feed="b", minutes=20),
            news("Magnitude 5.6 quake hits Khoy, killing 7", "A quake struck Khoy in "
                 "northwestern Iran, killing 7 people."),
            Verdict.SAME_EVENT,  # a region whose towns are unknown contradicts none of them
        ),
        (
            news("Banana prices announced for the season", feed="wire", minutes=1),
            news("Apple prices announced for the season"),
            Verdict.DIFFERENT,  # one language, only a concept (=price) in common: its own word
        ),
        (
            news("Drones hit US base in Syria", "Two blasts.", link="https://a.example/1",
                 feed="b", minutes=5),
            news("Another headline", "Other words.", link="https://www.a.example/1/"),
            Verdict.SAME_REPORT,  # the same link
        ),
    ],
)  # fmt: skip
def test_compare(new: Item, known: Item, expected: Verdict) -> None:
    """Places, identifiers, words, anchors across languages, counts and novelty decide."""
    assert verdict(new, known) is expected


def test_copy_is_the_same_report() -> None:
    """A retitled syndicated copy is the same report."""
    item = news(
        "Rockets hit Ain al-Asad air base in Iraq",
        "Two U.S. troops were hurt in the attack on the base in Anbar province.",
    )
    copy = item.model_copy(update={"feed_id": "other", "title": "BREAKING: " + item.title})
    assert verdict(copy, item) is Verdict.SAME_REPORT


def test_weights_fall_with_use_and_lean_on_the_language_at_first() -> None:
    """A word counted in many reports weighs less; before counting, common words weigh less."""
    assert key_weight(50, 100) < key_weight(1, 100) < key_weight(0, 100)
    assert word_prior("killed") > word_prior("earthquake") > word_prior("~hualien") == 0.0
    assert key_weight(0, 0, word_prior("killed")) < key_weight(0, 0, word_prior("hualien"))


def test_a_weigher_weighs_each_reports_words_once() -> None:
    """A Weigher gives the similarity plain weights give, weighing each report's words once."""
    a = FEATURES.report(news("Drones strike Port Sudan fuel depot", "Fires burn at the depot."))
    b = FEATURES.report(news("Port Sudan depot hit by drones", "Smoke over the port."))
    c = FEATURES.report(news("Fire at a depot in New Delhi", "Rivers rose overnight."))
    asked: list[str] = []

    def counted(key: str) -> float:
        asked.append(key)
        return weight(key)

    weigher = Weigher(counted)
    for other in (b, c, b, c):
        plain = word_similarity(a.terms, other.terms, weight)
        assert word_similarity(a.terms, other.terms, weigher) == plain
    assert 0 < word_similarity(a.terms, c.terms, weight) < word_similarity(a.terms, b.terms, weight)
    assert sorted(asked) == sorted([*a.terms, *b.terms, *c.terms])


def _seed_item(report: dict[str, Any], lang: str = "ar") -> Item:
    """A report of seed_story.json as the poller's Item."""
    return Item(
        id=report["link"],
        feed_id=report["feed_id"],
        title=report["title"],
        summary=report["summary"],
        link=report["link"],
        published=datetime.fromisoformat(report["published"]),
        lang=lang,
    )


def test_seed_fixture_is_one_story_that_the_rule_matches() -> None:
    """The seed fixture's outlets match its rule and are one story; the other base stays apart."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    rule = RuleCompiler(load_synonyms("default")).compile(seed["rule"])
    for r in [*seed["reports"], seed["different"]]:
        assert rule.matches(analyze(r["title"], r["summary"], "")), r["feed_id"]
    first, *others = [_seed_item(r) for r in seed["reports"]]
    for other in others:
        assert verdict(other, first) is not Verdict.DIFFERENT
    different = _seed_item(seed["different"])
    for known in (first, *others):
        assert verdict(different, known) is Verdict.DIFFERENT


async def assign(store: Store, item: Item) -> Joined:
    """Group one item through the store."""
    return await store.stories.assign(item, FEATURES.report(item))


async def test_store_groups_outlets_and_remembers_who_was_told(store: Store) -> None:
    """Another outlet's report joins the story, a copy adds no outlet, the told chats are kept."""
    first = news(
        "Drones hit US base at al-Omar field in Deir ez-Zor",
        "A war monitor said two drones struck the base in eastern Syria.",
        feed="a",
        link="https://a.example/1",
    )
    copy = first.model_copy(update={"id": "a:2", "link": "https://a.example/1?utm_source=x"})
    other = news("Blasts at al-Omar oil field base in Deir ez-Zor after drone attack",
                 "Two drones struck the largest US base in Syria, a monitor said.", feed="b",
                 minutes=20)  # fmt: skip
    started = await assign(store, first)
    assert (started.new, started.new_outlet) == (True, True)
    again = await assign(store, copy)
    assert (again.story_id, again.new, again.new_outlet) == (started.story_id, False, False)
    joined = await assign(store, other)
    assert (joined.story_id, joined.new_outlet) == (started.story_id, True)
    assert await store.stories.outlets(started.story_id) == ["a", "b"]
    await store.stories.tell(started.story_id, {7: Told("a:1", "drone", ("drones",))})
    await store.stories.tell(started.story_id, {7: Told("a:2", "other", ())})  # the first stays
    assert await store.stories.told(started.story_id) == {7: Told("a:1", "drone", ("drones",))}


async def test_one_outlets_series_is_a_story_each(store: Store) -> None:
    """One outlet's templates start a story each; another outlet joins the right one.

    Kyiv then Odesa, Flight 2041 then 763 are four stories; another outlet's Flight 763 report
    joins the Flight 763 story.
    """
    stories = [(await assign(store, item)).story_id for item in (KYIV, ODESA, FLIGHT_A, FLIGHT_B)]
    assert len(set(stories)) == 4
    elsewhere = news(
        "Passenger illness forces Flight 763 to land in Cairo",
        "The airline said the plane landed safely in Cairo.",
        feed="ap",
        minutes=15,
    )
    joined = await assign(store, elsewhere)
    assert joined.story_id == stories[3]


async def test_a_templated_series_keeps_its_index_bounded(store: Store) -> None:
    """A key shared by a long series holds its newest stories only, and the newest still join."""
    flights = [
        news(
            f"Flight {n} diverted to Cairo", "The plane landed safely, the airline said.", minutes=n
        )
        for n in range(101, 101 + STORIES_KEPT_PER_KEY + 10)
    ]
    stories = [(await assign(store, item)).story_id for item in flights]
    assert len(set(stories)) == len(flights)  # a story each
    sizes = [
        await store.redis.zcard(key)
        async for key in store.redis.scan_iter(match=keys.story_index("*"))
    ]
    assert max(sizes) == STORIES_KEPT_PER_KEY
    again = news(
        f"Flight {100 + len(flights)} lands in Cairo after diversion",
        "The airline said the plane landed safely.",
        feed="ap",
        minutes=len(flights) + 5,
    )
    assert (await assign(store, again)).story_id == stories[-1]


async def test_an_outlets_own_update_joins_its_story(store: Store) -> None:
    """An outlet's own near-identical update (a toll that rose) joins the story it began."""
    first = news("Strike on Rafah school kills 20", "Medics in Rafah said 20 people were killed in "
                 "the strike on the school.", feed="a")  # fmt: skip
    update = news("Strike on Rafah school: death toll rises to 27", "Medics in Rafah said the toll "
                  "from the strike on the school rose to 27.", feed="a", minutes=40)  # fmt: skip
    started = await assign(store, first)
    joined = await assign(store, update)
    assert (joined.story_id, joined.new_outlet) == (started.story_id, False)


@pytest.mark.parametrize(
    ("gaps", "same"),
    [
        ((0, 30, 60), True),  # each within 48 h of the latest, all within 72 h of the first
        ((0, 50), False),  # 50 h after the latest is another story
        ((0, 40, 75), False),  # 35 h after the latest, but 75 h after the first: the cap
    ],
)
async def test_story_stays_open_while_reports_keep_coming(
    store: Store, gaps: tuple[int, ...], same: bool
) -> None:
    """The window runs from a story's latest report, up to a cap from its first."""
    toll = ["20", "27", "31"]
    joined = []
    for n, hours in enumerate(gaps):
        item = news(
            f"Floods in Derna: toll rises to {toll[n]}",
            f"Officials in Derna said {toll[n]} people died in the floods.",
            feed=f"o{n}",
            minutes=hours * 60,
        )
        joined.append((await assign(store, item)).story_id)
    assert (joined[-1] == joined[0]) is same


async def test_word_counts_are_kept_per_period(store: Store) -> None:
    """Grouping counts every report's words and keys, so a word seen more weighs less."""
    wanted = ["cairo", "@g360630", "kyiv"]
    before = await StoryRepo(store.redis).weights(wanted)
    await assign(store, FLIGHT_A)
    await assign(store, FLIGHT_B)
    after = await StoryRepo(store.redis).weights(wanted)  # a process that kept none
    assert after["cairo"] < before["cairo"]
    assert after["@g360630"] < before["@g360630"]  # Cairo's gazetteer id, counted too
    assert after["kyiv"] > before["kyiv"] * 0.99  # more reports, none with Kyiv: no lighter


@pytest.mark.parametrize(
    ("later", "minutes", "veto"),
    [
        ("Drones strike Port Sudan fuel depot on Tuesday", 24 * 60, True),  # another day
        (
            "Drones strike Port Sudan fuel depot on Monday",
            24 * 60,
            False,
        ),  # the same day, told late
        ("Drones strike Port Sudan fuel depot on Tuesday", 3 * 60, False),  # too close to tell
        ("Toll from Monday's Port Sudan strike rises to 9 on Tuesday", 24 * 60, False),  # update
    ],
)
def test_other_weekdays_a_day_apart_part_reports(later: str, minutes: int, veto: bool) -> None:
    """Reports a day apart naming other weekdays are other events, unless a toll rose."""
    first = news("Drones strike Port Sudan fuel depot on Monday", "A fire broke out, killing 4.")
    second = news(later, "A fire broke out, killing 4.", feed="b", minutes=minutes)
    assert compare(FEATURES.report(second), FEATURES.report(first), weight).veto is veto


async def test_evidence_against_any_kept_report_keeps_a_report_out(store: Store) -> None:
    """A report contradicting one report of a story does not join it, however like another."""
    monday = news("Drones strike Port Sudan fuel depot on Monday", "A fire broke out at the "
                  "depot in Port Sudan.", feed="a")  # fmt: skip
    undated = news("Drones strike Port Sudan fuel depot", "A fire broke out at the depot in Port "
                   "Sudan.", feed="b", minutes=60)  # fmt: skip
    tuesday = news("Drones strike Port Sudan fuel depot on Tuesday", "A fire broke out at the "
                   "depot in Port Sudan.", feed="c", minutes=26 * 60)  # fmt: skip
    first = await assign(store, monday)
    assert (await assign(store, undated)).story_id == first.story_id
    assert (await assign(store, tuesday)).new
