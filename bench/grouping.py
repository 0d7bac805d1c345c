"""Story grouping on real reports: precision and recall per part, and the cost per report.

tests/fixtures/stories/reports.jsonl holds real reports gathered from public news pages (each
with its URL), labelled by event; events of one templated series (one base attacked on several
days, aftershocks) carry one series id. Every report is in the "tune" part (thresholds were
chosen on it) or the "measure" part (only measured). For each part this prints:

- pairs: two reports of one event should share a story, two of different events should not;
  precision and recall of "same story" within one language and across languages, both for
  `compare` on each pair no farther apart than a story's window (word weights from the whole
  part; no story in between to join them) and for the real grouping in publish order through
  the store (`alertbot stories`, an embedded Redis): the figures a user sees;
- templated series: pairs of events of one series that ended in one story (the target is 0);
- stories per event.

With --load N it also fills a fresh store with N live stories (made of the reports' own words,
shuffled) and times grouping each real report on top of them, and states Redis memory per
story. The last line is one JSON object with every figure.

    python bench/grouping.py [--load 10000] [--show-failures]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import load_synonyms
from bot.cli.stories import InputItem, group
from bot.core.models import Item
from bot.core.stories import (
    STORY_GAP,
    Featurizer,
    Report,
    Verdict,
    Weights,
    compare,
    key_weight,
    word_prior,
)
from bot.store.connection import open_redis
from bot.store.stories import StoryRepo

FIXTURE = Path(__file__).resolve().parents[1] / "tests/fixtures/stories/reports.jsonl"


@dataclass(frozen=True)
class Labelled:
    """One report of the set: the item, its event, series and part."""

    item: Item
    event: str
    series: str | None
    part: str


def load(path: Path = FIXTURE) -> list[Labelled]:
    """The labelled reports."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        item = Item(
            id=data["id"],
            feed_id=data["source"],
            title=data["title"],
            summary=data["summary"],
            link=data["link"],
            published=datetime.fromisoformat(data["published"]),
            lang=data["lang"],
        )
        found.append(Labelled(item, data["event"], data.get("series"), data["part"]))
    return found


def pair_counts(reports: list[Labelled], same_story: dict[tuple[str, str], bool]) -> dict[str, Any]:
    """Precision and recall of "same story" over every pair, within and across languages."""
    counts: Counter[tuple[str, str]] = Counter()
    wrong: list[str] = []
    for a, b in itertools.combinations(reports, 2):
        kind = "within" if a.item.lang == b.item.lang else "across"
        truth = a.event == b.event
        said = same_story[(a.item.id, b.item.id)]
        outcome = {(True, True): "tp", (False, True): "fp", (True, False): "fn"}
        counts[(kind, outcome.get((truth, said), "tn"))] += 1
        if truth != said:
            label = "missed" if truth else "merged"
            wrong.append(f"{kind} {label}: {a.item.id} ~ {b.item.id}")
    result: dict[str, Any] = {}
    for kind in ("within", "across"):
        tp, fp, fn = counts[(kind, "tp")], counts[(kind, "fp")], counts[(kind, "fn")]
        result[kind] = {
            "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
            "pairs": tp + fn,
            "false_merges": fp,
        }
    result["wrong"] = wrong
    return result


def pairwise(reports: list[Labelled], featurizer: Featurizer) -> dict[str, Any]:
    """`compare` on every pair, word weights counted over the whole part."""
    features = {r.item.id: featurizer.report(r.item) for r in reports}
    docs: Counter[str] = Counter()
    for report in features.values():
        docs.update(report.all_keys())

    def weight(key: str) -> float:
        return key_weight(docs.get(key, 0), len(features), word_prior(key))

    same = {
        (a.item.id, b.item.id): _joinable(features[a.item.id], features[b.item.id], weight)
        for a, b in itertools.combinations(reports, 2)
    }
    return pair_counts(reports, same)


def _joinable(a: Report, b: Report, weight: Weights) -> bool:
    """Whether compare would join two reports that the store's window lets it compare."""
    if abs(a.published - b.published) > STORY_GAP:
        return False
    return compare(b, a, weight).verdict is not Verdict.DIFFERENT


async def in_order(reports: list[Labelled], featurizer: Featurizer) -> dict[str, Any]:
    """The real grouping, in publish order, through a fresh embedded Redis."""
    inputs = [InputItem(r.item.id, r.item) for r in reports]
    async with open_redis(None, None) as handle:
        story = await group(inputs, handle.client, featurizer)
    same = {
        (a.item.id, b.item.id): story[a.item.id] == story[b.item.id]
        for a, b in itertools.combinations(reports, 2)
    }
    result = pair_counts(reports, same)
    merged = {
        tuple(sorted((a.event, b.event)))
        for a, b in itertools.combinations(reports, 2)
        if a.series and a.series == b.series and a.event != b.event
        and story[a.item.id] == story[b.item.id]
    }  # fmt: skip
    result["series_events_merged"] = len(merged)
    result["series_pairs"] = len(
        {
            tuple(sorted((a.event, b.event)))
            for a, b in itertools.combinations(reports, 2)
            if a.series and a.series == b.series and a.event != b.event
        }
    )
    result["stories"] = len(set(story.values()))
    result["events"] = len({r.event for r in reports})
    return result


async def load_test(reports: list[Labelled], featurizer: Featurizer, live: int) -> dict[str, Any]:
    """Time grouping the real reports on top of `live` stories; Redis memory per story."""
    rng = random.Random(12)
    vocabulary = {lang: [w for r in reports if r.item.lang == lang for w in r.item.summary.split()]
                  for lang in ("en", "ar")}  # fmt: skip
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with open_redis(None, None) as handle:
        client = handle.client
        stories = StoryRepo(client)
        before = int((await client.info("memory"))["used_memory"])
        for n in range(live):
            lang = "en" if n % 2 else "ar"
            words = rng.sample(vocabulary[lang], 40)
            item = Item(
                id=f"load-{n}",
                feed_id=f"outlet-{n % 50}",
                title=" ".join(words[:10]),
                summary=" ".join(words[10:]),
                link=f"https://load.example/{n}",
                published=start + timedelta(seconds=20 * n),  # 10,000 stories in 56 hours
                lang=lang,
            )
            await stories.assign(item, featurizer.report(item))
        after = int((await client.info("memory"))["used_memory"])
        samples = []
        now = start + timedelta(seconds=20 * live)
        for n, labelled in enumerate(reports):
            item = labelled.item.model_copy(
                update={"id": f"real-{n}", "published": now + timedelta(seconds=n)}
            )
            started = time.perf_counter()
            report = featurizer.report(item)
            await stories.assign(item, report)
            samples.append((time.perf_counter() - started) * 1000)
    return {
        "live_stories": live,
        "assign_ms_median": round(statistics.median(samples), 2),
        "assign_ms_p95": round(statistics.quantiles(samples, n=20)[-1], 2),
        "redis_bytes_per_story": round((after - before) / live),
    }


def show(name: str, found: dict[str, Any], failures: bool) -> None:
    """Print one part's figures."""
    for how in ("pairwise", "in_order"):
        part = found[how]
        for kind in ("within", "across"):
            f = part[kind]
            line = f"precision {f['precision']:.3f} recall {f['recall']:.3f}"
            print(f"{name} {how:9} {kind:7} {line} ({f['pairs']} pairs, "
                  f"{f['false_merges']} false merges)")  # fmt: skip
    order = found["in_order"]
    print(f"{name} in publish order: {order['stories']} stories for {order['events']} events; "
          f"templated series: {order['series_events_merged']} of {order['series_pairs']} event "
          "pairs merged")  # fmt: skip
    if failures:
        for line in order["wrong"]:
            print("   ", line)


async def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", type=int, default=0, help="live stories for the cost figure")
    parser.add_argument("--show-failures", action="store_true", help="list every wrong pair")
    parser.add_argument("--part", choices=("tune", "measure"), help="one part only")
    args = parser.parse_args()
    reports = load()
    featurizer = Featurizer(load_synonyms("default"))
    figures: dict[str, Any] = {}
    for part in ("tune", "measure"):
        if args.part and part != args.part:
            continue
        chosen = [r for r in reports if r.part == part]
        found = {
            "reports": len(chosen),
            "arabic": sum(r.item.lang == "ar" for r in chosen),
            "pairwise": pairwise(chosen, featurizer),
            "in_order": await in_order(chosen, featurizer),
        }
        show(part, found, args.show_failures)
        for how in ("pairwise", "in_order"):
            cast("dict[str, object]", found[how]).pop("wrong")  # shown above, not printed
        figures[part] = found
    if args.load:
        figures["load"] = await load_test(reports, featurizer, args.load)
        load_figures = figures["load"]
        print(f"grouping with {args.load} live stories: {load_figures['assign_ms_median']} ms "
              f"median, {load_figures['assign_ms_p95']} ms p95 per report; Redis "
              f"{load_figures['redis_bytes_per_story']} bytes per story")  # fmt: skip
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
