"""One worker per shared folder: `closedloop watch`, or a one-shot `closedloop ingest`,
holds an exclusive lock on .closedloop/watch.lock while it files the Inbox. Two at once
would each take the other's staged files for a crashed run's leftovers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from watcher.errors import WatcherError

try:
    import fcntl
except ImportError:  # Windows: the service runs as a scheduled one-shot ingest there
    fcntl = None  # type: ignore[assignment]


class AlreadyWatched(WatcherError):
    def __init__(self, root: Path, holder: str) -> None:
        self.root = root
        self.holder = holder
        super().__init__(
            f"{root} is already watched by {holder}, which files the Inbox itself; "
            "leave it running, or stop it first"
        )


class InstanceLock:
    def __init__(self, state_dir: Path, holder: str = "closedloop watch") -> None:
        self.path = state_dir / "watch.lock"
        self.holder = holder
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+", encoding="utf-8")
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                fh.close()
                raise AlreadyWatched(self.path.parent.parent, holder) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{self.holder} (process {os.getpid()})")
        fh.flush()
        self._fh = fh

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the file releases the lock
            self._fh = None
