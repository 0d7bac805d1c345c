"""Build bot/core/data/wordfreq.tsv: how common each word form is in English and Arabic.

    .venv/bin/python tools/build_wordfreq.py          # rewrite the file
    .venv/bin/python tools/build_wordfreq.py --check  # exit 1 if the file is not what this builds

Story grouping weighs words by how rare they are in the stream of news (document frequencies
counted in Redis). Before the stream has said much, a word's weight comes from how common it
is in the language at large: wordfreq's frequencies (Robyn Speer's wordfreq 3.1, CC BY-SA 4.0
data from Wikipedia, subtitles, news, books and the web), for the `TOP` most frequent words of
each language, each turned into the form grouping keeps (bot/core/stories.content_forms) with
the highest Zipf value among its words. Each line is `form <TAB> zipf` (one decimal).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from datafile import write_or_check, zipf_text
from wordfreq import top_n_list, zipf_frequency

from bot.core.stories import content_forms

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bot/core/data/wordfreq.tsv"
TOP = 25_000
LANGUAGES = ("en", "ar")


def build() -> str:
    """The whole file's text."""
    best: dict[str, float] = {}
    for lang in LANGUAGES:
        for word in top_n_list(lang, TOP):
            zipf = zipf_frequency(word, lang)
            for form in content_forms(word):
                best[form] = max(best.get(form, 0.0), zipf)
    return zipf_text("build_wordfreq.py", best)


def main() -> int:
    """Write the file, or with --check compare it."""
    return write_or_check(OUT, build, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
