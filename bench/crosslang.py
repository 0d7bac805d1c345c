"""Rules across languages: what a rule finds of its labelled reports, in each language.

The reports are tests/fixtures/stories/reports.jsonl (real headlines and leads, English and
Arabic); the rules and their labels are tests/fixtures/crosslang/*.jsonl: an English and an
Arabic rule per event, written as a journalist would, each with the report ids a reader who set
it would want. For each part (`tune`: look at its misses while you work; `measure`: figures
only) it prints recall in the rule's language and across languages, by kind of rule, and the
false positives (reports found that are not labelled): all, those in the other language, and of
those the ones the rule's twin (the same event's rule written in that language) does not find
too, which crossing alone added. The last line is one JSON object.

    python bench/crosslang.py [--misses]   # --misses lists the tune part's misses, never measure's
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.grouping import load as load_reports
from bot.app import load_synonyms
from bot.core.document import Document, item_document
from bot.core.matching import MatchIndex
from bot.core.places import gazetteer
from bot.core.rules import RuleCompiler

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "tests" / "fixtures" / "crosslang"


@dataclass
class Tally:
    """Found / labelled positives, in the rule's language and across, and false positives."""

    same: list[int] = field(default_factory=lambda: [0, 0])
    cross: list[int] = field(default_factory=lambda: [0, 0])
    false_positives: int = 0
    false_across: int = 0  # of which in the other language's reports
    false_beyond_twin: int = 0  # of those, ones the rule's twin in that language does not find
    rules: int = 0
    rules_with_false_positives: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)

    def figures(self) -> dict[str, object]:
        """The tally as ratios and counts."""

        def ratio(pair: list[int]) -> float | None:
            return round(pair[0] / pair[1], 3) if pair[1] else None

        return {
            "rules": self.rules,
            "recall_same": ratio(self.same),
            "recall_cross": ratio(self.cross),
            "same": f"{self.same[0]}/{self.same[1]}",
            "cross": f"{self.cross[0]}/{self.cross[1]}",
            "false_positives": self.false_positives,
            "false_positives_across": self.false_across,
            "false_positives_across_beyond_twin": self.false_beyond_twin,
            "rules_with_false_positives": self.rules_with_false_positives,
            "recall_cross_by_kind": {k: ratio(v) for k, v in sorted(self.by_kind.items())},
        }


def documents() -> tuple[dict[str, Document], dict[str, str]]:
    """Every report analysed as the poller would, and each report's language, by id."""
    reports = [labelled.item for labelled in load_reports()]
    return (
        {item.id: item_document(item, None) for item in reports},
        {item.id: item.lang or "" for item in reports},
    )


def labelled_rules() -> list[dict[str, object]]:
    """The rules of every file under tests/fixtures/crosslang, in file order."""
    rules: list[dict[str, object]] = []
    for path in sorted(RULES.glob("*.jsonl")):
        rules += [
            json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line
        ]
    return rules


def main() -> None:
    """Match every labelled rule against every report and print the figures per part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the tune part's misses")
    parser.add_argument("--no-places", action="store_true", help="rules without places' names")
    args = parser.parse_args()
    compiler = RuleCompiler(
        load_synonyms("default"), places=None if args.no_places else gazetteer()
    )
    docs, langs = documents()
    rules = labelled_rules()
    index: MatchIndex[int] = MatchIndex()
    for number, rule in enumerate(rules):
        index.add(compiler.compile(str(rule["rule"])), number)
    found: dict[int, set[str]] = {n: set() for n in range(len(rules))}
    for report_id, doc in docs.items():
        for entry in index.match(doc):
            for owner in entry.owners:
                found[owner].add(report_id)
    # Each event's rule in the other language: what a reader of that language would have set.
    twins = {(str(rule["event"]), str(rule["lang"])): n for n, rule in enumerate(rules)}
    tallies: dict[str, Tally] = {}
    misses: list[str] = []
    for number, rule in enumerate(rules):
        tally = tallies.setdefault(str(rule["part"]), Tally())
        labelled = rule["positives"]
        if not isinstance(labelled, list):
            raise TypeError(f"rule {rule['id']}: positives must be a list of report ids")
        positives = {str(p) for p in labelled}
        hits = found[number]
        tally.rules += 1
        kind = tally.by_kind.setdefault(str(rule.get("kind", "mixed")), [0, 0])
        for report_id in sorted(positives):
            same = langs[report_id] == rule["lang"]
            pair = tally.same if same else tally.cross
            pair[0] += report_id in hits
            pair[1] += 1
            if not same:
                kind[0] += report_id in hits
                kind[1] += 1
            if report_id not in hits and rule["part"] == "tune":
                misses.append(
                    f"  {rule['id']} {rule['rule']!r} misses {report_id} ({langs[report_id]})"
                )
        wrong = hits - positives
        tally.false_positives += len(wrong)
        across = {r for r in wrong if langs[r] != rule["lang"]}
        twin = twins.get((str(rule["event"]), langs[next(iter(across))])) if across else None
        tally.false_across += len(across)
        tally.false_beyond_twin += len(across - found[twin]) if twin is not None else len(across)
        tally.rules_with_false_positives += bool(wrong)
        if wrong and rule["part"] == "tune":
            misses.append(f"  {rule['id']} {rule['rule']!r} also finds {sorted(wrong)}")
    figures = {part: tally.figures() for part, tally in sorted(tallies.items())}
    for part, row in figures.items():
        print(
            f"{part}: {row['rules']} rules; recall in the rule's language {row['recall_same']} "
            f"({row['same']}), across languages {row['recall_cross']} ({row['cross']}); "
            f"{row['false_positives']} false positives "
            f"in {row['rules_with_false_positives']} rules ({row['false_positives_across']} in "
            f"the other language, {row['false_positives_across_beyond_twin']} of them beyond what "
            f"the rule's twin there finds); "
            f"across by kind {row['recall_cross_by_kind']}"
        )
    if args.misses:
        print("tune part, what was missed or found wrongly:")
        print("\n".join(misses) or "  nothing")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
