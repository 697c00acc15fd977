"""Plain text for people: notes beside quarantined files (templates/quarantine_note.txt).

Names and values in them come from files anybody can drop into the Inbox: `shown()` makes
any of them safe to show on one line (in a note, a log line, `ingest --json`), so a name
holding a terminal's escape code, a line break or bytes that are not UTF-8 looks odd to a
person instead of being obeyed by a terminal or breaking the text it is part of."""

from __future__ import annotations

from datetime import datetime

from forms.shown import ESCAPED, SHOWN_CHARS, shown
from templates import render

__all__ = ["ESCAPED", "REASON_CHARS", "SHOWN_CHARS", "quarantine_note", "shown"]

REASON_CHARS = 2000  # a reason may quote a value; a 9 MB value is cut, not written out


def quarantine_note(file: str, reasons: list[str], fix: str, moved_at: datetime) -> str:
    return render(
        "quarantine_note.txt",
        file=file,
        reasons=reasons,
        fix=fix,
        moved_at=moved_at.isoformat(sep=" ", timespec="minutes"),
        reason_chars=REASON_CHARS,
    )
