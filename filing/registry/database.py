"""Where a registry lives: a SQLite file in the shared folder (the embedded default), or a
PostgreSQL database several sites share. Both behind one small interface, so that every
part of the registry writes its SQL once.

The SQL is written as SQLite takes it (`?` and `:name` parameters); for PostgreSQL it is
turned into psycopg's `%s` and `%(name)s` once per statement and kept. The two differ only
where the registry says so: the migrations (schema.py holds each in both dialects) and the
lock a transaction takes.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from filing.registry.errors import RegistryError
from forms.flush import LOCAL_FILESYSTEMS, filesystem_of
from language import _

#: Query parameters: by position (?) or by name (:name).
Params = Sequence[Any] | Mapping[str, Any]

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


class Rows(Protocol):
    """A cursor as both drivers give it: rows as tuples (or dicts, from `select`)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(ABC):
    """One connection to where the registry lives."""

    dialect: str
    #: What a message names: the registry file, or the server and database (no password).
    where: str

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> Rows: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    @abstractmethod
    def select(self, sql: str, params: Params = ()) -> Rows:
        """The rows of a query as dicts, each value read by its column's name."""

    @property
    @abstractmethod
    def in_transaction(self) -> bool: ...

    @abstractmethod
    def begin(self, site: str) -> None:
        """Start a transaction that writes; `site`'s writers wait for each other."""

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None:
        """Roll back the transaction, if the database has not already."""

    @abstractmethod
    def script(self, sql: str) -> None:
        """Run a migration's statements (inside the current transaction)."""

    @abstractmethod
    def has_table(self, name: str) -> bool: ...

    @abstractmethod
    def defer_foreign_keys(self) -> None:
        """Check references at commit, not at each row (rebuild loads cases that point at
        each other)."""

    @contextlib.contextmanager
    def migrating(self) -> Iterator[None]:
        """Hold off other processes migrating the same registry."""
        yield

    @abstractmethod
    def close(self) -> None: ...


class SqliteDatabase(Database):
    dialect = SQLITE

    def __init__(self, path: Path, norm: Any) -> None:
        self.where = str(path)
        self.connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            self.connection.create_function("norm", 1, norm, deterministic=True)
            self.connection.execute("PRAGMA foreign_keys = ON")
            self.wal = journal_mode(path) == "WAL"
            self.connection.execute(f"PRAGMA journal_mode = {'WAL' if self.wal else 'DELETE'}")
            self.connection.execute("PRAGMA synchronous = FULL")
        except BaseException:
            self.connection.close()
            raise

    def execute(self, sql: str, params: Params = ()) -> Rows:
        return self.connection.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self.connection.executemany(sql, rows)

    def select(self, sql: str, params: Params = ()) -> Rows:
        cursor = self.connection.cursor()
        cursor.row_factory = _named
        return cursor.execute(sql, params)

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    def begin(self, site: str) -> None:
        if self.wal and not starts_as_sqlite(Path(self.where)):
            # With its log SQLite would write on, reading what it needs from the log, and
            # notice a file overwritten in place only at the next checkpoint: refused now,
            # as the rollback journal's first read would be.
            raise sqlite3.DatabaseError("file is not a database")
        self.connection.execute("BEGIN IMMEDIATE")  # the file has one site

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        # SQLite has already rolled back by itself after some errors (a full disk): a
        # second rollback would hide the real reason behind "no transaction is active".
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")

    def script(self, sql: str) -> None:
        for statement in _statements(sql):
            self.connection.execute(statement)

    def has_table(self, name: str) -> bool:
        row = self.connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def defer_foreign_keys(self) -> None:
        self.connection.execute("PRAGMA defer_foreign_keys = ON")

    def close(self) -> None:
        self.connection.close()


def journal_mode(path: Path) -> str:
    """SQLite's journal for the registry at `path`, chosen by measurement (README,
    Benchmarks): on a local disk WAL, one flush a commit where the rollback journal takes
    four (DELETE; PERSIST and TRUNCATE five); on a network share, or where the file
    system cannot be told, the rollback journal, as WAL needs memory shared between the
    processes using the file, which a share does not provide."""
    local = filesystem_of(path.parent) in LOCAL_FILESYSTEMS
    return "WAL" if local else "DELETE"


#: What every SQLite database file starts with.
SQLITE_HEADER = b"SQLite format 3\x00"


def starts_as_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError:
        return True  # gone or unreadable: the connection's own error says so
    return head == SQLITE_HEADER or not head  # empty: a database not yet written


def _named(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, values, strict=True)}


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (trigger bodies keep their inner semicolons)."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def shown_url(url: str) -> str:
    """The URL as a message may show it: never its password (nor anything of one that
    cannot be read as a URL: it may hold one)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        user = f"{parts.username}@" if parts.username else ""
        _port = parts.port  # raises on a port that is not a number
    except ValueError:
        return _("(a URL that cannot be read)")
    netloc = parts.netloc.rsplit("@", 1)[-1]  # host and port as written
    shown_host = netloc if host else ""
    return urlunsplit((parts.scheme, f"{user}{shown_host}", parts.path, parts.query, ""))


def driver_errors() -> tuple[type[BaseException], ...]:
    """The errors of the database drivers in use: psycopg's only once it is loaded (a
    folder on SQLite never loads it, 0.1 s at every start)."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error,) if psycopg is None else (sqlite3.Error, psycopg.Error)


def check_url(url: str) -> str | None:
    """What is wrong with a registry URL, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # a port that is not a number, a [ without its ]
        return _("it cannot be read as a URL ({why})").format(why=exc)
    if parts.scheme not in ("postgresql", "postgres"):
        return _("a registry URL starts with postgresql:// (the only shared registry)")
    if not parts.path.strip("/"):
        return _("the URL names no database (postgresql://user@host/database)")
    if parts.password is not None:
        return _(
            "the URL holds a password: put it in the service user's ~/.pgpass (or "
            "PGPASSWORD), never in the settings file, which staff can read"
        )
    del port
    return None


__all__ = [
    "POSTGRESQL",
    "SQLITE",
    "Database",
    "Params",
    "RegistryError",
    "Rows",
    "SqliteDatabase",
    "check_url",
    "driver_errors",
    "shown_url",
]
