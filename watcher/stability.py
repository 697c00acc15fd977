"""When a file in the Inbox is finished: its size and modification time unchanged for a
stability window, and no office owner or lock file beside it (Word's `~$name.docx`,
LibreOffice's `.~lock.name.docx#`), which exist exactly while someone has it open.

An owner file a crashed Word or LibreOffice left behind would hold its document back for
good: one that neither it nor its document has changed for `stale_owner` seconds (the
setting [watch] stale_owner_minutes) no longer does, and is told once (take_stale_owners).

Pure bookkeeping with the clocks passed in, so that the watcher's threads, its polling
mode and the tests all share it. Events only say "look again"; readiness is decided here.
"""

from __future__ import annotations

import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from app.folder import is_junk
from language import _


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # clock time when this size and mtime were first seen
    folder: bool = False  # a folder the Inbox walk hands over (too deep to walk into)


def owner_files(path: Path) -> list[Path]:
    """The names an office suite gives the file that marks `path` as open."""
    name = path.name
    # Word keeps the last characters of long names: ~$ replaces the first two.
    word = [f"~${name}", f"~${name[2:]}" if len(name) > 2 else None, f"~${name[1:]}"]
    names = [n for n in word if n] + [f".~lock.{name}#"]
    return [path.with_name(n) for n in dict.fromkeys(names)]


def is_open_in_office(path: Path) -> bool:
    return any(p.exists() for p in owner_files(path))


@dataclass(frozen=True)
class StaleOwner:
    """An owner file left beside a finished document by an office suite that is gone."""

    owner: Path
    file: Path
    minutes: int  # how old the owner file is

    @property
    def suite(self) -> str:
        return "LibreOffice" if self.owner.name.startswith(".~lock.") else "Word"

    def message(self) -> str:
        return _(
            "{owner} is {minutes} minutes old; {suite} seems to have closed without removing "
            "it; {file} is filed anyway"
        ).format(owner=self.owner.name, minutes=self.minutes, suite=self.suite, file=self.file.name)


class StabilityTracker:
    def __init__(
        self,
        window: float,
        stale_owner: float = 15 * 60.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.window = window
        self.stale_owner = stale_owner  # seconds
        self.wall = wall  # the clock file times are in (`now` is the service's own clock)
        self._seen: dict[Path, _Seen] = {}
        self._stale: list[StaleOwner] = []
        self._told: set[tuple[Path, int, Path]] = set()

    def note(self, path: Path, now: float, settled: bool = False, walked: bool = False) -> None:
        """Look at `path` now (after an event, or on a scan). `settled`: it is known to
        have been finished already (a file whose retry is due, unchanged since it was
        tried), so it does not wait for the window again. `walked`: it comes from the
        Inbox walk, which hands over a folder only when it wants it handled.

        The entry itself is looked at, never what a link points to: a link, a FIFO or a
        device is handed out like a file (the intake puts it aside with a note), never
        left unsaid; a dangling link is still an entry."""
        try:
            info = path.lstat()
        except OSError:  # gone (renamed, deleted, Word's save dance): forget it
            self._seen.pop(path, None)
            return
        seen = self._seen.get(path)
        folder = stat.S_ISDIR(info.st_mode)
        if folder and not (walked or (seen is not None and seen.folder)):
            # Folders also arrive as "files" in events: a polling observer matches entries
            # by inode, and a new folder that reuses a deleted file's inode is reported as
            # that file moved. Only the walk says which folders are to be handled.
            self._seen.pop(path, None)
            return
        if seen is None or (seen.size, seen.mtime_ns) != (info.st_size, info.st_mtime_ns):
            since = now - self.window if settled and seen is None else now
            self._seen[path] = _Seen(info.st_size, info.st_mtime_ns, since, folder)

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
            if self._held_by_owner(path, current):
                continue  # still open in Word or LibreOffice; look again later
            out.append((current.since, current.mtime_ns, path))
            del self._seen[path]
        return [p for _time, _name, p in sorted(out)]

    def _held_by_owner(self, path: Path, seen: _Seen) -> bool:
        """An owner file beside `path` that is live. Word writes its owner file once, when
        the document is opened, and the document at each save: while someone works on it,
        one of the two is recent. Neither changed for `stale_owner`: the suite is gone."""
        stale: list[tuple[StaleOwner, int]] = []
        wall = self.wall()
        for owner in owner_files(path):
            try:
                info = owner.lstat()
            except OSError:
                continue  # no such owner file: the usual case
            touched = max(info.st_mtime_ns, seen.mtime_ns) / 1e9
            if wall - touched < self.stale_owner:
                return True
            minutes = int((wall - info.st_mtime_ns / 1e9) // 60)
            stale.append((StaleOwner(owner, path, minutes), info.st_mtime_ns))
        for found, mtime_ns in stale:
            told = (found.owner, mtime_ns, path)
            if told not in self._told:  # said once, not at every retry of the document
                self._told.add(told)
                self._stale.append(found)
        return False

    def take_stale_owners(self) -> list[StaleOwner]:
        """The stale owner files found since the last call, each once: the service logs them."""
        out, self._stale = self._stale, []
        return out

    def note_all(self, paths: Iterable[Path], now: float, walked: bool = False) -> None:
        for path in paths:
            self.note(path, now, walked=walked)

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
        self._as_tried: dict[Path, tuple[int, int] | None] = {}

    def failed(self, path: Path, now: float) -> float:
        """Note a failure; returns the delay before the next try."""
        tries = self._tries.get(path, 0)
        delay = min(self.first * 2.0**tries, self.ceiling)
        self._tries[path] = tries + 1
        self._due[path] = now + delay
        self._as_tried[path] = _signature(path)
        return delay

    def succeeded(self, path: Path) -> None:
        self._tries.pop(path, None)
        self._due.pop(path, None)
        self._as_tried.pop(path, None)

    def unchanged(self, path: Path) -> bool:
        """The file is as it was when it failed (same size and time, or still gone)."""
        return path in self._as_tried and _signature(path) == self._as_tried[path]

    def holds(self, path: Path) -> bool:
        """The file waits for its next try: events and scans leave it alone until then, so
        that the delay the log states is the delay kept (reading a file raises events of
        its own). A file that changed meanwhile is a new version: it is let go at once."""
        if path not in self._due:
            return False
        if self.unchanged(path):
            return True
        del self._due[path]
        return False

    def tries(self, path: Path) -> int:
        return self._tries.get(path, 0)

    def due(self, now: float) -> list[Path]:
        """Files whose next try has come; they go back to the stability tracker."""
        paths = [p for p, at in self._due.items() if at <= now]
        for path in paths:
            del self._due[path]
        return paths


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns
