"""Synonym groups: words and phrases a rule treats as one, in both languages.

The file has one group per line, members separated by `|`; `#` starts a comment. A rule word or
quoted phrase that is a member of a group is read as "any member of the group". Story grouping
also names a report's groups as concepts both languages share, except the groups after a line
`[rules only]`: vocabulary that finds reports for a rule but, named by one outlet and not by
another, would only pull reports of one event apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.analysis import rule_forms, tokenize
from bot.errors import SynonymsError

RULES_ONLY = "[rules only]"  # the line after which groups serve rules alone


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a group, analyzed: the forms each of its words accepts, as typed."""

    text: str
    slots: tuple[frozenset[str], ...]
    words: tuple[str, ...]  # normalized words, case kept


class Synonyms:
    """Groups of equivalent words and phrases, looked up by the forms of a rule's words."""

    def __init__(self, groups: list[list[Member]], rules_only: int | None = None) -> None:
        """Index the groups by the forms of their one-word members and by their phrases.

        Groups numbered `rules_only` and on are for rules alone (see `for_stories`).
        """
        self.groups = groups
        self._rules_only = len(groups) if rules_only is None else rules_only
        self._by_form: dict[str, set[int]] = {}
        self._phrases: list[tuple[tuple[frozenset[str], ...], int]] = []
        self._phrase_starts: dict[str, list[tuple[tuple[frozenset[str], ...], int]]] = {}
        for number, group in enumerate(groups):
            for member in group:
                if len(member.slots) == 1:
                    # By folded form too, so a rule typed in lower case (uav) finds UAV's group.
                    for form in member.slots[0] | {f.casefold() for f in member.slots[0]}:
                        self._by_form.setdefault(form, set()).add(number)
                else:
                    self._phrases.append((member.slots, number))
                    for form in member.slots[0]:
                        self._phrase_starts.setdefault(form, []).append((member.slots, number))

    @classmethod
    def empty(cls) -> Synonyms:
        """No synonyms at all."""
        return cls([])

    @classmethod
    def parse(cls, text: str, origin: str = "synonyms") -> Synonyms:
        """Read groups from the file format; raise SynonymsError naming the line of a bad group."""
        groups: list[list[Member]] = []
        rules_only: int | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line == RULES_ONLY:
                rules_only = len(groups) if rules_only is None else rules_only
                continue
            members = [m for part in line.split("|") if (m := _member(part)) is not None]
            if len(members) < 2:
                raise SynonymsError(f"{origin}, line {number}: a group needs two or more members")
            groups.append(members)
        return cls(groups, rules_only)

    @classmethod
    def load(cls, path: Path) -> Synonyms:
        """Read a synonyms file."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SynonymsError(f"cannot read synonyms file {path}: {exc}") from None
        return cls.parse(text, str(path))

    def for_word(self, forms: frozenset[str]) -> list[Member]:
        """Every member of every group that a rule word with these forms belongs to."""
        numbers: set[int] = set()
        for form in forms | {f.casefold() for f in forms}:
            numbers |= self._by_form.get(form, set())
        return [member for n in sorted(numbers) for member in self.groups[n]]

    def for_stories(self, number: int) -> bool:
        """Whether story grouping may name a report's group as a concept (not `[rules only]`)."""
        return number < self._rules_only

    def key(self, number: int) -> str:
        """A group's name for story grouping: its first member, folded ("=drone")."""
        return "=" + " ".join(self.groups[number][0].words).casefold()

    def groups_in(self, forms: list[frozenset[str]]) -> frozenset[int]:
        """The groups a text names, given each of its words' item forms in order."""
        found: set[int] = set()
        for start, word in enumerate(forms):
            for form in word:
                found |= self._by_form.get(form, set())
                for slots, number in self._phrase_starts.get(form, ()):
                    end = start + len(slots)
                    if end <= len(forms) and all(
                        slot & forms[start + n] for n, slot in enumerate(slots)
                    ):
                        found.add(number)
        return frozenset(found)

    def for_phrase(self, slots: tuple[frozenset[str], ...]) -> list[Member]:
        """Every member of every group that contains this phrase (word by word)."""
        found: list[Member] = []
        for member_slots, number in self._phrases:
            if len(member_slots) == len(slots) and all(
                a & b for a, b in zip(member_slots, slots, strict=True)
            ):
                found.extend(m for m in self.groups[number] if m not in found)
        return found


def _member(text: str) -> Member | None:
    tokens = tokenize(text)
    if not tokens:
        return None
    return Member(
        text=text.strip(),
        slots=tuple(rule_forms(t.raw) for t in tokens),
        words=tuple(t.raw for t in tokens),
    )
