"""What story grouping ships and is measured on: gazetteer, word frequencies, real reports."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow  # the data tools are run whole

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "tests" / "fixtures" / "stories" / "reports.jsonl"
# The events the reviewers' own set is built on (words their notes would hold): none is ours.
REVIEWERS = (
    ("tower 22",), ("herat",), ("hualien",), ("myanmar", "quake"), ("marrakesh",),
    ("al haouz",), ("kahramanmaras",), ("turkish", "election"),
)  # fmt: skip


@pytest.mark.parametrize("tool", ["build_places.py", "build_wordfreq.py", "build_common_words.py"])
def test_bundled_data_is_what_the_tools_build(tool: str) -> None:
    """bot/core/data holds exactly what tools/ builds from the pinned data sets."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / tool), "--check"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_broken_plurals_are_what_the_lexicon_builds() -> None:
    """broken_plurals.tsv is what tools/build_plurals.py builds, where its GPL lexicon is installed.

    The lexicon (arramooz-pysqlite) is no dev dependency, its licence not being the project's:
    without it the check is skipped, and says so.
    """
    if importlib.util.find_spec("arramooz") is None:
        pytest.skip("arramooz-pysqlite is not installed (pip install arramooz-pysqlite==0.4.2)")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_plurals.py"), "--check"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def reports() -> list[dict[str, object]]:
    """Every labelled report."""
    return [json.loads(line) for line in REPORTS.read_text(encoding="utf-8").splitlines()]


def test_real_reports_are_many_bilingual_and_split_by_event() -> None:
    """At least 40 events and 150 reports, 40% Arabic, 2 to 9 outlets each, one part per event."""
    found = reports()
    events: dict[str, list[dict[str, object]]] = defaultdict(list)
    for report in found:
        events[str(report["event"])].append(report)
    assert len(events) >= 40
    assert len(found) >= 150
    assert sum(r["lang"] == "ar" for r in found) >= 0.4 * len(found)
    for event, told in events.items():
        assert 2 <= len({r["source"] for r in told}) <= 9, event
        assert len({r["part"] for r in told}) == 1, event
    series: dict[str, set[object]] = defaultdict(set)
    for report in found:
        if report["series"]:
            series[str(report["series"])].add(report["part"])
    assert all(len(parts) == 1 for parts in series.values())  # a series is never split
    assert {r["part"] for r in found} == {"tune", "measure"}
    assert sum(1 for event in events.values() if len({r["lang"] for r in event}) == 2) >= 20


def test_real_reports_are_well_formed_and_sourced() -> None:
    """Every report has a unique id and page, a time with a zone, a language and a source."""
    found = reports()
    assert len({r["id"] for r in found}) == len(found)
    assert len({r["link"] for r in found}) == len(found)
    for report in found:
        assert urlsplit(str(report["link"])).scheme in ("http", "https"), report["id"]
        assert datetime.fromisoformat(str(report["published"])).tzinfo is not None
        assert report["lang"] in ("en", "ar")
        assert report["title"]
        assert report["source"]
        note = str(report["note"]).casefold()
        assert not any(all(w in note for w in words) for words in REVIEWERS), report["id"]
