"""The case registry: a SQLite file in the shared folder, or one PostgreSQL database that
several sites (plants, each with its shared folder) share; schema under recorded migrations.

The registry is derived state: the archive can rebuild it (issue 5). Its parts, one job
each, share one connection and one transaction (store.py), so that one filing's writes to
several tables commit together:

- database.py: the two places a registry lives, behind one interface (SQLite's side);
- postgres.py: the registry in a PostgreSQL database several sites share;
- schema.py, postgres_schema.py: the recorded migrations, in each database's words;
- cases.py: case numbers, cases, filings, issued forms, evidence;
- history.py: each case's append-only history and the archive-wide chain;
- mailqueue.py: e-mails queued with the filing that causes them;
- pending.py: the journal's table of file moves still to make;
- quarantine.py: refused files waiting for a person;
- sites.py: which shared folder each site code is.

The records themselves, and their JSON, are in filing/records.py; they are importable
from here too, as they always were.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from filing.records import Case, Event, Evidence, Filing, Issued, Mail, Quarantined
from filing.registry.cases import CaseRecords, normalised
from filing.registry.database import Database, SqliteDatabase, driver_errors
from filing.registry.errors import DiskFull, RegistryError, RegistryMissing, RegistryUnreachable
from filing.registry.history import CaseHistory
from filing.registry.mailqueue import MailQueue
from filing.registry.pending import PendingPlans
from filing.registry.quarantine import QuarantineRecords
from filing.registry.schema import MIGRATIONS, Schema
from filing.registry.sites import Site, SiteRecords
from language import _

__all__ = [
    "MIGRATIONS",
    "Case",
    "DiskFull",
    "Event",
    "Evidence",
    "Filing",
    "Issued",
    "Mail",
    "Quarantined",
    "Registry",
    "RegistryError",
    "RegistryMissing",
    "RegistryUnreachable",
    "Site",
    "normalised",
]


def _has_database(path: Path) -> bool:
    try:
        return path.stat().st_size > 0  # SQLite takes an empty file for a new database
    except OSError:
        return False


class Registry(
    Schema, CaseRecords, CaseHistory, MailQueue, PendingPlans, QuarantineRecords, SiteRecords
):
    """One registry. Use `transaction()` around every change that belongs together."""

    def __init__(
        self, path: Path, create: bool = True, *, url: str | None = None, site: str = ""
    ) -> None:
        """Open the registry at `path` (a SQLite file), or in the PostgreSQL database of
        `url` as site `site`. A missing registry is made only when `create` (a new
        folder, or `rebuild`): over an archive, an empty registry would number cases anew."""
        self.path = path
        self.url = url
        self.site = site
        # Plans carried out whose pending rows are not yet deleted (see drop_pending).
        self._carried_out: set[int] = set()
        self.db = self._postgres(url) if url else self._sqlite(path, create)
        where = self.db.where
        try:
            if not create and not self._is_registry():
                # A database someone put in its place (or an empty one): made into a new
                # registry, it would number cases anew over the archive.
                raise RegistryMissing(
                    _(
                        "{path}: this database is not a closedloop registry; "
                        "make the registry again from the archive with `closedloop rebuild`"
                    ).format(path=where)
                )
            self.migrate()
        except RegistryError:
            self.db.close()
            raise
        except driver_errors() as exc:
            self.db.close()
            raise RegistryError(
                _(
                    "{path}: the registry cannot be opened ({error}); "
                    "rebuild it from the archive with `closedloop rebuild`"
                ).format(path=where, error=exc)
            ) from None

    @staticmethod
    def _sqlite(path: Path, create: bool) -> Database:
        if path.is_dir():
            raise RegistryError(
                _(
                    "{path}: this is a folder where the registry file should be; "
                    "remove it, then make the registry again with `closedloop rebuild`"
                ).format(path=path)
            )
        if not create and not _has_database(path):
            raise RegistryMissing(
                _(
                    "{path}: the registry is missing or empty; "
                    "make it again from the archive with `closedloop rebuild`"
                ).format(path=path)
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return SqliteDatabase(path, normalised)
        except sqlite3.DatabaseError as exc:
            raise RegistryError(
                _(
                    "{path}: the registry cannot be opened ({error}); "
                    "rebuild it from the archive with `closedloop rebuild`"
                ).format(path=path, error=exc)
            ) from None

    @staticmethod
    def _postgres(url: str) -> Database:
        from filing.registry.postgres import PostgresDatabase  # loads psycopg: only here

        return PostgresDatabase(url)  # RegistryUnreachable when it cannot be reached

    def close(self) -> None:
        if self._carried_out and not self.db.in_transaction:
            # An empty transaction drops them; if it cannot, they are carried out again.
            with contextlib.suppress(RegistryError, *driver_errors()), self.transaction():
                pass
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
