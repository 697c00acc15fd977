"""Any text from a file as a person may be shown it, on one line.

Names and values come from files anybody can drop into the Inbox: `shown()` makes any of
them safe to show (in a refusal, a note, a log line, `ingest --json`), so a name holding a
terminal's escape code, a line break or bytes that are not UTF-8 looks odd to a person
instead of being obeyed by a terminal or breaking the text it is part of.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

SHOWN_CHARS = 200  # a name in a line of text; 80 Chinese characters (245 bytes) fit whole
# Cc: C0, DEL, C1 (ESC, CR, LF, NEL...); Cf: invisible format characters, among them the
# bidirectional overrides that show "exe.docx" for "xcod.exe"; Zl, Zp: U+2028, U+2029;
# Cs: lone surrogates, which is how os.fsdecode keeps bytes that are not UTF-8.
ESCAPED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
TAIL = 24  # a name cut in the middle keeps its end: the extension says what it is


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` on one line, safe to show and to encode as UTF-8: control and format
    characters escaped as Python writes them (ESC as \\x1b, U+2028 as \\u2028), a byte
    that was not UTF-8 (os.fsdecode's surrogate \\udcff) as the byte, \\xff; at most about
    `limit` characters, cut in the middle with an ellipsis so the extension stays."""
    if len(text) <= 2 * limit:
        pieces = [_escaped(c) for c in text]
    else:  # a huge value: only what can be shown is looked at
        pieces = [_escaped(c) for c in text[:limit]] + [""] + [_escaped(c) for c in text[-TAIL:]]
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    tail = "".join(reversed(_fitting(reversed(pieces), min(TAIL, limit // 3))))
    head = "".join(_fitting(pieces, limit - len(tail) - 1))
    return head + "…" + tail


def _escaped(c: str) -> str:
    if c in SHORT:
        return SHORT[c]
    if unicodedata.category(c) not in ESCAPED:
        return c
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # the byte os.fsdecode could not decode: \x80 to \xff
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x80:  # C0 and DEL; a character above is written \u0085, never \x85
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _fitting(pieces: Iterable[str], room: int) -> list[str]:
    """The pieces taken in turn while they fit in `room` characters; an escape is never
    cut in two."""
    taken: list[str] = []
    used = 0
    for piece in pieces:
        if used + len(piece) > room:
            break
        taken.append(piece)
        used += len(piece)
    return taken
