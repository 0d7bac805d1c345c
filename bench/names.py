"""Names across scripts: how often a name's two spellings meet, and how often the wrong words.

The names are tests/fixtures/names/names.jsonl (real names from news pages, each with the Arabic
spelling Arabic news uses, in a `tune` and a `measure` part split by site). With the keys of
bot.core.names as rules use them (a rule word's `crossing_keys` meeting an item word's `item_keys`,
so common words and short skeletons count as the product counts them), for each part it prints:

- recall: the share of names that have a keyed Latin word and whose every keyed Latin word
  meets some Arabic word of the name (a name with no key meets nothing);
- false matches from the Latin side: names one of whose Latin words' keys meets an Arabic word
  that is not part of the name's own Arabic spelling (nor of another name that has the same
  Latin word: two Mohammeds meet rightly), taken from the Arabic spellings of the
  part's other names and from the Arabic titles and summaries of
  tests/fixtures/stories/reports.jsonl (vocabulary only: no label of that file is read);
- false matches from the Arabic side: names one of whose Arabic words' keys meets a
  capitalized word of the other names' Latin spellings or of the reports' English text that
  is not one of the name's own Latin words;

- whole names: names whose every keyed word meets a word of one other name that does not share
  those words (Ismail Haniyeh meets اسماعيل احمد هنية rightly), or of one report of the other
  script that does not hold the name's own spelling: what a rule of the name's words would do;
  and the same per pair: of all (name, other name) pairs, each way, the share where the name's
  rule meets the other's spelling (a name meets a wrong one among ~500 far more often than a
  given pair meets);

each by kind of name (person, org, place), and for the tune part only the commonest false
pairs. The last line is one JSON object with every figure.

    python bench/names.py [--pairs 20]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.analysis import is_arabic, tokenize
from bot.core.names import crossing_keys, item_keys

ROOT = Path(__file__).resolve().parents[1]
NAMES = ROOT / "tests" / "fixtures" / "names" / "names.jsonl"
REPORTS = ROOT / "tests" / "fixtures" / "stories" / "reports.jsonl"
# Words an Arabic name may carry attached before it ("and", "in", "to", the article): a text's
# والشيباني is still the name's own الشيباني, not another word that happens to meet it.
_ATTACHED = re.compile("^(?:[وف]?[بلك]?(?:ال)?|[وف]?لل)")


@dataclass(frozen=True)
class Name:
    """One name of the set, split into normalized words."""

    latin: str
    kind: str
    part: str
    latin_words: tuple[str, ...]
    arabic_words: tuple[str, ...]


def load_names(path: Path = NAMES) -> list[Name]:
    """The names of the set, their words normalized as the analyzer does."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        names.append(
            Name(
                latin=row["latin"],
                kind=row["kind"],
                part=row["part"],
                latin_words=tuple(t.raw for t in tokenize(row["latin"])),
                arabic_words=tuple(t.text for t in tokenize(row["arabic"]) if is_arabic(t.text)),
            )
        )
    return names


def background(path: Path = REPORTS) -> tuple[set[str], set[str]]:
    """Arabic words and capitalized English words of the reports' titles and summaries."""
    arabic: set[str] = set()
    english: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for token in tokenize(f"{row['title']}\n{row['summary'] or ''}"):
            if is_arabic(token.text):
                arabic.add(token.text)
            elif token.raw[:1].isupper() and token.raw.isalpha():
                english.add(token.raw)
    return arabic, english


def report_keys(path: Path = REPORTS) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
    """Per Arabic report and per English report, every key its words offer (item_keys)."""
    arabic: list[frozenset[str]] = []
    english: list[frozenset[str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        words = [t.raw for t in tokenize(f"{row['title']}\n{row['summary'] or ''}")]
        keys = frozenset().union(*map(item_keys, words))
        (arabic if row["lang"] == "ar" else english).append(keys)
    return arabic, english


def offered(words: tuple[str, ...], own: tuple[str, ...]) -> frozenset[str]:
    """The keys another name's words offer, less the name's own words (Ahmed al-Mosmari's).

    Two rows may spell one person two ways (Ahmed Mismari, Ahmed al-Mosmari): the words they
    share in the other script meet rightly.
    """
    if words and is_arabic(words[0]):
        kept = [w for w in words if not own_arabic(w, own)]
    else:
        kept = [w for w in words if w.casefold() not in {o.casefold() for o in own}]
    return frozenset().union(*map(item_keys, kept))


def meets(wanted: list[frozenset[str]], offered: frozenset[str]) -> bool:
    """Whether every word of a rule (its keys) meets some key offered."""
    return bool(wanted) and all(keys & offered for keys in wanted)


def own_arabic(word: str, own: tuple[str, ...]) -> bool:
    """Whether an Arabic word is one of a name's own words, perhaps with words attached."""
    for mine in own:
        bare = mine[2:] if mine.startswith("ال") and len(mine) > 4 else mine
        for form in {mine, bare}:
            if word.endswith(form) and _ATTACHED.fullmatch(word[: len(word) - len(form)]):
                return True
    return False


def key_index(words: set[str]) -> dict[str, set[str]]:
    """Each key an item word offers (see names.item_keys) and the words that offer it."""
    index: dict[str, set[str]] = {}
    for word in words:
        for key in item_keys(word):
            index.setdefault(key, set()).add(word)
    return index


@dataclass
class Tally:
    """Counts for one part, or one kind within a part."""

    names: int = 0
    keyed: int = 0
    met: int = 0
    false_latin: int = 0
    false_arabic: int = 0
    whole_names: int = 0  # whole names that meet another name's spelling
    whole_reports: int = 0  # whole names that meet a report of the other script without them
    pairs: int = 0  # (name, other name) pairs compared, each way
    pairs_met: int = 0  # of which the name's rule meets the other's spelling

    def figures(self) -> dict[str, object]:
        """The tally as ratios and counts."""

        def ratio(found: int, total: int) -> float | None:
            return round(found / total, 3) if total else None

        return {
            "names": self.names,
            "recall": ratio(self.met, self.names),
            "met": f"{self.met}/{self.names}",
            "keyed": self.keyed,
            "false_rate_latin": ratio(self.false_latin, self.names),
            "false_latin": self.false_latin,
            "false_rate_arabic": ratio(self.false_arabic, self.names),
            "false_arabic": self.false_arabic,
            "whole_name_false_rate": ratio(self.whole_names, self.names),
            "whole_name_false_names": self.whole_names,
            "whole_name_false_rate_reports": ratio(self.whole_reports, self.names),
            "whole_name_false_reports": self.whole_reports,
            "pair_false_rate": round(self.pairs_met / self.pairs, 5) if self.pairs else None,
            "pairs_met": f"{self.pairs_met}/{self.pairs}",
        }


@dataclass
class Part:
    """A part's tally, by kind, and its false pairs."""

    all: Tally = field(default_factory=Tally)
    kinds: dict[str, Tally] = field(default_factory=dict)
    latin_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    arabic_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)


def measure(
    names: list[Name],
    arabic_text: set[str],
    english_text: set[str],
    reports: tuple[list[frozenset[str]], list[frozenset[str]]],
) -> dict[str, Part]:
    """Recall and false matches of every name against its part's other names and the text."""
    parts: dict[str, Part] = {}
    for part_name in sorted({n.part for n in names}):
        members = [n for n in names if n.part == part_name]
        part = parts[part_name] = Part()
        # A name's own words are in these too; the checks below leave them out.
        foreign_ar = key_index({w for n in members for w in n.arabic_words} | arabic_text)
        foreign_la = key_index({w for n in members for w in n.latin_words} | english_text)
        # What each word of the names' spellings stands for in the other script: the word that
        # met may be the same name's (two Mohammeds), which is no false match.
        latin_of: dict[str, set[str]] = {}
        arabic_of: dict[str, set[str]] = {}
        for n in members:
            for a in n.arabic_words:
                latin_of.setdefault(a, set()).update(w.casefold() for w in n.latin_words)
            for w in n.latin_words:
                arabic_of.setdefault(w.casefold(), set()).update(n.arabic_words)
        for name in members:
            tallies = (part.all, part.kinds.setdefault(name.kind, Tally()))
            own_keys = [item_keys(w) for w in name.arabic_words]
            latin_keys = [k for k in map(crossing_keys, name.latin_words) if k]
            wrong_la = {
                (word.casefold(), other)
                for word in name.latin_words
                for key in crossing_keys(word)
                for other in foreign_ar.get(key, ())
                if not own_arabic(other, name.arabic_words)
                and word.casefold() not in latin_of.get(other, ())
            }
            own_latin = {w.casefold() for w in name.latin_words}
            wrong_ar = {
                (word, other)
                for word in name.arabic_words
                for key in crossing_keys(word)
                for other in foreign_la.get(key, ())
                if other.casefold() not in own_latin
                and word not in arabic_of.get(other.casefold(), ())
            }
            # Whole names, as a rule of the name's words (all of them) would meet them: another
            # name's spelling, or a report that does not hold the name, in the other script.
            rule_la = [k for k in map(crossing_keys, name.latin_words) if k]
            rule_ar = [k for k in map(crossing_keys, name.arabic_words) if k]
            mine_la_words = {w.casefold() for w in name.latin_words if crossing_keys(w)}
            mine_ar_words = {w for w in name.arabic_words if crossing_keys(w)}
            # Each other name, both ways: (pairs compared, pairs met) for the per-pair rate.
            met_pairs = compared = 0
            for other in members:
                if other is name:
                    continue
                for mine, theirs, rule, spelt, own in (
                    (mine_la_words, {w.casefold() for w in other.latin_words}, rule_la,
                     other.arabic_words, name.arabic_words),
                    (mine_ar_words, set(other.arabic_words), rule_ar, other.latin_words,
                     name.latin_words),
                ):  # fmt: skip
                    if rule and not mine <= theirs:
                        compared += 1
                        met_pairs += meets(rule, offered(spelt, own))
            other_names = bool(met_pairs)
            mine_ar = frozenset().union(*own_keys)
            mine_la = frozenset().union(*map(item_keys, name.latin_words))
            other_reports = any(
                meets(rule_la, keys) and not meets(rule_la, keys & mine_ar) for keys in reports[0]
            ) or any(
                meets(rule_ar, keys) and not meets(rule_ar, keys & mine_la) for keys in reports[1]
            )
            part.latin_pairs.update(wrong_la)
            part.arabic_pairs.update(wrong_ar)
            for tally in tallies:
                tally.names += 1
                if latin_keys:
                    tally.keyed += 1
                    tally.met += all(any(k & keys for keys in own_keys) for k in latin_keys)
                tally.false_latin += bool(wrong_la)
                tally.false_arabic += bool(wrong_ar)
                tally.whole_names += other_names
                tally.whole_reports += other_reports
                tally.pairs += compared
                tally.pairs_met += met_pairs
    return parts


def main() -> None:
    """Measure every part and print the figures, the last line as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20, help="commonest false pairs to list")
    args = parser.parse_args()
    arabic_text, english_text = background()
    parts = measure(load_names(), arabic_text, english_text, report_keys())
    figures: dict[str, object] = {}
    for part_name, part in parts.items():
        row = part.all.figures()
        row["by_kind"] = {k: t.figures() for k, t in sorted(part.kinds.items())}
        figures[part_name] = row
        print(
            f"{part_name}: {row['names']} names; recall {row['recall']} ({row['met']}); "
            f"false matches from Latin {row['false_rate_latin']} ({row['false_latin']}), "
            f"from Arabic {row['false_rate_arabic']} ({row['false_arabic']}); whole names meeting "
            f"another name {row['whole_name_false_rate']} ({row['whole_name_false_names']}), "
            f"a report without them {row['whole_name_false_rate_reports']} "
            f"({row['whole_name_false_reports']}); of all pairs of two names, one's rule meets "
            f"the other's spelling in {row['pair_false_rate']} ({row['pairs_met']})"
        )
        for kind, tally in sorted(part.kinds.items()):
            k = tally.figures()
            print(
                f"  {kind}: {k['names']} names; recall {k['recall']} ({k['met']}); false "
                f"from Latin {k['false_rate_latin']}, from Arabic {k['false_rate_arabic']}"
            )
    tune = parts.get("tune")
    if tune and args.pairs:
        print("tune part, commonest false pairs (Latin word, Arabic word): names")
        for (latin, arabic), count in tune.latin_pairs.most_common(args.pairs):
            print(f"  {latin} ~ {arabic}: {count}")
        print("tune part, commonest false pairs (Arabic word, English word): names")
        for (arabic, latin), count in tune.arabic_pairs.most_common(args.pairs):
            print(f"  {arabic} ~ {latin}: {count}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
