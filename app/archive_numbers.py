"""The highest case number of each year among the Archive's case folders: the registry
numbers new cases above them, so that a case folder restored or copied in without its
registry rows never has its number given again.

Listing the Archive costs what the archive holds (100,000 case folders: about a quarter of
a second), and it was done at every start; the Windows task starts every two minutes. So
the last listing is kept in `.closedloop/archive-numbers.json` with the change times of
the folders it listed (the Archive and its quarter folders), and a start whose folders
have not changed reads that instead. A folder's change time (ctime on POSIX) moves with
every name added, removed or renamed in it, and cannot be set back by hand as a
modification time can (on Windows, Python's st_ctime is the creation time: there the
modification time guards alone, against accidents, not against a hand that sets it back).
The listing is never trusted where it matters most: a registry about to be made (a lost
one) is checked against the Archive itself (app/opening.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

from forms.atomicfile import atomic_write_bytes, read_json, remove_leftovers

# "CC-2026-99999999999999999999" is no case of ours and must not lift the numbering past
# what the registry can hold.
_CASE_FOLDER = re.compile(r"^CC-((?:19|20|21)[0-9][0-9])-([0-9]{4,9})(?:\s|$)")
_QUARTER_FOLDER = re.compile(r"^\d{4}Q[1-4] ")


def _listed(archive: Path, quarters: list[str]) -> dict[int, int]:
    """The highest case number of each year among the archive's case folders, open ones
    and those sealed in quarter folders (their names put in `quarters`). Names only: one
    listing of the archive and one of each quarter folder, never following links."""
    highest: dict[int, int] = {}

    def scan(folder: Path, depth: int) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            match = _CASE_FOLDER.match(entry.name)
            if match:
                year, number = int(match[1]), int(match[2])
                highest[year] = max(highest.get(year, 0), number)
            elif depth == 0 and _QUARTER_FOLDER.match(entry.name):
                quarters.append(entry.name)
                scan(Path(entry.path), 1)

    scan(archive, 0)
    return highest


NUMBERS = "archive-numbers.json"


def _stamp(folder: Path) -> list[int] | None:
    try:
        info = folder.stat(follow_symlinks=False)
    except OSError:
        return None
    return [info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns]


def archive_case_numbers(archive: Path, state: Path | None = None) -> dict[int, int]:
    """The highest case number of each year in the archive; with `state` (the folder's
    .closedloop), the last listing is used while the Archive and its quarter folders are
    as it found them."""
    if state is None:
        return _listed(archive, [])
    record = state / NUMBERS
    remove_leftovers(state, {NUMBERS})  # a write a stop cut short
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
        kept = read_json(record)
        folders = {"": _stamp(archive)}
        folders.update({name: _stamp(archive / name) for name in kept["quarters"]})
        if kept["stamps"] == folders and folders[""] is not None:
            return {int(year): int(n) for year, n in kept["highest"].items()}
    before = _stamp(archive)  # before the listing: a change during it is seen next time
    quarters: list[str] = []
    highest = _listed(archive, quarters)
    stamps = {"": before, **{name: _stamp(archive / name) for name in quarters}}
    data = {"highest": highest, "quarters": quarters, "stamps": stamps}
    with contextlib.suppress(OSError):  # derived: a start that cannot keep it lists again
        atomic_write_bytes(record, json.dumps(data, sort_keys=True).encode(), False)
    return highest
