"""`alertbot match`: rules from a file against items from JSON lines, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test runs `alertbot match` as a process

RULES = """\
"US base" drone
قاعدة أمريكية مسيرة

title:oil
source:bbc
drone -exercise
"""
ITEMS = [
    {"id": 1, "title": "Drones hit US base in Syria", "summary": "Officials said."},
    {"id": "ar", "title": "انفجاران يهزان قاعدة أمريكية", "summary": "بطائرات مسيّرة",
     "source": "BBC Arabic"},
    {"id": 3, "title": "Oil prices climb", "summary": "A drone exercise was held."},
    {"id": 4, "title": "UAV downed", "summary": ""},
]  # fmt: skip


def run(
    tmp_path: Path, *args: str, rules: str = RULES, items: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `alertbot match` on these rules and items."""
    (tmp_path / "rules.txt").write_text(rules, encoding="utf-8")
    lines = (
        items if items is not None else "\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS)
    )
    (tmp_path / "items.jsonl").write_text(lines + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "match", "--rules", "rules.txt", "--items", "items.jsonl",
         *args],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


def output(done: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    """The printed JSON lines."""
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_matches_by_line_number(tmp_path: Path) -> None:
    """Each item gets one line with the ascending line numbers of the rules it matches."""
    assert output(run(tmp_path)) == [
        {"id": 1, "rules": [1, 6]},
        {"id": "ar", "rules": [2, 5, 6]},
        {"id": 3, "rules": [4]},
        {"id": 4, "rules": [6]},
    ]


def test_no_synonyms(tmp_path: Path) -> None:
    """--no-synonyms turns the default synonyms off."""
    assert [o["rules"] for o in output(run(tmp_path, "--no-synonyms"))] == [[1, 6], [2, 5], [4], []]


def test_own_synonyms(tmp_path: Path) -> None:
    """--synonyms FILE replaces the default synonyms."""
    (tmp_path / "syn.txt").write_text("drone | quadcopter\n", encoding="utf-8")
    items = json.dumps({"id": 9, "title": "Quadcopter seen", "summary": ""})
    done = run(tmp_path, "--synonyms", "syn.txt", rules="drone\nمسيرة\n", items=items)
    assert output(done) == [{"id": 9, "rules": [1]}]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('drone\n"US base\n', "rules.txt: line 2, col 1: missing closing quote"),
        ("drone\n\n(a OR b\n", "rules.txt: line 3, col 1: missing closing parenthesis"),
        ("ok\n" + "x" * 301 + "\n", "rules.txt: line 2: the rule is 301 characters long"),
        ("ok\n" + "(" * 30 + "x" + ")" * 30, "rules.txt: line 2, col 26: the rule is nested more"),
    ],
)
def test_bad_rule(tmp_path: Path, rules: str, message: str) -> None:
    """A rule that does not parse: exit 2, one line naming the line, nothing on stdout."""
    done = run(tmp_path, rules=rules)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"alertbot match: {message}")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"title": "no id"}', "items.jsonl: line 2: expected an object with an id"),
        ("{not json", "items.jsonl: line 2: not valid JSON"),
        (
            '{"id": 2, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "line 2: JSON nested more than 64",
        ),
        ('{"id": 2, "title": ' + "[" * 900 + "]" * 900 + "}", "line 2: JSON nested more than 64"),
    ],
    ids=["no-id", "not-json", "nested-100000", "nested-900"],
)
def test_bad_items(tmp_path: Path, line: str, message: str) -> None:
    """An items line that is no JSON object with an id: exit 2, one line naming it, no stdout."""
    done = run(tmp_path, items='{"id": 1, "title": "x"}\n' + line)
    assert done.returncode == 2
    assert done.stderr.startswith("alertbot match: ")
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""


def test_source_is_the_name_and_the_link_domain(tmp_path: Path) -> None:
    """source: reads an item's source name and its link's domain, as the poller's matching does."""
    items = "\n".join(
        json.dumps(item)
        for item in [
            {
                "id": 1,
                "title": "Drone",
                "source": "Levant Wire",
                "link": "https://www.reuters.com/x",
            },
            {"id": 2, "title": "Drone", "source": "Levant Wire"},
            {"id": 3, "title": "Drone", "link": "not a link"},
        ]
    )
    done = run(tmp_path, rules="source:reuters\nsource:levant\n", items=items)
    assert output(done) == [
        {"id": 1, "rules": [1, 2]},
        {"id": 2, "rules": [2]},
        {"id": 3, "rules": []},
    ]
