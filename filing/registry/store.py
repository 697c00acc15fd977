"""What every part of the registry shares: one connection to where it lives (a SQLite file,
or a PostgreSQL database several sites share; database.py) and one transaction, so that a
filing's writes to several tables commit together or not at all.

The parts (schema.py, cases.py, history.py, mailqueue.py, pending.py) are mixins of
`Store`; `Registry` (the package's __init__) is all of them over the connection it opens.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from filing.registry.database import Database, Params, Rows, driver_errors
from filing.registry.errors import DiskFull, RegistryError
from language import _, folders


class Store:
    """One registry's connection, and the transaction every change goes in."""

    path: Path
    db: Database
    #: The plant this folder is (its code, [registry] site); "" on a registry of its own.
    site: str
    # Plans carried out whose pending rows are not yet deleted (pending.py): they go in
    # the next transaction, or at close.
    _carried_out: set[int]
    # Savepoints taken so far: each gets a name of its own.
    _savepoints: int = 0

    def _select(self, sql: str, params: Params = ()) -> Rows:
        """The rows of a query as dicts, each value read by its column's name, never by
        position. The connection itself keeps plain tuples for whoever else uses it."""
        return self.db.select(sql, params)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One writer of this site at a time; everything inside commits or none of it.
        Inside another (several filings in one transaction: archive/journal.py's batch),
        a savepoint: what fails inside is undone, and the rest goes on to its commit."""
        if self.db.in_transaction:
            with self._savepoint():
                yield
            return
        self.db.begin(self.site)
        dropped: set[int] = set()
        try:
            dropped = self._drop_carried_out()
            yield
            self.db.commit()
        except BaseException as exc:
            self.db.rollback()
            self._carried_out |= dropped  # their rows are back: drop them next time
            if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
                raise DiskFull(
                    _(
                        "{path}: the disk is full ({error}); nothing was recorded. "
                        "Free some space on it; the files wait in the {inbox}"
                    ).format(path=self.path, error=exc, **folders())
                ) from exc
            raise

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._savepoints += 1
        name = f"closedloop_{self._savepoints}"
        self.db.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            # After some errors SQLite has rolled the whole transaction back by itself (a
            # full disk), and a lost server has too: then there is no savepoint to go to,
            # and the transaction's own rollback says why.
            with contextlib.suppress(RegistryError, *driver_errors()):
                self.db.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.db.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.db.execute(f"RELEASE SAVEPOINT {name}")

    def _drop_carried_out(self) -> set[int]:
        dropped, self._carried_out = self._carried_out, set()
        if dropped:
            self.db.executemany("DELETE FROM pending WHERE id = ?", [(i,) for i in sorted(dropped)])
        return dropped
