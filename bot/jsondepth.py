"""JSON from outside, refused when nested deeper than a bound before it is decoded.

Python's JSON decoder recurses once per level, and so does anything that later walks or prints
the value (`str` of a nested list), so a document nested thousands deep raises RecursionError
wherever that happens to run out. Real feeds and item files nest a handful of levels; the bound
is checked first, on its own, whatever the document's length.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from bot.errors import JSONTooDeep

MAX_JSON_DEPTH = 64

# Strings are skipped whole (a bracket inside one is text); what remains outside them but the
# brackets is dropped, so the depth is a running sum over the brackets alone. An unclosed string
# runs to the end (the decoder refuses it anyway), and the possessive * never backtracks: one
# linear pass whatever the quotes and backslashes.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def depth(text: str) -> int:
    """How deeply the arrays and objects of a JSON text nest (0 for a bare value)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    # map, accumulate and max iterate in C: a few MB of brackets cost well under a second.
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(data: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads`, but JSONTooDeep (before decoding) for a document nested past `limit`.

    Bytes are decoded as `json.loads` decodes them (UTF-8, -16 or -32, by their first bytes);
    undecodable bytes raise UnicodeDecodeError, malformed JSON json.JSONDecodeError.
    """
    text = (
        data.decode(json.detect_encoding(data), "surrogatepass")
        if isinstance(data, bytes)
        else data
    )
    if depth(text) > limit:
        raise JSONTooDeep(limit)
    return json.loads(text)
