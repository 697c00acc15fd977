"""What every part of the registry shares: one connection to the registry file and one
transaction, so that a filing's writes to several tables commit together or not at all.

The parts (schema.py, cases.py, history.py, mailqueue.py, pending.py) are mixins of
`Store`; `Registry` (the package's __init__) is all of them over the connection it opens.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from filing.registry.errors import DiskFull
from language import _, folders

#: Query parameters: by position (?) or by name (:name).
Params = Sequence[Any] | Mapping[str, Any]


def _named(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, values, strict=True)}


class Store:
    """One registry file's connection, and the transaction every change goes in."""

    path: Path
    db: sqlite3.Connection
    # Plans carried out whose pending rows are not yet deleted (pending.py): they go in
    # the next transaction, or at close.
    _carried_out: set[int]

    def _select(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """The rows of a query as dicts, each value read by its column's name, never by
        position. The connection itself keeps plain tuples for whoever else uses it."""
        cursor = self.db.cursor()
        cursor.row_factory = _named
        return cursor.execute(sql, params)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: one writer at a time; everything inside commits or none of it."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        dropped = self._drop_carried_out()
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as exc:
            # SQLite has already rolled back by itself after some errors (a full disk):
            # a second rollback would hide the real reason behind "no transaction is active".
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self._carried_out |= dropped  # their rows are back: drop them next time
            if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
                raise DiskFull(
                    _(
                        "{path}: the disk is full ({error}); nothing was recorded. "
                        "Free some space on it; the files wait in the {inbox}"
                    ).format(path=self.path, error=exc, **folders())
                ) from exc
            raise

    def _drop_carried_out(self) -> set[int]:
        dropped, self._carried_out = self._carried_out, set()
        if dropped:
            self.db.executemany("DELETE FROM pending WHERE id = ?", [(i,) for i in sorted(dropped)])
        return dropped
