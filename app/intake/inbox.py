"""The Inbox as closedloop walks it: what there is to handle, oldest first, never following
a link."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from app.folder import SharedFolder

#: How deep the Inbox is walked: Inbox/<case number>/ holds evidence, and people drop
#: whole folders of photos in it. Deeper entries are quarantined as a folder.
MAX_DEPTH = 6


def inbox_files(folder: SharedFolder) -> Iterator[Path]:
    """Every entry of the Inbox to handle, oldest first (the order people saved them):
    files at the top, files in folders below it (evidence), and anything that is not a
    regular file (a link, a FIFO, a device), which is never followed, opened or entered.
    Only real folders are walked into."""
    if not folder.inbox.is_dir():
        return
    found: list[tuple[int, str, Path]] = []

    def walk(where: Path, depth: int) -> None:
        try:
            entries = list(os.scandir(where))
        except OSError:  # removed or renamed while we looked
            return
        for entry in entries:
            try:  # an entry may go while the Inbox is listed (Word's save dance)
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            path = Path(entry.path)
            if stat.S_ISDIR(info.st_mode) and depth < MAX_DEPTH:
                walk(path, depth + 1)
            elif not stat.S_ISDIR(info.st_mode) or depth > 0:
                found.append((info.st_mtime_ns, str(path), path))

    walk(folder.inbox, 0)
    for _, _, path in sorted(found):
        yield path
