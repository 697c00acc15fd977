"""What a person reads about a file: its name and the reasons, on one line each, with a
terminal's escape codes, line breaks, invisible format characters and bytes that are not
UTF-8 shown escaped, never obeyed and never a crash."""

from __future__ import annotations

import os
import unicodedata
from datetime import datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from app.intake.quarantine import quarantine_note
from forms.shown import ESCAPED, shown
from tests.scenario import Folder

# Sets the terminal's title, rings its bell and clears the screen, when printed raw.
TITLE_AND_CLEAR = "report\x1b]0;owned\x07\x1b[2J.docx"
NOT_UTF8 = os.fsdecode(b"caf\xe9 \xff.docx")  # Latin-1 bytes from an old share: surrogates


def test_a_hostile_name_and_reason_are_shown_escaped_in_the_note() -> None:
    note = quarantine_note(
        f"CC-2026-0001/{TITLE_AND_CLEAR}",
        ["the Customer field holds 'ACME\r\nBcc: x\x1b[31m'.", f"also {NOT_UTF8}\u2028here"],
        "Save it again\x85from the Blank Forms folder.",
        datetime(2026, 11, 20, 10, 0),
    )
    assert note == (
        "closedloop could not file this document.\n"
        "\n"
        "File: CC-2026-0001/report\\x1b]0;owned\\x07\\x1b[2J.docx\n"
        "Moved here from the Inbox: 2026-11-20 10:00\n"
        "\n"
        "What is wrong:\n"
        "  - the Customer field holds 'ACME\\r\\nBcc: x\\x1b[31m'.\n"
        "  - also caf\\xe9 \\xff.docx\\u2028here\n"
        "\n"
        "What to do:\n"
        "  Save it again\\u0085from the Blank Forms folder.\n"
        "\n"
        "Once the corrected file is filed, this note and the file beside it move to\n"
        "Quarantine/Settled/ by themselves.\n"
    )
    note.encode("utf-8")  # no surrogate is left to fail the note's writing


def test_shown_escapes_what_a_terminal_would_obey_and_keeps_the_rest() -> None:
    assert shown("Müller 报告 🎉 R&D\\Q3.docx") == "Müller 报告 🎉 R&D\\Q3.docx"
    assert shown(TITLE_AND_CLEAR) == "report\\x1b]0;owned\\x07\\x1b[2J.docx"
    assert shown(NOT_UTF8) == "caf\\xe9 \\xff.docx"  # the bytes, as they are on disk
    assert shown("caf\xe9") == "caf\xe9"  # é itself is a letter, not a stray byte
    assert shown("a\tb\nc\rd\x00e\x7f") == "a\\tb\\nc\\rd\\x00e\\x7f"
    assert shown("\x85\x9b\u2028\u2029") == "\\u0085\\u009b\\u2028\\u2029"  # C1: \u, not \x
    # the right-to-left override that makes "report\u202excod.exe" look like a .docx
    assert shown("report\u202excod.exe") == "report\\u202excod.exe"
    assert shown("\U000e0041") == "\\U000e0041"  # a tag character, invisible


def test_a_long_name_is_cut_in_the_middle_and_keeps_its_end() -> None:
    chinese = "客户投诉" * 20 + ".docx"  # 245 bytes, too long for a note's name: shown whole
    assert shown(chinese) == chinese
    assert shown("a" * 300 + ".docx", 40) == "a" * 26 + "…" + "a" * 8 + ".docx"
    # an escape is never cut in two: the head stops before it
    assert shown("ab" + "\x1b" * 50 + ".docx", 20) == "ab\\x1b\\x1b\\x1b….docx"
    huge = shown("x" * 50_000_000 + ".docx")  # a 50 MB value costs no more than a name
    assert huge == "x" * 175 + "…" + "x" * 19 + ".docx"


ANY_CHARACTER = st.one_of(
    st.characters(exclude_categories=[]),
    st.integers(0xDC80, 0xDCFF).map(chr),  # os.fsdecode's bytes; hypothesis makes none
    st.sampled_from("\x1b\x07\n\r\t\x85\x9b\u2028\u2029\u202e\\…"),
)


@given(st.text(ANY_CHARACTER, max_size=400), st.integers(1, 300))
def test_shown_is_one_safe_bounded_line(text: str, limit: int) -> None:
    out = shown(text, limit)
    assert len(out) <= limit
    assert not any(unicodedata.category(c) in ESCAPED for c in out)
    out.encode("utf-8")
    assert shown(out, limit) == out  # already safe: shown again, unchanged


def test_the_note_of_a_file_with_escape_codes_in_its_name(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    (folder.root / "Inbox" / TITLE_AND_CLEAR).write_bytes(b"not a document")
    [result] = folder.ingest("2026-11-20T10:00")
    assert result["outcome"] == "refused"
    [note] = (folder.root / "Quarantine").glob("* - what to fix.txt")
    text = note.read_bytes()
    assert b"File: report\\x1b]0;owned\\x07\\x1b[2J.docx\n" in text
    assert not any(b < 0x20 and b != 0x0A for b in text)  # nothing a terminal obeys
