"""Story grouping on the labelled set: precision, recall, LSH candidate recall, time per report.

tests/fixtures/stories/pairs.json holds pairs of reports labelled copy or same_event (they
belong in one story) and different_event or unrelated (they do not). For each pair it runs
`compare` both ways round and prints the outcome per label, the failures, precision and recall
of "same story", how often a copy is called the same report, the share of positive pairs that
share an LSH band (the candidates the store would find), and the median time of `report()`.
The last line is one JSON object with those figures.

    python bench/grouping.py [--show-failures]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.analysis import raw_item_forms
from bot.core.stories import _shortest_raw, report
from tests.support.grouping import HELDOUT, item, load_pairs
from tests.support.grouping import evaluate as evaluate_pairs

TIMING_CALLS = 300


def time_report(pairs: list[dict[str, Any]], cold: bool = False) -> float:
    """Median milliseconds of report() over the set's reports (cold: word caches emptied first)."""
    items = [item(pair[side], side) for pair in pairs for side in ("a", "b")]
    samples = []
    for n in range(TIMING_CALLS):
        if cold:  # a poller meets new words too; the caches hide their stemming cost
            raw_item_forms.cache_clear()
            _shortest_raw.cache_clear()
        started = time.perf_counter()
        report(items[n % len(items)])
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 3)


def show(title: str, found: dict[str, Any], all_failures: bool) -> None:
    """Print one set's figures."""
    print(f"{title}: {found['pairs']} pairs {found['labels']}")
    for label, counts in found["outcomes"].items():
        print(f"  {label:16} {counts}")
    print(
        f"  same story: precision {found['precision']:.3f}, recall {found['recall']:.3f} "
        f"({found['false_positives']} false positives, {found['false_negatives']} false negatives)"
    )
    print(f"  copies called the same report: {found['copy_as_same_report']}")
    print(
        "  positive pairs found as candidates (a shared LSH band or link): "
        f"{found['lsh_candidate_recall']}; found and judged together: {found['recall_end_to_end']}"
    )
    if all_failures or found["failures"]:
        print("  wrong:")
        for line in found["failures"]:
            print("    " + line)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-failures", action="store_true", help="list every wrong pair")
    args = parser.parse_args()
    pairs = load_pairs()
    found = evaluate_pairs(pairs)
    found["report_ms_median"] = time_report(pairs)
    found["report_ms_median_cold"] = time_report(pairs, cold=True)
    heldout = evaluate_pairs(load_pairs(HELDOUT))
    show(
        "labelled set (thresholds chosen on p001-p080; p081-p088 written after)",
        found,
        args.show_failures,
    )
    show(
        "held-out set (written after tuning; its first run led to 3 general fixes)",
        heldout,
        args.show_failures,
    )
    print(
        f"report(): {found['report_ms_median']} ms median, "
        f"{found['report_ms_median_cold']} ms with its word caches emptied"
    )
    found["heldout"] = {k: v for k, v in heldout.items() if k != "failures"}
    print(json.dumps({k: v for k, v in found.items() if k != "failures"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
