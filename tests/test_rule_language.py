"""The rule language, table-driven: how rules are read, and every bad input with its position."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.document import analyze
from bot.core.models import Item
from bot.core.names import crossing_keys
from bot.core.places import gazetteer
from bot.core.rules import MAX_RULE_DEPTH, RuleCompiler, RuleLimits
from bot.core.stories import Featurizer
from bot.core.synonyms import Synonyms
from bot.errors import RuleError, RuleSyntaxError, RuleTooDeep, SynonymsError

SYNONYMS = Synonyms.parse(
    "US | U.S. | American | أمريكي | أميركي\ndrone | UAV | مسيرة | طائرة بدون طيار"
)
PLAIN = RuleCompiler()
WITH_SYNONYMS = RuleCompiler(SYNONYMS)


@pytest.mark.parametrize(
    ("rule", "reading"),
    [
        ("drone base", "drone AND base"),
        ("drone + base", "drone AND base"),
        ("drone AND base", "drone AND base"),
        ("+drone +base", "drone AND base"),
        ('"US base"', '"US base"'),
        ('"US base" + "drone"', '"US base" AND drone'),
        ("“US base”", '"US base"'),
        ("«قاعدة أمريكية»", '"قاعدة امريكية"'),
        ("drone OR UAV", "(drone | UAV)"),
        ("drone | UAV", "(drone | UAV)"),
        ("drone OR UAV base", "(drone | UAV) AND base"),
        ("(drone OR UAV) base", "(drone | UAV) AND base"),
        ("drone -exercise", "drone AND NOT exercise"),
        ("drone NOT exercise", "drone AND NOT exercise"),
        ("drone -(exercise OR drill)", "drone AND NOT (exercise | drill)"),
        ("strik*", "strik*"),
        ("drone NEAR/5 base", "drone NEAR/5 base"),
        ("drone near/2 base", "drone NEAR/2 base"),
        ("drone NEAR base", "drone NEAR/5 base"),
        ('"drone base"~4', '"drone base"~4'),
        ("title:drone", "title:drone"),
        ('title:"US base"', 'title:"US base"'),
        ("TITLE:(drone OR uav)", "(title:drone | title:uav)"),
        ("source:bbc drone", "source:bbc AND drone"),
        ("drone lang:AR", "drone AND lang:ar"),
        ("*", "every item"),
        ("* -sport", "* AND NOT sport"),
        ("drones militias", "drone AND militia"),
        ("Drones Militias", "(drone | ≈drone) AND (militia | ≈militia)"),  # capitals: names too
        ("US-based", '"US based"'),
        ("القاعدة الأمريكية", "قاعدة AND امريكية"),
        ("drone drone", "drone"),
        ("drone - base", "drone AND base"),
        ("12:30", '"12 30"'),
        ("drone ?!", "drone"),
    ],
)
def test_reading(rule: str, reading: str) -> None:
    """Each construct is read as documented (OR binds tighter than AND)."""
    assert PLAIN.compile(rule).describe() == reading


@pytest.mark.parametrize(
    ("rule", "reading"),
    [
        ("drone", '(drone | UAV | مسيرة | "طائرة بدون طيار")'),
        ("US", "(US | american | امريكي | اميركي)"),
        ('"US base"', '"(US|american|امريكي|اميركي) base"'),
        ('"طائرة بدون طيار"', '("طائرة بدون طيار" | drone | UAV | مسيرة)'),
        ("مسيرات", '(مسيرات | drone | UAV | "طائرة بدون طيار")'),
        ("strik*", "strik*"),
    ],
)
def test_synonyms_in_reading(rule: str, reading: str) -> None:
    """Synonyms expand words and whole phrases, and show in how the rule was read."""
    assert WITH_SYNONYMS.compile(rule).describe() == reading


def test_same_rule_same_key() -> None:
    """Rules that mean the same share one key (word order, spacing, case, plurals)."""
    keys = {PLAIN.compile(r).key for r in ("drone base", "Base  drone", "base AND DRONE")}
    assert len(keys) == 1
    assert PLAIN.compile('"drone base"').key != PLAIN.compile('"base drone"').key


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('drone "US base', "line 1, col 7: missing closing quote"),
        ('"a b"~', "line 1, col 6: expected a number after ~ (for example ~5)"),
        ("(drone OR uav", "line 1, col 1: missing closing parenthesis for this ("),
        ("drone) base", "line 1, col 6: unexpected ) without a matching ("),
        ("drone ()", "line 1, col 7: empty parentheses: put words inside ( )"),
        ("drone OR", "line 1, col 9: expected a word, phrase or group after OR"),
        ("drone |", "line 1, col 8: expected a word, phrase or group after |"),
        ("OR drone", "line 1, col 1: OR needs a word, phrase or group before it"),
        ("drone AND", "line 1, col 10: expected a word, phrase or group after AND"),
        ("drone OR AND base", "line 1, col 10: expected a word, phrase or group after OR, not AND"),
        ("drone NOT", "line 1, col 10: expected a word, phrase or group after NOT"),
        ("drone NEAR/3", "line 1, col 13: expected a word, phrase or group after NEAR/3"),
        ("NEAR/3 drone", "line 1, col 1: NEAR needs a word, phrase or group before it"),
        ("a NEAR/0 b", "line 1, col 3: NEAR needs a distance from 1 to 100"),
        ('"drone base"~0', "line 1, col 13: ~ needs a distance from 1 to 100"),
        ('x "drone base"~101', "line 1, col 15: ~ needs a distance from 1 to 100"),
        ('"drone base"~00', "line 1, col 13: ~ needs a distance from 1 to 100"),
        ("a NEAR/3 (b c)", "line 1, col 3: NEAR works between words, phrases or OR-groups"),
        ("dr*", "line 1, col 1: a prefix needs at least 3 letters before *"),
        ("base dr* drone", "line 1, col 6: a prefix needs at least 3 letters before *"),
        ("d*one", "line 1, col 2: a * may only end a word (prefix*)"),
        ("title:", "line 1, col 7: expected a word, phrase or group after title:"),
        ("title:(source:bbc)", "line 1, col 1: title: and source: cannot be nested"),
        ("drone lang:fr", "line 1, col 7: lang: takes en or ar (lang:en, lang:ar)"),
        ("NOT drone", "line 1, col 1: the rule only excludes words"),
        ("-drone -uav", "line 1, col 1: the rule only excludes words"),
        ("drone OR -uav", "line 1, col 1: every OR alternative must look for a word"),
        ("?!", "line 1, col 1: the rule has no words to look for"),
        ("drone -", "line 1, col 8: expected a word, phrase or group after -"),
        ('drone ""', "line 1, col 7: empty quotes: put the words of the phrase inside"),
        ("", "line 1, col 1: the rule is empty"),
    ],
)
def test_bad_rules(rule: str, message: str) -> None:
    """A rule that cannot be used is refused with the position and what was expected."""
    with pytest.raises(RuleSyntaxError) as caught:
        PLAIN.compile(rule)
    assert str(caught.value).startswith(message)


def test_syntax_error_on_a_file_line() -> None:
    """The same error can be placed on another line (for rules files)."""
    with pytest.raises(RuleSyntaxError) as caught:
        PLAIN.compile('"open')
    assert str(caught.value.on_line(7)) == "line 7, col 1: missing closing quote"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("x" * 301, "the rule is 301 characters long; the limit is 300"),
        (" ".join(f"w{i}" for i in range(31)), "the rule has 31 words; the limit is 30"),
        ('"' + " ".join(f"w{i}" for i in range(31)) + '"', "the rule has 31 words"),
    ],
)
def test_limits(rule: str, message: str) -> None:
    """Rules over the length or word limit are refused with the numbers."""
    with pytest.raises(RuleError, match=message):
        PLAIN.compile(rule)


def test_limits_are_settings_and_synonyms_do_not_count() -> None:
    """Limits come from settings; words added by synonyms do not count against them."""
    small = RuleCompiler(SYNONYMS, RuleLimits(max_chars=20, max_terms=2))
    assert small.compile("drone US").expr.terms() == 2
    with pytest.raises(RuleError, match="3 words; the limit is 2"):
        small.compile("drone US base")
    with pytest.raises(RuleError, match="the limit is 20"):
        small.compile("a" * 21)


@pytest.mark.parametrize(
    ("content", "message"),
    [("drone | UAV\nlonely\n", "line 2: a group needs two or more members"),
     ("a | b\n | \n", "line 2: a group needs two or more members")],
)  # fmt: skip
def test_bad_synonyms_file(content: str, message: str) -> None:
    """A malformed synonyms line is named."""
    with pytest.raises(SynonymsError, match=message):
        Synonyms.parse(content, "syn.txt")


def test_synonyms_comments_and_blank_lines() -> None:
    """Comments and blank lines in a synonyms file are ignored."""
    synonyms = Synonyms.parse("# news terms\n\ndrone | UAV  # aircraft\n")
    assert len(synonyms.groups) == 1


def test_repeated_words_count_against_the_limit() -> None:
    """The word limit counts words as typed, repeats included."""
    with pytest.raises(RuleError, match="31 words"):
        PLAIN.compile(" ".join(["wax"] * 31))


def test_near_without_a_number() -> None:
    """NEAR/ with something other than a number is an error, not two words."""
    with pytest.raises(RuleSyntaxError, match="col 7: NEAR needs a number of words"):
        PLAIN.compile("drone NEAR/x Syria")


# Generous length limits, so only the depth bound can refuse these rules.
ROOMY = RuleCompiler(limits=RuleLimits(max_chars=5_000, max_terms=500))


@pytest.mark.parametrize(
    ("rule", "column"),
    [
        ("(" * 300 + "x" + ")" * 300, MAX_RULE_DEPTH + 1),
        ("NOT " * 300 + "x y", 4 * MAX_RULE_DEPTH + 1),
        ("-(" * 300 + "x" + ")" * 300 + " y", MAX_RULE_DEPTH + 1),
        ("title:(" * 300 + "x" + ")" * 300, None),
        ("a " + "(b OR (c " * 30 + ")" * 60, None),
        (" NEAR ".join(f"w{i}" for i in range(400)), None),
        ("(" * 2_000 + "x" + ")" * 2_000, MAX_RULE_DEPTH + 1),
    ],
    ids=["parentheses", "NOT", "minus", "title", "and-or", "NEAR-chain", "very-deep"],
)
def test_nesting_depth_is_bounded(rule: str, column: int | None) -> None:
    """A rule nested deeper than the bound is refused with a rule error, however long it may be."""
    with pytest.raises(RuleTooDeep) as caught:
        ROOMY.compile(rule)
    assert caught.value.limit == MAX_RULE_DEPTH
    assert f"nested more than {MAX_RULE_DEPTH} levels deep" in str(caught.value)
    if column is not None:
        assert caught.value.column == column


@pytest.mark.parametrize(
    "rule",
    [
        "(" * MAX_RULE_DEPTH + "x" + ")" * MAX_RULE_DEPTH,
        "NOT " * (MAX_RULE_DEPTH - 1) + "x y",
        " NEAR ".join(f"w{i}" for i in range(MAX_RULE_DEPTH)),
    ],
    ids=["parentheses", "NOT", "NEAR-chain"],
)
def test_nesting_up_to_the_bound_is_accepted(rule: str) -> None:
    """A rule nested exactly as deep as the bound allows compiles, matches and is described."""
    compiled = ROOMY.compile(rule)
    compiled.matches(analyze(" ".join(f"w{i}" for i in range(30)) + " x y"))
    assert "x" in compiled.describe() or "w0" in compiled.describe()


WITH_PLACES = RuleCompiler(places=gazetteer())


@pytest.mark.parametrize(
    ("rule", "text", "found"),
    [
        ("حلب", "Shelling hit Aleppo overnight", True),
        ("بحلب", "Shelling hit Aleppo overnight", True),  # an attached preposition
        ("Aleppo", "قصف على مدينة حلب", True),
        ("Aleppo shelling", "Shelling reported in Aleppo", True),
        ("حمص", "Clashes in Homs", True),
        ("كرمان", "Blast in Kerman kills dozens", True),
        ('"المدينة المنورة"', "Bus crash near Medina", True),
        ("حمص", "clashes in homs", False),  # a Latin spelling found only with its capital
        ("aleppo", "قصف على حلب", False),  # nor read as a place when typed without it
        ("idlib", "قصف على إدلب", True),  # unless the name is no English word in use
        ('"المدينة المنورة"', "حادث في مدينة أبها", False),  # "city" is no name of Medina
        ("Aleppo", "Shelling hit Idlib", False),
        ("drone", "Drone over Aleppo", True),  # words that name no place are as before
        ("بئر السبع", "Sirens sound in Beersheba", True),  # unquoted words side by side
        ("Tel Aviv sirens", "sirens في تل أبيب", True),
        ("tel aviv sirens", "sirens في تل أبيب", False),  # no capitals, no place
        ("Gaza", "اقتحام في القدس", False),  # the gazetteer's Jerusalem is not Gaza's
    ],
)
def test_places_are_found_in_either_script(rule: str, text: str, found: bool) -> None:
    """A rule naming a place finds the place's main names in the other script too."""
    assert WITH_PLACES.compile(rule).matches(analyze(text)) is found
    by_name = any(crossing_keys(word) for word in rule.split())  # Kerman, كرمان: one key
    if found and not by_name and not any(word in text.casefold() for word in rule.split()):
        assert not PLAIN.compile(rule).matches(analyze(text))  # found only through the place


def test_a_place_rule_says_how_it_was_read() -> None:
    """The place's other names are shown beside the word the user wrote."""
    # Hums and Huems: GeoNames' spellings of the main name's sounds, which news may write.
    assert WITH_PLACES.compile("حمص").describe() == "(حمص | Hims | Homs | Huems | Hums | ≈حمص)"


@pytest.mark.parametrize(
    ("rule", "english", "arabic"),
    [
        ("drone", "drone", None),  # no synonyms here: nothing carries it across
        ("Blinken", "blinken", "≈blinken"),  # a name, by its sound
        ("حلب", "(Halab | Aleppo | ≈حلب)", "حلب"),  # a place's names, and its sound
        ("drone lang:ar", None, None),  # drone has no Arabic here, and English is excluded
        ("source:bbc Blinken", "source:bbc AND blinken", "source:bbc AND ≈blinken"),
        ("Blinken -visit", "blinken AND NOT visit", "≈blinken"),  # nothing to exclude there
        ("strik* Aleppo", "strik* AND aleppo", None),  # a prefix stays in its script
    ],
)
def test_readings_per_language(rule: str, english: str | None, arabic: str | None) -> None:
    """A rule cut to each language shows what it finds there, or None when nothing."""
    assert WITH_PLACES.compile(rule).readings() == {"en": english, "ar": arabic}


@pytest.mark.parametrize(
    ("rule", "kept"),
    [
        ("drone lang:ar", True),
        ("(drone lang:en) OR مسيرة", True),  # a filter anywhere in the expression
        ("drone -lang:ar", True),
        ("drone NEAR/3 lang:en", True),
        ("drone", False),
        ('"lang: en"', False),  # the words of a phrase, not a filter
        ("source:bbc drone", False),
    ],
)
def test_a_rule_says_whether_it_keeps_to_a_language(rule: str, kept: bool) -> None:
    """Only a lang: filter, wherever it stands, keeps a rule to one language on purpose."""
    assert PLAIN.compile(rule).keeps_to_language() is kept


def test_groups_after_rules_only_serve_rules_but_not_story_grouping() -> None:
    """A group after a [rules only] line widens rules but names no concept for stories."""
    synonyms = Synonyms.parse(
        "drone | UAV\n[rules only]\nassassination attempt | محاولة اغتيال\n[rules only]\n"
        "stampede | تدافع\n"
    )
    assert [synonyms.for_stories(n) for n in range(3)] == [True, False, False]
    compiled = RuleCompiler(synonyms).compile('"assassination attempt"')
    assert compiled.matches(analyze("نجا الرئيس من محاولة اغتيال"))
    featurizer = Featurizer(synonyms)
    report = featurizer.report(
        Item(
            id="a",
            feed_id="wire",
            title="Drone strike follows assassination attempt and stampede",
            published=datetime(2024, 1, 1, tzinfo=UTC),
        )
    )
    assert report.concepts == {"=drone"}
