"""Matching items to chats: which subscribed chats should be alerted about an item, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.models import Item, Subscriber
from bot.core.rules import Rule, compile_rule, item_terms
from bot.errors import RuleError


@dataclass(frozen=True, slots=True)
class Hit:
    """A chat to alert and the first of its rules that the item satisfied."""

    chat_id: int
    rule: Rule


class RuleIndex:
    """All chats' compiled rules, ready to match items; identical rule texts compile once."""

    def __init__(self, subscribers: Iterable[Subscriber] = ()) -> None:
        """Compile the rules of the given subscribers."""
        self._compiled: dict[str, Rule] = {}
        self._chats: list[tuple[Subscriber, tuple[Rule, ...]]] = []
        for subscriber in subscribers:
            self.add(subscriber)

    def add(self, subscriber: Subscriber) -> None:
        """Add one chat, skipping stored rules that no longer compile (after a language change)."""
        rules: list[Rule] = []
        for text in subscriber.rules:
            rule = self._compiled.get(text)
            if rule is None:
                try:
                    rule = compile_rule(text)
                except RuleError:
                    continue
                self._compiled[text] = rule
            rules.append(rule)
        if rules:
            self._chats.append((subscriber, tuple(rules)))

    def __len__(self) -> int:
        """Number of chats with at least one usable rule."""
        return len(self._chats)

    def match(self, item: Item) -> list[Hit]:
        """Chats that follow the item's source and have a rule the item satisfies, in chat order."""
        found = item_terms(item)
        hits: list[Hit] = []
        for subscriber, rules in self._chats:
            if not subscriber.follows(item.feed_id):
                continue
            for rule in rules:
                if rule.matches(found):
                    hits.append(Hit(chat_id=subscriber.chat_id, rule=rule))
                    break
        return hits
