"""The case registry: SQLite, schema under recorded migrations.

The registry is derived state: the archive can rebuild it (issue 5). Its parts, one job
each, share one connection and one transaction (store.py), so that one filing's writes to
several tables commit together:

- schema.py: the recorded migrations;
- cases.py: case numbers, cases, filings, issued forms, evidence;
- history.py: each case's append-only history and the archive-wide chain;
- mailqueue.py: e-mails queued with the filing that causes them;
- pending.py: the journal's table of file moves still to make.

The records themselves, and their JSON, are in filing/records.py; they are importable
from here too, as they always were.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from filing.records import Case, Event, Evidence, Filing, Issued, Mail, Quarantined
from filing.registry.cases import CaseRecords, normalised
from filing.registry.errors import DiskFull, RegistryError, RegistryMissing
from filing.registry.history import CaseHistory
from filing.registry.mailqueue import MailQueue
from filing.registry.pending import PendingPlans
from filing.registry.quarantine import QuarantineRecords
from filing.registry.schema import MIGRATIONS, Schema
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
    "normalised",
]


def _has_database(path: Path) -> bool:
    try:
        return path.stat().st_size > 0  # SQLite takes an empty file for a new database
    except OSError:
        return False


class Registry(Schema, CaseRecords, CaseHistory, MailQueue, PendingPlans, QuarantineRecords):
    """One registry file. Use `transaction()` around every change that belongs together."""

    def __init__(self, path: Path, create: bool = True) -> None:
        """Open the registry at `path`; a missing one is made only when `create` (a new
        folder, or `rebuild`): over an archive, an empty registry would number cases anew."""
        self.path = path
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
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        # Plans carried out whose pending rows are not yet deleted (see drop_pending).
        self._carried_out: set[int] = set()
        try:
            self.db.create_function("norm", 1, normalised, deterministic=True)
            self.db.execute("PRAGMA foreign_keys = ON")
            # The rollback journal, not WAL: WAL needs shared memory, which network shares
            # (where this folder may live) do not provide.
            self.db.execute("PRAGMA journal_mode = DELETE")
            self.db.execute("PRAGMA synchronous = FULL")
            if not create and not self._is_registry():
                # A database someone put in its place (or an empty one): made into a new
                # registry, it would number cases anew over the archive.
                raise RegistryMissing(
                    _(
                        "{path}: this database is not a closedloop registry; "
                        "make the registry again from the archive with `closedloop rebuild`"
                    ).format(path=path)
                )
            self.migrate()
        except RegistryError:
            self.db.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise RegistryError(
                _(
                    "{path}: the registry cannot be opened ({error}); "
                    "rebuild it from the archive with `closedloop rebuild`"
                ).format(path=path, error=exc)
            ) from None

    def close(self) -> None:
        if self._carried_out and not self.db.in_transaction:
            # An empty transaction drops them; if it cannot, they are carried out again.
            with contextlib.suppress(sqlite3.Error), self.transaction():
                pass
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
