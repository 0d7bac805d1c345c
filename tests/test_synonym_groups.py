"""Every group of the default synonyms file, table-driven: each member finds all the others.

A journalist's rule names one member; a report may say any other, in either language. So each
member, compiled as a rule, must match a report that says only another member of its group, and
no rule word may fall into two groups unless the overlap is listed here on purpose.
"""

from __future__ import annotations

import pytest

from bot.app import load_synonyms
from bot.core.document import analyze
from bot.core.rules import RuleCompiler
from bot.core.synonyms import Member

SYNONYMS = load_synonyms("default")
# One compiler for every row: compiling is cheap, building the synonyms index is not.
COMPILER = RuleCompiler(SYNONYMS)
PLAIN = RuleCompiler()  # no synonyms: what analysis alone finds
GROUPS = SYNONYMS.groups

# Groups that share a rule word on purpose, by their first members. Story grouping keeps
# "explosions" (a series heard: دوي انفجارات) apart from one explosion, yet a rule for an
# explosion wants reports of several.
DELIBERATE_OVERLAPS = frozenset({frozenset({"explosion", "explosions"})})


def _rule(member: Member) -> str:
    """The member as a rule: quoted, so a hyphen or a phrase is read as written."""
    return f'"{member.text}"'


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g[0].text)
def test_each_member_finds_every_other_member(group: list[Member]) -> None:
    """A rule of any member matches a report that says only another member of the group."""
    for member in group:
        rule = COMPILER.compile(_rule(member))
        missed = [
            other.text
            for other in group
            if other is not member and not rule.matches(analyze(other.text))
        ]
        assert not missed, f"{member.text!r} does not find {missed}"


def test_groups_have_at_least_a_few_hundred_entries() -> None:
    """The default file holds several hundred groups of news vocabulary."""
    assert len(GROUPS) >= 300


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g[0].text)
def test_no_member_belongs_to_another_group(group: list[Member]) -> None:
    """A member's rule word or phrase falls in no group but its own, unless listed as deliberate."""
    for member in group:
        if len(member.slots) == 1:
            found = SYNONYMS.for_word(member.slots[0])
        else:
            found = SYNONYMS.for_phrase(member.slots)
        for other in GROUPS:
            if other is group or not any(m is o for m in found for o in other):
                continue
            pair = frozenset({group[0].text, other[0].text})
            assert pair in DELIBERATE_OVERLAPS, f"{member.text!r} is also in {other[0].text!r}"


def _spare(member: Member, other: Member) -> bool:
    """Whether `member` adds nothing to `other`, which analysis already makes it.

    It does when other's rule finds it, and a rule typed as `member` shares a form with `other`
    word by word (so that rule finds the group without it).
    """
    return (
        len(other.slots) == len(member.slots)
        and all(a & b for a, b in zip(member.slots, other.slots, strict=True))
        and PLAIN.compile(_rule(other)).matches(analyze(member.text))
    )


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g[0].text)
def test_no_member_is_a_form_analysis_finds_anyway(group: list[Member]) -> None:
    """No member is just another member's plural, article or ending form (analysis has those)."""
    for member in group:
        spare = [other.text for other in group if other is not member and _spare(member, other)]
        assert not spare, f"{member.text!r} is a form of {spare}: list one of them only"
