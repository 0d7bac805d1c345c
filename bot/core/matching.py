"""Matching items against many rules: an inverted index of anchor forms, then an exact check.

Each distinct rule is compiled once and indexed under its anchors: the rarest required word of
each AND, every alternative of an OR, never a NOT (see expr.Node.anchors). A rule that requires
two or more words is indexed by its two rarest together: it is a candidate only when the item
holds both, found by intersecting the item's words with the second words filed under the first.
An item is analyzed once; only its candidates are checked, and a rule of just those two words
needs no check at all. Rules that mean the same (from any number of chats) share one entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.core.document import Document, item_document
from bot.core.expr import (
    EVERYTHING_ANCHOR,
    PREFIX_MARK,
    SOURCE_ANCHOR,
    Checks,
    Everything,
    Evidence,
    Frequency,
    Node,
    Or,
    Prefix,
    Term,
    keysets,
)
from bot.core.models import Feed, Item, Subscriber
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
class OwnedRule(Generic[Owner]):
    """One distinct rule and everyone who holds it."""

    rule: Rule
    owners: list[Owner] = field(default_factory=list)


class _Unless:
    """Entries proven by a key unless the item holds one of their excluded words."""

    __slots__ = ("entries", "excluders", "forms")

    def __init__(self) -> None:
        self.entries: set[int] = set()
        self.forms: set[str] = set()  # every excluded form
        self.excluders: dict[str, list[int]] = {}  # each form, with the entries it excludes


class _Filed:
    """What the index keeps under one key (a form, a source form, a prefix).

    Most keys hold a few entries of one kind, so the containers are made when first needed.
    """

    __slots__ = ("check", "pairs", "seconds", "sure", "unless")

    def __init__(self) -> None:
        self.sure: list[int] | None = None  # holding this key proves these entries
        self.check: list[int] | None = None  # these must still be checked
        self.unless: _Unless | None = None  # "drone -exercise": proven unless "exercise"
        # Entries that need a second word too: the second words, and by second word.
        self.seconds: set[str] | None = None
        self.pairs: dict[str, _Filed] | None = None

    def file(self, number: int, sure: bool) -> None:
        """File an entry as proven by this key, or as needing a check."""
        if sure:
            if self.sure is None:
                self.sure = []
            self.sure.append(number)
        else:
            if self.check is None:
                self.check = []
            self.check.append(number)

    def file_unless(self, number: int, excluded: frozenset[str]) -> None:
        """File an entry proven by this key unless the item holds one of `excluded`."""
        if self.unless is None:
            self.unless = _Unless()
        self.unless.entries.add(number)
        self.unless.forms |= excluded
        for form in excluded:
            self.unless.excluders.setdefault(form, []).append(number)

    def second(self, form: str) -> _Filed:
        """The entries filed under this key and a second word."""
        if self.seconds is None or self.pairs is None:
            self.seconds, self.pairs = set(), {}
        self.seconds.add(form)
        return self.pairs.setdefault(form, _Filed())

    def collect(self, keys: frozenset[str], sure: set[int], check: set[int]) -> None:
        """Add the entries this key makes candidates for an item with these forms."""
        # Set operations run in C: this is where an item meets a hundred thousand rules.
        if self.sure is not None:
            sure.update(self.sure)
        if self.check is not None:
            check.update(self.check)
        unless = self.unless
        if unless is not None:
            present = unless.forms & keys
            if present:
                sure.update(unless.entries.difference(*(unless.excluders[f] for f in present)))
            else:
                sure.update(unless.entries)
        pairs = self.pairs
        if pairs is not None and self.seconds is not None:
            for second in self.seconds & keys:
                both = pairs[second]
                if both.sure is not None:
                    sure.update(both.sure)
                if both.check is not None:
                    check.update(both.check)


class MatchIndex(Generic[Owner]):
    """Distinct compiled rules indexed by their anchors; `match` checks only the candidates."""

    def __init__(self, frequency: Frequency = guess_frequency) -> None:
        """Anchor rules using `frequency` to tell rare forms from common ones."""
        self._frequency = frequency
        self._entries: list[OwnedRule[Owner]] = []
        self._exprs: list[Node] = []
        # Per entry: plain word checks to run inline (None: evaluate the expression).
        self._plain: list[Checks | None] = []
        self._by_key: dict[object, int] = {}
        self._forms: dict[str, _Filed] = {}  # text forms, and source forms with SOURCE_ANCHOR
        self._form_keys: set[str] = set()  # the same keys, as a set to intersect with
        self._prefixes: dict[str, _Filed] = {}
        self._prefix_lengths: list[int] = []
        self._always = _Filed()

    def __len__(self) -> int:
        """Number of distinct rules."""
        return len(self._entries)

    def add(self, rule: Rule, owner: Owner) -> OwnedRule[Owner]:
        """Index a rule for `owner` (an equal rule already indexed just gains an owner)."""
        number = self._by_key.get(rule.key)
        if number is not None:
            self._entries[number].owners.append(owner)
            return self._entries[number]
        number = len(self._entries)
        expr = rule.expr
        checks = expr.checks()
        self._entries.append(OwnedRule(rule, [owner]))
        self._exprs.append(expr)
        self._plain.append(checks)
        self._by_key[rule.key] = number
        required = list(dict.fromkeys(expr.required()))  # each set of forms once
        if len(required) >= 2:
            self._add_pair(number, expr, required)
            return self._entries[number]
        anchors = expr.anchors(self._frequency)
        if anchors is None or EVERYTHING_ANCHOR in anchors.keys:
            self._always.file(number, sure=isinstance(expr, Everything))
            return self._entries[number]
        excluded = _exclusions_only(checks, anchors.keys)
        for key in anchors.keys:
            if key.endswith(PREFIX_MARK):
                prefix = key[: -len(PREFIX_MARK)]
                self._prefixes.setdefault(prefix, _Filed()).file(
                    number, sure=_anchor_proves_match(expr)
                )
                if len(prefix) not in self._prefix_lengths:
                    self._prefix_lengths = sorted([*self._prefix_lengths, len(prefix)])
                continue
            filed = self._filed(key)
            if excluded is None:
                filed.file(number, sure=_anchor_proves_match(expr))
                continue
            filed.file_unless(number, excluded)
        return self._entries[number]

    def _add_pair(self, number: int, expr: Node, required: list[frozenset[str]]) -> None:
        """File an entry under its two rarest required words, every form of each."""
        first, second = sorted(required, key=self._cost)[:2]
        clauses = expr.clauses()
        # A rule of exactly these two words (in the text) holds whenever both are there.
        sure = (
            clauses is not None
            and all(scope == 0 for _, scope in clauses)
            and {forms for forms, _ in clauses} == {first, second}
        )
        for a in first:
            filed = self._filed(a)
            for b in second:
                filed.second(b).file(number, sure=sure)

    def _filed(self, key: str) -> _Filed:
        filed = self._forms.get(key)
        if filed is None:
            filed = self._forms[key] = _Filed()
            self._form_keys.add(key)
        return filed

    def _cost(self, forms: frozenset[str]) -> float:
        return sum(self._frequency(form) for form in forms)

    def candidates(self, doc: Document) -> set[int]:
        """Entries whose anchors the item contains."""
        sure, check = self._collect(doc)
        return sure | check

    def _collect(self, doc: Document) -> tuple[set[int], set[int]]:
        """Candidates, split into those proven by their anchors and those to check."""
        sure: set[int] = set()
        check: set[int] = set()
        keys = doc.keys
        self._always.collect(keys, sure, check)
        forms = self._forms
        # Only the item's forms that are index keys at all (one C-level intersection).
        for form in keys & self._form_keys:
            forms[form].collect(keys, sure, check)
        keyed = [SOURCE_ANCHOR + form for form in doc.source]
        for form in keyed:
            filed = forms.get(form)
            if filed is not None:
                filed.collect(keys, sure, check)
        if self._prefix_lengths:
            prefixes, lengths = self._prefixes, self._prefix_lengths
            for form in (*doc.text, *keyed):
                # A source form ("source:bbc") meets only source prefixes, which are longer
                # than the mark: its first letters are no word of the text (sour* is no match).
                shortest = len(SOURCE_ANCHOR) + 1 if form.startswith(SOURCE_ANCHOR) else 0
                for length in lengths:
                    if length > len(form):
                        break
                    if length < shortest:
                        continue
                    filed = prefixes.get(form[:length])
                    if filed is not None:
                        filed.collect(keys, sure, check)
        return sure, check - sure

    def match(self, doc: Document) -> list[OwnedRule[Owner]]:
        """The entries whose rule the item satisfies, in the order they were added."""
        exprs, plain = self._exprs, self._plain
        sets = keysets(doc)
        sure, check = self._collect(doc)
        found = list(sure)
        # The hot loop of the matcher: plain AND rules are checked inline, without calls.
        for n in check:
            checks = plain[n]
            if checks is None:
                if exprs[n].matches(doc):
                    found.append(n)
                continue
            needed, excluded = checks
            for forms, scope in needed:
                if forms.isdisjoint(sets[scope]):
                    break
            else:
                for forms, scope in excluded:
                    if not forms.isdisjoint(sets[scope]):
                        break
                else:
                    found.append(n)
        found.sort()
        entries = self._entries
        return [entries[n] for n in found]

    def match_all(self, doc: Document) -> list[OwnedRule[Owner]]:
        """The same result by checking every rule (the baseline the index is measured against)."""
        return [entry for entry in self._entries if entry.rule.matches(doc)]


def _exclusions_only(checks: Checks | None, anchors: frozenset[str]) -> frozenset[str] | None:
    """For "word -other" rules in the text: the excluded forms (the anchor proves the word)."""
    if checks is None:
        return None
    needed, excluded = checks
    if not excluded or len(needed) != 1:
        return None
    (forms, scope), *_ = needed
    if scope != 0 or forms != anchors or any(s != 0 for _, s in excluded):
        return None
    return frozenset().union(*(f for f, _ in excluded))


def _anchor_proves_match(expr: Node) -> bool:
    """A word, words ORed or a prefix, in the whole text: holding an anchor is matching."""
    if isinstance(expr, Term | Prefix):
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
    words: tuple[str, ...] = ()  # the item's words that satisfied it, for highlighting


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
        self._compiler = compiler
        self._stats = stats
        self._held: dict[int, list[OwnedRule[tuple[Subscriber, int]]]] = {}  # chat -> its entries
        for subscriber in subscribers:
            self._add(subscriber)

    @property
    def chats(self) -> int:
        """Chats with at least one usable rule."""
        return len(self._held)

    def set_chat(self, chat_id: int, subscriber: Subscriber | None) -> None:
        """Replace a chat's rules and sources (None: it gets no alerts any more).

        A rule no chat holds any longer stays indexed without owners, matching nobody, until
        the index is next built from Redis (a restart).
        """
        for entry in self._held.pop(chat_id, []):
            entry.owners[:] = [o for o in entry.owners if o[0].chat_id != chat_id]
        if subscriber is not None:
            self._add(subscriber)

    def _add(self, subscriber: Subscriber) -> None:
        entries = []
        for order, text in enumerate(subscriber.rules):
            rule = self._compile(self._compiler, text)
            if rule is not None:
                entries.append(self._index.add(rule, (subscriber, order)))
        if entries:
            self._held[subscriber.chat_id] = list({id(e): e for e in entries}.values())

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

    def match(self, item: Item, feed: Feed | None = None) -> list[Hit]:
        """Chats that follow the item's feed and have a rule it satisfies, by chat id.

        `feed` is the item's feed, for what `source:` matches (None: see item_document).
        """
        doc = item_document(item, feed)
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
        # Many chats share a rule: its evidence is worked out once per item.
        found: dict[int, tuple[tuple[Evidence, ...], tuple[str, ...]]] = {}
        hits: list[Hit] = []
        for chat_id, (_, text, rule) in sorted(best.items()):
            if id(rule) not in found:
                evidence = tuple(rule.expr.evidence(doc))
                found[id(rule)] = (evidence, matched_words(doc, evidence))
            evidence, words = found[id(rule)]
            hits.append(Hit(chat_id, text, rule, evidence, words))
        return hits


def matched_words(doc: Document, evidence: tuple[Evidence, ...]) -> tuple[str, ...]:
    """The item's words (headline and summary, case-folded) that satisfied a rule, sorted."""
    return tuple(
        sorted(
            {
                doc.word(position).text.casefold()
                for part in evidence
                if not part.in_source
                for position in part.positions
            }
        )
    )
