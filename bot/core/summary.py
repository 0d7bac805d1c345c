"""Alert summaries: the lead of an item's text, cut at a sentence boundary."""

from __future__ import annotations

import re

LEAD_MAX_CHARS = 300
# A sentence ends at . ! ? … or the Arabic question mark, with its closing quotes, before space.
_SENTENCE_END = re.compile(r"[.!?؟…]+[\"'»”’)]*(?=\s)")
# A period after these is not the end of a sentence: "U.S. Central Command", "Gen. Smith".
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Za-z]\.)+|\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Col|Lt|Sgt|Capt|Cmdr|Adm|Gov|Sen|Rep|St|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No|Nos|vs|etc|approx|Inc|Ltd|Co|Corp)\.)$"
)
# Clause punctuation, Latin and Arabic, where a too-long sentence can be cut gracefully.
_CLAUSE_END = re.compile(r"[,;:،؛]\s")


def lead(text: str, max_chars: int = LEAD_MAX_CHARS, max_sentences: int = 2) -> str:
    """The first one or two sentences of `text`, at most about `max_chars` characters."""
    text = " ".join(text.split())
    sentences = split_sentences(text)
    taken = ""
    for sentence in sentences[:max_sentences]:
        candidate = f"{taken} {sentence}".strip()
        if len(candidate) > max_chars:
            break
        taken = candidate
    return taken or _shorten(sentences[0] if sentences else text, max_chars)


def split_sentences(text: str) -> list[str]:
    """Sentences of a whitespace-collapsed text; abbreviations do not end a sentence."""
    sentences: list[str] = []
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        if _ABBREVIATION.search(text[start : boundary.start() + 1]):
            continue
        sentences.append(text[start : boundary.end()])
        start = boundary.end() + 1  # the text is whitespace-collapsed: one space follows
    if start < len(text):
        sentences.append(text[start:])
    return [s for s in sentences if s]


def _shorten(sentence: str, max_chars: int) -> str:
    """A sentence too long to show whole: cut at the last clause, else the last word, that fits."""
    window = sentence[: max_chars - 1]
    clauses = [m.start() for m in _CLAUSE_END.finditer(window + " ")]
    if clauses and clauses[-1] > max_chars // 2:
        return window[: clauses[-1]] + "…"
    space = window.rfind(" ")
    if space > max_chars // 2:
        window = window[:space]
    return window.rstrip(" ,;:،؛-") + "…"
