"""The registry in a PostgreSQL database that several sites share (database.py has the
interface and SQLite's side).

The registry's SQL is written as SQLite takes it (`?` and `:name` parameters); it is turned
into psycopg's `%s` and `%(name)s` once per statement and kept.

Transactions. SQLite's BEGIN IMMEDIATE lets one writer at a time into the file. On
PostgreSQL each transaction runs at READ COMMITTED and first takes an advisory lock named
by its site: one site's writers (the service, its lanes, a command) go one at a time, as
on SQLite, while other sites write beside them. What sites share is guarded by row locks:
a case number is taken by an upsert of its year's row, which holds that row until the
transaction ends, so two sites never get the same number, and the second waits for the
first to commit, then sees its case (repeats across sites are found that way). What each
site keeps to itself (its history chain, its journal plans, its quarantine, its mail) is
never written by another site's transactions. Serializable isolation with retries would
also be correct, but it would retry whole filings (their file writes included); the locks
make the waits short and the retries unnecessary.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from filing.registry.database import POSTGRESQL, Database, Params, Rows, shown_url
from filing.registry.errors import RegistryUnreachable
from language import _

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

# A quoted string, a parameter by position or name, or a percent sign psycopg would read.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|(?<![:\w]):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=512)
def to_psycopg(sql: str) -> str:
    """SQLite's parameter marks as psycopg's: `?` as `%s`, `:name` as `%(name)s`, a
    literal `%` doubled; quoted strings left as they are."""

    def mark(match: re.Match[str]) -> str:
        found = match[0]
        if found.startswith("'"):
            return found
        if found == "?":
            return "%s"
        if found == "%":
            return "%%"
        return f"%({match[1]})s"

    return _TOKENS.sub(mark, sql)


#: The advisory lock migrations hold (any number no other lock of ours uses).
_MIGRATION_LOCK = 20_241_121

_pools: dict[str, ConnectionPool[Any]] = {}
_pools_lock = threading.Lock()
# A forked child (a test's crash child, a reading process) must never use or close the
# parent's connections: their sockets are shared. It starts with no pools of its own.
os.register_at_fork(after_in_child=_pools.clear)


def _pool(url: str) -> ConnectionPool[Any]:
    """One pool per server and database in a process: the service's lanes and the main
    loop each hold a connection from it; a broken one is replaced by the pool."""
    from psycopg_pool import ConnectionPool

    # Its attempts' errors, untimed and in English, would fill the service's log while a
    # server is away: the registry's own message says it, with the server's reason.
    logging.getLogger("psycopg.pool").setLevel(logging.CRITICAL)
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None:
            pool = ConnectionPool(
                url,
                min_size=0,
                max_size=8,
                open=True,
                kwargs={"autocommit": True, "connect_timeout": 10},
                check=ConnectionPool.check_connection,
                reconnect_timeout=0,
            )
            _pools[url] = pool
        return pool


def _why_not(url: str, timeout: BaseException) -> BaseException:
    """Why the pool could not connect: it only says it waited (its attempts' errors go to
    a log no one reads), so one connection is tried here to hear the server's reason (a
    password refused, no such database, nothing listening)."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        return exc
    return timeout


def close_pools() -> None:
    """Close every pool (the end of a process, or a test)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def _reason(exc: BaseException) -> str:
    """The server's own words when it gave some (`FATAL:  password authentication failed
    for user "qa"`), else the error's first line."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    fatal = [line for line in lines if "FATAL:" in line]
    return (fatal[-1].split("FATAL:", 1)[1].strip() if fatal else lines[0]) if lines else repr(exc)


class PostgresDatabase(Database):
    """A connection from the process's pool for the server and database of `url`. A lost
    connection (the server restarted, the network dropped) ends the transaction it was
    in, raises RegistryUnreachable, and is replaced at the next statement."""

    dialect = POSTGRESQL

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.where = shown_url(url)
        self._connection: psycopg.Connection[Any] | None = None
        try:
            self._connection_for_use()  # a registry that cannot be reached fails at its opening
        except psycopg.Error as exc:
            raise self._unreachable(exc) from None

    def _connection_for_use(self) -> psycopg.Connection[Any]:
        if self._connection is not None and not self._connection.closed:
            return self._connection
        self._give_back()
        from psycopg_pool import PoolTimeout

        try:
            self._connection = _pool(self.url).getconn(timeout=15)
        except PoolTimeout as exc:
            raise self._unreachable(_why_not(self.url, exc)) from None
        return self._connection

    def _give_back(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # The pool checks a returned connection and throws a broken one away.
            try:
                _pool(self.url).putconn(connection)
            except Exception:  # a pool closed under us: the connection goes too
                connection.close()

    def _unreachable(self, exc: BaseException) -> RegistryUnreachable:
        return RegistryUnreachable(
            # What waits meanwhile is for the one who files to say (the Inbox's files);
            # a command that only reads has nothing waiting.
            _("{where}: the registry's database cannot be reached ({error})").format(
                where=self.where, error=_reason(exc)
            )
        )

    def _run(self, sql: str, params: Params, dicts: bool = False) -> Rows:
        import psycopg
        from psycopg.rows import dict_row

        connection = self._connection_for_use()
        try:
            cursor = connection.cursor(row_factory=dict_row) if dicts else connection.cursor()
            if params:
                cursor.execute(to_psycopg(sql), params)
            else:
                cursor.execute(sql)  # no parameters: a % is itself
            return cursor
        except psycopg.OperationalError as exc:
            if connection.closed or connection.broken:
                self._give_back()
                raise self._unreachable(exc) from exc
            raise

    def execute(self, sql: str, params: Params = ()) -> Rows:
        return self._run(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        for params in rows:
            self._run(sql, params)

    def select(self, sql: str, params: Params = ()) -> Rows:
        return self._run(sql, params, dicts=True)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        connection = self._connection
        if connection is None or connection.closed:
            return False
        return connection.info.transaction_status in (
            TransactionStatus.INTRANS,
            TransactionStatus.INERROR,
            TransactionStatus.ACTIVE,
        )

    def begin(self, site: str) -> None:
        self.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        self.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (f"closedloop site {site}",))

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        connection = self._connection
        if connection is None or connection.closed or connection.broken:
            return  # the server ended the transaction with the connection
        if self.in_transaction:
            self.execute("ROLLBACK")

    def script(self, sql: str) -> None:
        self.execute(sql)  # psycopg runs several statements when there are no parameters

    def has_table(self, name: str) -> bool:
        row = self.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()
        return bool(row[0])

    def defer_foreign_keys(self) -> None:
        self.execute("SET CONSTRAINTS ALL DEFERRED")

    @contextlib.contextmanager
    def migrating(self) -> Iterator[None]:
        # Two sites starting at once on a new database: one makes the tables.
        self.execute("SELECT pg_advisory_lock(?)", (_MIGRATION_LOCK,))
        try:
            yield
        finally:
            with contextlib.suppress(RegistryUnreachable):
                self.execute("SELECT pg_advisory_unlock(?)", (_MIGRATION_LOCK,))

    def close(self) -> None:
        if self._connection is not None and not self._connection.closed:
            try:
                if self.in_transaction:
                    self._connection.rollback()
            except Exception:  # closing: a broken connection is thrown away
                self._connection.close()
        self._give_back()
