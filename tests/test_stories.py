"""Story grouping: features of a report, canonical links, places, and the verdicts of compare."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.document import analyze
from bot.core.models import Item
from bot.core.places import finest, places_in
from bot.core.rules import RuleCompiler
from bot.core.stories import (
    Report,
    Verdict,
    band_keys,
    canonical_link,
    compare,
    report,
    signature,
    similarity,
)
from bot.rulebook import load_synonyms
from bot.store import Store
from bot.store.stories import Told
from tests.support.grouping import evaluate, load_pairs

AT = datetime(2023, 10, 23, 21, 31, tzinfo=UTC)
SEED = Path(__file__).parent / "fixtures" / "stories" / "seed_story.json"


def news(
    title: str, summary: str = "", *, feed: str = "wire", minutes: int = 0, **extra: str
) -> Item:
    """An item of `feed`, published `minutes` after the seed story broke."""
    return Item(
        id=f"{feed}:{abs(hash((title, minutes)))}",
        feed_id=feed,
        title=title,
        summary=summary,
        published=AT + timedelta(minutes=minutes),
        **extra,
    )


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
    """Copies of one link compare equal: scheme, www, tracking, order and fragment do not count."""
    assert canonical_link(url) == expected


@pytest.mark.parametrize(
    ("text", "places", "precise"),
    [
        (
            "انفجاران يهزان أكبر قاعدة أمريكية في دير الزور بسوريا",
            {"deir-ez-zor", "syria"},
            {"deir-ez-zor"},
        ),
        (
            "القاعدة الأمريكية في حقل العمر النفطي بريف دير الزور",
            {"omar-field", "deir-ez-zor", "syria"},
            {"omar-field"},
        ),
        (
            "US base at the al-Omar oil field in Deir ez-Zor",
            {"omar-field", "deir-ez-zor", "syria"},
            {"omar-field"},
        ),
        ("هجوم على قاعدة عين الأسد غربي العراق", {"ain-al-asad", "anbar", "iraq"}, {"ain-al-asad"}),
        (
            "Strike near Gaza City's al-Shifa hospital",
            {"gaza-city", "gaza", "palestine"},
            {"gaza-city"},
        ),
        ("Iran-backed militias", {"iran"}, {"iran"}),
        ("قال إن العمر ليس عائقاً", set(), set()),  # العمر alone is "age", not the oil field
        ("Oil prices rose on Monday", set(), set()),
    ],
)
def test_places(text: str, places: set[str], precise: set[str]) -> None:
    """Places are found in both languages, with prefixes, and with the places they lie within."""
    found = places_in(text)
    assert found == places
    assert finest(found) == precise


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("مقتل ١٥ شخصاً في 23 أكتوبر 2023", {"15"}),
        ("Two drones, 7 wounded on Oct 23", {"2", "7"}),
        ("زلزال بقوة 5.8 درجات يقتل ثلاثة", {"5.8", "3"}),
        ("Nine killed in 2024, the 3rd attack", {"9"}),
        ("خمسة قتلى و31 مصاباً", {"5", "31"}),  # "and" written onto the digits
    ],
)
def test_numbers_are_counts_not_dates(text: str, numbers: set[str]) -> None:
    """Counts in digits (Arabic-Indic folded), decimals or words are kept; years and dates not."""
    assert report(news(text)).numbers == frozenset(numbers)


def test_signature_is_stable_and_estimates_overlap() -> None:
    """Signatures are the same in every process; identical sets score 1 and disjoint ones 0."""
    words = frozenset({"drone", "base"})
    keys = band_keys(signature(words))
    assert keys[:2] == ["0:edefa6999df656b0", "1:ef5089559fea5008"]
    assert keys[-1] == "63:fcf5f06b88b140df"
    assert len(keys) == 64
    assert similarity(signature(words), signature(words)) == 1.0
    assert similarity(signature(words), signature(frozenset({"oil", "price"}))) == 0.0


def test_report_round_trips_as_json() -> None:
    """A report stored in Redis as JSON comes back equal."""
    original = report(
        news("Drones hit US base in Deir ez-Zor", "Two drones.", link="https://a.example/x")
    )
    assert Report.from_json(original.to_json()) == original
    update = report(news("Death toll in Rafah strike rises to 5"))  # a toll word and a rise
    assert update.count_update
    assert Report.from_json(update.to_json()) == update


def _seed_item(report_: dict[str, Any]) -> Item:
    """A report of seed_story.json as the poller's Item."""
    return Item(
        id=report_["link"],
        feed_id=report_["feed_id"],
        title=report_["title"],
        summary=report_["summary"],
        link=report_["link"],
        published=datetime.fromisoformat(report_["published"]),
        lang="ar",
    )


def test_seed_fixture_is_one_story_that_the_rule_matches() -> None:
    """The seed fixture's outlets match its rule and form one story; the other base stays apart."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    rule = RuleCompiler(load_synonyms("default")).compile(seed["rule"])
    everything = [*seed["reports"], seed["different"]]
    assert len({r["feed_id"] for r in seed["reports"]}) == 3
    for r in everything:
        assert rule.matches(analyze(r["title"], r["summary"], "")), r["feed_id"]
    first, *others = [report(_seed_item(r)) for r in seed["reports"]]
    for other in others:
        assert compare(other, first) in (Verdict.SAME_EVENT, Verdict.SAME_REPORT)
        assert compare(first, other) in (Verdict.SAME_EVENT, Verdict.SAME_REPORT)
        assert set(band_keys(other.signature)) & set(band_keys(first.signature))
    different = report(_seed_item(seed["different"]))
    for known in (first, *others):
        assert compare(different, known) is Verdict.DIFFERENT
        assert compare(known, different) is Verdict.DIFFERENT


def _made(
    shared: int,
    numbers: set[str],
    *,
    side: int,
    update: bool = False,
    minutes: int = 0,
    places: frozenset[str] = frozenset({"rafah", "gaza", "palestine"}),
    link: str | None = None,
) -> Report:
    """A report whose signature shares its first `shared` of 100 values with the other side's."""
    signature = tuple(range(shared)) + tuple(1000 * side + n for n in range(shared, 100))
    return Report(
        signature=signature,
        places=places,
        names=frozenset(),
        numbers=frozenset(numbers),
        published=AT + timedelta(minutes=minutes),
        lang="en",
        link=link,
        count_update=update,
    )


ELSEWHERE = frozenset({"khan-younis", "gaza", "palestine"})


@pytest.mark.parametrize(
    ("earlier", "later", "verdict"),
    [
        # (shared values, counts, options) of the earlier and the later report
        ((20, {"2"}, {}), (20, {"5"}, {"update": True}), Verdict.SAME_EVENT),
        ((20, {"2"}, {}), (20, {"5"}, {}), Verdict.DIFFERENT),
        ((20, {"5"}, {}), (20, {"2"}, {"update": True}), Verdict.DIFFERENT),  # tolls do not fall
        ((20, {"2"}, {"update": True}), (20, {"5"}, {}), Verdict.DIFFERENT),  # the earlier said so
        ((20, set(), {}), (20, {"5"}, {}), Verdict.SAME_EVENT),
        ((10, set(), {}), (10, set(), {}), Verdict.DIFFERENT),
        ((50, {"3"}, {}), (50, {"4"}, {}), Verdict.SAME_EVENT),  # the words say enough
        ((85, {"3"}, {}), (85, {"3"}, {}), Verdict.SAME_REPORT),
        ((85, {"3"}, {}), (85, {"4"}, {}), Verdict.SAME_EVENT),  # a copy repeats its counts
        ((85, {"3"}, {}), (85, {"3"}, {"places": ELSEWHERE}), Verdict.DIFFERENT),
        ((85, {"3"}, {}), (85, {"3"}, {"minutes": 13 * 60}), Verdict.DIFFERENT),
        ((0, set(), {"link": "https://a.example/x"}), (0, set(), {"link": "https://a.example/x"}),
         Verdict.SAME_REPORT),
    ],
)  # fmt: skip
def test_compare_rules(
    earlier: tuple[int, set[str], dict[str, Any]],
    later: tuple[int, set[str], dict[str, Any]],
    verdict: Verdict,
) -> None:
    """Overlap, places, time, links and counts decide; a rising toll may raise the count."""
    first = _made(earlier[0], earlier[1], side=1, **earlier[2])
    options = dict(later[2])  # the table's dicts are shared between runs: leave them be
    minutes = options.pop("minutes", 90)
    second = _made(later[0], later[1], side=2, minutes=minutes, **options)
    assert compare(second, first) is verdict
    assert compare(first, second) is verdict


@pytest.mark.xfail(strict=True, reason="known: short same-city templates overlap above 0.3")
def test_short_templates_with_other_counts_stay_apart() -> None:
    """Two one-line strikes in one city with other counts are two events (not yet: 0.42 overlap)."""
    first = report(news("Strike on house in Rafah kills 5", "Medics said five were killed."))
    second = report(
        news(
            "Strike near Rafah school kills 12", "Twelve displaced people were killed.", minutes=90
        )
    )
    assert compare(second, first) is Verdict.DIFFERENT


def test_copy_is_the_same_report() -> None:
    """A syndicated copy (or the same link with tracking) is the same report."""
    item = news(
        "Rockets hit Ain al-Asad air base in Iraq",
        "Two U.S. troops were hurt.",
        link="https://w.example/a",
    )
    copy = item.model_copy(
        update={"feed_id": "other", "link": "https://www.w.example/a?utm_source=x"}
    )
    assert compare(report(copy), report(item)) is Verdict.SAME_REPORT
    retitled = item.model_copy(
        update={"feed_id": "other", "title": "BREAKING: " + item.title, "link": None}
    )
    assert compare(report(retitled), report(item)) is Verdict.SAME_REPORT


def test_languages_do_not_mix() -> None:
    """An English and an Arabic report are never grouped by words (they share none)."""
    english = report(news("Drones hit US base in Deir ez-Zor", lang="en"))
    arabic = report(news("مسيرات تضرب قاعدة أمريكية في دير الزور", lang="ar"))
    assert compare(english, arabic) is Verdict.DIFFERENT


def test_labelled_set_meets_its_floor() -> None:
    """On the labelled set, precision and recall stay near what was measured (1.0 and 0.966)."""
    pairs = load_pairs()
    labels = {pair["label"] for pair in pairs}
    assert labels == {"copy", "same_event", "different_event", "unrelated"}
    assert len(pairs) >= 60
    found = evaluate(pairs)
    assert found["precision"] >= 0.95, found["failures"]
    assert found["recall"] >= 0.93, found["failures"]
    assert found["lsh_candidate_recall"] >= 0.95
    assert found["copy_as_same_report"] == 1.0


async def test_store_groups_reports_and_remembers_who_was_told(store: Store) -> None:
    """The store joins reports of one story, counts each outlet once, and keeps the told chats."""
    arabic_post = news(
        "Drones hit largest US base in Syria's Deir ez-Zor",
        "Blasts at the al-Omar field base after a drone attack by Iran-backed militias.",
        feed="ap",
        link="https://ap.example/1",
    )
    copy = arabic_post.model_copy(
        update={"id": "ap:2", "link": "https://ap.example/1?utm_source=x"}
    )
    other = news(
        "Drone attack on US base at al-Tanf",
        "A drone attack targeted the al-Tanf garrison.",
        feed="wire",
        minutes=5,
    )
    first = await store.stories.assign(arabic_post, report(arabic_post))
    assert (first.new, first.new_outlet) == (True, True)
    again = await store.stories.assign(copy, report(copy))
    assert (again.story_id, again.new, again.new_outlet, again.verdict) == (
        first.story_id, False, False, Verdict.SAME_REPORT
    )  # fmt: skip
    apart = await store.stories.assign(other, report(other))
    assert apart.new
    assert apart.story_id != first.story_id
    await store.stories.tell(first.story_id, {7: Told("ap:1", "drone", ("drones",))})
    await store.stories.tell(first.story_id, {7: Told("ap:2", "other", ())})  # the first stays
    assert await store.stories.told(first.story_id) == {7: Told("ap:1", "drone", ("drones",))}
    assert await store.stories.outlets(first.story_id) == ["ap"]
