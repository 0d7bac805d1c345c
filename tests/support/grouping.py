"""The labelled set of story grouping (tests/fixtures/stories/pairs.json) and its evaluation."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core.models import Item
from bot.core.stories import Verdict, band_keys, compare, report, similarity

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "stories" / "pairs.json"
POSITIVE = ("copy", "same_event")


def item(side: dict[str, Any], name: str) -> Item:
    """A labelled report as the poller's Item."""
    return Item(
        id=name,
        feed_id=side["feed"],
        title=side["title"],
        summary=side["summary"],
        link=side["link"],
        published=datetime.fromisoformat(side["published"]),
        lang=side["lang"],
    )


def evaluate(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """Run every pair through `compare` (both orders) and count outcomes."""
    outcomes: dict[str, Counter[str]] = {}
    failures: list[str] = []
    tp = fp = fn = tn = 0
    copies_as_report = copies = candidates = positives = found_end_to_end = 0
    for pair in pairs:
        a, b = report(item(pair["a"], "a")), report(item(pair["b"], "b"))
        verdicts = {compare(a, b), compare(b, a)}
        verdict = verdicts.pop() if len(verdicts) == 1 else Verdict.DIFFERENT  # must agree
        label = pair["label"]
        outcomes.setdefault(label, Counter())[verdict.value] += 1
        together = verdict is not Verdict.DIFFERENT
        if label in POSITIVE:
            positives += 1
            shares_band = bool(set(band_keys(a.signature)) & set(band_keys(b.signature)))
            linked = a.link is not None and a.link == b.link  # found by the link, not the bands
            candidates += shares_band or linked
            found_end_to_end += together and (shares_band or linked)
            tp, fn = tp + together, fn + (not together)
            if label == "copy":
                copies += 1
                copies_as_report += verdict is Verdict.SAME_REPORT
        else:
            fp, tn = fp + together, tn + (not together)
        if together != (label in POSITIVE):
            score = similarity(a.signature, b.signature)
            failures.append(
                f"{pair['id']} {label} -> {verdict.value} (similarity {score:.2f}, places "
                f"{sorted(a.places)} / {sorted(b.places)}): {pair.get('note', '')}"
            )
    return {
        "pairs": len(pairs),
        "labels": {label: sum(c.values()) for label, c in outcomes.items()},
        "outcomes": {label: dict(c) for label, c in outcomes.items()},
        "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
        "false_positives": fp,
        "false_negatives": fn,
        "copy_as_same_report": round(copies_as_report / copies, 3) if copies else None,
        "lsh_candidate_recall": round(candidates / positives, 3) if positives else None,
        "recall_end_to_end": round(found_end_to_end / positives, 3) if positives else None,
        "failures": failures,
    }


HELDOUT = PAIRS.with_name("heldout.json")


def load_pairs(path: Path = PAIRS) -> list[dict[str, Any]]:
    """The labelled pairs (the tuning set, or HELDOUT: pairs written after tuning)."""
    pairs: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["pairs"]
    return pairs
