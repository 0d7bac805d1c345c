"""Matching benchmark: the anchored index against checking every rule, from 1k to 1M rules.

Rules and items are Zipf draws from a vocabulary of English and Arabic words ranked by
frequency (wordfreq's lists). For each rule count it prints items/s through the index and by
brute force in the same run, their ratio, p99 time per item, index build time and memory per
rule; the last line is one JSON object keyed by rule count.

    python bench/match.py [--max-rules 100000] [--items 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import bisect
import gc
import itertools
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import load_synonyms
from bot.core.document import item_document
from bot.core.matching import STOPWORDS, MatchIndex, TermStats
from bot.core.models import Item
from bot.core.places import gazetteer
from bot.core.rules import Rule, RuleCompiler

SIZES = (1_000, 10_000, 100_000, 1_000_000)
VOCABULARY = 20_000  # words per language
BRUTE_SECONDS = 3.0  # brute force is timed on as many items as fit in this budget
REPEAT = 3  # passes over the items through the index
PUBLISHED = datetime(2023, 10, 23, tzinfo=UTC)  # matching reads no time
PAGE = os.sysconf("SC_PAGE_SIZE")


class Zipf:
    """Draws words by rank with probability proportional to 1 / rank**s."""

    def __init__(self, words: list[str], s: float, rng: random.Random) -> None:
        """Rank `words` in the given order, with exponent `s`."""
        self.words = words
        self.cumulative = list(itertools.accumulate(1 / (r**s) for r in range(1, len(words) + 1)))
        self.rng = rng

    def draw(self) -> str:
        """One word."""
        point = self.rng.random() * self.cumulative[-1]
        return self.words[bisect.bisect_left(self.cumulative, point)]


@dataclass
class Language:
    """One language's text vocabulary (all words) and rule vocabulary (content words)."""

    text: Zipf
    content: Zipf


def vocabulary(rng: random.Random) -> dict[str, Language]:
    """Ranked English and Arabic vocabularies from wordfreq."""
    try:
        from wordfreq import top_n_list
    except ImportError:
        sys.exit(
            "bench/match.py needs wordfreq: run `python3 dev.py test` once, or pip install wordfreq"
        )
    languages = {}
    for code in ("en", "ar"):
        words = [w for w in top_n_list(code, VOCABULARY) if w.isalpha()]
        content = [w for w in words if len(w) > 2 and w not in STOPWORDS]
        languages[code] = Language(Zipf(words, 1.0, rng), Zipf(content, 0.9, rng))
    return languages


def make_rule(lang: Language, rng: random.Random) -> str:
    """A rule shaped like users write them: mostly one to three words, sometimes operators."""
    w = lang.content.draw
    shape = rng.random()
    if shape < 0.30:
        return w()
    if shape < 0.60:
        return f"{w()} {w()}"
    if shape < 0.70:
        return f"{w()} {w()} {w()}"
    if shape < 0.80:
        return f'"{w()} {w()}"'
    if shape < 0.88:
        return f"({w()} OR {w()}) {w()}"
    if shape < 0.93:
        return f"{w()} -{w()}"
    if shape < 0.96:
        word = w()
        return f"{word[:4]}*" if len(word) >= 4 else word
    return f"{w()} NEAR/5 {w()}"


def make_item(lang: Language, rng: random.Random) -> Item:
    """An item with a headline and a lead of running text (of a feed unknown to the catalog)."""
    title = " ".join(lang.text.draw() for _ in range(rng.randint(8, 14)))
    summary = " ".join(lang.text.draw() for _ in range(rng.randint(30, 50)))
    return Item(id="bench", feed_id="bench", title=title, summary=summary, published=PUBLISHED)


def rss_bytes() -> int:
    """Resident memory of this process now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def pick(languages: dict[str, Language], rng: random.Random) -> Language:
    """English 60% of the time, Arabic 40%."""
    return languages["en"] if rng.random() < 0.6 else languages["ar"]


def measure(
    size: int,
    items: list[Item],
    *,
    languages: dict[str, Language],
    compiler: RuleCompiler,
    stats: TermStats,
    seed: int,
) -> dict[str, float]:
    """Build an index of `size` rules, then time items through it and by brute force.

    An item's time runs from its text to its matching rules: analysis (once per item, as the
    poller does it) plus the lookup and the checks. The match-only figures leave analysis out.
    """
    rng = random.Random(seed + size)
    texts = [make_rule(pick(languages, rng), rng) for _ in range(size)]
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    index: MatchIndex[int] = MatchIndex(stats.frequency)
    compiled: dict[str, Rule] = {}
    for number, text in enumerate(texts):
        rule = compiled.get(text)
        if rule is None:
            rule = compiled[text] = compiler.compile(text)
        index.add(rule, number)
    build = time.perf_counter() - started
    del compiled
    gc.collect()
    memory = rss_bytes() - before

    # Each item's time is the median of REPEAT passes, so a busy moment of the machine
    # does not decide the figures.
    passes: list[tuple[list[float], list[float]]] = []
    for _ in range(REPEAT):
        whole: list[float] = []
        match_only: list[float] = []
        for item in items:
            t0 = time.perf_counter()
            doc = item_document(item, None)
            t1 = time.perf_counter()
            index.match(doc)
            t2 = time.perf_counter()
            whole.append(t2 - t0)
            match_only.append(t2 - t1)
        passes.append((whole, match_only))
    per_item = [statistics.median(p[0][i] for p in passes) for i in range(len(items))]
    match_only = [statistics.median(p[1][i] for p in passes) for i in range(len(items))]
    candidates = matches = 0
    for item in items:
        doc = item_document(item, None)
        candidates += len(index.candidates(doc))
        matches += len(index.match(doc))

    brute_items = 0
    brute_time = 0.0
    for item in items:
        t0 = time.perf_counter()
        doc = item_document(item, None)
        expected = index.match_all(doc)
        brute_time += time.perf_counter() - t0
        brute_items += 1
        assert index.match(doc) == expected, "the index disagrees with brute force"
        if brute_time > BRUTE_SECONDS and brute_items >= 3:
            break
    brute_rate = brute_items / brute_time
    rate = len(items) / sum(per_item)
    return {
        "rules": size,
        "distinct_rules": len(index),
        "items_per_s_index": round(rate, 1),
        "items_per_s_brute": round(brute_rate, 2),
        "ratio": round(rate / brute_rate, 1),
        "p99_ms_per_item": round(statistics.quantiles(per_item, n=100)[98] * 1000, 3),
        "median_ms_per_item": round(statistics.median(per_item) * 1000, 3),
        "match_only_items_per_s": round(len(items) / sum(match_only), 1),
        "match_only_median_ms": round(statistics.median(match_only) * 1000, 3),
        "candidates_per_item": round(candidates / len(items), 1),
        "matches_per_item": round(matches / len(items), 1),
        "build_s": round(build, 2),
        "bytes_per_rule": round(memory / size, 1),
        "brute_items_checked": brute_items,
    }


def main() -> None:
    """Run every size up to --max-rules and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-rules", type=int, default=max(SIZES))
    parser.add_argument("--items", type=int, default=2000, help="items matched per size")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    languages = vocabulary(rng)
    compiler = RuleCompiler(load_synonyms("default"), places=gazetteer())
    stats = TermStats()
    for _ in range(1000):  # the poller learns word frequencies from the items it sees
        stats.observe(item_document(make_item(pick(languages, rng), rng), None))
    items = [make_item(pick(languages, rng), rng) for _ in range(args.items)]
    for item in items:  # steady state: the analyzer's word cache is warm
        item_document(item, None)
    t0 = time.perf_counter()
    for item in items:
        item_document(item, None)
    analysis_ms = (time.perf_counter() - t0) / len(items) * 1000
    print(f"{len(items)} items, analysis {analysis_ms:.3f} ms/item (included below)")
    results: dict[str, dict[str, float]] = {}
    for size in (s for s in SIZES if s <= args.max_rules):
        figures = measure(
            size, items, languages=languages, compiler=compiler, stats=stats, seed=args.seed
        )
        results[str(size)] = figures
        print(
            f"{size:>9} rules ({figures['distinct_rules']} distinct): "
            f"index {figures['items_per_s_index']:>9.1f} items/s, "
            f"brute {figures['items_per_s_brute']:>9.2f} items/s, ratio {figures['ratio']:>8.1f}x, "
            f"p99 {figures['p99_ms_per_item']:.3f} ms, "
            f"{figures['candidates_per_item']} candidates, {figures['matches_per_item']} matches, "
            f"build {figures['build_s']} s, {figures['bytes_per_rule']} B/rule",
            flush=True,
        )
    # The sizes' figures first, then the comparisons and the analysis time (plain numbers).
    output: dict[str, dict[str, float] | float] = dict(results)
    if "1000" in results and "100000" in results:
        small, large = results["1000"], results["100000"]
        slowdown = large["median_ms_per_item"] / small["median_ms_per_item"]
        match_slowdown = large["match_only_median_ms"] / small["match_only_median_ms"]
        print(
            f"100k vs 1k rules: {slowdown:.2f}x slower per item "
            f"(match only: {match_slowdown:.2f}x, with {large['matches_per_item']} vs "
            f"{small['matches_per_item']} true matches per item)"
        )
        output["slowdown_100k_vs_1k"] = round(slowdown, 2)
        output["match_only_slowdown_100k_vs_1k"] = round(match_slowdown, 2)
    output["analysis_ms_per_item"] = round(analysis_ms, 3)
    print(json.dumps(output))


if __name__ == "__main__":
    main()
