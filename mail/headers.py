"""Mail header values made from data (a customer's name in a subject, a file's name as the
attachment's, a department's name): decoded, cleaned of every control character, and only
then handed to the email library, which encodes them itself.

A name typed as an RFC 2047 encoded word (`=?utf-8?q?ACME=0D=0ABcc:_x@example.com?=`) is
decoded *before* it is cleaned: the header registry decodes encoded words when a value is
set, so cleaning the text as typed would let the decoded line break end the Subject and
start a Bcc. Decoding runs until nothing is left to decode, so an encoded word hidden in
another (or put together by the cleaning) cannot reach the receiver's decoder either.
"""

from __future__ import annotations

import unicodedata
from email.headerregistry import Address
from email.policy import default
from email.utils import getaddresses

# Cc: C0 (NUL, CR, LF, ESC...), DEL and C1 (NEL U+0085...); Zl, Zp: U+2028, U+2029.
BREAKS = frozenset({"Cc", "Zl", "Zp"})
UNSHOWN = BREAKS | {"Cs"}  # and lone surrogates: bytes that were not UTF-8
SUBJECT_CHARS = 250  # a subject a mail program shows whole; a 9 MB name is cut, not mailed
# Each round decodes one level of encoded words and must shrink the text; a name built to
# need more rounds than this is not a name, and its encoded words are broken up instead.
MAX_ROUNDS = 8


def header_text(value: str, limit: int = SUBJECT_CHARS) -> str:
    """`value` as a header may carry it: encoded words decoded, every control character
    and line or paragraph separator turned into a space, runs of spaces made one, lone
    surrogates (bytes that were not UTF-8) made U+FFFD, at most `limit` characters (cut
    in the middle with an ellipsis)."""
    # The header parser costs seconds on a megabyte: only what can be shown is decoded
    # (an encoded word is longer than its text), the head and the tail.
    text = value if len(value) <= 4 * limit else value[: 3 * limit] + "…" + value[-limit:]
    for _ in range(MAX_ROUNDS):
        cleaned = _bounded(_clean(_decoded(text)), limit)
        if cleaned == text:
            return text
        text = cleaned
    return _bounded(_clean(text.replace("=?", "= ?")), limit)


def is_clean(value: str) -> bool:
    """True if `value` goes into a header as it is: no control character, no separator,
    no lone surrogate, no encoded word to decode."""
    return not any(unicodedata.category(c) in UNSHOWN for c in value) and _decoded(value) == value


def address_list(value: str) -> list[Address]:
    """The addresses of `value` ("a@example.com, Name <b@example.com>") as the header
    registry's Address objects; a ValueError names the value that is not addresses."""
    wrong = ValueError(f"{value!r} is not a list of e-mail addresses")
    if any(unicodedata.category(c) in UNSHOWN for c in value):
        raise wrong  # a line break would make two addresses of one
    found: list[Address] = []
    for name, spec in getaddresses([value]):
        if not spec:
            raise wrong
        try:  # a sender without a domain ("closedloop") is the local server's business
            found.append(
                Address(header_text(name), addr_spec=spec)
                if "@" in spec
                else Address(header_text(name), username=spec)
            )
        except ValueError:
            raise wrong from None
    if not found:
        raise wrong
    return found


def _decoded(text: str) -> str:
    # The very parser that reads the header when it is set, and that reads it on arrival.
    return str(default.header_factory("subject", text))


def _clean(text: str) -> str:
    chars = (
        " "
        if unicodedata.category(c) in BREAKS
        else "\ufffd"
        if unicodedata.category(c) == "Cs"
        else c
        for c in text
    )
    return " ".join("".join(chars).split())


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    tail = min(20, limit // 3)
    return text[: limit - tail - 1].rstrip() + "…" + text[len(text) - tail :].lstrip()
