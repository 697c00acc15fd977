"""What a report's files are called: `2026-W48 Weekly Report`, `2026-W48 周报`, in the
language in use when they are written.

A folder whose language changes keeps the reports it has: a report is found by its name in
any language the project knows (the weekly job does not write last week's report again
because its name is now Chinese; the index lists both), and writing a report again replaces
the same report under another language's name, so a folder holds each report once.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from language import LANGUAGES, N_, _, in_language

#: A report's name without its extension, by kind: a translator names the files.
NAMES = {
    "weekly": N_("{week} Weekly Report"),
    "quarterly": N_("{quarter} Quarterly Report"),
}
# The week or quarter a report's name starts with, whatever the language after it.
_SPAN = re.compile(r"^(?P<span>\d{4}-W\d{2}|\d{4}Q[1-4])(?=\s)")
# What no file name may hold on any system, whatever a translator wrote.
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def file_name(text: str) -> str:
    """`text` as a file's name: no separator or character Windows refuses."""
    return " ".join(_NOT_IN_NAMES.sub(" ", text).split()).strip(".") or "_"


def named(template: str, span: str) -> str:
    """`template` ("{week} Weekly Report") for `span` in the language in use."""
    return file_name(_(template).format(week=span, quarter=span))


def every_name(template: str, span: str) -> list[str]:
    """`template` for `span` in every language, the language in use first."""
    names = [named(template, span)]
    for language in LANGUAGES:
        name = file_name(in_language(language, template).format(week=span, quarter=span))
        if name not in names:
            names.append(name)
    return names


def report_name(kind: str, span: str) -> str:
    """The name of the `kind` report of `span` ("2026-W48", "2026Q4") in the language in use."""
    return named(NAMES[kind], span)


def found(folder: Path, names: list[str], suffix: str) -> Path | None:
    """The file `folder/name+suffix` for the first of `names` there, or None."""
    for name in names:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def report_found(folder: Path, kind: str, span: str, suffix: str = ".xlsx") -> Path | None:
    """The `kind` report of `span` in `folder`, under its name in any language."""
    return found(folder, every_name(NAMES[kind], span), suffix)


def is_report(name: str) -> bool:
    """Whether `name` (without extension) is a report's, in any language."""
    match = _SPAN.match(name)
    if match is None:
        return False
    span = match["span"]
    return any(name in every_name(template, span) for template in NAMES.values())


def replace_others(folder: Path, template: str, span: str, suffixes: tuple[str, ...]) -> None:
    """Remove the file `template` names for `span` under another language's name (it was
    just written again under its name now). A copy that cannot be removed (open in Excel on
    a share) stays: two copies of a report mislead nobody, a failed write would."""
    kept = named(template, span)
    for name in every_name(template, span):
        if name == kept:
            continue
        for suffix in suffixes:
            with contextlib.suppress(OSError):
                (folder / f"{name}{suffix}").unlink(missing_ok=True)
