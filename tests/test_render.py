"""Alerts and digests as Telegram HTML: highlights, isolates, times in the chat's zone, bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.document import analyze
from bot.core.matching import matched_words
from bot.core.models import Item
from bot.core.rules import RuleCompiler
from bot.delivery.render import (
    Alert,
    also_line,
    format_time,
    highlight,
    render_alert,
    render_burst,
    render_digest,
)
from bot.i18n import FSI, LRM, PDI, RLM
from testkit.botapi import parse_html

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


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (timedelta(minutes=1), "(منذ دقيقة)"),
        (timedelta(minutes=2), "(منذ دقيقتين)"),
        (timedelta(minutes=3), "(منذ 3 دقائق)"),
        (timedelta(minutes=11), "(منذ 11 دقيقة)"),
        (timedelta(hours=2), "(منذ ساعتين)"),
        (timedelta(hours=10), "(منذ 10 ساعات)"),
        (timedelta(days=30), "(منذ 30 يوماً)"),
        (timedelta(days=100), "(منذ 100 يوم)"),
        (timedelta(days=102), "(منذ 102 يوم)"),
        (timedelta(days=103), "(منذ 103 أيام)"),
    ],
)
def test_time_ago_in_arabic_takes_the_numbers_form(since: timedelta, expected: str) -> None:
    """How long ago, in Arabic, uses the dual, 3-10, 11-99 and 100s forms CLDR gives."""
    assert format_time(PUBLISHED, lang="ar", now=PUBLISHED + since).endswith(expected)


ENGLISH = Item(
    id="wire:1",
    feed_id="wire",
    title="Drones hit the US base (again).",
    summary="Two drones struck the base. A third was shot down.",
    link="https://wire.example/1",
    published=PUBLISHED,
    lang="en",
)


def test_english_alert_in_an_arabic_chat_keeps_arabic_lines_right_to_left() -> None:
    """In an Arabic chat, each line of an English alert starts right to left, English isolated."""
    alert = Alert(ENGLISH, "Levant Wire", '"US base" drone', also=["BBC World", "عربي بوست"])
    text, _ = parse_html(render_alert(alert, lang="ar"))
    lines = [line for line in text.split("\n") if line]
    assert all(line.startswith(RLM) for line in lines), lines
    assert lines[0] == f"{RLM}{FSI}Drones hit the US base (again).{PDI}"
    assert lines[1] == f"{RLM}{FSI}Two drones struck the base. A third was shot down.{PDI}"
    assert f"{RLM}{FSI}Levant Wire{PDI} · 23 أكتوبر 2023" in text
    assert f"{RLM}أيضاً: {FSI}BBC World{PDI}، {FSI}عربي بوست{PDI}" in lines
    assert f'{RLM}القاعدة: {FSI}"US base" drone{PDI}' in lines


def test_arabic_alert_in_an_english_chat_keeps_english_lines_left_to_right() -> None:
    """In an English chat, each line of an Arabic alert starts left to right, Arabic isolated."""
    text, _ = parse_html(render_alert(Alert(SEED, "عربي بوست", "مسيرة"), lang="en"))
    lines = [line for line in text.split("\n") if line]
    assert all(line.startswith(LRM) for line in lines), lines
    assert lines[0].startswith(f"{LRM}{FSI}انفجاران")
    assert f"{LRM}Rule: {FSI}مسيرة{PDI}" in lines


def test_arabic_digest_counts_in_arabic() -> None:
    """An Arabic digest counts stories and outlets with Arabic's number forms."""
    entries = [
        (SEED.model_copy(update={"id": f"x{n}"}), "عربي بوست", 2 if n == 0 else 4)
        for n in range(25)
    ]
    text, _ = parse_html(render_digest(entries, lang="ar"))
    assert "ملخصك: 25 خبراً جديداً وفق قواعدك" in text
    assert "ومصدران آخران" in text
    assert "و4 مصادر أخرى" in text
    assert "… و5 أخبار أخرى" in text


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


def test_arabic_burst_counts_in_arabic_and_keeps_english_headlines_in_line() -> None:
    """A burst in an Arabic chat counts in Arabic; each English headline sits isolated."""
    items = [
        ENGLISH.model_copy(update={"id": f"wire:{n}", "title": f"Story {n}"}) for n in range(18)
    ]
    text, _ = parse_html(render_burst(items, "Levant Wire", lang="ar"))
    lines = text.splitlines()
    assert lines[0] == f"18 خبراً آخر من {FSI}Levant Wire{PDI}، مجمّعة معاً:"
    assert lines[1].startswith(f"{RLM}• {FSI}Story 0{PDI} · ")
    assert "… و3 أخبار أخرى." in lines
