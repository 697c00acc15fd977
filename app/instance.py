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

Windows has no flock: there the lock is msvcrt's lock on one byte of watch.lock, through a
handle the holder keeps open. Python opens files there without FILE_SHARE_DELETE, so while
the holder runs watch.lock cannot be deleted or renamed, nor can .closedloop, which holds
it: a manual `closedloop ingest` is refused while the scheduled one runs (Task Scheduler's
IgnoreNew only keeps the task from overlapping itself). `still_held()` checks all the same
that the file at the path is the one held.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

from app.errors import AppError
from forms.shown import shown
from language import _

if sys.platform == "win32":
    import msvcrt

try:
    import fcntl
except ImportError:  # Windows: the byte lock below; anywhere else: no lock, nothing filed
    fcntl = None  # type: ignore[assignment]

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
NO_WAIT = getattr(os, "O_NONBLOCK", 0)  # a FIFO put at watch.lock must not hang the open
BINARY = getattr(os, "O_BINARY", 0)  # Windows: the holder's name is written as it is
LOCKS = Path("/proc/locks")  # Linux: every lock held, with its process and inode
# Windows' byte locks are mandatory: a locked byte cannot even be read by another process.
# The locked byte is SQLite's pending byte, 1 GiB in, far past the holder's name that the
# refused process reads, and past the end of the file, which a lock does not grow.
WINDOWS_BYTE = 1 << 30


class AlreadyWatched(AppError):
    def __init__(self, root: Path, holder: str) -> None:
        self.root = root
        self.holder = holder
        super().__init__(
            _(
                "{root} is already watched by {holder}, which files the Inbox itself; "
                "leave it running, or stop it first"
            ).format(root=root, holder=holder)
        )


class CannotLock(AppError):
    def __init__(self, state: Path, why: str) -> None:
        self.state = state
        super().__init__(
            _(
                "{state}: cannot be locked ({why}), so closedloop cannot make sure it is the "
                "only one filing this folder; keep the shared folder on a file system that "
                "supports locks (a local disk of the server that shares it)"
            ).format(state=state, why=why)
        )


class LockLost(AppError):
    def __init__(self, state: Path) -> None:
        self.state = state
        super().__init__(
            _(
                "{state} was renamed, deleted or replaced while this process held it, so "
                "another closedloop may now file the same Inbox; this one stops. Put the "
                "folder back if it was moved, then start closedloop again"
            ).format(state=state)
        )


class InstanceLock:
    def __init__(self, state_dir: Path, holder: str = "closedloop watch") -> None:
        self.state = state_dir
        self.path = state_dir / "watch.lock"
        self.holder = holder
        self._held: _FolderLock | _ByteLock | None = None

    def acquire(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        kind = _platform_lock()
        if kind is None:  # refusing beats filing twice
            raise CannotLock(self.state, _("this system has neither flock nor Windows' byte locks"))
        self._held = kind.take(self)

    def _lock_file(self) -> int:
        """watch.lock's handle, opened without following a link or waiting on a FIFO put in
        its place (what is not a regular file there is replaced: the folder is locked, or
        on Windows no holder could have it open)."""
        for _attempt in range(2):
            if not NO_FOLLOW and self.path.is_symlink():  # Windows: os.open follows links
                self.path.unlink()
            try:
                fd = os.open(
                    self.path, os.O_RDWR | os.O_CREAT | NO_FOLLOW | NO_WAIT | BINARY, 0o644
                )
            except OSError as exc:
                if exc.errno != errno.ELOOP:  # ELOOP: a link
                    raise CannotLock(self.state, f"{self.path.name}: {exc.strerror}") from None
            else:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    if sys.platform != "win32":  # no FIFO there; 3.11 has no set_blocking
                        os.set_blocking(fd, True)
                    return fd
                os.close(fd)
            self.path.unlink()
        raise CannotLock(
            self.state, _("{name} is not a file and stays so").format(name=self.path.name)
        )

    def _named(self, fd: int) -> None:
        """Writes into the lock file who holds the folder."""
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{self.holder} (process {os.getpid()})".encode())

    def _holder(self, locked: os.stat_result | None) -> str:
        """Who holds the folder: the name in watch.lock, or the holder of a flock on
        `locked` (the .closedloop directory), or "another process"."""
        named = ""
        try:
            fd = os.open(self.path, os.O_RDONLY | NO_FOLLOW | NO_WAIT | BINARY)
        except OSError:  # deleted: the lock is on the directory all the same
            pass
        else:
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    named = os.read(fd, 1000).decode("utf-8", "replace").strip()
            finally:
                os.close(fd)
        if named:
            return shown(named)
        return (_holder_of(locked) if locked is not None else None) or _("another process")

    def still_held(self) -> bool:
        """True while what this lock holds is still the one at its path: False once it was
        renamed, deleted with all it held, or replaced (another process may then lock the
        new one and file beside this one)."""
        return self._held is not None and self._held.still_held()

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
        if self._held is not None:
            held, self._held = self._held, None
            held.release()


def _platform_lock() -> type[_FolderLock] | type[_ByteLock] | None:
    """The lock this system has: Windows' byte lock on watch.lock, flock on the folder
    elsewhere, or none."""
    if sys.platform == "win32":
        return _ByteLock
    if fcntl is None:
        return None
    return _FolderLock


class _FolderLock:
    """POSIX: a flock on the .closedloop directory, and one on watch.lock for an older
    closedloop, through handles kept open."""

    def __init__(self, state: Path, directory: int, file: int) -> None:
        self.state = state
        self._dir = directory
        self._file = file

    @classmethod
    def take(cls, lock: InstanceLock) -> _FolderLock:
        # Not inherited by a program closedloop starts: os.open makes no inheritable fd.
        fd = os.open(lock.state, os.O_RDONLY | os.O_DIRECTORY)
        file: int | None = None
        taken = False
        try:
            if _flock(fd, lock.state):
                file = lock._lock_file()
                if _flock(file, lock.state):  # an older closedloop locks only the file
                    lock._named(file)
                    taken = True
                    return cls(lock.state, fd, file)
            holder = lock._holder(os.fstat(fd))
        finally:
            if not taken:  # refused or failed: nothing is kept open
                if file is not None:
                    os.close(file)
                os.close(fd)
        raise AlreadyWatched(lock.state.parent, holder)

    def still_held(self) -> bool:
        """The directory at the path is still the one locked."""
        try:
            now = self.state.stat()
        except OSError:
            return False
        held = os.fstat(self._dir)
        return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)

    def release(self) -> None:
        os.close(self._file)  # closing a handle releases its lock
        os.close(self._dir)


def _flock(fd: int, state: Path) -> bool:
    """True: locked; False: another process holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:  # a file system without locks: refusing beats filing twice
        raise CannotLock(state, exc.strerror or str(exc)) from None
    return True


class _ByteLock:
    """Windows: msvcrt's lock on byte WINDOWS_BYTE of watch.lock, through a handle kept
    open (which keeps the file from being deleted or renamed)."""

    def __init__(self, path: Path, file: int) -> None:
        self.path = path
        self._file = file

    @classmethod
    def take(cls, lock: InstanceLock) -> _ByteLock:
        file = lock._lock_file()  # opening writes nothing: the holder's name stays
        try:
            os.lseek(file, WINDOWS_BYTE, os.SEEK_SET)
            cls._lock(file)
        except PermissionError:  # EACCES: another handle holds the byte
            os.close(file)
            raise AlreadyWatched(lock.state.parent, lock._holder(None)) from None
        except OSError as exc:  # a share without byte locks: refusing beats filing twice
            os.close(file)
            raise CannotLock(lock.state, exc.strerror or str(exc)) from None
        taken = cls(lock.path, file)
        try:
            lock._named(file)
        except BaseException:
            taken.release()
            raise
        return taken

    if sys.platform == "win32":

        @staticmethod
        def _lock(fd: int) -> None:
            """One byte from the handle's position; PermissionError (EACCES) if held."""
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

        @staticmethod
        def _unlock(fd: int) -> None:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    else:  # never chosen here (_platform_lock); the tests stand lockf in for msvcrt

        @staticmethod
        def _lock(fd: int) -> None:
            raise OSError(errno.ENOSYS, "msvcrt's byte locks are Windows-only")

        @staticmethod
        def _unlock(fd: int) -> None:
            raise OSError(errno.ENOSYS, "msvcrt's byte locks are Windows-only")

    def still_held(self) -> bool:
        """watch.lock at the path is still the file held (Windows refuses to delete or
        rename it meanwhile: this checks that promise rather than trusting it)."""
        try:
            now = self.path.lstat()
        except OSError:
            return False
        return os.path.samestat(now, os.fstat(self._file))

    def release(self) -> None:
        try:
            # Windows frees the locks of a closed handle only "when resources allow"
            os.lseek(self._file, WINDOWS_BYTE, os.SEEK_SET)
            self._unlock(self._file)
        except OSError:
            pass  # closing frees it all the same, later
        finally:
            os.close(self._file)


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
