"""Plain text for people: notes beside quarantined files (templates/quarantine_note.txt),
and the text of e-mails.

Names and values in them come from files anybody can drop into the Inbox: `shown()` makes
any of them safe to show on one line (in a note, a log line, `ingest --json`), so a name
holding a terminal's escape code, a line break or bytes that are not UTF-8 looks odd to a
person instead of being obeyed by a terminal or breaking the text it is part of."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from forms.shown import ESCAPED, SHOWN_CHARS, shown

__all__ = ["ESCAPED", "REASON_CHARS", "SHOWN_CHARS", "quarantine_note", "shown", "text_template"]

REASON_CHARS = 2000  # a reason may quote a value; a 9 MB value is cut, not written out


@cache
def text_template(name: str) -> Template:
    """A plain-text template of templates/ (no HTML escaping: "R&D" stays "R&D"); the
    filter `shown` puts a name or value from a file safely on one line."""
    env = SandboxedEnvironment(
        undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    env.filters["shown"] = shown
    return env.from_string(resources.files("templates").joinpath(name).read_text(encoding="utf-8"))


def quarantine_note(file: str, reasons: list[str], fix: str, moved_at: datetime) -> str:
    return text_template("quarantine_note.txt").render(
        file=file,
        reasons=reasons,
        fix=fix,
        moved_at=moved_at.isoformat(sep=" ", timespec="minutes"),
        reason_chars=REASON_CHARS,
    )
