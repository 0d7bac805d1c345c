"""Compiled rule expressions: evaluation on an analyzed item, anchors for the index, display.

Nodes are immutable and carry a structural `key`, so equal rules (from any number of chats, in
any word order) are compiled and checked once.
"""

from __future__ import annotations

import heapq
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from bot.core.document import Document

Scope = Literal["text", "title", "source"]
Span = tuple[int, int]
SCOPES: tuple[Scope, ...] = ("text", "title", "source")
# A plain word check: any of the forms, in the scope numbered as in SCOPES.
Clause = tuple[frozenset[str], int]
# Plain word checks for a whole part: words it needs, words it must not have.
Checks = tuple[tuple[Clause, ...], tuple[Clause, ...]]
Key = tuple[object, ...]
# How common a form is (the share of items containing it); the index anchors on rare forms.
Frequency = Callable[[str], float]

EVERYTHING_ANCHOR = "*"
SOURCE_ANCHOR = "source:"
PREFIX_MARK = "*"


@dataclass(frozen=True, slots=True)
class Anchors:
    """Index keys of which an item must contain at least one to possibly match, and their cost."""

    keys: frozenset[str]
    cost: float


@dataclass(frozen=True, slots=True)
class Evidence:
    """A part of a rule and the positions of the item's words that satisfied it."""

    part: str
    positions: tuple[int, ...]
    in_source: bool = False


class Node(ABC):
    """A compiled rule or part of one."""

    key: Key
    positional: bool = False  # has word positions, so it can stand beside NEAR

    @abstractmethod
    def matches(self, doc: Document) -> bool:
        """Whether the analyzed item satisfies this part."""

    def spans(self, doc: Document) -> list[Span]:
        """Where in the item this part is satisfied (first and last word); positional nodes only."""
        raise TypeError(f"{type(self).__name__} has no word positions")

    @abstractmethod
    def anchors(self, frequency: Frequency) -> Anchors | None:
        """The cheapest set of index keys an item must hit to match; None if there is none."""

    @abstractmethod
    def describe(self) -> str:
        """How this part was read, for the user."""

    @abstractmethod
    def evidence(self, doc: Document) -> list[Evidence]:
        """Which words of the item satisfied which part (NOT parts give none)."""

    def terms(self) -> int:
        """How many words the rule's author wrote in this part."""
        return 0

    def has_positive(self) -> bool:
        """Whether this part looks for something (rather than only excluding)."""
        return True

    def clauses(self) -> tuple[Clause, ...] | None:
        """The part as plain word checks (any of these forms, in this scope), if it is one."""
        return None

    def checks(self) -> Checks | None:
        """The part as words needed and words excluded, if plain word checks say it all."""
        clauses = self.clauses()
        return None if clauses is None else (clauses, ())

    def required(self) -> list[frozenset[str]]:
        """Sets of forms of which an item's text must hold one each, for this part to match."""
        return []


def keysets(doc: Document) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The item's forms per scope, in the order of SCOPES."""
    return (doc.keys, doc.title_keys, doc.source_keys)


def check_clauses(clauses: tuple[Clause, ...], doc: Document, *, present: bool = True) -> bool:
    """Whether every word check holds (or, with present=False, none does)."""
    sets = keysets(doc)
    return all(forms.isdisjoint(sets[scope]) is not present for forms, scope in clauses)


def _scope_prefix(scope: Scope) -> str:
    return "" if scope == "text" else f"{scope}:"


@dataclass(frozen=True, eq=False)
class Term(Node):
    """One word: any of its forms, in the whole text (scope), the headline or the source."""

    forms: frozenset[str]
    shown: str
    scope: Scope = "text"
    authored: bool = True  # written by the user (not added by a synonym group)
    key: Key = field(init=False)
    positional: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        """Derive the structural key."""
        object.__setattr__(self, "key", ("t", self.scope, tuple(sorted(self.forms))))

    def positions(self, doc: Document) -> list[int]:
        """Sorted positions of the word in the field."""
        index = doc.source if self.scope == "source" else doc.text
        # A name's sounds bring hundreds of forms: look up the item's forms instead then.
        forms = self.forms if len(self.forms) <= len(index) else self.forms & index.keys()
        lists = [index[f] for f in forms if f in index]
        if not lists:
            return []
        found = lists[0] if len(lists) == 1 else sorted({p for ps in lists for p in ps})
        if self.scope == "title":
            return [p for p in found if p < doc.title_end]
        return found

    def matches(self, doc: Document) -> bool:
        """Any form present in the scope."""
        return not self.forms.isdisjoint(self.keyset(doc))

    def keyset(self, doc: Document) -> frozenset[str]:
        """The item's forms in this term's scope."""
        return keysets(doc)[SCOPES.index(self.scope)]

    def clauses(self) -> tuple[Clause, ...]:
        """One word check."""
        return ((self.forms, SCOPES.index(self.scope)),)

    def required(self) -> list[frozenset[str]]:
        """Its forms (a headline word is in the text too; the source is elsewhere)."""
        return [] if self.scope == "source" else [self.forms]

    def spans(self, doc: Document) -> list[Span]:
        """Each occurrence."""
        return [(p, p) for p in self.positions(doc)]

    def anchors(self, frequency: Frequency) -> Anchors:
        """All forms (any of them may be the one in the item)."""
        mark = SOURCE_ANCHOR if self.scope == "source" else ""
        return Anchors(
            frozenset(mark + f for f in self.forms), sum(frequency(f) for f in self.forms)
        )

    def describe(self) -> str:
        """The word as read."""
        return _scope_prefix(self.scope) + self.shown

    def evidence(self, doc: Document) -> list[Evidence]:
        """The occurrences."""
        return [Evidence(self.describe(), tuple(self.positions(doc)), self.scope == "source")]

    def terms(self) -> int:
        """One word, if the author wrote it."""
        return 1 if self.authored else 0


@dataclass(frozen=True, eq=False)
class Language(Term):
    """`lang:ar`: the item is written in this language (a form of its source, never a word)."""

    def describe(self) -> str:
        """As typed: lang:ar."""
        return self.shown

    def terms(self) -> int:
        """No word: a filter."""
        return 0


@dataclass(frozen=True, eq=False)
class Prefix(Node):
    """Any word starting with a prefix (`strik*`)."""

    prefix: str
    scope: Scope = "text"
    key: Key = field(init=False)
    positional: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        """Derive the structural key."""
        object.__setattr__(self, "key", ("p", self.scope, self.prefix))

    def positions(self, doc: Document) -> list[int]:
        """Sorted positions of words with the prefix."""
        in_source = self.scope == "source"
        index = doc.source if in_source else doc.text
        found = sorted(
            {p for form in doc.forms_with_prefix(self.prefix, in_source) for p in index[form]}
        )
        if self.scope == "title":
            return [p for p in found if p < doc.title_end]
        return found

    def matches(self, doc: Document) -> bool:
        """Any word with the prefix."""
        if self.scope == "text":
            return bool(doc.forms_with_prefix(self.prefix))
        return bool(self.positions(doc))

    def spans(self, doc: Document) -> list[Span]:
        """Each occurrence."""
        return [(p, p) for p in self.positions(doc)]

    def anchors(self, frequency: Frequency) -> Anchors:
        """The prefix itself, looked up against the start of every item word."""
        mark = SOURCE_ANCHOR if self.scope == "source" else ""
        # A prefix stands for many words: count it as common as a short word.
        return Anchors(frozenset({mark + self.prefix + PREFIX_MARK}), frequency(self.prefix) * 4)

    def describe(self) -> str:
        """The prefix and its star."""
        return f"{_scope_prefix(self.scope)}{self.prefix}*"

    def evidence(self, doc: Document) -> list[Evidence]:
        """The occurrences."""
        return [Evidence(self.describe(), tuple(self.positions(doc)), self.scope == "source")]

    def terms(self) -> int:
        """One word."""
        return 1


Slot = Term | Prefix


@dataclass(frozen=True, eq=False)
class Phrase(Node):
    """Words adjacent and in order; with `slop`, all within a window in any order."""

    slots: tuple[Slot, ...]
    scope: Scope = "text"
    slop: int | None = None
    key: Key = field(init=False)
    positional: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        """Derive the structural key."""
        object.__setattr__(
            self, "key", ("ph", self.scope, self.slop, tuple(s.key for s in self.slots))
        )

    def spans(self, doc: Document) -> list[Span]:
        """Each place the words stand together."""
        lists = []
        for slot in self.slots:
            positions = slot.positions(doc)
            if not positions:
                return []  # a word missing: the others need not be looked up
            lists.append(positions)
        if self.slop is None:
            rest = [set(ps) for ps in lists[1:]]
            width = len(self.slots) - 1
            return [
                (p, p + width)
                for p in lists[0]
                if all(p + i + 1 in ps for i, ps in enumerate(rest))
            ]
        return _windows(lists, self.slop + len(self.slots) - 2)

    def matches(self, doc: Document) -> bool:
        """Whether the words stand together somewhere."""
        return bool(self.spans(doc))

    def anchors(self, frequency: Frequency) -> Anchors:
        """The rarest of the words (every one is required)."""
        return min((s.anchors(frequency) for s in self.slots), key=lambda a: a.cost)

    def describe(self) -> str:
        """The quoted words, with their slop."""
        inner = " ".join(_bare(slot.describe(), slot) for slot in self.slots)
        slop = f"~{self.slop}" if self.slop is not None else ""
        return f'{_scope_prefix(self.scope)}"{inner}"{slop}'

    def evidence(self, doc: Document) -> list[Evidence]:
        """The words of each place the phrase stands."""
        positions = sorted(
            {p for start, end in self.spans(doc) for p in range(start, end + 1)}
            if self.slop is None
            else {p for slot in self.slots for p in slot.positions(doc)}
        )
        return [Evidence(self.describe(), tuple(positions), self.scope == "source")]

    def terms(self) -> int:
        """Each word of the phrase."""
        return sum(slot.terms() for slot in self.slots)

    def required(self) -> list[frozenset[str]]:
        """Every plain word of the phrase."""
        return [forms for slot in self.slots for forms in slot.required()]


def _bare(shown: str, slot: Slot) -> str:
    return shown.split(":", 1)[1] if slot.scope != "text" and ":" in shown else shown


def _windows(lists: list[list[int]], span: int) -> list[Span]:
    """Windows of at most `span` positions holding one position of every list."""
    events = list(heapq.merge(*[[(p, i) for p in ps] for i, ps in enumerate(lists)]))
    need = len(lists)
    counts = [0] * need
    covered = 0
    found: list[Span] = []
    left = 0
    for position, which in events:
        if counts[which] == 0:
            covered += 1
        counts[which] += 1
        while covered == need:
            start = events[left][0]
            if position - start <= span:
                found.append((start, position))
            _, gone = events[left]
            counts[gone] -= 1
            if counts[gone] == 0:
                covered -= 1
            left += 1
    return found


@dataclass(frozen=True, eq=False)
class Or(Node):
    """Any of its parts."""

    children: tuple[Node, ...]
    key: Key = field(init=False)
    positional: bool = field(default=False, init=False)
    _text_words: frozenset[str] = field(init=False, repr=False)
    _others: tuple[Node, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Derive the key (order does not matter), positions, and a words-first check."""
        object.__setattr__(
            self, "key", ("or", tuple(sorted({c.key for c in self.children}, key=repr)))
        )
        object.__setattr__(self, "positional", all(c.positional for c in self.children))
        words = [c for c in self.children if isinstance(c, Term) and c.scope == "text"]
        object.__setattr__(self, "_text_words", frozenset().union(*(w.forms for w in words)))
        object.__setattr__(self, "_others", tuple(c for c in self.children if c not in words))

    def matches(self, doc: Document) -> bool:
        """Whether any part matches: one set test for all the plain words, then the rest."""
        if not self._text_words.isdisjoint(doc.keys):
            return True
        return any(child.matches(doc) for child in self._others)

    def clauses(self) -> tuple[Clause, ...] | None:
        """One word check, when every alternative is a plain word in one scope."""
        if not all(isinstance(c, Term) for c in self.children):
            return None
        scopes = {c.scope for c in self.children if isinstance(c, Term)}
        if len(scopes) != 1:
            return None
        forms = frozenset().union(*(c.forms for c in self.children if isinstance(c, Term)))
        return ((forms, SCOPES.index(scopes.pop())),)

    def required(self) -> list[frozenset[str]]:
        """One set: an item matching any alternative holds one of its rarest-needed words."""
        needs = [child.required() for child in self.children]
        if not all(needs):
            return []
        return [frozenset().union(*(min(need, key=len) for need in needs))]

    def spans(self, doc: Document) -> list[Span]:
        """The places of every part."""
        return sorted({span for child in self.children for span in child.spans(doc)})

    def anchors(self, frequency: Frequency) -> Anchors | None:
        """The anchors of every part (an item may match through any of them)."""
        parts = [child.anchors(frequency) for child in self.children]
        if any(part is None for part in parts):
            return None
        return Anchors(
            frozenset().union(*(p.keys for p in parts if p)), sum(p.cost for p in parts if p)
        )

    def describe(self) -> str:
        """The parts joined by |."""
        return "(" + " | ".join(child.describe() for child in self.children) + ")"

    def evidence(self, doc: Document) -> list[Evidence]:
        """The evidence of the parts that matched."""
        return [e for child in self.children if child.matches(doc) for e in child.evidence(doc)]

    def terms(self) -> int:
        """Words written by the author, over all parts."""
        return sum(child.terms() for child in self.children)

    def has_positive(self) -> bool:
        """Every alternative must look for something."""
        return all(child.has_positive() for child in self.children)


@dataclass(frozen=True, eq=False)
class And(Node):
    """All of its parts; the cheap word checks run before phrases, proximity and exclusions."""

    children: tuple[Node, ...]
    key: Key = field(init=False)
    _words: tuple[Clause, ...] = field(init=False, repr=False)
    _excluded: tuple[Clause, ...] = field(init=False, repr=False)
    _rest: tuple[Node, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Derive the key (order does not matter) and a cheap-first evaluation order."""
        object.__setattr__(
            self, "key", ("and", tuple(sorted({c.key for c in self.children}, key=repr)))
        )
        words: list[Clause] = []
        excluded: list[Clause] = []
        rest: list[Node] = []
        for child in self.children:
            inner = child.child if isinstance(child, Not) else child
            clauses = inner.clauses() if isinstance(inner, Term | Or) else None
            if clauses is None:
                rest.append(child)
            else:
                (excluded if inner is not child else words).extend(clauses)
        object.__setattr__(self, "_words", tuple(words))
        object.__setattr__(self, "_excluded", tuple(excluded))
        object.__setattr__(self, "_rest", tuple(sorted(rest, key=_evaluation_cost)))

    def matches(self, doc: Document) -> bool:
        """Whether every part matches: plain words first, then exclusions, then the rest."""
        return (
            check_clauses(self._words, doc)
            and check_clauses(self._excluded, doc, present=False)
            and all(child.matches(doc) for child in self._rest)
        )

    def clauses(self) -> tuple[Clause, ...] | None:
        """Plain word checks, when every part is a plain word."""
        return None if self._rest or self._excluded else self._words

    def checks(self) -> Checks | None:
        """Words needed and words excluded, when those are all the parts."""
        return None if self._rest else (self._words, self._excluded)

    def required(self) -> list[frozenset[str]]:
        """The required words of every part."""
        return [forms for child in self.children for forms in child.required()]

    def anchors(self, frequency: Frequency) -> Anchors | None:
        """The cheapest anchors among the required parts (NOT parts never anchor)."""
        found = [a for child in self.children if (a := child.anchors(frequency)) is not None]
        return min(found, key=lambda a: a.cost) if found else None

    def describe(self) -> str:
        """The parts joined by AND."""
        return " AND ".join(_grouped(child, (And,)) for child in self.children)

    def evidence(self, doc: Document) -> list[Evidence]:
        """The evidence of every part."""
        return [e for child in self.children for e in child.evidence(doc)]

    def terms(self) -> int:
        """Words written by the author, over all parts."""
        return sum(child.terms() for child in self.children)

    def has_positive(self) -> bool:
        """At least one part must look for something."""
        return any(child.has_positive() for child in self.children)


def _evaluation_cost(node: Node) -> int:
    if isinstance(node, Not):
        return 3
    if isinstance(node, Or) and all(isinstance(c, Term) for c in node.children):
        return 1
    return 2


def _grouped(node: Node, bare: tuple[type[Node], ...]) -> str:
    text = node.describe()
    if isinstance(node, (Term, Prefix, Phrase, Or, Not, Everything, *bare)):
        return text
    return f"({text})"


@dataclass(frozen=True, eq=False)
class Not(Node):
    """Excludes items where its part matches."""

    child: Node
    key: Key = field(init=False)

    def __post_init__(self) -> None:
        """Derive the key."""
        object.__setattr__(self, "key", ("not", self.child.key))

    def matches(self, doc: Document) -> bool:
        """Whether the part is absent."""
        return not self.child.matches(doc)

    def anchors(self, frequency: Frequency) -> None:
        """An exclusion never anchors: an item without the word is what it wants."""

    def describe(self) -> str:
        """NOT and the part."""
        return "NOT " + _grouped(self.child, ())

    def evidence(self, doc: Document) -> list[Evidence]:
        """Nothing: the item matched by not containing the part."""
        return []

    def terms(self) -> int:
        """Words written by the author."""
        return self.child.terms()

    def has_positive(self) -> bool:
        """An exclusion alone looks for nothing."""
        return False


@dataclass(frozen=True, eq=False)
class Near(Node):
    """Two parts within `distance` words of each other, in any order."""

    left: Node
    right: Node
    distance: int
    key: Key = field(init=False)
    positional: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        """Derive the key (the order of the two parts does not matter)."""
        sides = tuple(sorted((self.left.key, self.right.key), key=repr))
        object.__setattr__(self, "key", ("near", self.distance, sides))

    def spans(self, doc: Document) -> list[Span]:
        """The stretches from one part to the other where they are close enough."""
        lefts = self.left.spans(doc)
        if not lefts:
            return []
        rights = self.right.spans(doc)
        found = set()
        for a_start, a_end in lefts:
            for b_start, b_end in rights:
                gap = b_start - a_end if b_start > a_end else max(0, a_start - b_end)
                if gap <= self.distance:
                    found.add((min(a_start, b_start), max(a_end, b_end)))
        return sorted(found)

    def matches(self, doc: Document) -> bool:
        """Whether the parts are close somewhere."""
        return bool(self.spans(doc))

    def anchors(self, frequency: Frequency) -> Anchors | None:
        """The cheaper side (both are required)."""
        found = [a for side in (self.left, self.right) if (a := side.anchors(frequency))]
        return min(found, key=lambda a: a.cost) if found else None

    def describe(self) -> str:
        """Left NEAR/n right."""
        return f"{_grouped(self.left, (Near,))} NEAR/{self.distance} {_grouped(self.right, ())}"

    def evidence(self, doc: Document) -> list[Evidence]:
        """The words of both parts inside the close stretches."""
        stretches = self.spans(doc)
        inside = [
            p
            for side in (self.left, self.right)
            for e in side.evidence(doc)
            for p in e.positions
            if any(start <= p <= end for start, end in stretches)
        ]
        return [Evidence(self.describe(), tuple(sorted(set(inside))))]

    def terms(self) -> int:
        """Words written by the author, on both sides."""
        return self.left.terms() + self.right.terms()

    def required(self) -> list[frozenset[str]]:
        """The required words of both sides."""
        return self.left.required() + self.right.required()


@dataclass(frozen=True, eq=False)
class Everything(Node):
    """`*`: every item."""

    key: Key = field(default=("all",), init=False)

    def matches(self, doc: Document) -> bool:
        """Always."""
        return True

    def anchors(self, frequency: Frequency) -> Anchors:
        """The key every item hits; the most expensive, so any word anchors instead."""
        return Anchors(frozenset({EVERYTHING_ANCHOR}), float("inf"))

    def describe(self) -> str:
        """A star."""
        return "*"

    def evidence(self, doc: Document) -> list[Evidence]:
        """Nothing in particular."""
        return []


def flatten(kind: type[And] | type[Or], parts: Iterable[Node]) -> Node:
    """One And/Or of the parts, nested ones of the same kind merged, duplicates dropped."""
    children: list[Node] = []
    seen: set[Key] = set()
    for part in parts:
        for child in part.children if isinstance(part, kind) else (part,):
            if child.key not in seen:
                seen.add(child.key)
                children.append(child)
    return children[0] if len(children) == 1 else kind(tuple(children))
