"""How common a word is in its language: Zipf frequencies from the bundled wordfreq list.

bot/core/data/wordfreq.tsv (built by tools/build_wordfreq.py from wordfreq, CC BY-SA 4.0) holds
the most common English and Arabic words, folded, each with its Zipf frequency (6 is "the",
3 is a word met once in a million). bot/core/data/common_words.tsv (tools/build_common_words.py)
holds the common words as written, function words too, for telling names from vocabulary.
"""

from __future__ import annotations

from functools import cache

from bot.core.bundled import rows


@cache
def _table(name: str) -> dict[str, float]:
    """A bundled word-frequency file (`word <TAB> zipf`), read once per process."""
    return {word: float(value) for word, value in rows(name)}


def zipf_table() -> dict[str, float]:
    """Every form of wordfreq.tsv and its Zipf frequency."""
    return _table("wordfreq.tsv")


def zipf(word: str) -> float | None:
    """The Zipf frequency of a folded word, or None when it is not among the listed."""
    return zipf_table().get(word)


def word_zipf(word: str) -> float:
    """How common a word is as written (normalized, folded): its Zipf value, 0 below 4."""
    return _table("common_words.tsv").get(word, 0.0)
