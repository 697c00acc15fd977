"""A registry that fails is not a file that fails.

A file's failure leaves that file in the Inbox to be tried again; the folder goes on. A
registry that fails (not a database any more, malformed, a disk error, its file deleted or
replaced under the running service) fails every file after it: retrying them one by one
would only hide it. The service stops instead, and says what to do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.errors import AppError, command_path
from filing.registry import RegistryError, RegistryUnreachable
from filing.registry.database import starts_as_sqlite
from language import _, folders

# SQLite's primary result codes (https://sqlite.org/rescode.html) that mean the registry
# file itself cannot be trusted any more. BUSY and LOCKED are another connection holding
# it for a moment (a retry is right); CONSTRAINT, TOOBIG and the like come from one
# file's values. FULL is left out too: once space is freed the same files go in.
_BROKEN = {
    3: "SQLITE_PERM",
    8: "SQLITE_READONLY",  # READONLY_DBMOVED: the file was deleted or replaced under us
    10: "SQLITE_IOERR",
    11: "SQLITE_CORRUPT",
    14: "SQLITE_CANTOPEN",
    15: "SQLITE_PROTOCOL",
    22: "SQLITE_NOLFS",
    26: "SQLITE_NOTADB",
}
# A valid database that is not a registry (another file put in its place) fails this way.
_NOT_A_REGISTRY = ("no such table", "no such column")


def registry_failure(exc: BaseException) -> BaseException | None:
    """The error in `exc`'s chain that says the registry itself failed, or None: SQLite's
    own error when there is one (it says what broke), else a RegistryError.

    The whole chain is looked at: after SQLite rolled a transaction back by itself (a
    corrupt page), the ROLLBACK that follows fails with "no transaction is active", and
    the real cause is only that error's context."""
    seen: set[int] = set()
    found: BaseException | None = None
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, RegistryUnreachable):
            return None  # a shared registry's server away for now: not broken, waited for
        if isinstance(link, sqlite3.DatabaseError) and _broken(link):
            return link
        if isinstance(link, RegistryError) and found is None:
            found = link
        link = link.__cause__ or link.__context__
    return found


def _broken(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _BROKEN:
        return True
    return str(exc).startswith(_NOT_A_REGISTRY)


class RegistryFailed(AppError):
    """The registry failed under the running service; the service stopped."""

    def __init__(self, registry: Path, cause: BaseException | str) -> None:
        self.registry = registry
        self.cause = cause
        root = command_path(registry.parent.parent)
        super().__init__(
            _(
                "{registry}: the registry failed while the service ran ({cause}); the service "
                "stopped so that no file is filed against it. Run `closedloop doctor {root}` "
                "to see what is wrong, then `closedloop rebuild {root}` to make the registry "
                "again from the archive"
            ).format(registry=registry, cause=cause, root=root)
        )


class RegistryProbe:
    """Looks at the registry the service holds open: the same file still at its path, and
    still readable. SQLite itself notices a file deleted or replaced under an open
    connection only at the next write; this notices it while the folder is quiet."""

    def __init__(self, path: Path, shared: bool = False) -> None:
        self.path = path
        # A shared registry has no file here to watch: only the read tells.
        self.shared = shared
        self._identity = self._current()

    def _current(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def check(self, read: Callable[[], object]) -> None:
        """Raise RegistryFailed if the registry went away, was replaced, or `read` (a
        small query on the service's connection) says it is broken."""
        if not self.shared:
            identity = self._current()
            if identity is None:
                raise RegistryFailed(self.path, _("its file was deleted or cannot be reached"))
            if identity != self._identity:
                raise RegistryFailed(self.path, _("its file was replaced by another"))
            if not starts_as_sqlite(self.path):
                # In WAL mode (a local disk) the connection reads what changed from its log,
                # and would notice a file overwritten in place only at the next checkpoint.
                raise RegistryFailed(self.path, _("file is not a database"))
        try:
            read()
        except Exception as exc:
            failure = registry_failure(exc)
            if failure is None:
                return  # busy for a moment, or not the registry's fault: not a failure
            raise RegistryFailed(self.path, failure) from exc


@contextmanager
def files_wait_when_away() -> Iterator[None]:
    """Around a run that files the Inbox: a server away is told with what waits for it."""
    try:
        yield
    except RegistryUnreachable as exc:
        raise inbox_waits(exc) from None


def inbox_waits(exc: RegistryUnreachable) -> RegistryUnreachable:
    """A shared registry's server away, told to the one who files: the files were not
    touched, and the next run (or the service) tries them again."""
    return RegistryUnreachable(
        _("{error}; the files wait in the {inbox} and are tried again").format(
            error=exc, **folders()
        )
    )
