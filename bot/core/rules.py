"""Watch rules: parsing a rule text and checking it against an item.

The skeleton's rule language: the words of a rule must all appear in the item's headline or
summary (AND), compared after analysis; quotes and '+' are accepted and read as AND; a rule of
just `*` follows every item. The full language (phrases, OR, NOT, prefixes, NEAR) replaces this
module without changing its two entry points, `compile_rule` and `Rule.matches`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.analysis import fold, terms, tokenize
from bot.core.models import Item
from bot.errors import RuleError

MAX_RULE_CHARS = 300
MAX_RULE_TERMS = 30
MATCH_ALL = "*"


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule: its text as typed and the terms an item must contain."""

    text: str
    required: frozenset[str]

    @property
    def matches_everything(self) -> bool:
        """Whether this rule follows every item (`/watch *`)."""
        return not self.required

    def matches(self, item_terms: frozenset[str]) -> bool:
        """Whether an item whose folded terms are `item_terms` satisfies the rule."""
        return self.required <= item_terms

    def describe(self) -> str:
        """How the rule was read, for the user."""
        if self.matches_everything:
            return "every item"
        return "all of: " + ", ".join(sorted(self.required))


def compile_rule(text: str) -> Rule:
    """Parse a rule text; raise RuleError with a clear reason when it cannot be used."""
    text = " ".join(text.split())
    if not text:
        raise RuleError("the rule is empty: write the words to watch for, e.g. US base drone")
    if len(text) > MAX_RULE_CHARS:
        raise RuleError(f"the rule is {len(text)} characters long; the limit is {MAX_RULE_CHARS}")
    if text == MATCH_ALL:
        return Rule(text=text, required=frozenset())
    words = tokenize(text)
    if not words:
        raise RuleError("the rule has no words to look for (only punctuation)")
    required = frozenset(fold(w) for w in words)
    if len(required) > MAX_RULE_TERMS:
        raise RuleError(f"the rule has {len(required)} words; the limit is {MAX_RULE_TERMS}")
    return Rule(text=text, required=required)


def item_terms(item: Item) -> frozenset[str]:
    """The folded terms of an item's headline and summary, computed once per item."""
    return frozenset(terms(item.title)) | frozenset(terms(item.summary))
