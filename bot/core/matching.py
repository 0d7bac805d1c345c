"""Matching items against many rules: an inverted index of anchor forms, then an exact check.

Each distinct rule is compiled once and indexed under its anchors: the rarest required word of
each AND, every alternative of an OR, never a NOT (see expr.Node.anchors). An item is analyzed
once; the rules whose anchors it contains are its candidates, and only those are checked.
Rules that mean the same (from any number of chats) share one entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.core.document import Document, analyze, source_text
from bot.core.expr import (
    EVERYTHING_ANCHOR,
    PREFIX_MARK,
    SOURCE_ANCHOR,
    Clause,
    Evidence,
    Frequency,
    Node,
    Or,
    Term,
    keysets,
)
from bot.core.models import Item, Subscriber
from bot.core.rules import Rule, RuleCompiler
from bot.errors import RuleError

Owner = TypeVar("Owner")

# Function words: present in most items, so never worth anchoring on.
STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or not no is are was were be been has have
    had it its this that these those as after over into about than but he she they we you i
    his her their our will would said says say new more most up out who what when where which
    في من على الى عن مع ان او لا ما هذا هذه ذلك التي الذي الذين كان كانت قد لم لن ثم حيث بين
    بعد قبل عند كل غير هو هي هم وقال قال وقالت قالت""".split()
)
MIN_OBSERVED = 200  # items seen before observed frequencies are trusted over the guess


class TermStats:
    """How common each form is among the items seen so far, to anchor rules on rare words."""

    def __init__(self) -> None:
        """Start with no observations (frequencies are guessed from the word itself)."""
        self.items = 0
        self.counts: Counter[str] = Counter()

    def observe(self, doc: Document) -> None:
        """Count the forms of one more item."""
        self.items += 1
        self.counts.update(doc.text.keys())

    def frequency(self, form: str) -> float:
        """The share of items containing the form (observed, or guessed while few were seen)."""
        if self.items >= MIN_OBSERVED:
            return (self.counts.get(form, 0) + 0.5) / self.items
        return guess_frequency(form)


def guess_frequency(form: str) -> float:
    """A form's share of items, guessed: function words are common, long words rare."""
    if form.casefold() in STOPWORDS:
        return 0.5
    return 0.05 / max(1, len(form) - 2)


@dataclass(eq=False)
class Entry(Generic[Owner]):
    """One distinct rule and everyone who holds it."""

    rule: Rule
    owners: list[Owner] = field(default_factory=list)


class MatchIndex(Generic[Owner]):
    """Distinct compiled rules indexed by their anchors; `match` checks only the candidates."""

    def __init__(self, frequency: Frequency = guess_frequency) -> None:
        """Anchor rules using `frequency` to tell rare forms from common ones."""
        self._frequency = frequency
        self._entries: list[Entry[Owner]] = []
        self._exprs: list[Node] = []
        # Per entry: plain word checks to run inline (None: evaluate the expression), and
        # whether containing an anchor already proves the match (a word, or words ORed).
        self._plain: list[tuple[Clause, ...] | None] = []
        self._sure: list[bool] = []
        self._by_key: dict[object, int] = {}
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._prefix_lengths: set[int] = set()
        self._always: list[int] = []

    def __len__(self) -> int:
        """Number of distinct rules."""
        return len(self._entries)

    def add(self, rule: Rule, owner: Owner) -> None:
        """Index a rule for `owner` (an equal rule already indexed just gains an owner)."""
        number = self._by_key.get(rule.key)
        if number is not None:
            self._entries[number].owners.append(owner)
            return
        number = len(self._entries)
        self._entries.append(Entry(rule, [owner]))
        self._exprs.append(rule.expr)
        self._plain.append(rule.expr.clauses())
        self._sure.append(_anchor_proves_match(rule.expr))
        self._by_key[rule.key] = number
        anchors = rule.expr.anchors(self._frequency)
        if anchors is None or EVERYTHING_ANCHOR in anchors.keys:
            self._always.append(number)
            return
        for key in anchors.keys:
            if key.endswith(PREFIX_MARK):
                prefix = key[: -len(PREFIX_MARK)]
                self._prefix.setdefault(prefix, []).append(number)
                self._prefix_lengths.add(len(prefix))
            else:
                self._exact.setdefault(key, []).append(number)

    def candidates(self, doc: Document) -> set[int]:
        """Entries whose anchors the item contains."""
        found: set[int] = set(self._always)
        exact = self._exact
        for form in doc.text:
            hit = exact.get(form)
            if hit:
                found.update(hit)
        for form in doc.source:
            hit = exact.get(SOURCE_ANCHOR + form)
            if hit:
                found.update(hit)
        if self._prefix_lengths:
            prefixes = self._prefix
            lengths = sorted(self._prefix_lengths)
            keyed = [*doc.text, *(SOURCE_ANCHOR + f for f in doc.source)]
            for form in keyed:
                for length in lengths:
                    if length > len(form):
                        break
                    hit = prefixes.get(form[:length])
                    if hit:
                        found.update(hit)
        return found

    def match(self, doc: Document) -> list[Entry[Owner]]:
        """The entries whose rule the item satisfies, in the order they were added."""
        entries, exprs, plain, sure = self._entries, self._exprs, self._plain, self._sure
        sets = keysets(doc)
        found: list[Entry[Owner]] = []
        # The hot loop of the matcher: plain AND rules are checked inline, without calls.
        for n in sorted(self.candidates(doc)):
            if sure[n]:
                found.append(entries[n])
                continue
            clauses = plain[n]
            if clauses is None:
                if exprs[n].matches(doc):
                    found.append(entries[n])
                continue
            for forms, scope in clauses:
                if forms.isdisjoint(sets[scope]):
                    break
            else:
                found.append(entries[n])
        return found

    def match_all(self, doc: Document) -> list[Entry[Owner]]:
        """The same result by checking every rule (the baseline the index is measured against)."""
        return [entry for entry in self._entries if entry.rule.matches(doc)]


def _anchor_proves_match(expr: Node) -> bool:
    """A word, or words ORed, in the whole text: an item holding an anchor holds the rule."""
    if isinstance(expr, Term):
        return expr.scope == "text"
    return isinstance(expr, Or) and all(
        isinstance(c, Term) and c.scope == "text" for c in expr.children
    )


@dataclass(frozen=True)
class Hit:
    """A chat to alert, the first of its rules that the item satisfied, and the words that did."""

    chat_id: int
    text: str  # the rule as this chat wrote it
    rule: Rule
    evidence: tuple[Evidence, ...]


class RuleIndex:
    """Every chat's rules, ready to match items; identical rules compile and check once."""

    def __init__(
        self,
        subscribers: Iterable[Subscriber],
        compiler: RuleCompiler,
        stats: TermStats | None = None,
    ) -> None:
        """Compile the subscribers' rules (stored rules that no longer compile are skipped)."""
        self._index: MatchIndex[tuple[Subscriber, int]] = MatchIndex(
            stats.frequency if stats else guess_frequency
        )
        self._compiled: dict[str, Rule | None] = {}
        self._stats = stats
        self.chats = 0
        for subscriber in subscribers:
            usable = False
            for order, text in enumerate(subscriber.rules):
                rule = self._compile(compiler, text)
                if rule is not None:
                    self._index.add(rule, (subscriber, order))
                    usable = True
            self.chats += usable

    def _compile(self, compiler: RuleCompiler, text: str) -> Rule | None:
        if text not in self._compiled:
            try:
                self._compiled[text] = compiler.compile(text)
            except RuleError:
                self._compiled[text] = None
        return self._compiled[text]

    @property
    def rules(self) -> int:
        """Number of distinct rules."""
        return len(self._index)

    def match(self, item: Item, source: str = "") -> list[Hit]:
        """Chats that follow the item's feed and have a rule it satisfies, by chat id."""
        doc = analyze(item.title, item.summary, source or source_text(item.feed_id, item.link))
        if self._stats is not None:
            self._stats.observe(doc)
        best: dict[int, tuple[int, str, Rule]] = {}
        for entry in self._index.match(doc):
            for subscriber, order in entry.owners:
                if not subscriber.follows(item.feed_id):
                    continue
                known = best.get(subscriber.chat_id)
                if known is None or order < known[0]:
                    best[subscriber.chat_id] = (order, subscriber.rules[order], entry.rule)
        return [
            Hit(chat_id, text, rule, tuple(rule.expr.evidence(doc)))
            for chat_id, (_, text, rule) in sorted(best.items())
        ]
