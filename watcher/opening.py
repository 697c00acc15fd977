"""Opening a shared folder's registry without ever making a second numbering.

The registry is derived from the archive, but it also holds the case numbering. Made anew
beside an archive that already has case folders, it would give CC-2026-0001 again. So a
missing registry over a non-empty archive is refused with the way out (`rebuild`), and
at every opening the numbering is lifted to at least the highest case number the
archive's folder names show.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from filing.registry import Registry, RegistryMissing
from watcher.folders import SharedFolder

_CASE_FOLDER = re.compile(r"^CC-(\d{4})-(\d{4,})(?:\s|$)")
_QUARTER_FOLDER = re.compile(r"^\d{4}Q[1-4] ")


def archive_case_numbers(archive: Path) -> dict[int, int]:
    """The highest case number of each year among the archive's case folders, open ones
    and those sealed in quarter folders. Names only: one listing of the archive and one of
    each quarter folder, never following links."""
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
                scan(Path(entry.path), 1)

    scan(archive, 0)
    return highest


def open_registry(folder: SharedFolder) -> Registry:
    """The folder's registry, refused (RegistryMissing) when it is missing over an archive
    that holds cases; its numbering kept above every case number in the archive."""
    numbers = archive_case_numbers(folder.archive)
    try:
        registry = Registry(folder.registry, create=not numbers)
    except RegistryMissing:
        count = "a case folder" if len(numbers) == 1 else "case folders"
        raise RegistryMissing(
            f"{folder.registry}: the registry is missing, but {folder.archive} holds "
            f"{count}. Nothing was filed, so that no case number is given twice. "
            f"Make the registry again from the archive with `closedloop rebuild "
            f"{folder.root}`, then start again"
        ) from None
    try:
        registry.keep_numbers_above(numbers)
    except BaseException:
        registry.close()
        raise
    return registry
