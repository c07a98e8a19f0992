"""How names compare: one normal form of a spelling, shared by the mention check, the name resolver and SQL.

Kept apart from :mod:`hkgraph.records.mentions` so that the query layer can normalise a name without
importing the record models.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"(?:[^\w./+&#]|_)+")  # one run of separators, `\_` (Markdown-escaped) included


def normalise(text: str) -> str:
    """Case-folded, with punctuation other than `. / + & #` and runs of spaces made one space.

    A function of ``text.casefold()``: two spellings equal under case folding have the same normal form."""
    return _SEPARATORS.sub(" ", text.casefold()).strip()
