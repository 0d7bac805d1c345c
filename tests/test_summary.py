"""Summaries: the lead is the first one or two sentences, cut cleanly."""

from __future__ import annotations

import pytest

from bot.core.summary import lead, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two. Three.", "One. Two."),
        ("Short text without a stop", "Short text without a stop"),
        (
            "U.S. Central Command said it destroyed two drones. Officials said more may come.",
            "U.S. Central Command said it destroyed two drones. Officials said more may come.",
        ),
        ("Gen. Smith spoke on Monday. He left.", "Gen. Smith spoke on Monday. He left."),
        ("هل وقع الهجوم؟ نعم. ثم ماذا؟", "هل وقع الهجوم؟ نعم."),
    ],
)
def test_lead(text: str, expected: str) -> None:
    """The lead keeps up to two sentences and does not break at abbreviations."""
    assert lead(text) == expected


def test_long_sentence_cut_at_clause() -> None:
    """A first sentence over the limit is cut at a clause (Arabic comma too), with an ellipsis."""
    sentence = "دوى انفجاران في أكبر قاعدة، " + "كلمة " * 80
    result = lead(sentence, max_chars=300)
    assert len(result) <= 300
    assert result.endswith("…")


def test_long_sentence_cut_at_word() -> None:
    """Without clause punctuation, a long sentence is cut at a word boundary."""
    result = lead("word " * 100, max_chars=50)
    assert len(result) <= 50
    assert result.endswith("word…")


def test_second_sentence_dropped_when_too_long() -> None:
    """A second sentence that would pass the limit is left out."""
    first = "A" * 100 + "."
    assert lead(f"{first} {'B' * 250}.", max_chars=300) == first


def test_split_sentences() -> None:
    """Sentences split at terminal punctuation followed by space, closing quotes kept."""
    assert split_sentences('He said "go." Then left!') == ['He said "go."', "Then left!"]
