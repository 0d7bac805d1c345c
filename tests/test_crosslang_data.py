"""The labelled cross-language rule set is whole: rules parse, labels name real reports."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from bot.app import load_synonyms
from bot.core.rules import RuleCompiler

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "tests" / "fixtures" / "stories" / "reports.jsonl"
RULES = sorted((ROOT / "tests" / "fixtures" / "crosslang").glob("*.jsonl"))
KINDS = {"place", "person", "phrase", "org", "mixed"}


def load(path: Path) -> list[dict[str, object]]:
    """The JSON objects of a JSON-lines file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


REPORT = {str(r["id"]): r for r in load(REPORTS)}


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_each_rule_is_whole_and_names_real_reports(path: Path) -> None:
    """Each rule parses, is of a known kind, and its positives are reports of its part."""
    compiler = RuleCompiler(load_synonyms("default"))
    for rule in load(path):
        compiler.compile(str(rule["rule"]))  # raises on a rule that does not parse
        assert rule["kind"] in KINDS, rule["id"]
        assert rule["lang"] in {"en", "ar"}, rule["id"]
        assert rule["id"] == f"{rule['event']}-{rule['lang']}"
        positives = [str(p) for p in rule["positives"]]  # type: ignore[attr-defined]
        assert positives, rule["id"]
        assert len(set(positives)) == len(positives), rule["id"]
        assert all(p in REPORT for p in positives), rule["id"]
        assert {REPORT[p]["part"] for p in positives} == {rule["part"]}, rule["id"]
        assert path.stem == rule["part"]


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_every_event_has_a_rule_in_each_language(path: Path) -> None:
    """Each event of a file has one English and one Arabic rule, and reports to find."""
    langs: dict[str, list[str]] = defaultdict(list)
    for rule in load(path):
        langs[str(rule["event"])].append(str(rule["lang"]))
    assert langs
    for event, found in langs.items():
        assert sorted(found) == ["ar", "en"], event
        assert any(report["event"] == event for report in REPORT.values()), event
