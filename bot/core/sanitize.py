"""Text from feeds made fit to keep and show: no control or direction-override characters, bounded.

Feeds can carry characters that have no business in an alert: NUL and other control characters,
and the Unicode bidirectional embeddings, overrides and isolates, with which a headline could
show reversed or push the rest of the alert's line around (the renderer's own isolates
included). They are dropped where feed text comes in, and once more where alerts are rendered.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# Never kept: C0 controls other than tab and newline, DEL and the C1 controls; the bidi
# embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069) with the deprecated
# format controls beside them (U+206A-U+206F); lone surrogates (JSON can spell them, nothing can
# encode them); the interlinear annotation controls and the noncharacters U+FFFE and U+FFFF.
# The left-to-right and right-to-left marks (U+200E, U+200F, U+061C) and the joiners stay:
# Arabic writing uses them, and they cannot reorder a run of text.
_DROPPED = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u206f"
    "\ud800-\udfff\ufff9-\ufffb\ufffe\uffff]"
)
# Control characters that separate words (vertical tab, form feed, carriage return, the
# information separators, NEL) and the line and paragraph separators: a space each.
_SPACED = re.compile("[\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]")
_ANY_UNSAFE = re.compile(f"{_DROPPED.pattern}|{_SPACED.pattern}")


def safe_text(text: str) -> str:
    """`text` without control or direction-override characters; tab and newline stay."""
    return _SPACED.sub(" ", _DROPPED.sub("", text))


def one_line(text: str) -> str:
    """`text` as safe_text, on one line: every run of whitespace one space, none at the ends."""
    return " ".join(_DROPPED.sub("", text).split())


def escape_unsafe(url: str) -> str:
    """A URL with its control and direction-override characters percent-encoded (as UTF-8)."""
    return _ANY_UNSAFE.sub(
        lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8", "surrogatepass")), url
    )


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
