"""When a file in the Inbox is finished: its size and modification time unchanged for a
stability window, and no office owner or lock file beside it (Word's `~$name.docx`,
LibreOffice's `.~lock.name.docx#`), which exist exactly while someone has it open.

Pure bookkeeping with the clock passed in, so that the watcher's threads, its polling
mode and the tests all share it. Events only say "look again"; readiness is decided here.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from watcher.folders import is_junk


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # clock time when this size and mtime were first seen


def owner_files(path: Path) -> list[Path]:
    """The names an office suite gives the file that marks `path` as open."""
    name = path.name
    # Word keeps the last characters of long names: ~$ replaces the first two.
    word = [f"~${name}", f"~${name[2:]}" if len(name) > 2 else None, f"~${name[1:]}"]
    names = [n for n in word if n] + [f".~lock.{name}#"]
    return [path.with_name(n) for n in dict.fromkeys(names)]


def is_open_in_office(path: Path) -> bool:
    return any(p.exists() for p in owner_files(path))


class StabilityTracker:
    def __init__(self, window: float) -> None:
        self.window = window
        self._seen: dict[Path, _Seen] = {}

    def note(self, path: Path, now: float) -> None:
        """Look at `path` now (after an event, or on a scan)."""
        try:
            info = path.stat()
        except OSError:  # gone (renamed, deleted, Word's save dance): forget it
            self._seen.pop(path, None)
            return
        if not stat.S_ISREG(info.st_mode):
            # Folders too can arrive as "files": a polling observer matches entries by inode,
            # and a new folder that reuses a deleted file's inode is reported as that file moved.
            self._seen.pop(path, None)
            return
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (info.st_size, info.st_mtime_ns):
            self._seen[path] = _Seen(info.st_size, info.st_mtime_ns, now)

    def ready(self, now: float) -> list[Path]:
        """Files finished by now, oldest first (first seen, then last written: the Inbox as
        found at start goes in the order people saved it); each is handed out once."""
        out: list[tuple[float, int, Path]] = []
        for path in list(self._seen):
            if is_junk(path.name):
                del self._seen[path]
                continue
            self.note(path, now)  # a last look: it may have changed since the event
            current = self._seen.get(path)
            if current is None or now - current.since < self.window:
                continue
            if is_open_in_office(path):
                continue  # still open in Word or LibreOffice; look again later
            out.append((current.since, current.mtime_ns, path))
            del self._seen[path]
        return [p for _, _, p in sorted(out)]

    def note_all(self, paths: Iterable[Path], now: float) -> None:
        for path in paths:
            self.note(path, now)

    def pending(self) -> list[Path]:
        return sorted(self._seen)


class Backoff:
    """Files that could not be read (locked by a user, permission denied, a share gone
    for a moment): each is looked at again after a delay that doubles, up to a ceiling."""

    def __init__(self, first: float = 1.0, ceiling: float = 60.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self._tries: dict[Path, int] = {}
        self._due: dict[Path, float] = {}

    def failed(self, path: Path, now: float) -> float:
        """Note a failure; returns the delay before the next try."""
        tries = self._tries.get(path, 0)
        delay = min(self.first * 2.0**tries, self.ceiling)
        self._tries[path] = tries + 1
        self._due[path] = now + delay
        return delay

    def succeeded(self, path: Path) -> None:
        self._tries.pop(path, None)
        self._due.pop(path, None)

    def tries(self, path: Path) -> int:
        return self._tries.get(path, 0)

    def due(self, now: float) -> list[Path]:
        """Files whose next try has come; they go back to the stability tracker."""
        paths = [p for p, at in self._due.items() if at <= now]
        for path in paths:
            del self._due[path]
        return paths
