"""One worker per shared folder: `closedloop watch`, or a one-shot `closedloop ingest` (and
rebuild, close-quarter, packet, doctor's look), holds an exclusive lock while it works on
the folder. Two at once would each take the other's staged files for a crashed run's
leftovers, and file forms twice.

The lock is a flock on the .closedloop directory itself, through a handle the holder keeps
open. A lock *file* can be deleted under its holder, and the next process locks a new
file of the same name: deleting .closedloop/watch.lock under a running `watch` once let
an `ingest` run beside it, and 85 of 200 forms were filed twice. A directory holding the
registry cannot be deleted, and its lock stays with the directory whatever is done to the
files in it. If the directory itself is renamed or replaced, `still_held()` says so.

.closedloop/watch.lock stays: it names the holder for the message that refuses a second
worker, and it is locked as well, for a closedloop of an older version that looks only at
it. A holder whose file was deleted is found in /proc/locks instead.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import IO

from watcher.errors import WatcherError
from watcher.notes import shown

try:
    import fcntl
except ImportError:  # Windows: the service runs as a scheduled one-shot ingest there
    fcntl = None  # type: ignore[assignment]

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
NO_WAIT = getattr(os, "O_NONBLOCK", 0)  # a FIFO put at watch.lock must not hang the open
LOCKS = Path("/proc/locks")  # Linux: every lock held, with its process and inode


class AlreadyWatched(WatcherError):
    def __init__(self, root: Path, holder: str) -> None:
        self.root = root
        self.holder = holder
        super().__init__(
            f"{root} is already watched by {holder}, which files the Inbox itself; "
            "leave it running, or stop it first"
        )


class CannotLock(WatcherError):
    def __init__(self, state: Path, why: str) -> None:
        self.state = state
        super().__init__(
            f"{state}: cannot be locked ({why}), so closedloop cannot make sure it is the "
            "only one filing this folder; keep the shared folder on a file system that "
            "supports locks (a local disk of the server that shares it)"
        )


class LockLost(WatcherError):
    def __init__(self, state: Path) -> None:
        self.state = state
        super().__init__(
            f"{state} was renamed, deleted or replaced while this process held it, so "
            "another closedloop may now file the same Inbox; this one stops. Put the "
            "folder back if it was moved, then start closedloop again"
        )


class InstanceLock:
    def __init__(self, state_dir: Path, holder: str = "closedloop watch") -> None:
        self.state = state_dir
        self.path = state_dir / "watch.lock"
        self.holder = holder
        self._dir: int | None = None  # the locked directory's handle
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            self._fh = self._named(self._lock_file())
            return
        # Not inherited by a program closedloop starts: os.open makes no inheritable fd.
        fd = os.open(self.state, os.O_RDONLY | os.O_DIRECTORY)
        fh: IO[str] | None = None
        try:
            if self._try_lock(fd):
                fh = self._lock_file()
                if self._try_lock(fh.fileno()):  # an older closedloop locks only the file
                    self._dir, self._fh = fd, self._named(fh)
                    return
            holder = self._holder(os.fstat(fd))
        finally:
            if self._dir != fd:  # not taken: nothing is kept open
                if fh is not None:
                    fh.close()
                os.close(fd)
        raise AlreadyWatched(self.state.parent, holder)

    def _try_lock(self, fd: int) -> bool:
        """True: locked; False: another process holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:  # a file system without locks: refusing beats filing twice
            raise CannotLock(self.state, exc.strerror or str(exc)) from None
        return True

    def _lock_file(self) -> IO[str]:
        """watch.lock, opened without following a link or waiting on a FIFO put in its
        place (what is not a regular file there is replaced: the folder is locked)."""
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NO_FOLLOW | NO_WAIT, 0o644)
            except OSError as exc:
                if exc.errno != errno.ELOOP:  # ELOOP: a link
                    raise CannotLock(self.state, f"{self.path.name}: {exc.strerror}") from None
            else:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    os.set_blocking(fd, True)
                    return os.fdopen(fd, "r+", encoding="utf-8")
                os.close(fd)
            self.path.unlink()
        raise CannotLock(self.state, f"{self.path.name} is not a file and stays so")

    def _named(self, fh: IO[str]) -> IO[str]:
        """The lock file, saying who holds the folder."""
        fh.seek(0)
        fh.truncate()
        fh.write(f"{self.holder} (process {os.getpid()})")
        fh.flush()
        return fh

    def _holder(self, locked: os.stat_result) -> str:
        named = ""
        try:
            fd = os.open(self.path, os.O_RDONLY | NO_FOLLOW | NO_WAIT)
        except OSError:  # deleted: the lock is on the directory all the same
            pass
        else:
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    named = os.read(fd, 1000).decode("utf-8", "replace").strip()
            finally:
                os.close(fd)
        return shown(named) if named else _holder_of(locked) or "another process"

    def still_held(self) -> bool:
        """True while the directory this lock holds is still the one at its path: False
        once it was renamed, deleted with all it held, or replaced (another process may
        then lock the new one and file beside this one)."""
        if fcntl is None:
            return self._fh is not None
        if self._dir is None:
            return False
        try:
            now = self.state.stat()
        except OSError:
            return False
        held = os.fstat(self._dir)
        return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)

    def check(self) -> None:
        """Raises LockLost once `still_held()` is False: for the service to call now and
        then (each second, with its registry's check), and stop."""
        if not self.still_held():
            raise LockLost(self.state)

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing a handle releases its lock
            self._fh = None
        if self._dir is not None:
            os.close(self._dir)
            self._dir = None


def _holder_of(locked: os.stat_result) -> str | None:
    """`closedloop watch /srv/share (process 4711)`: who holds a flock on the inode of
    `locked`, from /proc/locks; None where there is no such file or nobody is found."""
    try:
        text = LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        # 1: FLOCK  ADVISORY  WRITE 4711 08:01:1234567 0 EOF  (a waiter's line has "->")
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK":
            continue
        pid, device = fields[4], fields[5].split(":")
        try:
            major, minor, inode = int(device[0], 16), int(device[1], 16), int(device[2])
        except (IndexError, ValueError):
            continue
        if inode == locked.st_ino and (major, minor) == (
            os.major(locked.st_dev),
            os.minor(locked.st_dev),
        ):
            return f"{_command(pid)} (process {pid})"
    return None


def _command(pid: str) -> str:
    """What process `pid` runs, as a person would type it: `closedloop watch /srv/share`,
    not `/usr/bin/python3 /usr/local/bin/closedloop watch /srv/share`."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "a process"
    args = [os.fsdecode(a) for a in raw.split(b"\0") if a]
    if len(args) > 1 and Path(args[0]).name.startswith("python") and args[1][:1] != "-":
        args = args[1:]  # the interpreter of a script: the script says what it is
    if not args:
        return "a process"
    return shown(" ".join([Path(args[0]).name, *args[1:]]), 120)
