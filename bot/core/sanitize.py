"""Text from feeds made fit to keep: bounded in length, cut between words."""

from __future__ import annotations

ELLIPSIS = "…"


def clip_words(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters, else cut at a word boundary with an ellipsis.

    The result, ellipsis included, has at most `limit` characters. The cut falls at the last
    space that keeps at least half the limit; a text without one (a run of letters with no
    spaces) is cut inside the word.
    """
    if len(text) <= limit:
        return text
    window = text[: limit - len(ELLIPSIS)]
    space = window.rfind(" ")
    if not text[len(window)].isspace() and space >= limit // 2:  # the window ends inside a word
        window = window[:space]
    return window.rstrip() + ELLIPSIS
