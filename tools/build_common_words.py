"""Build bot/core/data/common_words.tsv: the words, as written, common in English or Arabic.

    .venv/bin/python tools/build_common_words.py          # rewrite the file
    .venv/bin/python tools/build_common_words.py --check  # exit 1 if the file is not current

Names are carried across scripts by their consonant skeletons (bot/core/names.py), and a common
word shares its skeleton with some name: هذا ("this") is Hodeidah's "hd", حين ("when") Haniyeh's
"hn". A word this file lists is vocabulary, not a name. Unlike wordfreq.tsv, which holds the
content forms story grouping keeps, this file holds words as a text writes them (function words
too), normalized as bot/core/analysis.normalize does and case-folded, each with the highest Zipf
value among the words that normalize to it, from wordfreq 3.1 (CC BY-SA 4.0), `MIN_ZIPF` and up.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from datafile import write_or_check, zipf_text
from wordfreq import top_n_list, zipf_frequency

from bot.core.analysis import normalize

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bot/core/data/common_words.tsv"
# English from 3 (names.LATIN_NAME: rarer capitalized words are names), Arabic from 4 (names.RARE).
MIN_ZIPF = {"en": 3.0, "ar": 4.0}


def build() -> str:
    """The whole file's text."""
    best: dict[str, float] = {}
    for lang, least in MIN_ZIPF.items():
        for word in top_n_list(lang, 100_000):
            zipf = zipf_frequency(word, lang)
            if zipf < least:
                break  # the list is in order of frequency
            form = normalize(word).casefold()
            if form.isalpha():
                best[form] = max(best.get(form, 0.0), zipf)
    return zipf_text("build_common_words.py", best)


def main() -> int:
    """Write the file, or with --check compare it."""
    return write_or_check(OUT, build, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
