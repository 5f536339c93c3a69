"""How deep a JSON text nests, found without parsing it.

Python's `json` parser recurses once per `[`/`{`: a thousand levels in a 2 KB body raise
`RecursionError` (not a `ValueError`, so it escaped every handler as a 500 over HTTP and
crashed the socket consumer). Texts are checked here first, by a linear scan that never
recurses: strings are blanked out (their brackets do not count), then the running sum of
+1 per opening and -1 per closing bracket is taken in C (`itertools.accumulate`). Used by
the socket consumers (`realtime.consumers`) and the API's parser (`security.parsers`).
"""

from __future__ import annotations

import re
from itertools import accumulate

# Deeper than anything Fixline sends or accepts (custom answers nest two levels).
MAX_DEPTH = 32

# A JSON string: quote, then non-quote non-backslash characters or escapes, then quote. On a
# valid prefix of a text this pairs quotes exactly as the parser does, so the depth counted
# is the depth the parser would reach before it fails.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text` (0 for a scalar)."""
    if text.count("[") + text.count("{") == 0:
        return 0
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    # Cheap first: a text with fewer opening brackets than the limit cannot exceed it.
    if text.count("[") + text.count("{") <= limit:
        return False
    return depth(text) > limit
