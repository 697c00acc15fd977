"""What is what under Archive/: case folders and sealed quarters, told apart by patterns a
customer's name cannot produce.

A case folder's name starts with its case number (`CC-2026-0001 ACME Windows`); the
customer's part may read anything, `Q Customer Complaint Closed-Loop` included, so it is
never looked at. A quarter folder's name is the quarter and nothing else
(`2026Q4 Customer Complaint Closed-Loop`): it starts with a year, which no case folder's
name does. Its manifest is what seals it (archive/verify.py checks it).
"""

from __future__ import annotations

from pathlib import Path

from archive.casefolder import QUARTER_FOLDER
from forms.identity import CASE_ID


def folder_case_id(name: str) -> str | None:
    """The case number a case folder's name starts with; None for any other name."""
    first = name.split(" ", 1)[0]
    return first if CASE_ID.match(first) else None


def is_quarter_folder(path: Path) -> bool:
    return QUARTER_FOLDER.match(path.name) is not None and path.is_dir()


def quarter_folders(archive: Path) -> list[Path]:
    if not archive.is_dir():
        return []
    return sorted(p for p in archive.iterdir() if is_quarter_folder(p))


def case_folders(archive: Path) -> list[Path]:
    """The case folders under Archive/, open ones and those sealed in a quarter folder
    (whether or not the quarter's close finished: its cases are cases all the same)."""
    if not archive.is_dir():
        return []
    found = []
    for p in archive.iterdir():
        if is_quarter_folder(p):
            found += [q for q in p.iterdir() if q.is_dir() and folder_case_id(q.name)]
        elif p.is_dir() and folder_case_id(p.name):
            found.append(p)
    return sorted(found, key=lambda p: p.name)
