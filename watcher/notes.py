"""Plain text for people: notes beside quarantined files (templates/quarantine_note.txt),
and the text of e-mails."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment


@cache
def text_template(name: str) -> Template:
    """A plain-text template of templates/ (no HTML escaping: "R&D" stays "R&D")."""
    env = SandboxedEnvironment(
        undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    return env.from_string(resources.files("templates").joinpath(name).read_text(encoding="utf-8"))


def quarantine_note(file: str, reasons: list[str], fix: str, moved_at: datetime) -> str:
    return text_template("quarantine_note.txt").render(
        file=file,
        reasons=reasons,
        fix=fix,
        moved_at=moved_at.isoformat(sep=" ", timespec="minutes"),
    )
