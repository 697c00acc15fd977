"""Text in a terminal's columns, where a Chinese character takes two."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """The columns `text` takes in a terminal."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    """`text` padded with spaces to `columns` columns (never cut)."""
    return text + " " * max(0, columns - width(text))
