"""Where each catalog's texts are written: one domain per floor of the house, and the
templates that floor renders. A translator opens one `.po` per part of the product; two
people translating two floors never edit the same file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file

HOUSE = Path(__file__).resolve().parent.parent

#: domain -> the files its texts come from (globs from the top of the house). A file
#: belongs to the first domain that names it: `forms` is what a form says to the one who
#: fills it, `reading` what reading a file says when it cannot be filed.
DOMAINS: dict[str, tuple[str, ...]] = {
    "forms": (
        "forms/hints.py",
        "forms/layout.py",
        "forms/writer.py",
        "forms/docx_writer.py",
        "forms/xlsx_writer.py",
        "forms/keptblank.py",
    ),
    "reading": ("forms/**/*.py",),
    "filing": ("filing/**/*.py",),
    "reports": ("reports/**/*.py", "templates/report*.html"),
    "archive": ("archive/**/*.py", "templates/packet_*.html", "templates/auditor_*.html"),
    "mail": ("mail/**/*.py", "templates/mail_*.txt"),
    "app": ("app/**/*.py", "templates/quarantine_note.txt", "templates/outbox_todo.html"),
    "command": ("closedloop/**/*.py", "watcher/**/*.py"),
}

# gettext (Python) and Jinja's i18n extension with newstyle gettext (templates).
_PYTHON: tuple[str, dict[str, str]] = ("python", {})
_JINJA: tuple[str, dict[str, str]] = (
    "jinja2.ext:babel_extract",
    {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "true"},
)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def source_files(domain: str) -> list[Path]:
    """The files whose texts are `domain`'s: named by it, and by no domain before it."""
    before: set[Path] = set()
    for name, patterns in DOMAINS.items():
        found = {p for pattern in patterns for p in HOUSE.glob(pattern)}
        if name == domain:
            return sorted(found - before)
        before |= found
    raise KeyError(domain)


def extracted(domain: str) -> Iterator[tuple[str | tuple[str, ...], Path, int]]:
    """Each text to translate in `domain`'s files: the message, its file and line."""
    for path in source_files(domain):
        method, options = _JINJA if path.suffix in (".html", ".txt") else _PYTHON
        found = extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options, strip_comment_tags=True
        )
        for line, message, _comments, _context in found:
            yield message, path, line


def template_catalog(domain: str) -> Catalog:
    """A catalog of `domain` with every text of its files and no translation (a .pot)."""
    catalog = Catalog(project="closedloop", domain=domain, fuzzy=False)
    for message, path, line in extracted(domain):
        catalog.add(message, locations=[(str(path.relative_to(HOUSE)), line)])
    return catalog
