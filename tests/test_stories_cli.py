"""`alertbot stories`: items from JSON lines grouped into stories, offline, on its own Redis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test runs `alertbot stories` as a process

FIXTURE = Path(__file__).parent / "fixtures" / "stories" / "reports.jsonl"
ITEMS = [
    {"id": 1, "title": "Air raid alert declared in Kyiv region", "summary": "Take shelter.",
     "link": "https://wire.example/1", "published": "2025-03-01T10:00:00Z", "lang": "en",
     "source": "wire"},
    {"id": 2, "title": "Air raid alert declared in Odesa region", "summary": "Take shelter.",
     "link": "https://wire.example/2", "published": "2025-03-01T10:02:00+00:00", "lang": "en",
     "source": "wire"},
    {"id": "copy", "title": "Air raid alert declared in Kyiv region", "summary": "Take shelter.",
     "link": "https://wire.example/1?utm_source=x", "published": "2025-03-01T09:59:00Z",
     "lang": "en", "source": "mirror"},
]  # fmt: skip


def run(tmp_path: Path, lines: list[str]) -> subprocess.CompletedProcess[str]:
    """Run `alertbot stories` on these lines."""
    (tmp_path / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "stories", "--items", "items.jsonl"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_one_line_per_item_in_input_order(tmp_path: Path) -> None:
    """Each item gets its story, in input order; items go in by publish time; ids keep types."""
    done = run(tmp_path, [json.dumps(i) for i in ITEMS])
    assert done.returncode == 0, done.stderr
    found = [json.loads(line) for line in done.stdout.splitlines()]
    # "copy" was published first: it starts the Kyiv story, which item 1 (same link) joins.
    assert found == [
        {"id": 1, "story": "copy"},
        {"id": 2, "story": "2"},
        {"id": "copy", "story": "copy"},
    ]


def test_real_reports_of_one_event_in_two_languages_are_one_story(tmp_path: Path) -> None:
    """Real reports of one strike (Erbil, 2022), three English and three Arabic, are one story."""
    reports = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    chosen = [r for r in reports if r["event"] == "m06"]
    assert {r["lang"] for r in chosen} == {"en", "ar"}
    done = run(tmp_path, [json.dumps(r, ensure_ascii=False) for r in chosen])
    assert done.returncode == 0, done.stderr
    assert len({json.loads(line)["story"] for line in done.stdout.splitlines()}) == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        (
            '{"id": 5, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "line 2: JSON nested more than 64",
        ),
        ("[1, 2]", "line 2: expected a JSON object"),
        ('{"id": 5, "title": "x"}', "line 2: missing published"),
        ('{"id": 5, "published": "2025-03-01T10:00:00Z"}', "line 2: missing title"),
        ('{"id": 5, "title": "x", "published": "yesterday"}', "line 2: published is not"),
        ('{"id": 5, "title": "x", "published": "2025-03-01T10:00:00"}', "needs a time zone"),
        ('{"id": 1, "title": "x", "published": "2025-03-01T10:00:00Z"}', "id 1 was used before"),
        ('{"id": [1], "title": "x", "published": "2025-03-01T10:00:00Z"}', "id must be"),
        ('{"id": 5, "title": "x", "published": "2025-03-01T10:00:00Z", "lang": "fr"}', "lang"),
        ('{"id": 5, "title": 7, "published": "2025-03-01T10:00:00Z"}', "title must be a string"),
    ],
)
def test_bad_input_exits_2_naming_the_line(tmp_path: Path, line: str, message: str) -> None:
    """A bad line exits 2 with one line on stderr naming it, and prints nothing on stdout."""
    done = run(tmp_path, [json.dumps(ITEMS[0]), line])
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr
    assert done.stderr.startswith("alertbot stories: ")
    assert len(done.stderr.strip().splitlines()) == 1


def test_missing_file_exits_2(tmp_path: Path) -> None:
    """A file that cannot be read is bad input too."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "stories", "--items", "nowhere.jsonl"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert "cannot read nowhere.jsonl" in done.stderr
