"""Alerts and digests as Telegram HTML: highlights, isolates, times in the chat's zone, bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.document import analyze
from bot.core.matching import matched_words
from bot.core.models import Item
from bot.core.rules import RuleCompiler
from bot.delivery.render import (
    FSI,
    PDI,
    Alert,
    also_line,
    format_time,
    highlight,
    render_alert,
    render_digest,
)
from tests.support.botapi import parse_html

PUBLISHED = datetime(2023, 10, 23, 21, 31, tzinfo=UTC)
SEED = Item(
    id="arabicpost:1",
    feed_id="arabicpost",
    title="انفجاران قويان يهزان أكبر قاعدة أمريكية في دير الزور بسوريا",
    summary=(
        'دوى انفجاران في أكبر قاعدة لـ"التحالف الدولي" في سوريا، نتيجة استهداف بطائرات مسيّرة '
        "مركزاً للذخيرة. وقالت القيادة المركزية إنها دمرت مسيَّرتين. وجملة ثالثة لا تظهر."
    ),
    link="https://arabicpost.example/news/2023/10/23/deir-ez-zor-us-base/",
    published=PUBLISHED,
    lang="ar",
)


def words_for(rule: str, item: Item) -> tuple[str, ...]:
    """The item's words that satisfy `rule`, as the poller finds them."""
    compiled = RuleCompiler().compile(rule)
    doc = analyze(item.title, item.summary)
    assert compiled.matches(doc)
    return matched_words(doc, tuple(compiled.expr.evidence(doc)))


def test_matched_words_are_bold_in_the_lead_and_underlined_in_the_headline() -> None:
    """The words that satisfied the rule stand out, written as the outlet wrote them."""
    words = words_for('"قاعدة أمريكية" مسيرة', SEED)
    html = render_alert(Alert(SEED, "عربي بوست", '"قاعدة أمريكية" مسيرة', words=words))
    text, entities = parse_html(html)
    marked = {text[e["offset"] : e["offset"] + e["length"]] for e in entities}
    assert {"قاعدة", "أمريكية", "مسيّرة", "مسيَّرتين"} <= marked
    underlined = [e for e in entities if e["type"] == "underline"]
    assert {text[e["offset"] : e["offset"] + e["length"]] for e in underlined} == {
        "قاعدة",
        "أمريكية",
    }
    assert "وجملة ثالثة" not in text  # the lead is two sentences


def test_english_highlight_is_case_and_plural_blind() -> None:
    """The word "drone" highlights "Drones" and "drones"; other words stay plain and escaped."""
    html = highlight("Drones <hit> base; drones & US", ("drone", "drones"))
    assert html == "<b>Drones</b> &lt;hit&gt; base; <b>drones</b> &amp; US"


def test_feed_text_is_escaped_and_isolated() -> None:
    """Markup in a feed's text is shown as text; the source and rule sit in their own direction."""
    item = SEED.model_copy(update={"title": "<b>bold</b> & co", "summary": "a < b."})
    html = render_alert(Alert(item, "CNN <Arabic>", "US & drone"))
    text, _ = parse_html(html)
    assert "<b>bold</b> & co" in text
    assert f"{FSI}CNN <Arabic>{PDI}" in text
    assert f"{FSI}US & drone{PDI}" in text


@pytest.mark.parametrize(
    ("tz", "now", "expected"),
    [
        ("UTC", None, "23 Oct 2023 21:31 UTC"),
        ("Asia/Baghdad", None, "24 Oct 2023 00:31 +03"),
        ("America/New_York", None, "23 Oct 2023 17:31 EDT"),
        ("UTC", PUBLISHED + timedelta(seconds=30), "23 Oct 2023 21:31 UTC (just now)"),
        ("UTC", PUBLISHED + timedelta(minutes=5), "23 Oct 2023 21:31 UTC (5 min ago)"),
        ("UTC", PUBLISHED + timedelta(hours=3, minutes=59), "23 Oct 2023 21:31 UTC (3 h ago)"),
        ("UTC", PUBLISHED + timedelta(days=2), "23 Oct 2023 21:31 UTC (2 days ago)"),
    ],
)
def test_time_in_the_chats_zone(tz: str, now: datetime | None, expected: str) -> None:
    """Publish times show in the chat's time zone, with how long ago at send time."""
    assert format_time(PUBLISHED, tz=tz, now=now) == expected


@pytest.mark.parametrize(
    ("outlets", "expected"),
    [
        (["SOHR"], "Also: \u2068SOHR\u2069"),
        (["A", "B", "C"], "Also: \u2068A\u2069, \u2068B\u2069, \u2068C\u2069"),
        (["A", "B", "C", "D", "E"], "Also: \u2068A\u2069, \u2068B\u2069, \u2068C\u2069 (+2)"),
    ],
)
def test_also_line(outlets: list[str], expected: str) -> None:
    """Other outlets are named, three at most, and the rest counted."""
    assert also_line(outlets) == expected


def test_alert_names_other_outlets() -> None:
    """An alert of a story several outlets reported says who else did."""
    html = render_alert(Alert(SEED, "Arabic Post", "*", also=["SOHR", "Al Mayadeen"]))
    text, _ = parse_html(html)
    assert f"Also: {FSI}SOHR{PDI}, {FSI}Al Mayadeen{PDI}" in text


def test_digest_lists_stories_and_counts_the_rest() -> None:
    """A digest is one valid message: up to 20 stories, oldest first, and how many more."""
    entries = [
        (SEED.model_copy(update={"id": f"x{n}", "title": f"Story {n} <b>"}), "Wire", n % 3)
        for n in range(25)
    ]
    html = render_digest(entries, now=PUBLISHED + timedelta(hours=1))
    text, _ = parse_html(html)
    assert "25 new stories" in text
    assert "Story 0 <b>" in text
    assert "Story 19 <b>" in text
    assert "Story 20" not in text
    assert "and 5 more" in text
    assert "+2 outlets" in text
    assert len(text) < 4096


RLO, LRI, PDI_ = "\u202e", "\u2066", "\u2069"
# Feed text that would turn the rest of a line around: an override, behind a closing isolate
# that would end the renderer's own isolate early, and an isolate left open.
REVERSING = f"Drones{PDI_}{RLO} hit the base{LRI}"


def balanced_isolates(text: str) -> bool:
    """Whether the only direction controls are the renderer's own isolates, each one closed."""
    depth = 0
    for char in text:
        if char == FSI:
            depth += 1
        elif char == PDI:
            depth -= 1
            if depth < 0:
                return False
        elif "\u202a" <= char <= "\u202e" or char in "\u2066\u2067":
            return False
    return depth == 0


@pytest.mark.parametrize("part", ["title", "summary", "source", "also", "rule"])
def test_feed_text_cannot_turn_an_alert_around(part: str) -> None:
    """Direction controls in any part from a feed or a user are dropped; the isolates hold."""
    item = SEED.model_copy(
        update={
            "title": REVERSING if part == "title" else "Drones hit the base",
            "summary": REVERSING if part == "summary" else "",
        }
    )
    alert = Alert(
        item,
        source=REVERSING if part == "source" else "Wire",
        rule=REVERSING if part == "rule" else "drones",
        also=[REVERSING] if part == "also" else [],
    )
    for html in (render_alert(alert, lang="en"), render_digest([(item, alert.source, 0)])):
        text, _ = parse_html(html)
        assert balanced_isolates(text), repr(text)
        assert "\x00" not in text
    text, _ = parse_html(render_alert(alert, lang="en"))
    assert "Drones hit the base" in text
