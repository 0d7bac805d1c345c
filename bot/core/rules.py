"""Watch rules: the rule language, parsed with errors that say where, compiled once.

The rule language
=================

A rule says which items a chat wants. Words are compared after analysis (see analysis.py):
case, accents, Arabic diacritics and spelling variants, plurals and Arabic attached words
do not matter, so `drone` finds "Drones" and مسيرة finds بمسيرات.

    drone base              both words, anywhere in the headline or summary (AND)
    drone + base            the same; `+` and `AND` may be written between parts
    "US base"               a phrase: the words next to each other, in this order
    drone OR UAV            either word; `|` is the same as OR
    drone -exercise         without the word; `NOT exercise` is the same
    strik*                  any word starting with "strik" (at least 3 letters before *)
    drone NEAR/5 base       both, at most 5 words apart, in any order
    "drone base"~5          the same, written as a phrase with a distance
    title:drone             only in the headline; title:"US base" and title:(a OR b) too
    source:bbc              only from a source whose name or web domain has this word
    lang:ar                 only reports written in Arabic (lang:en: in English)
    (drone OR UAV) base     parentheses group parts
    *                       every item (`* -sport`: every item without "sport")

Precedence, tightest first: NOT/-, OR, NEAR, AND. So `drone OR UAV base` means
`(drone OR UAV) AND base`, as in web search; the reply to /watch shows the grouping it read.
The keywords AND, OR, NOT and NEAR are written in capitals; `near/3` also works; NEAR without
a number means NEAR/5. Typographic quotes (“ ” « ») work like ".

Distances count word positions, from 1 to 100 (NEAR/n and ~n alike): NEAR/1 means side by
side. In a phrase with a distance and k words, all the words must fall within a window of
n + k - 2 positions, in any order (for two words: within n words of each other). A phrase
never spans the headline and the summary.

Synonyms: a word (or quoted phrase) that belongs to a group of the synonyms file is read as
any member of its group, in both languages: `drone` also finds UAV, مسيرة and
"طائرة بدون طيار". A rule word of 2 to 4 capitals (US, UN) does not find the same letters in
lower case ("us").

Limits (settings): 300 characters and 30 words per rule. Nesting is bounded on its own, however
long a rule may be: at most 25 levels of parentheses, NOT/-, title:/source: and chained NEARs
(`a NEAR b NEAR c` is two). A rule must look for something: one made only of exclusions is
refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.analysis import Token, display_form, is_arabic, rule_forms, tokenize
from bot.core.document import CAPITAL, LANGUAGES, Document, capitalized, language_form
from bot.core.expr import (
    And,
    Everything,
    Language,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Scope,
    Slot,
    Term,
    flatten,
)
from bot.core.names import LATIN_ARTICLES, crossing_keys, key_language
from bot.core.places import Gazetteer, Spelling
from bot.core.synonyms import Member, Synonyms
from bot.errors import RuleError, RuleSyntaxError, RuleTooDeep

MAX_RULE_CHARS = 300
MAX_RULE_TERMS = 30
# Real rules nest two or three levels; the bound keeps parsing, matching and display (all
# recursive) far from Python's recursion limit whatever the length limits are set to.
MAX_RULE_DEPTH = 25
MIN_PREFIX = 3
MAX_DISTANCE = 100
DEFAULT_NEAR = 5
MATCH_ALL = "*"
# A phrase carried into the other language word by word: its words within this distance, in any
# order ("Sanaa airport" is مطار صنعاء, "Soroka hospital" مستشفى سوروكا).
CROSSING_WINDOW = 2
MAX_RUN_WORDS = 3  # unquoted words read together as a place or phrase: بئر السبع, suicide bomber
NAME_MARK = "≈"  # shown before a word read as a name in the other script: ≈Blinken

_QUOTES = {'"': '"', "“": "”", "”": "”", "«": "»", "„": "“"}
_SPECIAL = set('()"|') | set(_QUOTES)
_NEAR = re.compile(r"^NEAR(?:/(\d+))?$", re.IGNORECASE)
_FIELDS = ("title", "source")


# ---- lexer -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # WORD PHRASE LPAREN RPAREN OR AND NOT NEAR FIELD LANG ALL END
    text: str
    col: int  # 1-based column of the token's first character
    number: int | None = None  # NEAR distance, phrase slop
    prefix: bool = False  # a WORD that ended with *


def _lex(rule: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(rule)
    while i < n:
        ch = rule[i]
        at_start = i == 0 or rule[i - 1].isspace() or rule[i - 1] == "("
        if ch.isspace():
            i += 1
        elif ch in "()|":
            kind = {"(": "LPAREN", ")": "RPAREN", "|": "OR"}[ch]
            tokens.append(_Tok(kind, ch, i + 1))
            i += 1
        elif ch in _QUOTES:
            token, i = _lex_phrase(rule, i)
            tokens.append(token)
        elif ch in "-+" and (i + 1 >= n or rule[i + 1].isspace()):
            if ch == "+":
                tokens.append(_Tok("AND", ch, i + 1))
            elif not rule[i + 1 :].strip():
                raise RuleSyntaxError(n + 1, "expected a word, phrase or group after -")
            i += 1  # a lone "-" between words is punctuation, not an exclusion
        elif ch in "-+" and at_start:
            if ch == "-":
                tokens.append(_Tok("NOT", ch, i + 1))
            i += 1  # "+word": required, which every plain word already is
        else:
            token, i = _lex_word(rule, i)
            tokens.append(token)
    tokens.append(_Tok("END", "", n + 1))
    return tokens


def _lex_phrase(rule: str, i: int) -> tuple[_Tok, int]:
    """A quoted phrase starting at `i`, with its optional ~distance; and where lexing resumes."""
    opening = rule[i]
    close = rule.find(_QUOTES[opening], i + 1)
    if close < 0 and opening != '"':
        close = rule.find('"', i + 1)  # “mixed" quotes still close
    if close < 0:
        raise RuleSyntaxError(i + 1, "missing closing quote")
    text = rule[i + 1 : close]
    if not text.strip():
        raise RuleSyntaxError(i + 1, "empty quotes: put the words of the phrase inside")
    end = close + 1
    slop = None
    if end < len(rule) and rule[end] == "~":
        digits = re.match(r"\d+", rule[end + 1 :])
        if not digits:
            raise RuleSyntaxError(end + 1, "expected a number after ~ (for example ~5)")
        slop = int(digits.group())
        # ~0 could never match (the window would be narrower than the words); bounded as NEAR/n.
        if not 1 <= slop <= MAX_DISTANCE:
            raise RuleSyntaxError(end + 1, f"~ needs a distance from 1 to {MAX_DISTANCE}")
        end += 1 + len(digits.group())
    return _Tok("PHRASE", text, i + 1, number=slop), end


def _lex_word(rule: str, i: int) -> tuple[_Tok, int]:
    """A word (or keyword, or field name) starting at `i`; and where lexing resumes."""
    j = i
    while j < len(rule) and not rule[j].isspace() and rule[j] not in _SPECIAL:
        j += 1
    word = rule[i:j]
    name, colon, value = word.partition(":")
    if colon and name.casefold() == "lang":
        if value.casefold() not in LANGUAGES:
            raise RuleSyntaxError(i + 1, "lang: takes en or ar (lang:en, lang:ar)")
        return _Tok("LANG", value.casefold(), i + 1), j
    if colon and name.casefold() in _FIELDS:
        return _Tok("FIELD", name.casefold(), i + 1), i + len(name) + 1
    return _word_token(word, i + 1), j


def _word_token(word: str, col: int) -> _Tok:
    if word in ("OR", "AND", "NOT"):
        return _Tok(word, word, col)
    if word.upper().startswith("NEAR/") and not _NEAR.match(word):
        raise RuleSyntaxError(col, "NEAR needs a number of words, for example NEAR/5")
    near = _NEAR.match(word)
    if near and (near.group(1) is not None or word == "NEAR"):
        distance = int(near.group(1)) if near.group(1) is not None else DEFAULT_NEAR
        if not 1 <= distance <= MAX_DISTANCE:
            raise RuleSyntaxError(col, f"NEAR needs a distance from 1 to {MAX_DISTANCE}")
        return _Tok("NEAR", word, col, number=distance)
    if word == MATCH_ALL:
        return _Tok("ALL", word, col)
    star = word.find("*")
    if star >= 0:
        if star != len(word) - 1:
            raise RuleSyntaxError(col + star, "a * may only end a word (prefix*)")
        stem = word[:-1]
        letters = sum(ch.isalnum() for ch in stem)
        if letters < MIN_PREFIX:
            raise RuleSyntaxError(col, f"a prefix needs at least {MIN_PREFIX} letters before *")
        return _Tok("WORD", stem, col, prefix=True)
    return _Tok("WORD", word, col)


# ---- parser: tokens -> syntax tree -------------------------------------------------------------


@dataclass
class _Syntax:
    kind: str  # word phrase all and or not near field
    col: int
    text: str = ""
    prefix: bool = False
    number: int | None = None
    parts: list[_Syntax] = field(default_factory=list)
    depth: int = 0  # levels of parentheses, NOT, field and NEAR from here down


class _Parser:
    def __init__(self, tokens: list[_Tok], max_depth: int = MAX_RULE_DEPTH) -> None:
        self.tokens = tokens
        self.at = 0
        self.max_depth = max_depth
        self.open = 0  # parentheses, NOTs and fields around the next token

    def descend(self, token: _Tok) -> None:
        """Enter a group, NOT or field; refused before recursing past the bound."""
        self.open += 1
        if self.open > self.max_depth:
            raise RuleTooDeep(token.col, self.max_depth)

    def level(self, node: _Syntax, col: int) -> _Syntax:
        """`node` after its depth is set; refused when it is past the bound (NEAR chains)."""
        if node.depth > self.max_depth:
            raise RuleTooDeep(col, self.max_depth)
        return node

    @property
    def next(self) -> _Tok:
        return self.tokens[self.at]

    def take(self) -> _Tok:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> _Syntax:
        if self.next.kind == "END":
            raise RuleSyntaxError(1, "the rule is empty: write the words to watch for")
        if self.next.kind in ("OR", "AND", "NEAR"):
            word = "NEAR" if self.next.kind == "NEAR" else self.next.text
            raise RuleSyntaxError(self.next.col, f"{word} needs a word, phrase or group before it")
        tree = self.conjunction()
        if self.next.kind == "RPAREN":
            raise RuleSyntaxError(self.next.col, "unexpected ) without a matching (")
        return tree

    def conjunction(self) -> _Syntax:
        parts = [self.proximity()]
        while self.next.kind not in ("END", "RPAREN"):
            if self.next.kind == "AND":
                joiner = self.take()
                self.expect_operand(f"after {joiner.text}")
            parts.append(self.proximity())
        if len(parts) == 1:
            return parts[0]
        return _Syntax("and", parts[0].col, parts=parts, depth=max(p.depth for p in parts))

    def proximity(self) -> _Syntax:
        left = self.alternatives()
        while self.next.kind == "NEAR":
            near = self.take()
            self.expect_operand(f"after {near.text}")
            right = self.alternatives()
            depth = max(left.depth, right.depth) + 1
            node = _Syntax("near", near.col, number=near.number, parts=[left, right], depth=depth)
            left = self.level(node, near.col)
        return left

    def alternatives(self) -> _Syntax:
        parts = [self.unary()]
        while self.next.kind == "OR":
            joiner = self.take()
            self.expect_operand(f"after {joiner.text}")
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return _Syntax("or", parts[0].col, parts=parts, depth=max(p.depth for p in parts))

    def unary(self) -> _Syntax:
        if self.next.kind == "NOT":
            token = self.take()
            self.expect_operand(f"after {'NOT' if token.text == 'NOT' else '-'}")
            self.descend(token)
            inner = self.unary()
            self.open -= 1
            return _Syntax("not", token.col, parts=[inner], depth=inner.depth + 1)
        return self.primary()

    def primary(self) -> _Syntax:
        token = self.next
        if token.kind == "FIELD":
            self.take()
            self.expect_operand(f"after {token.text}:")
            self.descend(token)
            inner = self.unary()
            self.open -= 1
            if _contains_field(inner):
                raise RuleSyntaxError(token.col, "title: and source: cannot be nested")
            depth = inner.depth + 1
            return _Syntax("field", token.col, text=token.text, parts=[inner], depth=depth)
        if token.kind == "LPAREN":
            self.take()
            if self.next.kind == "RPAREN":
                raise RuleSyntaxError(token.col, "empty parentheses: put words inside ( )")
            self.descend(token)
            inner = self.conjunction()
            self.open -= 1
            if self.next.kind != "RPAREN":
                raise RuleSyntaxError(token.col, "missing closing parenthesis for this (")
            self.take()
            inner.depth += 1  # the group is a level, even around a single word
            return self.level(inner, token.col)
        if token.kind in ("WORD", "PHRASE", "ALL", "LANG"):
            self.take()
            kind = {"WORD": "word", "PHRASE": "phrase", "ALL": "all", "LANG": "lang"}[token.kind]
            return _Syntax(kind, token.col, token.text, token.prefix, token.number)
        self.expect_operand("here")
        raise AssertionError("unreachable")  # pragma: no cover

    def expect_operand(self, where: str) -> None:
        token = self.next
        if token.kind in ("WORD", "PHRASE", "ALL", "LPAREN", "NOT", "FIELD", "LANG"):
            return
        if token.kind == "END":
            raise RuleSyntaxError(token.col, f"expected a word, phrase or group {where}")
        if token.kind == "RPAREN" and where == "here":
            raise RuleSyntaxError(token.col, "unexpected ) without a matching (")
        shown = token.text if token.kind != "NEAR" else "NEAR"
        raise RuleSyntaxError(token.col, f"expected a word, phrase or group {where}, not {shown}")


def _count_words(tree: _Syntax) -> int:
    """Words as written, repeats included (the limit bounds what a user may type)."""
    if tree.kind in ("word", "phrase"):
        return len(tokenize(tree.text))
    return sum(_count_words(part) for part in tree.parts)


def _contains_field(tree: _Syntax) -> bool:
    return tree.kind == "field" or any(_contains_field(p) for p in tree.parts)


# ---- compiler: syntax tree -> expression -------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A compiled rule: the text as typed, its expression, and how it was read."""

    text: str
    expr: Node

    @property
    def key(self) -> object:
        """Structural identity: equal for rules that mean the same (word order, synonyms)."""
        return self.expr.key

    def matches(self, doc: Document) -> bool:
        """Whether an analyzed item satisfies the rule."""
        return self.expr.matches(doc)

    def describe(self) -> str:
        """How the rule was read: analyzed words, synonyms and the grouping, spelled out."""
        if isinstance(self.expr, Everything):
            return "every item"
        return self.expr.describe()

    def keeps_to_language(self) -> bool:
        """Whether a `lang:` filter keeps the rule to reports of one language on purpose."""
        return _has_language_filter(self.expr)

    def readings(self) -> dict[str, str | None]:
        """How the rule reads reports in each language (None: it finds none in that language).

        The rule cut down to the words of one language: the user's own words in theirs, and in
        the other the synonyms, place names and name keys that carry them across.
        """
        found: dict[str, str | None] = {}
        for language in LANGUAGES:
            cut = in_language(self.expr, language)
            found[language] = None if cut is None else Rule(self.text, cut).describe()
        return found


def _has_language_filter(node: Node) -> bool:
    """Whether a `lang:` filter stands anywhere in an expression."""
    if isinstance(node, Language):
        return True
    if isinstance(node, And | Or):
        return any(_has_language_filter(child) for child in node.children)
    if isinstance(node, Not):
        return _has_language_filter(node.child)
    if isinstance(node, Near):
        return _has_language_filter(node.left) or _has_language_filter(node.right)
    return False


@dataclass(frozen=True)
class RuleLimits:
    """How long and how deeply nested a rule may be."""

    max_chars: int = MAX_RULE_CHARS
    max_terms: int = MAX_RULE_TERMS
    max_depth: int = MAX_RULE_DEPTH


class RuleCompiler:
    """Parses and compiles rules with one synonyms table and one set of limits."""

    def __init__(
        self,
        synonyms: Synonyms | None = None,
        limits: RuleLimits | None = None,
        places: Gazetteer | None = None,
    ) -> None:
        """Compile with these synonyms (none by default) and limits.

        With `places`, a word or phrase that names a place also finds the place's other names,
        in either script (حلب finds Aleppo; "Tel Aviv" finds تل أبيب).
        """
        self.synonyms = synonyms or Synonyms.empty()
        self.limits = limits or RuleLimits()
        self.places = places

    def compile(self, text: str) -> Rule:
        """Parse and compile `text`; raise RuleError saying where and what is wrong."""
        text = " ".join(text.split())
        if not text:
            raise RuleSyntaxError(1, "the rule is empty: write the words to watch for")
        if len(text) > self.limits.max_chars:
            raise RuleError(
                f"the rule is {len(text)} characters long; the limit is {self.limits.max_chars}"
            )
        tree = _Parser(_lex(text), self.limits.max_depth).parse()
        terms = _count_words(tree)
        if terms > self.limits.max_terms:
            raise RuleError(f"the rule has {terms} words; the limit is {self.limits.max_terms}")
        expr = self._node(tree, "text")
        if expr is None:
            raise RuleSyntaxError(tree.col, "the rule has no words to look for")
        if not expr.has_positive():
            raise RuleSyntaxError(
                tree.col,
                "every OR alternative must look for a word, not only exclude one"
                if _excluding_alternative(expr)
                else "the rule only excludes words: add at least one word to look for "
                "(or * for every item)",
            )
        return Rule(text=text, expr=expr)

    def _node(self, tree: _Syntax, scope: Scope) -> Node | None:
        kind = tree.kind
        if kind == "all":
            return Everything()
        if kind == "lang":
            return Language(frozenset({language_form(tree.text)}), f"lang:{tree.text}", "source")
        if kind == "word":
            return self._words(tree, scope, phrase=False)
        if kind == "phrase":
            return self._words(tree, scope, phrase=True)
        if kind == "field":
            return self._node(tree.parts[0], "title" if tree.text == "title" else "source")
        parts = (
            self._conjuncts(tree.parts, scope)
            if kind == "and"
            else [self._node(part, scope) for part in tree.parts]
        )
        present = [p for p in parts if p is not None]
        if kind == "not":
            return Not(present[0]) if present else None
        if kind == "near":
            if len(present) < 2:
                return present[0] if present else None
            left, right = present
            for side in (left, right):
                if not side.positional:
                    raise RuleSyntaxError(
                        tree.col, "NEAR works between words, phrases or OR-groups of them"
                    )
            return Near(left, right, tree.number or DEFAULT_NEAR)
        if not present:
            return None
        return flatten(Or if kind == "or" else And, present)

    def _conjuncts(self, trees: list[_Syntax], scope: Scope) -> list[Node | None]:
        """The parts of an AND; words side by side that are a place or a synonyms phrase cross.

        Such words also find the place's other names, or the phrase's group:
        `بئر السبع صاروخ` is read as (بئر AND السبع, or Beersheba) AND صاروخ, and `Istanbul
        suicide bomber` finds انتحاري: unquoted, the words still need not stand together in
        the rule's own language.
        """
        out: list[Node | None] = []
        i = 0
        while i < len(trees):
            width, others = self._crossing_run(trees[i : i + MAX_RUN_WORDS], scope)
            words = [self._node(t, scope) for t in trees[i : i + width]]
            if others:
                together = flatten(And, [w for w in words if w is not None])
                out.append(flatten(Or, [together, *others]))
            else:
                out += words
            i += width
        return out

    def _crossing_run(self, trees: list[_Syntax], scope: Scope) -> tuple[int, list[Node]]:
        """How many of these words (2 or more, longest first) are a place or synonyms phrase.

        With the place's other names or the phrase's group; (1, []) when none.
        """
        for width in range(len(trees), 1, -1):
            if all(t.kind == "word" and not t.prefix for t in trees[:width]):
                tokens = [token for t in trees[:width] for token in tokenize(t.text)]
                found = self._spellings(tokens, scope) + [
                    _member_node(m, scope)
                    for m in self.synonyms.for_phrase(tuple(rule_forms(t.raw) for t in tokens))
                ]
                if found:
                    return width, found
        return 1, []

    def _words(self, tree: _Syntax, scope: Scope, *, phrase: bool) -> Node | None:
        tokens = tokenize(tree.text)
        if not tokens:
            return None  # punctuation only: nothing to look for here
        slots: list[Slot] = []
        for i, token in enumerate(tokens):
            if tree.prefix and i == len(tokens) - 1:
                slots.append(Prefix(token.text, scope))
            else:
                slots.append(self._term(token.raw, scope, merge_synonyms=len(tokens) > 1))
        if len(slots) == 1:
            node = self._expand_word(slots[0], scope)
        else:
            node = self._expand_phrase(
                Phrase(tuple(slots), scope, tree.number if phrase else None), scope
            )
        if tree.prefix or (phrase and tree.number is not None):
            return node
        others = self._spellings(tokens, scope)
        bare = slots[0] if len(slots) == 1 else Phrase(tuple(slots), scope)
        if others or node.key == bare.key:  # a place, or nothing else took it across
            crossing = self._crossing(tokens, scope, place=bool(others))
            others += [crossing] if crossing else []
        return flatten(Or, [node, *others]) if others else node

    def _spellings(self, tokens: list[Token], scope: Scope) -> list[Node]:
        """The other names of the place the words name, if they name one."""
        if self.places is None:
            return []
        return [_spelling_node(s, scope) for s in self.places.spellings(tokens)]

    def _crossing(self, tokens: list[Token], scope: Scope, *, place: bool) -> Node | None:
        """The words in the other script, when each of them can be carried there.

        A word alone crosses as a name, by its sounds (Blinken finds بلينكن, هنية Haniyeh); a
        place's name by its sounds too, however common, since news spells places in ways no
        gazetteer lists (Valencia: فالنسيا beside بلنسية). A phrase crosses word by word, in
        any order within a short window, since the other language orders them its own way
        ("Sanaa airport" is مطار صنعاء): each word by its one-word synonyms, its place names
        and its sounds, however common (the "Ben" of "Ben Gurion"), with at least one word
        carried by more than sounds or by a name's sounds.
        """
        # The Arabic article in Latin letters ("Ibn al-Khatib") is written attached in Arabic
        # (ابن الخطيب), where a word's sounds leave it out: it is no word to carry.
        tokens = [
            t
            for n, t in enumerate(tokens)
            if n + 1 == len(tokens) or is_arabic(t.text) or t.text not in LATIN_ARTICLES
        ]
        phrase = len(tokens) > 1
        anchored = False
        terms: list[Term] = []
        for token in tokens:
            other = "en" if is_arabic(token.text) else "ar"
            ways: list[tuple[str, frozenset[str]]] = []  # (how it is shown, its forms)
            if phrase:
                ways += [
                    (display_form(m.words[0]), m.slots[0])
                    for m in self.synonyms.for_word(rule_forms(token.raw))
                    if len(m.slots) == 1
                ]
                ways += [
                    (s.shown, s.forms)
                    for s in self._spellings([token], scope)
                    if isinstance(s, Term)
                ]
            ways = [
                (shown, kept)
                for shown, forms in ways
                if (kept := frozenset(f for f in forms if other in form_languages(f)))
            ]
            name = crossing_keys(token.raw, place=place)
            anchored |= bool(ways or name)
            keys = crossing_keys(token.raw, loose=True) if phrase else name
            if keys:
                ways.append((NAME_MARK + display_form(token.raw), keys))
            if not ways:
                return None
            label = "|".join(dict.fromkeys(shown for shown, _ in ways))
            forms = frozenset().union(*(forms for _, forms in ways))
            terms.append(Term(forms, f"({label})" if len(ways) > 1 else label, scope, False))
        if not anchored:  # a phrase carried by loose sounds alone
            return None
        if len(terms) == 1:
            return terms[0]
        return Phrase(tuple(terms), scope, CROSSING_WINDOW)

    def _term(self, raw: str, scope: Scope, *, merge_synonyms: bool) -> Term:
        """A word; inside a phrase its one-word synonyms join it as alternatives."""
        forms = rule_forms(raw)
        shown = display_form(raw)
        members = [m for m in self.synonyms.for_word(forms) if len(m.slots) == 1]
        if merge_synonyms and members:
            forms = forms.union(*(m.slots[0] for m in members))
            alternatives = dict.fromkeys([shown, *(display_form(m.words[0]) for m in members)])
            shown = "(" + "|".join(alternatives) + ")"
        return Term(forms, shown, scope)

    def _expand_word(self, slot: Slot, scope: Scope) -> Node:
        if not isinstance(slot, Term):
            return slot
        members = self.synonyms.for_word(rule_forms_of(slot))
        extra = [
            node
            for node in (_member_node(m, scope) for m in members)
            if not (isinstance(node, Term) and node.forms <= slot.forms)  # adds nothing
        ]
        return flatten(Or, [slot, *extra]) if extra else slot

    def _expand_phrase(self, phrase: Phrase, scope: Scope) -> Node:
        if phrase.slop is not None or any(isinstance(s, Prefix) for s in phrase.slots):
            return phrase
        members = self.synonyms.for_phrase(tuple(rule_forms_of(s) for s in phrase.slots))
        if not members:
            return phrase
        return flatten(Or, [phrase, *(_member_node(m, scope) for m in members)])


def _excluding_alternative(node: Node) -> bool:
    if isinstance(node, Or):
        return (not node.has_positive() and any(c.has_positive() for c in node.children)) or any(
            _excluding_alternative(c) for c in node.children
        )
    if isinstance(node, And):
        return any(_excluding_alternative(c) for c in node.children)
    return False


def rule_forms_of(slot: Slot) -> frozenset[str]:
    """The forms a slot accepts (a prefix accepts none exactly)."""
    return slot.forms if isinstance(slot, Term) else frozenset()


def _spelling_node(spelling: Spelling, scope: Scope) -> Node:
    """A place's other name as a word or phrase; its capitalized English words only as such."""
    terms = [
        Term(
            frozenset({capitalized(word)}) if capital and not is_arabic(word) else rule_forms(word),
            word.title() if capital and not is_arabic(word) else display_form(word),
            scope,
            authored=False,
        )
        for word, capital in zip(spelling.words, spelling.capitals, strict=True)
    ]
    return terms[0] if len(terms) == 1 else Phrase(tuple(terms), scope)


def _member_node(member: Member, scope: Scope) -> Node:
    if len(member.slots) == 1:
        return Term(member.slots[0], display_form(member.words[0]), scope, authored=False)
    # A phrase is shown as written in the synonyms file (its words folded, nothing stripped).
    terms = [
        Term(forms, word if word.isupper() else word.casefold(), scope, authored=False)
        for forms, word in zip(member.slots, member.words, strict=True)
    ]
    return Phrase(tuple(terms), scope)


def in_language(node: Node, language: str) -> Node | None:
    """The part of an expression that can match reports written in `language`, or None.

    A word keeps the forms of that language; a phrase, NEAR or AND needs every positive part;
    an exclusion with nothing left in the language excludes nothing there and goes.
    """
    if isinstance(node, Language):
        return node if language_form(language) in node.forms else None
    if node.positional and getattr(node, "scope", "text") == "source":
        return node  # a source's name says nothing of the report's language
    if isinstance(node, Term):
        forms = frozenset(f for f in node.forms if language in form_languages(f))
        return Term(forms, node.shown, node.scope, node.authored) if forms else None
    if isinstance(node, Prefix):
        return node if language in form_languages(node.prefix) else None
    if isinstance(node, Phrase):
        slots = [in_language(slot, language) for slot in node.slots]
        kept = [s for s in slots if isinstance(s, Term | Prefix)]
        return Phrase(tuple(kept), node.scope, node.slop) if len(kept) == len(slots) else None
    if isinstance(node, Near):
        left, right = in_language(node.left, language), in_language(node.right, language)
        return Near(left, right, node.distance) if left and right else None
    if isinstance(node, Not):
        inner = in_language(node.child, language)
        return Not(inner) if inner else None
    if isinstance(node, Or):
        alternatives = [c for c in (in_language(c, language) for c in node.children) if c]
        return flatten(Or, alternatives) if alternatives else None
    if isinstance(node, And):
        parts: list[Node] = []
        for child in node.children:
            cut = in_language(child, language)
            if cut is None and child.has_positive():
                return None
            if cut is not None:
                parts.append(cut)
        return flatten(And, parts)
    return node  # Everything


def form_languages(form: str) -> tuple[str, ...]:
    """The languages whose reports can hold a form: by its script, or its key's tag."""
    tagged = key_language(form)
    if tagged is not None:
        return (tagged,)
    letters = [c for c in form.removeprefix(CAPITAL) if c.isalpha()]
    if not letters:
        return LANGUAGES  # a number is written alike in both
    return ("ar",) if is_arabic(letters[0]) else ("en",)
