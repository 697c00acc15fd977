"""Plain-language notes beside quarantined files, from templates/quarantine_note.txt."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment


@cache
def _template() -> Template:
    env = SandboxedEnvironment(
        undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    text = resources.files("templates").joinpath("quarantine_note.txt").read_text(encoding="utf-8")
    return env.from_string(text)


def quarantine_note(file: str, reasons: list[str], fix: str, moved_at: datetime) -> str:
    return _template().render(
        file=file,
        reasons=reasons,
        fix=fix,
        moved_at=moved_at.isoformat(sep=" ", timespec="minutes"),
    )
